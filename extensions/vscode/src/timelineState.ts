/**
 * The execution timeline's state: which step of a run is shown, moving between steps, the variable
 * table of a step, and which editor line to highlight. Pure (no `vscode`): the panel renders
 * `view()` in a webview and puts a decoration at `highlight()`.
 *
 * Data is the answer of the server's `semcoder.runTimeline` command.
 */

export interface TimelineStep {
  seq: number;
  uri: string;
  /** 1-based line in the text that ran. */
  line: number;
  /** 1-based line where that line is in the buffer now; null when it was edited away. Absent from older servers. */
  currentLine?: number | null;
  /** Which execution of the line this step is (1 = first). */
  hit: number;
  changes: Record<string, string>;
  state: Record<string, string>;
}

export interface TimelineRun {
  id: string;
  kind?: string;
  label: string;
  status: string;
  message?: string | null;
  returnRepr?: string | null;
}

export interface TimelineData {
  run: TimelineRun;
  status: string;
  returnRepr?: string | null;
  exception?: { type?: string; message?: string; file?: string; line?: number } | null;
  steps: TimelineStep[];
  truncated?: boolean;
}

export interface VariableRow {
  name: string;
  value: string;
  changed: boolean;
  /** The value before this step, for a changed variable that had one. */
  previous?: string;
}

export interface Highlight {
  uri: string;
  /** 0-based editor line. */
  line: number;
}

export interface TimelineView {
  run: TimelineRun;
  outcome: string;
  index: number;
  count: number;
  truncated: boolean;
  atStart: boolean;
  atEnd: boolean;
  step?: {
    seq: number;
    file: string;
    line: number;
    currentLine: number | null;
    hit: number;
    summary: string;
  };
  variables: VariableRow[];
}

export function clamp(index: number, count: number): number {
  if (count <= 0 || !Number.isFinite(index)) {
    return 0;
  }
  return Math.min(Math.max(Math.trunc(index), 0), count - 1);
}

function fileName(uri: string): string {
  const tail = uri.split(/[\\/]/).pop() ?? uri;
  try {
    return decodeURIComponent(tail);
  } catch {
    return tail;
  }
}

/** How the run ended, in a few words. */
export function outcome(data: TimelineData): string {
  if (data.exception) {
    const where = data.exception.line ? ` at ${fileName(data.exception.file ?? "")}:${data.exception.line}` : "";
    return `raised ${data.exception.type ?? "an exception"}${data.exception.message ? `: ${data.exception.message}` : ""}${where}`;
  }
  if (data.returnRepr !== undefined && data.returnRepr !== null) {
    return `returned ${data.returnRepr}`;
  }
  return data.status === "ok" ? "passed" : data.status;
}

export class TimelineState {
  private position: number;

  constructor(
    readonly data: TimelineData,
    index = 0,
  ) {
    this.position = clamp(index, data.steps.length);
  }

  get index(): number {
    return this.position;
  }

  get count(): number {
    return this.data.steps.length;
  }

  get step(): TimelineStep | undefined {
    return this.data.steps[this.position];
  }

  /** Go to step `index` (clamped); returns whether the step changed. */
  seek(index: number): boolean {
    const next = clamp(index, this.count);
    const moved = next !== this.position;
    this.position = next;
    return moved;
  }

  next(): boolean {
    return this.seek(this.position + 1);
  }

  prev(): boolean {
    return this.seek(this.position - 1);
  }

  first(): boolean {
    return this.seek(0);
  }

  last(): boolean {
    return this.seek(this.count - 1);
  }

  /** The step before the current one in the same file (where "previous value" comes from). */
  private previousInFile(): TimelineStep | undefined {
    const step = this.step;
    for (let i = this.position - 1; i >= 0; i--) {
      if (this.data.steps[i].uri === step?.uri) {
        return this.data.steps[i];
      }
    }
    return undefined;
  }

  /** The variables known at the current step, the ones this step changed flagged, with their previous value. */
  variables(): VariableRow[] {
    const step = this.step;
    if (!step) {
      return [];
    }
    const before = this.previousInFile()?.state ?? {};
    const names = new Set([...Object.keys(step.state), ...Object.keys(step.changes)]);
    const rows: VariableRow[] = [];
    for (const name of names) {
      const changed = Object.prototype.hasOwnProperty.call(step.changes, name);
      const value = changed ? step.changes[name] : step.state[name];
      const row: VariableRow = { name, value, changed };
      if (changed && Object.prototype.hasOwnProperty.call(before, name) && before[name] !== value) {
        row.previous = before[name];
      }
      rows.push(row);
    }
    return rows;
  }

  /** Names changed at the current step. */
  changedNames(): string[] {
    return Object.keys(this.step?.changes ?? {});
  }

  /**
   * The editor line to highlight: where the step's line is in the buffer now (`currentLine`), or
   * nothing when the line was edited away; servers that do not send `currentLine` mean `line`.
   */
  highlight(): Highlight | undefined {
    const step = this.step;
    if (!step) {
      return undefined;
    }
    const line = step.currentLine === undefined ? step.line : step.currentLine;
    if (line === null || !Number.isInteger(line) || line < 1) {
      return undefined;
    }
    return { uri: step.uri, line: line - 1 };
  }

  /** Everything the webview draws. */
  view(): TimelineView {
    const step = this.step;
    const changes = step ? Object.entries(step.changes).map(([k, v]) => `${k} = ${v}`) : [];
    return {
      run: this.data.run,
      outcome: outcome(this.data),
      index: this.position,
      count: this.count,
      truncated: Boolean(this.data.truncated),
      atStart: this.position === 0,
      atEnd: this.count === 0 || this.position === this.count - 1,
      step: step && {
        seq: step.seq,
        file: fileName(step.uri),
        line: step.line,
        currentLine: step.currentLine === undefined ? step.line : step.currentLine,
        hit: step.hit,
        summary: changes.join(", "),
      },
      variables: this.variables(),
    };
  }

  /** The same position in a newer answer for the same run (after an edit or a re-run): the step with
   * the same `seq` if it is still there, else the same index, clamped. */
  static carry(previous: TimelineState | undefined, data: TimelineData): TimelineState {
    if (!previous || previous.data.run.id !== data.run.id) {
      return new TimelineState(data);
    }
    const seq = previous.step?.seq;
    const same = data.steps.findIndex((s) => s.seq === seq);
    return new TimelineState(data, same >= 0 ? same : previous.index);
  }
}

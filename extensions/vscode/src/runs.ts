/**
 * Pure helpers for the commands that need a choice: the runs of a file as quick-pick items, the
 * failing tests among them, and server errors as a sentence a user can read.
 */

export interface RunSummary {
  id: string;
  kind: string;
  label: string;
  status: string;
  message?: string | null;
  returnRepr?: string | null;
}

export interface RunsAnswer {
  runs: RunSummary[];
  selected: string | null;
}

export interface RunItem {
  label: string;
  description: string;
  detail?: string;
  id: string;
  run: RunSummary;
  picked: boolean;
}

const STATUS_WORDS: Record<string, string> = {
  ok: "passed",
  exception: "failed",
  timeout: "timed out",
  "memory-limit": "hit the memory limit",
  crashed: "crashed",
  "syntax-error": "has a syntax error",
  error: "could not run",
};

export function isFailingTest(run: RunSummary): boolean {
  return run.kind === "test" && run.status !== "ok";
}

/** Failing tests first (as the server sends them), for the explain / fix pickers. */
export function failingTests(answer: RunsAnswer): RunSummary[] {
  return answer.runs.filter(isFailingTest);
}

function describe(run: RunSummary): string {
  if (run.kind === "call") {
    return run.status === "ok" ? `→ ${run.returnRepr ?? "None"}` : (STATUS_WORDS[run.status] ?? run.status);
  }
  return STATUS_WORDS[run.status] ?? run.status;
}

/** Quick-pick items for the runs of a file; the selected one is marked and listed as such. */
export function runItems(answer: RunsAnswer): RunItem[] {
  return answer.runs.map((run) => {
    const mark = run.status === "ok" ? "$(pass)" : "$(error)";
    const selected = run.id === answer.selected;
    return {
      label: `${mark} ${run.label}`,
      description: `${describe(run)}${selected ? " · shown" : ""}`,
      detail: run.message ?? undefined,
      id: run.id,
      run,
      picked: selected,
    };
  });
}

/**
 * A server error as a sentence: pygls sends `module.Class: message` for an exception a handler
 * raised; the user needs the message only.
 */
export function errorMessage(error: unknown): string {
  const raw = error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error);
  const text = (raw ?? "").trim();
  const match = /^(?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*(?:Error|Exception): ([\s\S]+)$/.exec(text);
  const message = match ? match[1] : text;
  return message.startsWith("semcoder") ? message : `semcoder: ${message}`;
}

/** An expression the user typed for "Trace call": non-empty, one line. Returns why not, or undefined. */
export function validateExpression(value: string): string | undefined {
  if (!value.trim()) {
    return "Type a call, e.g. median([3, 1, 2])";
  }
  if (/[\r\n]/.test(value)) {
    return "One expression on one line";
  }
  return undefined;
}

/** The prefill of the "Trace call" box from the server's code lens arguments `[uri, guess]` or `[uri, "", name]`. */
export function expressionGuess(args: unknown[]): string {
  const given = typeof args[1] === "string" ? args[1].trim() : "";
  if (given) {
    return given;
  }
  const name = typeof args[2] === "string" ? args[2].trim() : "";
  return name ? `${name}()` : "";
}

/** Explanations are markdown files the server writes outside the workspace, in `semcoder-explanations/`. */
export function isExplanationUri(uri: string): boolean {
  return /[\\/]semcoder-explanations[\\/][^\\/]+\.md$/.test(uri);
}

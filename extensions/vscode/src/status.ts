/**
 * What the status bar says: the server's state, and what it is busy with, read from the server's
 * work-done progress (`Tracing 12 tests`, `Asking <model> about 2 function(s)`, `Explaining f(1) (<model>)`).
 *
 * Pure: the extension feeds it begin/report/end of every progress and the client's state changes.
 */

export type ServerState = "starting" | "ready" | "stopped" | "error" | "notFound";
export type Activity = "tracing" | "model";

export interface ProgressValue {
  kind: "begin" | "report" | "end";
  title?: string;
  message?: string;
}

/** A progress is waiting for a model when the server says it asks or explains with one. */
export function classify(message: string | undefined): Activity {
  const text = (message ?? "").trim();
  if (text.startsWith("Asking ")) {
    return "model";
  }
  if (text.startsWith("Explaining ")) {
    // Without a model the server explains from the trace alone: "Explaining f(1) (the tracer)".
    return text.endsWith("(the tracer)") ? "tracing" : "model";
  }
  return "tracing";
}

interface Active {
  activity: Activity;
  message: string;
  started: number;
}

/** Open progresses by token; the most recent one of the most telling kind is shown. */
export class ProgressTracker {
  private readonly active = new Map<string, Active>();
  private counter = 0;

  /** Feed one `$/progress` value; returns whether what is shown may have changed. */
  update(token: string | number, value: ProgressValue): boolean {
    const key = String(token);
    switch (value.kind) {
      case "begin":
        this.active.set(key, { activity: classify(value.message), message: value.message ?? value.title ?? "", started: ++this.counter });
        return true;
      case "report": {
        const entry = this.active.get(key);
        if (!entry) {
          return false;
        }
        // A model's streamed text ("… the loop adds") keeps the activity the progress began with.
        if (value.message && !value.message.startsWith("…")) {
          entry.message = value.message;
        }
        return true;
      }
      case "end":
        return this.active.delete(key);
    }
  }

  clear(): void {
    this.active.clear();
  }

  /** Waiting for a model wins over tracing (it is the slow part); the newest one's message. */
  current(): { activity: Activity; message: string; count: number } | undefined {
    let best: Active | undefined;
    for (const entry of this.active.values()) {
      const better =
        !best ||
        (entry.activity === "model" && best.activity !== "model") ||
        (entry.activity === best.activity && entry.started > best.started);
      if (better) {
        best = entry;
      }
    }
    return best && { activity: best.activity, message: best.message, count: this.active.size };
  }
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Background for the item: errors in the theme's error colour, a missing server as a warning. */
  severity: "normal" | "warning" | "error";
}

/** The status bar item for a server state and the current activity. */
export function statusView(state: ServerState, activity?: { activity: Activity; message: string }, detail?: string): StatusView {
  const click = "Click to show the semcoder output.";
  switch (state) {
    case "starting":
      return { text: "$(loading~spin) semcoder", tooltip: `semcoder: starting the language server…\n${click}`, severity: "normal" };
    case "stopped":
      return { text: "$(circle-slash) semcoder", tooltip: `semcoder: the language server is stopped.\n${click}`, severity: "normal" };
    case "notFound":
      return { text: "$(warning) semcoder", tooltip: `semcoder: ${detail ?? "no language server found"}\n${click}`, severity: "warning" };
    case "error":
      return { text: "$(error) semcoder", tooltip: `semcoder: ${detail ?? "the language server failed"}\n${click}`, severity: "error" };
    case "ready":
      break;
  }
  if (activity?.activity === "model") {
    return { text: "$(loading~spin) semcoder: model", tooltip: `semcoder: waiting for the model — ${activity.message}\n${click}`, severity: "normal" };
  }
  if (activity?.activity === "tracing") {
    return { text: "$(sync~spin) semcoder: tracing", tooltip: `semcoder: ${activity.message}\n${click}`, severity: "normal" };
  }
  return { text: "$(check) semcoder", tooltip: `semcoder: ready${detail ? ` (${detail})` : ""}\n${click}`, severity: "normal" };
}

/**
 * Whether a progress is background work (the test runs after every edit, the model's predictions
 * for a file): those stay in the status bar. Work the user asked for (a traced call, an
 * explanation, a fix search) gets a notification with a Cancel button.
 */
export function isBackground(message: string | undefined): boolean {
  const text = (message ?? "").trim();
  return /^Tracing \d+ tests?$/.test(text) || /^Asking .+ about \d+ function\(s\)$/.test(text);
}

/**
 * The timeline webview: draws the view the extension sends and posts back what the user pressed.
 * Values are reprs of the user's data: they go into the page as text, never as HTML.
 */

import type { ToWebview } from "../timelinePanel";
import type { TimelineView } from "../timelineState";

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

const vscode = acquireVsCodeApi();

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

const slider = byId<HTMLInputElement>("slider");
const counter = byId("counter");
const run = byId("run");
const where = byId("where");
const table = byId<HTMLTableElement>("variables");
const message = byId("message");
const outcomeText = byId("outcome");
const controls = byId("controls");

function send(type: string, extra: Record<string, unknown> = {}): void {
  vscode.postMessage({ type, ...extra });
}

for (const id of ["first", "prev", "next", "last", "refresh", "selectRun", "traceCall"]) {
  byId(id).addEventListener("click", () => send(id));
}
slider.addEventListener("input", () => send("seek", { index: Number(slider.value) }));

document.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLInputElement && event.target !== slider) {
    return;
  }
  const keys: Record<string, string> = { ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last" };
  const action = keys[event.key];
  if (action) {
    event.preventDefault();
    send(action);
  }
});

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) {
    td.className = className;
  }
  return td;
}

function drawView(view: TimelineView): void {
  message.hidden = true;
  controls.hidden = false;
  table.hidden = false;
  const mark = view.run.status === "ok" ? "✓" : "✗";
  run.textContent = `${mark} ${view.run.label}`;
  run.className = `run ${view.run.status === "ok" ? "ok" : "failed"}`;
  run.title = view.run.id;
  slider.max = String(Math.max(view.count - 1, 0));
  slider.value = String(view.index);
  slider.disabled = view.count <= 1;
  for (const [id, disabled] of [
    ["first", view.atStart],
    ["prev", view.atStart],
    ["next", view.atEnd],
    ["last", view.atEnd],
  ] as const) {
    byId<HTMLButtonElement>(id).disabled = disabled;
  }
  counter.textContent = view.count ? `step ${view.index + 1} / ${view.count}${view.truncated ? "+" : ""}` : "no steps";
  if (view.step) {
    const moved = view.step.currentLine === null ? " (edited away)" : view.step.currentLine !== view.step.line ? ` (now line ${view.step.currentLine})` : "";
    const hit = view.step.hit > 1 ? ` · execution ${view.step.hit}` : "";
    where.textContent = `${view.step.file}:${view.step.line}${moved}${hit} — ${view.step.summary || "no change"}`;
  } else {
    where.textContent = "This run changed no variable in the traced files.";
  }
  const body = table.tBodies[0];
  body.replaceChildren(
    ...view.variables.map((row) => {
      const tr = document.createElement("tr");
      if (row.changed) {
        tr.className = "changed";
      }
      tr.append(cell(row.name, "name"));
      const value = cell(row.value, "value");
      if (row.previous !== undefined) {
        const was = document.createElement("span");
        was.className = "previous";
        was.textContent = ` was ${row.previous}`;
        value.append(was);
      }
      tr.append(value);
      return tr;
    }),
  );
  outcomeText.textContent = `The run ${view.outcome}${view.truncated ? " (only the first steps are shown)" : ""}.`;
}

function drawEmpty(text: string): void {
  run.textContent = "";
  controls.hidden = true;
  table.hidden = true;
  where.textContent = "";
  outcomeText.textContent = "";
  message.hidden = false;
  message.textContent = text;
}

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  const data = event.data;
  if (data.type === "view") {
    drawView(data.view);
  } else if (data.type === "empty") {
    drawEmpty(data.message);
  }
});

send("ready");

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classify, isBackground, ProgressTracker, statusView } from "../src/status";

describe("classify", () => {
  it("reads the server's progress messages", () => {
    assert.equal(classify("Tracing 12 tests"), "tracing");
    assert.equal(classify("Tracing median([3, 1, 2])"), "tracing");
    assert.equal(classify("Searching fixes for test_x"), "tracing");
    assert.equal(classify("Asking smollm2 about 2 function(s)"), "model");
    assert.equal(classify("Asking semcoder_s_1030 why it fails"), "model");
    assert.equal(classify("Explaining median([3, 1, 2]) (SmolLM2-135M-Instruct.Q4_1.gguf)"), "model");
    assert.equal(classify("Explaining median([3, 1, 2]) (the tracer)"), "tracing");
    assert.equal(classify(undefined), "tracing");
  });
});

describe("ProgressTracker", () => {
  it("shows a progress from begin to end", () => {
    const t = new ProgressTracker();
    assert.equal(t.current(), undefined);
    assert.equal(t.update("a", { kind: "begin", title: "semcoder", message: "Tracing 12 tests" }), true);
    assert.deepEqual(t.current(), { activity: "tracing", message: "Tracing 12 tests", count: 1 });
    assert.equal(t.update("a", { kind: "end", message: "done" }), true);
    assert.equal(t.current(), undefined);
  });

  it("prefers waiting for a model over tracing", () => {
    const t = new ProgressTracker();
    t.update("m", { kind: "begin", message: "Asking smollm2 about 1 function(s)" });
    t.update("t", { kind: "begin", message: "Tracing 3 tests" });
    assert.equal(t.current()?.activity, "model");
    t.update("m", { kind: "end" });
    assert.deepEqual(t.current(), { activity: "tracing", message: "Tracing 3 tests", count: 1 });
  });

  it("shows the newest of the same kind", () => {
    const t = new ProgressTracker();
    t.update(1, { kind: "begin", message: "Tracing 3 tests" });
    t.update(2, { kind: "begin", message: "Tracing f(1)" });
    assert.equal(t.current()?.message, "Tracing f(1)");
    assert.equal(t.current()?.count, 2);
  });

  it("keeps a model progress a model progress while its text streams", () => {
    const t = new ProgressTracker();
    t.update("m", { kind: "begin", message: "Explaining f(1) (smollm2)" });
    t.update("m", { kind: "report", message: "… the loop adds value to total" });
    assert.deepEqual(t.current(), { activity: "model", message: "Explaining f(1) (smollm2)", count: 1 });
    t.update("m", { kind: "report", message: "checking 3 predicted states" });
    assert.equal(t.current()?.message, "checking 3 predicted states");
  });

  it("ignores reports and ends of unknown tokens", () => {
    const t = new ProgressTracker();
    assert.equal(t.update("x", { kind: "report", message: "hi" }), false);
    assert.equal(t.update("x", { kind: "end" }), false);
  });

  it("forgets everything on clear (the server stopped)", () => {
    const t = new ProgressTracker();
    t.update("a", { kind: "begin", message: "Tracing" });
    t.clear();
    assert.equal(t.current(), undefined);
  });
});

describe("statusView", () => {
  it("names each server state", () => {
    assert.match(statusView("starting").text, /loading~spin.*semcoder/);
    assert.match(statusView("ready").text, /check/);
    assert.match(statusView("error", undefined, "crashed").tooltip, /crashed/);
    assert.equal(statusView("error").severity, "error");
    assert.equal(statusView("notFound").severity, "warning");
    assert.match(statusView("stopped").tooltip, /stopped/);
  });

  it("shows tracing and waiting for a model while ready", () => {
    const tracing = statusView("ready", { activity: "tracing", message: "Tracing 12 tests" });
    assert.match(tracing.text, /tracing/);
    assert.match(tracing.tooltip, /Tracing 12 tests/);
    const model = statusView("ready", { activity: "model", message: "Asking smollm2 about 2 function(s)" });
    assert.match(model.text, /model/);
    assert.match(model.tooltip, /waiting for the model — Asking smollm2/);
  });

  it("always says that a click shows the output", () => {
    for (const state of ["starting", "ready", "stopped", "error", "notFound"] as const) {
      assert.match(statusView(state).tooltip, /Click to show the semcoder output/);
    }
  });
});

describe("isBackground", () => {
  it("keeps the runs after edits and the predictions in the status bar", () => {
    assert.equal(isBackground("Tracing 12 tests"), true);
    assert.equal(isBackground("Tracing 1 test"), true);
    assert.equal(isBackground("Asking smollm2 about 2 function(s)"), true);
  });

  it("gives work the user asked for a notification with Cancel", () => {
    assert.equal(isBackground("Tracing median([3, 1, 2])"), false);
    assert.equal(isBackground("Searching fixes for test_percentile_100_is_the_maximum"), false);
    assert.equal(isBackground("Explaining median([3, 1, 2]) (the tracer)"), false);
    assert.equal(isBackground("Asking smollm2 why it fails"), false);
    assert.equal(isBackground(undefined), false);
  });
});

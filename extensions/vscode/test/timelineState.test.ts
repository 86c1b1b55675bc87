import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clamp, outcome, type TimelineData, TimelineState, type TimelineStep } from "../src/timelineState";

const URI = "file:///ws/inventory/stats.py";

function step(seq: number, line: number, changes: Record<string, string>, state: Record<string, string>, extra: Partial<TimelineStep> = {}): TimelineStep {
  return { seq, uri: URI, line, currentLine: line, hit: 1, changes, state, ...extra };
}

/** The shape the server returned for tests/test_stats.py::test_percentile_100_is_the_maximum. */
function percentile(): TimelineData {
  const ordered = "[9, 12, 14, 15, 18, 20, 31]";
  return {
    run: { id: "test:t", kind: "test", label: "tests/test_stats.py::test_percentile_100_is_the_maximum", status: "exception" },
    status: "exception",
    returnRepr: null,
    exception: { type: "IndexError", message: "list index out of range", file: "/ws/inventory/stats.py", line: 40 },
    steps: [
      step(1, 33, { ordered }, { ordered }),
      step(2, 36, { position: "6.0" }, { ordered, position: "6.0" }),
      step(3, 37, { lower: "6" }, { ordered, position: "6.0", lower: "6" }),
      step(4, 38, { upper: "7" }, { ordered, position: "6.0", lower: "6", upper: "7" }),
      step(5, 39, { fraction: "0.0" }, { ordered, position: "6.0", lower: "6", upper: "7", fraction: "0.0" }),
    ],
    truncated: false,
  };
}

function loop(): TimelineData {
  return {
    run: { id: "call:x", kind: "call", label: "mean([1, 2])", status: "ok", returnRepr: "1.5" },
    status: "ok",
    returnRepr: "1.5",
    exception: null,
    steps: [
      step(1, 12, { total: "0.0" }, { total: "0.0" }),
      step(2, 13, { value: "1" }, { total: "0.0", value: "1" }),
      step(3, 14, { total: "1.0" }, { total: "1.0", value: "1" }),
      step(4, 13, { value: "2" }, { total: "1.0", value: "2" }, { hit: 2 }),
      step(5, 14, { total: "3.0" }, { total: "3.0", value: "2" }, { hit: 2 }),
    ],
  };
}

describe("clamp", () => {
  it("keeps an index inside the steps", () => {
    assert.equal(clamp(-3, 5), 0);
    assert.equal(clamp(9, 5), 4);
    assert.equal(clamp(2.7, 5), 2);
    assert.equal(clamp(Number.NaN, 5), 0);
    assert.equal(clamp(3, 0), 0);
  });
});

describe("TimelineState navigation", () => {
  it("starts at the first step", () => {
    const s = new TimelineState(percentile());
    assert.equal(s.index, 0);
    assert.equal(s.count, 5);
    assert.equal(s.step?.line, 33);
  });

  it("moves forward and back and stops at the ends", () => {
    const s = new TimelineState(percentile());
    assert.equal(s.prev(), false);
    assert.equal(s.next(), true);
    assert.equal(s.index, 1);
    assert.equal(s.last(), true);
    assert.equal(s.index, 4);
    assert.equal(s.next(), false);
    assert.equal(s.index, 4);
    assert.equal(s.first(), true);
    assert.equal(s.index, 0);
  });

  it("clamps seeks from the slider", () => {
    const s = new TimelineState(percentile());
    assert.equal(s.seek(3), true);
    assert.equal(s.seek(3), false);
    s.seek(99);
    assert.equal(s.index, 4);
    s.seek(-1);
    assert.equal(s.index, 0);
  });

  it("clamps the starting index", () => {
    assert.equal(new TimelineState(percentile(), 42).index, 4);
  });

  it("copes with a run without steps", () => {
    const s = new TimelineState({ ...percentile(), steps: [] });
    assert.equal(s.step, undefined);
    assert.equal(s.next(), false);
    assert.deepEqual(s.variables(), []);
    assert.equal(s.highlight(), undefined);
    const v = s.view();
    assert.equal(v.count, 0);
    assert.equal(v.atEnd, true);
    assert.equal(v.step, undefined);
  });
});

describe("TimelineState variables", () => {
  it("lists every known variable and flags the changed ones", () => {
    const s = new TimelineState(percentile(), 3);
    assert.deepEqual(s.variables(), [
      { name: "ordered", value: "[9, 12, 14, 15, 18, 20, 31]", changed: false },
      { name: "position", value: "6.0", changed: false },
      { name: "lower", value: "6", changed: false },
      { name: "upper", value: "7", changed: true },
    ]);
    assert.deepEqual(s.changedNames(), ["upper"]);
  });

  it("gives the previous value of a variable a loop changes", () => {
    const s = new TimelineState(loop(), 4);
    const rows = s.variables();
    assert.deepEqual(rows.find((r) => r.name === "total"), { name: "total", value: "3.0", changed: true, previous: "1.0" });
    assert.deepEqual(rows.find((r) => r.name === "value"), { name: "value", value: "2", changed: false });
  });

  it("has no previous value for a variable's first assignment", () => {
    const rows = new TimelineState(loop(), 1).variables();
    assert.deepEqual(rows.find((r) => r.name === "value"), { name: "value", value: "1", changed: true });
  });

  it("does not take a previous value from another file", () => {
    const data = loop();
    data.steps[3] = { ...data.steps[3], uri: "file:///ws/other.py", state: { value: "2" } };
    const rows = new TimelineState(data, 3).variables();
    assert.deepEqual(rows, [{ name: "value", value: "2", changed: true }]);
  });
});

describe("TimelineState highlight", () => {
  it("highlights where the line is in the buffer now (0-based)", () => {
    const data = percentile();
    data.steps[3] = { ...data.steps[3], line: 38, currentLine: 41 };
    assert.deepEqual(new TimelineState(data, 3).highlight(), { uri: URI, line: 40 });
  });

  it("highlights nothing for a line that was edited away", () => {
    const data = percentile();
    data.steps[0] = { ...data.steps[0], currentLine: null };
    assert.equal(new TimelineState(data).highlight(), undefined);
  });

  it("uses the run's line when the server sends no currentLine", () => {
    const data = percentile();
    const { currentLine: _, ...old } = data.steps[1];
    data.steps[1] = old;
    assert.deepEqual(new TimelineState(data, 1).highlight(), { uri: URI, line: 35 });
  });

  it("ignores nonsense lines", () => {
    const data = percentile();
    data.steps[0] = { ...data.steps[0], currentLine: 0 };
    assert.equal(new TimelineState(data).highlight(), undefined);
  });
});

describe("TimelineState view", () => {
  it("describes the step and the run for the webview", () => {
    const v = new TimelineState(percentile(), 3).view();
    assert.equal(v.index, 3);
    assert.equal(v.count, 5);
    assert.equal(v.atStart, false);
    assert.equal(v.atEnd, false);
    assert.deepEqual(v.step, { seq: 4, file: "stats.py", line: 38, currentLine: 38, hit: 1, summary: "upper = 7" });
    assert.equal(v.outcome, "raised IndexError: list index out of range at stats.py:40");
    assert.equal(v.variables.length, 4);
  });

  it("says what a call returned", () => {
    assert.equal(outcome(loop()), "returned 1.5");
    assert.equal(outcome({ ...loop(), returnRepr: null }), "passed");
    assert.equal(outcome({ ...loop(), returnRepr: null, status: "timeout" }), "timeout");
  });
});

describe("TimelineState.carry", () => {
  it("keeps the step (by seq) when the same run comes back", () => {
    const before = new TimelineState(percentile(), 3);
    const again = percentile();
    again.steps = again.steps.slice(1); // e.g. an edit made the first step vanish
    const after = TimelineState.carry(before, again);
    assert.equal(after.step?.seq, 4);
    assert.equal(after.index, 2);
  });

  it("keeps the index, clamped, when the step is gone", () => {
    const before = new TimelineState(percentile(), 4);
    const again = percentile();
    again.steps = again.steps.slice(0, 2).map((s) => ({ ...s, seq: s.seq + 100 }));
    assert.equal(TimelineState.carry(before, again).index, 1);
  });

  it("starts at the beginning for another run", () => {
    const before = new TimelineState(percentile(), 4);
    assert.equal(TimelineState.carry(before, loop()).index, 0);
    assert.equal(TimelineState.carry(undefined, loop()).index, 0);
  });
});

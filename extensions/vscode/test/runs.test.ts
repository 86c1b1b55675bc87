import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorMessage, expressionGuess, failingTests, runItems, type RunsAnswer, validateExpression } from "../src/runs";

const answer: RunsAnswer = {
  runs: [
    { id: "test:a::fails", kind: "test", label: "tests/test_stats.py::test_percentile_100_is_the_maximum", status: "exception", message: "list index out of range", returnRepr: null },
    { id: "test:a::ok", kind: "test", label: "tests/test_stats.py::test_mean", status: "ok", message: null, returnRepr: null },
    { id: "call:x", kind: "call", label: "median([3, 1, 2])", status: "ok", message: null, returnRepr: "2" },
    { id: "test:a::slow", kind: "test", label: "tests/test_stats.py::test_slow", status: "timeout", message: "timed out after 10 s", returnRepr: null },
  ],
  selected: "call:x",
};

describe("runItems", () => {
  it("labels each run with its outcome and marks the shown one", () => {
    const items = runItems(answer);
    assert.equal(items.length, 4);
    assert.equal(items[0].label, "$(error) tests/test_stats.py::test_percentile_100_is_the_maximum");
    assert.equal(items[0].description, "failed");
    assert.equal(items[0].detail, "list index out of range");
    assert.equal(items[1].description, "passed");
    assert.equal(items[2].description, "→ 2 · shown");
    assert.equal(items[2].picked, true);
    assert.equal(items[3].description, "timed out");
    assert.deepEqual(items.map((i) => i.id), answer.runs.map((r) => r.id));
  });
});

describe("failingTests", () => {
  it("keeps failing tests only (not calls, not passing tests)", () => {
    assert.deepEqual(failingTests(answer).map((r) => r.id), ["test:a::fails", "test:a::slow"]);
  });
});

describe("errorMessage", () => {
  it("drops the Python exception class pygls puts in front", () => {
    assert.equal(
      errorMessage(new Error("semcoder_core.errors.SemcoderError: semcoder shows runs of Python files of the workspace; file:///x.py is not one")),
      "semcoder shows runs of Python files of the workspace; file:///x.py is not one",
    );
    assert.equal(errorMessage(new Error("ValueError: bad")), "semcoder: bad");
  });

  it("keeps other messages, prefixed", () => {
    assert.equal(errorMessage(new Error("Request failed")), "semcoder: Request failed");
    assert.equal(errorMessage("no run covers x"), "semcoder: no run covers x");
  });
});

describe("Trace call input", () => {
  it("prefills from the code lens arguments", () => {
    assert.equal(expressionGuess(["file:///a.py", "median([1, 2])"]), "median([1, 2])");
    assert.equal(expressionGuess(["file:///a.py", "", "median"]), "median()");
    assert.equal(expressionGuess(["file:///a.py"]), "");
    assert.equal(expressionGuess([]), "");
  });

  it("wants one non-empty line", () => {
    assert.equal(validateExpression("f(1)"), undefined);
    assert.match(validateExpression("  ") ?? "", /Type a call/);
    assert.match(validateExpression("f(1)\ng(2)") ?? "", /one line/);
  });
});

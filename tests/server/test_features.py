"""The server's features on the example project, as VS Code and as Neovim see them."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from .conftest import Editor

STATS = "inventory/stats.py"
TEST_STATS = "tests/test_stats.py"
FAILING = "tests/test_stats.py::test_percentile_100_is_the_maximum"


def by_line(hints) -> dict[int, str]:
    return {h.position.line: h.label for h in hints}


async def test_hints_show_the_failing_run_of_the_file(editor: Editor):
    uri = editor.open(STATS)
    hints = await editor.hints(uri, lambda hs: 36 in by_line(hs))
    labels = by_line(hints)
    # percentile(WEEK, 100) with 7 values: position 6.0, lower 6, upper 7 (the bug), then IndexError
    assert labels[35] == "position = 6.0"
    assert labels[36] == "lower = 6"
    assert labels[37] == "upper = 7"
    assert labels[39].startswith("raised IndexError: list index out of range")
    lines = (editor.root / STATS).read_text().splitlines()
    for hint in hints:
        assert hint.position.character == editor.units(lines[hint.position.line])
        assert hint.padding_left is True
    runs = await editor.command("semcoder.selectRun", uri)
    assert runs["selected"] == "test:" + FAILING
    labels_of_runs = [r["label"] for r in runs["runs"]]
    assert labels_of_runs[0] == FAILING  # failing first
    assert "tests/test_stats.py::test_mean" in labels_of_runs
    assert "tests/test_report.py::test_sales_summary" in labels_of_runs  # imports stats through report


async def test_hover_shows_every_value_with_a_sparkline(editor: Editor):
    uri = editor.open(STATS)
    await editor.hints(uri, lambda hs: 36 in by_line(hs))
    runs = await editor.command("semcoder.selectRun", uri, "test:tests/test_stats.py::test_mean")
    assert runs["selected"] == "test:tests/test_stats.py::test_mean"
    hints = await editor.hints(uri, lambda hs: 13 in by_line(hs))
    assert by_line(hints)[13] == "total = 3.0 → 8.0 → 18.0 (3×)"
    text = await editor.hover(uri, 13, 9)  # on `total` in `total += value`
    assert text is not None
    assert "line 14 ran 3×" in text and "tests/test_stats.py::test_mean" in text
    assert "| 1 | `3.0` |" in text and "| 2 | `8.0` |" in text and "| 3 | `18.0` |" in text
    assert "trend `▁▃█`" in text
    # a line that did not run in this test has no hover
    assert await editor.hover(uri, 39, 10) is None


async def test_diagnostic_at_the_failing_assertion_links_to_the_bug_and_goes_away_when_fixed(editor: Editor):
    uri = editor.open(STATS)
    test_uri = editor.uri(TEST_STATS)
    found = await editor.diagnostics(test_uri, lambda ds: any(d.code == "failing-test" for d in ds))
    (diag,) = [d for d in found if d.code == "failing-test"]
    assert diag.range.start.line == 24  # assert percentile(WEEK, 100) == 31
    assert diag.severity == types.DiagnosticSeverity.Error
    assert diag.message == f"{FAILING} failed: IndexError: list index out of range"
    (related,) = diag.related_information
    assert related.location.uri == uri and related.location.range.start.line == 39
    assert related.message == "raised IndexError: list index out of range here"
    at_origin = await editor.diagnostics(uri, lambda ds: bool(ds))
    assert [(d.range.start.line, d.severity) for d in at_origin] == [(39, types.DiagnosticSeverity.Warning)]
    # Fix the bug in the unsaved buffer: the test passes and both diagnostics go.
    fixed = (
        (editor.root / STATS).read_text().replace("min(lower + 1, len(ordered))", "min(lower + 1, len(ordered) - 1)")
    )
    editor.replace(uri, fixed)
    await editor.diagnostics(test_uri, lambda ds: not ds)
    await editor.diagnostics(uri, lambda ds: not ds)
    assert "len(ordered))" in (editor.root / STATS).read_text()  # the file on disk is untouched


async def test_trace_call_shows_that_call(editor: Editor):
    uri = editor.open(STATS)
    result = await editor.command("semcoder.traceCall", uri, "median([4, 1, 3, 2])")
    assert result["status"] == "ok" and result["returnRepr"] == "2.5"
    hints = await editor.hints(uri, lambda hs: 22 in by_line(hs))
    labels = by_line(hints)
    assert labels[19] == "ordered = [1, 2, 3, 4]"
    assert labels[22] == "mid = 2"
    assert labels[23] == "→ False"
    assert "⟵ returns 2.5" in labels[25]
    runs = await editor.command("semcoder.selectRun", uri)
    assert runs["selected"] == result["runId"] and runs["runs"][0]["label"] == "median([4, 1, 3, 2])"


async def test_code_lens_names_the_covering_run(editor: Editor):
    uri = editor.open(STATS)
    await editor.hints(uri, lambda hs: 36 in by_line(hs))
    lenses = await editor.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    at = {}
    for lens in lenses:
        at.setdefault(lens.range.start.line, []).append(lens.command)
    percentile = [c for c in at[28] if c.command == "semcoder.selectRun"]
    assert percentile[0].title.startswith("✗ test_percentile_100_is_the_maximum failed")
    assert "(1 failing)" in percentile[0].title
    trace = [c for c in at[7] if c.command == "semcoder.traceCall"]  # mean: called by the tests with [3, 5, 10]
    assert trace[0].title == "▶ Trace call…" and trace[0].arguments[1] in ("mean([3, 5, 10])", "mean([])")


async def test_cancelled_trace_call_returns_32800_and_its_process_is_gone(small_editor: Editor):
    root = small_editor.root
    (root / "spin.py").write_text("def spin():\n    n = 0\n    while True:\n        n += 1\n")
    uri = small_editor.open("spin.py")
    protocol = small_editor.client.protocol
    request = asyncio.ensure_future(
        protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(command="semcoder.traceCall", arguments=[uri, "spin()"]),
            msg_id="trace-spin",
        )
    )
    await small_editor.tracing()
    # An unrelated request is answered promptly while the run is in flight.
    started = asyncio.get_running_loop().time()
    await small_editor.hover(uri, 0, 4)
    assert asyncio.get_running_loop().time() - started < 1.0
    protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="trace-spin"))
    with pytest.raises(Exception) as info:
        await asyncio.wait_for(request, 10)
    assert getattr(info.value, "code", None) == -32800, info.value
    # pygls answers the cancel at once; the kill of the run's processes follows within moments.
    await small_editor.no_runs()


async def test_non_ascii_line_positions(small_editor: Editor):
    root = small_editor.root
    (root / "names.py").write_text('def greet():\n    café = "naïve 😀"\n    return café\n')
    (root / "tests" / "test_names.py").write_text(
        "from names import greet\n\n\ndef test_greet():\n    assert greet()\n"
    )
    uri = small_editor.open("names.py")
    hints = await small_editor.hints(uri, lambda hs: 1 in by_line(hs))
    (hint,) = [h for h in hints if h.position.line == 1]
    assert hint.label == "café = 'naïve 😀'"
    line = '    café = "naïve 😀"'
    assert hint.position.character == small_editor.units(line)
    assert hint.position.character != len(line)


async def test_runs_report_progress_that_the_user_can_cancel(small_editor: Editor):
    root = small_editor.root
    (root / "slow.py").write_text("def crawl():\n    n = 0\n    while True:\n        n += 1\n")
    (root / "tests" / "test_slow.py").write_text("from slow import crawl\n\n\ndef test_crawl():\n    crawl()\n")
    small_editor.open("slow.py")
    reports = small_editor.client.progress_reports
    await small_editor.tracing()
    begun = [t for t, values in reports.items() if values and values[0].kind == "begin"]
    (token,) = begun
    begin = reports[token][0]
    assert (begin.title, begin.message, begin.cancellable) == ("semcoder", "Tracing 1 test", True)
    small_editor.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    await small_editor.no_runs()
    assert reports[token][-1].kind == "end" and reports[token][-1].message == "cancelled"


async def test_run_timeline_steps_through_the_selected_run(small_editor: Editor):
    root = small_editor.root
    (root / "acc.py").write_text("def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n")
    (root / "tests" / "test_acc.py").write_text(
        "from acc import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n"
    )
    uri = small_editor.open("acc.py")
    await small_editor.hints(uri, lambda hs: 1 in by_line(hs))
    result = await small_editor.command("semcoder.runTimeline", uri)
    assert result["run"]["label"] == "tests/test_acc.py::test_total" and result["status"] == "ok"
    mine = [s for s in result["steps"] if s["uri"] == uri]
    assert [(s["line"], s["changes"]) for s in mine] == [
        (2, {"s": "0"}),
        (3, {"x": "1"}),
        (4, {"s": "1"}),
        (3, {"x": "2"}),
        (4, {"s": "3"}),
    ]
    assert mine[-1]["state"] == {"s": "3", "x": "2"} and mine[-1]["currentLine"] == 4
    # a line inserted above moves where the steps are now, not where they ran
    small_editor.replace(uri, "# note\n" + (root / "acc.py").read_text())
    moved = await small_editor.command("semcoder.runTimeline", uri)
    assert [s["currentLine"] for s in moved["steps"] if s["uri"] == uri][:2] == [3, 4]

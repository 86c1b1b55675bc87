"""Odd buffers never stop the runs: each is left out with a word to the user, and the other files of
the project are still traced and hinted (issue 14, "runs stop silently")."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import Editor, start
from .test_features import by_line

# One editor's capabilities: what is tested here is the server's runs, not the client's dialect.
pytestmark = pytest.mark.parametrize("client", ["visual-studio-code"], indirect=True)

MODULE = "def double(x):\n    y = x * 2\n    return y\n"
TEST = "from calc import double\n\n\ndef test_double():\n    assert double(2) == 4\n"


@pytest_asyncio.fixture
async def odd(client: LanguageClient, request, small_project: Path) -> Editor:
    """An empty project with a module and its test on disk, and a 5 s limit per test."""
    (small_project / "calc.py").write_text(MODULE)
    (small_project / "tests" / "test_calc.py").write_text(TEST)
    options = {"run": {"timeoutSeconds": 5, **getattr(request, "param", {})}}
    return await start(client, small_project, request.node.callspec.params["client"], options)


async def still_traced(editor: Editor) -> str:
    """The module is traced with the odd buffer open, and an edit to it shows the new values."""
    uri = editor.open("calc.py")
    await editor.hints(uri, lambda hs: by_line(hs).get(1) == "y = 4")
    editor.replace(uri, MODULE.replace("x * 2", "x * 3"))
    await editor.hints(uri, lambda hs: by_line(hs).get(1) == "y = 6")
    assert "| 1 | `6` |" in (await editor.hover(uri, 1, 4) or "")
    return uri


async def message(editor: Editor, text: str, timeout: float = 30) -> types.ShowMessageParams:
    for _ in range(int(timeout / 0.1)):
        found = [m for m in editor.client.messages if text in m.message]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no message with {text!r}; got {[m.message for m in editor.client.messages]}")


async def left_out(editor: Editor, uri: str) -> types.Diagnostic:
    (diag,) = await editor.diagnostics(uri, lambda ds: any(d.code == "left-out-of-runs" for d in ds))
    assert diag.message.startswith("semcoder leaves this buffer out of runs: ")
    assert diag.source == "semcoder"
    return diag


async def test_a_buffer_too_deep_for_the_parser(odd: Editor):
    (odd.root / "deep.py").write_text("x = 1\n")
    unary = odd.open("deep.py", "a = 1\nx = " + "-" * 100_000 + "1\n")  # MemoryError in the parser
    (odd.root / "chain.py").write_text("x = 1\n")
    chain = odd.open("chain.py", "x = " + "+".join(["1"] * 200_000) + "\n")  # RecursionError
    await still_traced(odd)
    for uri in (unary, chain):
        diag = await left_out(odd, uri)
        assert "too deeply nested for Python's parser" in diag.message
        assert diag.message.endswith("the file on disk is run instead")
        assert diag.severity == types.DiagnosticSeverity.Warning
    assert (await left_out(odd, unary)).range.start.line == 1
    assert (await left_out(odd, chain)).range.start.line == 0


async def test_uris_with_a_nul_a_lone_surrogate_or_no_end(odd: Editor):
    nul = odd.root.as_uri() + "/bad%00name.py"
    surrogate = odd.root.as_uri() + "/odd\udc00name.py"
    long = odd.root.as_uri() + "/" + "d/" * 8000 + "long.py"  # longer than any path (and not cached)
    wide = odd.root.as_uri() + "/" + "n" * 300 + ".py"  # a name longer than any file name
    relative = "file:calc.py"  # not the project's calc.py (resolved against the server's working directory)
    for uri in (nul, surrogate, long, wide, relative):
        odd.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text="x = 1\n")
            )
        )
    shown = await message(odd, "bad%00name.py")
    assert "its path holds a NUL character" in shown.message
    assert shown.type == types.MessageType.Warning
    assert (
        "its path holds a lone surrogate" in (await message(odd, "name.py out of runs: its path holds a lone")).message
    )
    shown = await message(odd, "than any path a file can have")
    assert "it is longer (16" in shown.message and len(shown.message) < 400
    assert "a name in its path is longer (303 characters)" in (await message(odd, "than a file name can")).message
    assert "file:calc.py out of runs: it is a relative uri" in (await message(odd, "relative uri")).message
    await still_traced(odd)  # the relative buffer's `x = 1` did not replace calc.py
    assert await odd.hover(wide, 0, 0) is None
    assert await odd.hover(long, 0, 0) is None
    assert await odd.hover(nul, 0, 0) is None  # requests on them are answered
    assert await odd.hover(surrogate, 0, 0) is None
    assert len([m for m in odd.client.messages if "bad%00name.py" in m.message]) == 1


async def run_ids(editor: Editor, uri: str) -> list[str]:
    return [r["id"] for r in (await editor.command("semcoder.selectRun", uri))["runs"]]


async def test_an_unsaved_new_test_file(odd: Editor):
    new = odd.open("tests/test_new.py", "from calc import double\n\n\ndef test_new():\n    assert double(2) == 4\n")
    assert not (odd.root / "tests" / "test_new.py").exists()
    uri = await still_traced(odd)
    # The new test runs like any other: it is among the runs of the module.
    assert sorted(await run_ids(odd, uri)) == [
        "test:tests/test_calc.py::test_double",
        "test:tests/test_new.py::test_new",
    ]
    (diag,) = await odd.diagnostics(new, lambda ds: bool(ds))  # 6 != 4 after the edit to x * 3
    assert diag.code == "failing-test" and "tests/test_new.py::test_new failed" in diag.message
    assert not (odd.root / "tests" / "test_new.py").exists()  # the run did not write it into the project


@pytest.mark.parametrize("odd", [{"isolation": "copy"}], indirect=True)
async def test_an_unsaved_new_test_file_in_a_copy(odd: Editor):
    new = odd.open("tests/test_new.py", "from calc import double\n\n\ndef test_new():\n    assert double(2) == 4\n")
    uri = await still_traced(odd)
    assert "test:tests/test_new.py::test_new" in await run_ids(odd, uri)
    await odd.diagnostics(new, lambda ds: any(d.code == "failing-test" for d in ds))
    assert not (odd.root / "tests" / "test_new.py").exists()


async def test_a_lone_surrogate(odd: Editor):
    (odd.root / "odd.py").write_text("s = 'x'\n")
    surrogate = odd.open("odd.py", "s = 'x'\nt = '\udc00'\n")
    uri = await still_traced(odd)
    diag = await left_out(odd, surrogate)
    assert diag.range.start.line == 1
    assert "a lone surrogate (U+DC00)" in diag.message
    result = await odd.command("semcoder.traceCall", uri, "double(21)")
    assert result["status"] == "ok" and result["returnRepr"] == "63"  # the buffer's x * 3
    # Tracing the odd module itself runs the file on disk, and says so.
    result = await odd.command("semcoder.traceCall", surrogate, "s")
    assert result["returnRepr"] == "'x'"
    # A new file left out has nothing on disk to run instead: the command says why.
    unsaved = odd.open("unsaved.py", "t = '\udc00'\n")
    with pytest.raises(Exception, match="semcoder leaves this buffer out of runs: line 1 holds a lone surrogate"):
        await odd.command("semcoder.traceCall", unsaved, "t")


@pytest.mark.parametrize("odd", [{"isolation": "copy"}], indirect=True)
async def test_an_exception_while_preparing_a_run(odd: Editor):
    # A unix socket in the project: copying the project for a run fails (copy isolation).
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(odd.root / "dev.sock"))
    try:
        uri = odd.open("calc.py")
        shown = await message(odd, "semcoder could not prepare the run")
        assert "dev.sock" in shown.message and "Traceback" not in shown.message
        assert shown.type == types.MessageType.Error
        odd.replace(uri, MODULE.replace("x * 2", "x * 5"))
        await asyncio.sleep(2)  # the same error again: it is not shown twice
        assert len([m for m in odd.client.messages if "could not prepare the run" in m.message]) == 1
    finally:
        sock.close()
    (odd.root / "dev.sock").unlink()
    # The cause gone, the next edit runs again.
    odd.replace(uri, MODULE.replace("x * 2", "x * 7"))
    await odd.hints(uri, lambda hs: by_line(hs).get(1) == "y = 14")


async def test_files_on_disk_planning_cannot_read(odd: Editor, tmp_path: Path):
    # A module shared by linking it in: planning once raised on it, and no run happened for any file.
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "helpers.py").write_text("def triple(x):\n    return x * 3\n")
    (odd.root / "helpers.py").symlink_to(tmp_path / "shared" / "helpers.py")
    # A named pipe with a Python name: reading it once blocked planning for ever.
    os.mkfifo(odd.root / "tests" / "test_pipe.py")
    await still_traced(odd)
    assert not [m.message for m in odd.client.messages if "could not prepare the run" in m.message]


async def test_a_buffer_that_breaks_one_test_modules_imports(odd: Editor):
    """test_calc.py cannot import `double` from the edited calc.py: the other test module still runs, and the
    user is told what is wrong (not to install dependencies)."""
    (odd.root / "final.py").write_text("def triple(x):\n    z = x * 3\n    return z\n")
    test = "from final import triple\n\n\ndef test_triple():\n    assert triple(2) == 6\n"
    (odd.root / "tests" / "test_final.py").write_text(test)
    odd.open("calc.py", "x = 1\n")
    odd.open("tests/test_calc.py")
    final = odd.open("final.py")
    await odd.hints(final, lambda hs: by_line(hs).get(1) == "z = 6")
    odd.replace(final, "def triple(x):\n    z = x * 4\n    return z\n")
    await odd.hints(final, lambda hs: by_line(hs).get(1) == "z = 8")
    shown = await message(odd, "could not run some of the tests")
    assert "cannot import name 'double' from 'calc'" in shown.message
    assert "The test imports double, which calc does not define (as edited)." in shown.message
    assert "Install" not in shown.message


async def test_a_file_whose_uri_is_percent_encoded(odd: Editor):
    """`café.py` is `caf%C3%A9.py` in its uri (as are spaces, and every drive letter on Windows): its
    states, hover and code lenses show like any other file's."""
    (odd.root / "café.py").write_text("def triple(x):\n    z = x * 3\n    return z\n")
    test = "from café import triple\n\n\ndef test_triple():\n    assert triple(2) == 6\n"
    (odd.root / "tests" / "test_café.py").write_text(test)
    uri = odd.open("café.py")
    assert "%C3%A9" in uri
    await odd.hints(uri, lambda hs: by_line(hs).get(1) == "z = 6")
    assert "| 1 | `6` |" in (await odd.hover(uri, 1, 4) or "")
    lenses = await odd.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert [lens.command.title for lens in lenses if lens.command] == ["✓ test_triple passed", "▶ Trace call…"]

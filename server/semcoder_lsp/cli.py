"""``semcoder-lsp``: stdio by default (``--stdio`` accepted, as VS Code appends it), or ``--tcp --port N``."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings

from . import __version__

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="semcoder-lsp", description="The semcoder language server.")
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    transport.add_argument("--tcp", action="store_true", help="listen on a TCP port")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on with --tcp")
    parser.add_argument("--port", type=int, default=2087, help="port to listen on with --tcp")
    parser.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--version", action="version", version=f"semcoder-lsp {__version__}")
    args = parser.parse_args(argv)
    # stdout carries the protocol: logs go to stderr only.
    logging.basicConfig(stream=sys.stderr, level=args.log_level, format="semcoder-lsp %(levelname)s %(message)s")
    # buffers are compiled to find syntax errors after each edit: their SyntaxWarnings (an invalid escape in a
    # string) are the user's linter's business, not lines in our log every keystroke
    warnings.filterwarnings("ignore", category=SyntaxWarning)

    _return_freed_memory()
    from .server import build

    server = build()
    # the exit status: 0 after shutdown and exit, 1 without shutdown (the LSP spec), 2 for a broken frame
    return server.start_tcp(args.host, args.port) if args.tcp else server.start_io()


def _return_freed_memory() -> None:
    """glibc's malloc raises its mmap threshold up to 32 MB after a large block is freed, so the next
    buffers of a few MB come from the heap and stay in the process after they are freed; each worker
    thread also gets an arena of its own. A fixed 128 KB threshold and two arenas keep large buffers in
    their own mappings, given back when freed: with four 4 MB buffers edited, the peak went from 304 to
    234 MB and what stayed from 246 to 167 MB (benchmarks/server_memory.py, tests/server/fuzz.py)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD (fixed from now on)
        libc.mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc (musl): nothing to tune
        log.debug("no glibc mallopt; malloc left as it is")

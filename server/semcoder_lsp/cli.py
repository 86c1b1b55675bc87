"""``semcoder-lsp``: stdio by default (``--stdio`` accepted, as VS Code appends it), or ``--tcp --port N``."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings

from . import __version__


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

    from .server import build

    server = build()
    # the exit status: 0 after shutdown and exit, 1 without shutdown (the LSP spec), 2 for a broken frame
    return server.start_tcp(args.host, args.port) if args.tcp else server.start_io()

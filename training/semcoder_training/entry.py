"""The ``semcoder-train`` console script: the command line, or, where an extra is missing, what to install.

``pip install semcoder`` (the editor path) installs this script but none of the pipeline's or the
trainer's libraries; a run then says which extra brings them instead of ending in a traceback."""

from __future__ import annotations

import sys
from typing import Optional

_EXTRA = {
    "datatrove": "data",
    "yaml": "data",
    "datasets": "data",
    "pyarrow": "data",
    "ray": "data",
    "trl": "train",
    "torch": "train",
    "transformers": "train",
    "accelerate": "train",
    "gguf": "train",
    "tokenizers": "train",
    "llama_cpp": "llama",
}


def missing_extra(exc: ImportError) -> Optional[str]:
    """The message for a library an extra brings, or None when the import error is something else."""
    top = (exc.name or "").split(".")[0]
    extra = _EXTRA.get(top)
    if extra is None:
        return None
    what = {"data": "the data pipeline", "train": "training", "llama": "the llama.cpp backend"}[extra]
    return f"semcoder-train: {top} is not installed; {what} needs it: pip install 'semcoder[{extra}]'"


def main(argv: Optional[list[str]] = None) -> int:
    try:
        from .cli import main as run

        return run(argv)
    except ImportError as exc:
        message = missing_extra(exc)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

import json
import subprocess
import sys
from pathlib import Path

import pytest


def semcoder(*args, cwd=None, timeout=300):
    """``semcoder ARGS`` in a real subprocess; with ``--json``, the parsed document as well."""
    out = subprocess.run(
        [sys.executable, "-m", "semcoder_core.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
    )
    document = json.loads(out.stdout) if "--json" in args and out.returncode == 0 else None
    return out, document


@pytest.fixture(scope="session")
def recorded(shared_data) -> Path:
    return shared_data / "recorded-generations"

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def semcoder(*args, cwd=None, timeout=300, env=None):
    """``semcoder ARGS`` in a real subprocess (``env`` added to ours); with ``--json``, the parsed document too."""
    out = subprocess.run(
        [sys.executable, "-m", "semcoder_core.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    document = json.loads(out.stdout) if "--json" in args and out.returncode == 0 else None
    return out, document


@pytest.fixture(scope="session")
def recorded(shared_data) -> Path:
    return shared_data / "recorded-generations"

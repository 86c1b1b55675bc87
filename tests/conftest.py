import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.support.models import llama_backend, llama_server, smollm2_gguf  # noqa: F401 - shared fixtures

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
EXAMPLE = REPO / "examples" / "inventory"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Projects the tests run semcoder on; their own tests are not ours to collect.
collect_ignore_glob = ["fixtures/*"]


def available_pythons() -> dict[str, str]:
    """Python 3.9-3.13 interpreters on this machine (pyenv), keyed by 'X.Y'; the running one included."""
    found = {f"{sys.version_info[0]}.{sys.version_info[1]}": sys.executable}
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if root.is_dir():
        for version in sorted(root.iterdir()):
            parts = version.name.split(".")
            exe = version / "bin" / "python"
            if len(parts) >= 2 and parts[0] == "3" and parts[1].isdigit() and 9 <= int(parts[1]) <= 13 and exe.exists():
                found.setdefault(f"3.{parts[1]}", str(exe))
    return dict(sorted(found.items(), key=lambda kv: int(kv[0].split(".")[1])))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def example_copy(tmp_path) -> Path:
    """A private copy of the example project, for tests that may be tempted to change it."""
    dest = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return dest

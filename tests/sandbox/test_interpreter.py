"""The code runs in the project's interpreter: its .venv, VIRTUAL_ENV, or a chosen Python of 3.9-3.13."""

import subprocess
import sys

import pytest

from semcoder_core.sandbox import Sandbox, find_interpreter
from tests.conftest import available_pythons

PROGRAM = "import sys\n\ndef f(n):\n    acc = []\n    for i in range(n):\n        acc.append(i * i)\n    return acc\n"


@pytest.mark.parametrize("version", list(available_pythons()))
def test_every_python_runs_the_same_trace(tmp_path, version):
    (tmp_path / "m.py").write_text(PROGRAM + "\ndef where():\n    return sys.version_info[:2]\n")
    sandbox = Sandbox(tmp_path, python=available_pythons()[version])
    assert sandbox.interpreter.version[:2] == tuple(int(x) for x in version.split("."))
    result = sandbox.trace_call(tmp_path / "m.py", "f(3)")
    assert result["status"] == "ok" and result["return_repr"] == "[0, 1, 4]"
    lines = result["lines"][str(tmp_path / "m.py")]
    assert lines["6"]["states"] == [{"acc": "[0]"}, {"acc": "[0, 1]"}, {"acc": "[0, 1, 4]"}]
    assert sandbox.trace_call(tmp_path / "m.py", "where()")["return_repr"] == repr(
        tuple(sandbox.interpreter.version[:2])
    )


def test_project_venv_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / ".venv")], check=True)
    (tmp_path / "m.py").write_text("import sys\n\ndef prefix():\n    return sys.prefix\n")
    assert find_interpreter(tmp_path) == str(tmp_path / ".venv" / "bin" / "python")
    result = Sandbox(tmp_path).trace_call(tmp_path / "m.py", "prefix()")
    assert result["status"] == "ok", result
    assert result["return_repr"] == repr(str(tmp_path / ".venv"))


def test_virtual_env_variable_is_used(tmp_path, monkeypatch):
    venv = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.setenv("VIRTUAL_ENV", str(venv))
    assert find_interpreter(project) == str(venv / "bin" / "python")
    assert find_interpreter(project, "/usr/bin/python3") == "/usr/bin/python3"

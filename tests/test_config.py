import pytest

from semcoder_core.config import Settings
from semcoder_core.errors import SemcoderError


def test_defaults():
    s = Settings.load(None)
    assert s.run.timeout_seconds == 10 and s.run.memory_mb == 1024 and s.run.isolation == "auto"
    assert s.trace.max_states_per_line == 10 and s.python is None


def test_pyproject_then_env_then_overrides(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.semcoder]\npython = "/opt/py"\nrun = { timeoutSeconds = 3, memoryMb = 300 }\n'
        "[tool.semcoder.trace]\nmaxStatesPerLine = 4\n"
    )
    s = Settings.load(tmp_path)
    assert (s.python, s.run.timeout_seconds, s.run.memory_mb, s.trace.max_states_per_line) == ("/opt/py", 3, 300, 4)
    monkeypatch.setenv("SEMCODER_RUN__TIMEOUT_SECONDS", "7")
    s = Settings.load(tmp_path)
    assert s.run.timeout_seconds == 7 and s.run.memory_mb == 300
    s = Settings.load(tmp_path, {"run.memoryMb": 512, "trace": {"maxRepr": 50}})
    assert (s.run.timeout_seconds, s.run.memory_mb, s.trace.max_repr) == (7, 512, 50)
    assert s.run.limits().timeout_s == 7 and s.trace.caps() == {"max_states": 4, "max_repr": 50}


def test_invalid_values_are_user_errors(tmp_path):
    with pytest.raises(SemcoderError, match="timeout_seconds"):
        Settings.load(None, {"run": {"timeoutSeconds": -1}})
    (tmp_path / "pyproject.toml").write_text("[tool.semcoder\n")
    with pytest.raises(SemcoderError, match="cannot read"):
        Settings.load(tmp_path)

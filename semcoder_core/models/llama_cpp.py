"""A GGUF model run in process by llama.cpp (``llama-cpp-python``).

The prompt is raw text. We tokenize it ourselves, the way ``create_completion`` would (the model's
own BOS rule, special tokens parsed), for three reasons: a prompt that already starts with the BOS
text would otherwise get two BOS tokens; a prompt longer than the context gets a message naming
``model.context_length``; and the prompt's length tells how many tokens the engine really decoded.

One llama.cpp context is not thread-safe, so a lock is held for the whole of a generation: a second
caller waits. Closing the stream (a stop string, a cancel, a consumer that walks away) closes
``create_completion``'s generator, and llama.cpp decodes nothing more.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

from .base import Backend, Decoding, MissingExtra, ModelError


def _import():
    try:
        import llama_cpp
    except ImportError as exc:
        raise MissingExtra("llama-cpp", "llama", "llama-cpp-python") from exc
    return llama_cpp


def _check_file(path: Path) -> None:
    if not path.exists():
        raise ModelError(f"model file {path} does not exist (model.path)")
    if not path.is_file():
        raise ModelError(f"model path {path} is not a file; the llama-cpp backend wants a .gguf file")
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror or exc}") from exc
    if magic != b"GGUF":
        raise ModelError(f"model file {path} is not a GGUF file (it does not start with 'GGUF')")


class LlamaCppBackend(Backend):
    """Completions from the GGUF file ``path``; ``threads=None`` lets llama.cpp choose."""

    def __init__(
        self,
        path: str,
        *,
        context_length: int = 4096,
        threads: Optional[int] = None,
        gpu_layers: int = 0,
        seed: Optional[int] = 0,
        **llama_options,
    ) -> None:
        """``llama_options`` go to ``llama_cpp.Llama`` as they are (e.g. ``n_batch``, ``kv_overrides``)."""
        super().__init__()
        llama_cpp = _import()
        file = Path(path).expanduser().resolve()
        _check_file(file)
        try:
            self.llama = llama_cpp.Llama(
                model_path=str(file),
                n_ctx=context_length,
                n_threads=threads,
                n_gpu_layers=gpu_layers,
                seed=seed if seed is not None else llama_cpp.LLAMA_DEFAULT_SEED,
                verbose=False,
                **llama_options,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"llama.cpp cannot load model file {file}: {exc}") from exc
        self.path = file
        self.name = f"llama-cpp:{file}"
        self._bos = self.llama.token_bos()
        self._model_lock = threading.Lock()
        self._owner: Optional[int] = None  # thread holding the model, to refuse a nested generation
        #: tokens llama.cpp decoded in the last generation (prompt excluded), however it ended
        self.engine_tokens = 0

    @classmethod
    def from_settings(cls, model) -> LlamaCppBackend:
        if not model.path:
            raise ModelError("the llama-cpp backend needs model.path, a .gguf file")
        return cls(
            model.path,
            context_length=model.context_length,
            threads=model.threads,
            gpu_layers=model.gpu_layers,
            seed=model.seed,
        )

    def tokenize(self, prompt: str) -> list[int]:
        """The prompt's tokens as the model sees them: BOS added once when the model wants it."""
        tokens = self.llama.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        if tokens[:2] == [self._bos, self._bos]:
            tokens = tokens[1:]  # the prompt carried its own BOS text
        return tokens or [self._bos]

    def _pieces(self, prompt: str, decoding: Decoding, should_stop) -> Iterator[tuple[str, Optional[str]]]:
        if should_stop():
            return
        if self._owner == threading.get_ident():
            raise ModelError("this thread is already generating with this model; finish or close that stream first")
        with self._model_lock:
            self._owner = threading.get_ident()
            try:
                tokens = self.tokenize(prompt)
                n_ctx = self.llama.n_ctx()
                if len(tokens) >= n_ctx:
                    raise ModelError(
                        f"the prompt is {len(tokens)} tokens, more than the model's context of {n_ctx} "
                        "(model.context_length)"
                    )
                seed = decoding.seed if decoding.seed is not None else random.randrange(2**31)
                chunks = self.llama.create_completion(
                    tokens,
                    max_tokens=decoding.max_tokens,
                    temperature=decoding.temperature,
                    top_p=decoding.top_p,
                    # SemCoder was evaluated with plain temperature + top-p sampling (vLLM's
                    # defaults): switch off llama.cpp's extra top-k 40 and min-p 0.05
                    top_k=0,
                    min_p=0.0,
                    stop=list(decoding.stop),
                    seed=seed,
                    stream=True,
                )
                try:
                    for chunk in chunks:
                        choice = chunk["choices"][0]
                        yield choice["text"], choice["finish_reason"]
                        if should_stop():
                            return
                finally:
                    chunks.close()  # stops llama.cpp's decode loop right here
                    self.engine_tokens = max(self.llama.n_tokens - len(tokens), 0)
            finally:
                self._owner = None

    def close(self) -> None:
        with self._model_lock:
            self.llama.close()

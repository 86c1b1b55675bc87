"""A Hugging Face ``LlamaForCausalLM`` folder and its byte-level BPE tokenizer, written as one GGUF file.

llama.cpp's ``convert_hf_to_gguf.py`` is not in the llama-cpp-python wheel, and it refuses a BPE
tokenizer whose pre-tokenizer hash it does not know (every locally trained one). The format is small
enough to write directly with ``gguf.GGUFWriter``: llama hyper-parameters, tensors renamed to
llama.cpp's names with q/k rows permuted, and the tokenizer as model ``gpt2`` with pre-tokenizer
``gpt-2`` (the GPT-2 split regex, which is what ``tokenizers``' ``ByteLevel(use_regex=True)`` uses).
llama-cpp-python then tokenizes and decodes greedily exactly as transformers does (tested).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np

#: HF tensors that carry no weights llama.cpp needs (older checkpoints saved the RoPE table)
_SKIPPED = ("rotary_emb.inv_freq",)


class GGUFExportError(ValueError):
    """The folder holds something this exporter cannot write faithfully."""


def export_gguf(model_dir: str | Path, out_path: str | Path, *, dtype: Literal["f32", "f16"] = "f32") -> Path:
    """Write ``model_dir`` (a ``save_pretrained`` Llama plus its tokenizer) to the GGUF file ``out_path``.

    ``dtype="f16"`` halves the file; matrices are stored in F16 and norms stay F32 (as llama.cpp's
    converter does). F32 keeps llama.cpp's greedy output bit-for-bit faithful on tiny models."""
    import gguf
    from transformers import AutoConfig, AutoTokenizer

    model_dir = Path(model_dir)
    out_path = Path(out_path)
    if dtype not in ("f32", "f16"):
        raise GGUFExportError(f"dtype must be 'f32' or 'f16', not {dtype!r}")
    config = AutoConfig.from_pretrained(model_dir)
    if config.model_type != "llama":
        raise GGUFExportError(f"{model_dir} holds a {config.model_type!r} model; only 'llama' is exported")
    tokenizer = AutoTokenizer.from_pretrained(model_dir)

    n_head = config.num_attention_heads
    n_kv = getattr(config, "num_key_value_heads", None) or n_head
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // n_head

    writer = gguf.GGUFWriter(out_path, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LLAMA])
    writer.add_name(model_dir.resolve().name)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    if head_dim != config.hidden_size // n_head:  # llama.cpp assumes hidden/heads unless told
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    writer.add_rope_dimension_count(head_dim)
    _add_rope(writer, config, gguf)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32 if dtype == "f32" else gguf.LlamaFileType.MOSTLY_F16)
    _add_tokenizer(writer, tokenizer, config.vocab_size, gguf)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    for hf_name, tensor in _hf_tensors(model_dir):
        if hf_name.endswith(_SKIPPED):
            continue
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise GGUFExportError(f"tensor {hf_name} has no llama.cpp name; is this a plain Llama checkpoint?")
        data = tensor.float().numpy()
        # HF stores q/k rows in "rotate half" order, llama.cpp's RoPE wants pairs interleaved
        if hf_name.endswith(("q_proj.weight", "q_proj.bias")):
            data = _permute(data, n_head)
        elif hf_name.endswith(("k_proj.weight", "k_proj.bias")):
            data = _permute(data, n_kv)
        if dtype == "f16" and data.ndim > 1:
            data = data.astype(np.float16)
        writer.add_tensor(name, data)
    # A tied model saves no lm_head; llama.cpp then reads the output projection from token_embd.

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out_path


def _permute(weights: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's ``LlamaModel.permute``: per head, rows (first half, second half) → interleaved."""
    return (
        weights.reshape(n_head, 2, weights.shape[0] // n_head // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def _add_rope(writer, config, gguf) -> None:
    # transformers 5 keeps theta and scaling in ``rope_parameters``; 4.x had ``rope_theta`` / ``rope_scaling``
    params = dict(getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {})
    theta = params.get("rope_theta", getattr(config, "rope_theta", None))
    writer.add_rope_freq_base(float(theta if theta is not None else 10000.0))
    kind = params.get("rope_type", params.get("type", "default"))
    if kind == "linear":  # DeepSeek-Coder-6.7B: linear, factor 4
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(params["factor"]))
    elif kind != "default":
        raise GGUFExportError(f"RoPE scaling {kind!r} is not exported (only none and linear)")


def _add_tokenizer(writer, tokenizer, vocab_size: int, gguf) -> None:
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    _check_byte_level_bpe(spec)
    vocab = tokenizer.get_vocab()
    if len(vocab) > vocab_size:
        raise GGUFExportError(f"the tokenizer has {len(vocab)} tokens, more than the model's {vocab_size}")
    added = {t["content"]: t for t in spec.get("added_tokens", [])}
    tokens = [f"[PAD{i}]" for i in range(vocab_size)]  # ids the tokenizer never produces
    types = [gguf.TokenType.UNUSED] * vocab_size
    for text, i in vocab.items():
        tokens[i] = text
        if text in added:
            # special tokens are control tokens: never produced from text unless parsed as special
            types[i] = gguf.TokenType.CONTROL if added[text].get("special") else gguf.TokenType.USER_DEFINED
        else:
            types[i] = gguf.TokenType.NORMAL
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("gpt-2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    for token_id, add in (
        (tokenizer.bos_token_id, writer.add_bos_token_id),
        (tokenizer.eos_token_id, writer.add_eos_token_id),
        (tokenizer.pad_token_id, writer.add_pad_token_id),
        (tokenizer.unk_token_id, writer.add_unk_token_id),
    ):
        if token_id is not None:
            add(token_id)
    # Whether BOS / EOS are added is decided by the HF tokenizer's post-processor (a template), not a
    # flag, so ask it what it does with a plain string.
    plain = tokenizer.encode("a", add_special_tokens=False)
    full = tokenizer.encode("a")
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    writer.add_add_bos_token(bos is not None and full[: len(full) - len(plain)][:1] == [bos])
    writer.add_add_eos_token(eos is not None and len(full) > len(plain) and full[-1] == eos)


def _check_byte_level_bpe(spec: dict) -> None:
    """Refuse tokenizers llama.cpp's ``gpt2`` model + ``gpt-2`` pre-tokenizer would split differently."""
    model = spec.get("model") or {}
    pre = spec.get("pre_tokenizer") or {}
    problems = []
    if model.get("type") != "BPE":
        problems.append(f"model {model.get('type')!r} is not BPE")
    if model.get("byte_fallback") or model.get("ignore_merges") or model.get("continuing_subword_prefix"):
        problems.append("BPE options byte_fallback / ignore_merges / continuing_subword_prefix are set")
    if spec.get("normalizer") is not None:
        problems.append("it has a normalizer")
    if pre.get("type") != "ByteLevel" or not pre.get("use_regex", True) or pre.get("add_prefix_space"):
        problems.append("its pre-tokenizer is not ByteLevel(add_prefix_space=False, use_regex=True)")
    if problems:
        raise GGUFExportError("the tokenizer is not a plain GPT-2-style byte-level BPE: " + "; ".join(problems))


def _hf_tensors(model_dir: Path):
    """``(name, tensor)`` from safetensors files, or from ``pytorch_model*.bin`` when there are none."""
    import torch

    files = sorted(model_dir.glob("*.safetensors"))
    if files:
        from safetensors import safe_open

        for file in files:
            with safe_open(str(file), framework="pt") as f:
                for name in f.keys():
                    yield name, f.get_tensor(name)
        return
    files = sorted(model_dir.glob("pytorch_model*.bin"))
    if not files:
        raise GGUFExportError(f"{model_dir} has no *.safetensors or pytorch_model*.bin weights")
    for file in files:
        yield from torch.load(file, map_location="cpu", weights_only=True).items()

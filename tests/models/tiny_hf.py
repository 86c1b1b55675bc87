"""A tiny LlamaForCausalLM with a byte-level BPE tokenizer trained on the spot: a real model folder in
well under a second, for the transformers and vLLM backends. Random weights: it writes nonsense, but
through every real code path (load, tokenize with BOS, generate, stop at EOS, decode)."""

from __future__ import annotations

from pathlib import Path

CORPUS = [
    "def f(x):\n    return x + 1\n",
    "assert f(1) == 2\n",
    "for i in range(10):\n    total += i\n",
    "result = [a, b, c]\nprint(result)\n",
    "### Execution Simulation\n[L5]: `count` is incremented to `2`.\n",
    "[ANSWER]\nassert f(3) == 4\n[/ANSWER]\n",
    "Simulate the Execution: You are given a Python function and an assertion.\n",
    "The quick brown fox jumps over the lazy dog. Ünïcödé → ok.\n",
] * 20


def build_tiny_model(folder: Path, seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS, trainer)
    bos, eos = tok.token_to_id("<s>"), tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", bos)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=64,  # head size 32: the smallest vLLM's CPU attention takes
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=tok.token_to_id("<pad>"),
    )
    model = LlamaForCausalLM(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder

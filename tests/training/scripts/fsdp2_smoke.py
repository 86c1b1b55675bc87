"""Run by torchrun (2 processes, gloo, CPU): PyTorch FSDP2 (``fully_shard``) on the tiny Llama and the rows
``formatting.build`` makes, with the wrapping accelerate's fsdp2 config asks for (one unit per
``LlamaDecoderLayer``, then the root). HF Trainer on CPU silently falls back to DDP, so this is where FSDP2
itself is exercised; each rank writes ``OUT/rank<k>.json``."""

from __future__ import annotations

import json
import sys

import torch
import torch.distributed as dist
from semcoder_training.formatting import build
from semcoder_training.mixture import load_rows
from torch.distributed.fsdp import fully_shard
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
from transformers.models.llama.modeling_llama import LlamaDecoderLayer


def main(data: str, tokenizer: str, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    tok = AutoTokenizer.from_pretrained(tokenizer)
    rows = [r for task in load_rows([data]).values() for r in task][:64]
    dataset, _ = build(rows, tok, 256)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        pad_token_id=tok.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    full = sum(p.numel() for p in model.parameters())
    for module in model.modules():
        if isinstance(module, LlamaDecoderLayer):
            fully_shard(module, reshard_after_forward=True)
    fully_shard(model)
    local = sum(p.to_local().numel() for p in model.parameters())
    dtensors = sum(type(p).__name__ == "DTensor" for p in model.parameters())
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for step in range(4):
        row = dataset[(step * world + rank) % len(dataset)]
        ids = torch.tensor([row["input_ids"]])
        labels = torch.tensor([row["labels"]])
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        optim.step()
        optim.zero_grad()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        losses.append(round(mean.item() / world, 6))
    result = {"rank": rank, "world": world, "full": full, "local": local, "dtensors": dtensors, "losses": losses}
    with open(f"{out}/rank{rank}.json", "w") as handle:  # not stdout: two ranks' lines can interleave there
        json.dump(result, handle)
    # Both ranks done before either tears gloo down: a rank that destroys the group while the other still
    # talks to it aborts ("terminate called without an active exception", once in CI).
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])

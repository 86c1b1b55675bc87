"""PyX / PyX-R rows → SemCoder's training examples, byte for byte, and their tokens.

As the reference ``src/dataset.py`` does it: the row's filled field picks the template and ``response``
is the completion; ``BOS + prompt`` and ``completion + EOS`` are tokenized separately (no token merges
across the boundary), prompt labels are -100, the sequence is cut at the tail, and an example with no
unmasked label left is dropped. The result is pre-tokenized so TRL cannot template a byte of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Iterable, Optional

from semcoder_core.prompts import formats

if TYPE_CHECKING:
    import datasets

#: the tasks, named for the row field that holds the prompt (PyX-R's ``fault`` is ``pyx_r``)
TASKS = ("nl", "fwd_mnl", "bwd_mnl", "pyx_r")
_FIELD = {"nl": "nl", "fwd_mnl": "fwd_mnl", "bwd_mnl": "bwd_mnl", "pyx_r": "fault"}
IGNORE = -100


def task_of(row: dict) -> str:
    """The task of a row: the one prompt field it fills (ValueError on none or several)."""
    filled = [task for task, key in _FIELD.items() if row.get(key)]
    if len(filled) != 1:
        what = "none" if not filled else ", ".join(_FIELD[t] for t in filled)
        raise ValueError(
            f"row {row.get('id', '?')!r}: exactly one of nl/fwd_mnl/bwd_mnl/fault must be filled, got {what}"
        )
    return filled[0]


def _completion(row: dict) -> str:
    response = row.get("response")
    if not isinstance(response, str) or not response:
        raise ValueError(f"row {row.get('id', '?')!r} has no response")
    return response


def _stored(row: dict, key: str, template: str) -> tuple[str, str]:
    # Our export stores the whole rendered prompt; a row of another schema (e.g. only the code) would
    # otherwise be trained on silently with the wrong bytes.
    prompt = row[key]
    first_line = template.split("\n", 1)[0] + "\n"
    if not prompt.startswith(first_line):
        raise ValueError(
            f"row {row.get('id', '?')!r}: {key} is not a whole SemCoder prompt (expected it to start with "
            f"{first_line[:40]!r}...)"
        )
    return prompt, _completion(row)


def nl_example(row: dict) -> tuple[str, str]:
    """NL → code: ``nl`` is the instruction of SemCoder's template."""
    return formats.nl_to_code(row["nl"]), _completion(row)


def forward_example(row: dict) -> tuple[str, str]:
    """Forward monologue: ``fwd_mnl`` is the whole prompt (ends with ``[MONOLOGUE]``)."""
    return _stored(row, "fwd_mnl", formats.FORWARD_MONOLOGUE)


def backward_example(row: dict) -> tuple[str, str]:
    """Backward monologue: ``bwd_mnl`` is the whole prompt."""
    return _stored(row, "bwd_mnl", formats.BACKWARD_MONOLOGUE)


def refine_example(row: dict) -> tuple[str, str]:
    """PyX-R: ``fault`` is the whole debug-and-refine prompt."""
    return _stored(row, "fault", formats.DEBUG_REFINE)


_EXAMPLE = {"nl": nl_example, "fwd_mnl": forward_example, "bwd_mnl": backward_example, "pyx_r": refine_example}


def example(row: dict) -> tuple[str, str]:
    """``(prompt, completion)`` of any PyX / PyX-R row."""
    return _EXAMPLE[task_of(row)](row)


def prompt_ids(tokenizer, prompt: str) -> list[int]:
    """BOS and the prompt's tokens: what the model is trained on (masked) and then given to continue."""
    return [tokenizer.bos_token_id] + tokenizer(prompt, add_special_tokens=False)["input_ids"]


def tokenize_example(tokenizer, prompt: str, completion: str, max_length: int) -> Optional[dict]:
    """``{"input_ids", "labels", "truncated"}`` for one example, or None when every label is masked."""
    if tokenizer.bos_token_id is None or tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer needs a BOS and an EOS token")
    prompt = prompt_ids(tokenizer, prompt)
    completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    input_ids = prompt + completion_ids
    labels = [IGNORE] * len(prompt) + completion_ids
    if all(label == IGNORE for label in labels[:max_length]):
        return None
    return {
        "input_ids": input_ids[:max_length],
        "labels": labels[:max_length],
        "truncated": len(input_ids) > max_length,
    }


@dataclass
class TaskStats:
    rows: int = 0
    prompt_tokens: int = 0  # masked (BOS included)
    completion_tokens: int = 0  # trained on (EOS included), after truncation
    tokens: int = 0
    dropped_all_masked: int = 0
    truncated: int = 0


@dataclass
class FormatStats:
    tasks: dict[str, TaskStats] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tasks.values())

    @property
    def tokens(self) -> int:
        return sum(t.tokens for t in self.tasks.values())

    @property
    def dropped_all_masked(self) -> int:
        return sum(t.dropped_all_masked for t in self.tasks.values())

    @property
    def truncated(self) -> int:
        return sum(t.truncated for t in self.tasks.values())

    def to_dict(self) -> dict:
        return {
            "rows": self.rows,
            "tokens": self.tokens,
            "dropped_all_masked": self.dropped_all_masked,
            "truncated": self.truncated,
            "tasks": {name: asdict(stats) for name, stats in self.tasks.items()},
        }


def build(rows: Iterable[dict], tokenizer, max_length: int) -> tuple[datasets.Dataset, FormatStats]:
    """A pre-tokenized ``datasets.Dataset`` (``input_ids``, ``labels``, ``task``) and its FormatStats."""
    import datasets

    columns: dict[str, list] = {"input_ids": [], "labels": [], "task": []}
    stats = FormatStats()
    for row in rows:
        task = task_of(row)
        counts = stats.tasks.setdefault(task, TaskStats())
        encoded = tokenize_example(tokenizer, *example(row), max_length)
        if encoded is None:
            counts.dropped_all_masked += 1
            continue
        masked = sum(1 for label in encoded["labels"] if label == IGNORE)
        counts.rows += 1
        counts.prompt_tokens += masked
        counts.completion_tokens += len(encoded["labels"]) - masked
        counts.tokens += len(encoded["input_ids"])
        counts.truncated += encoded["truncated"]
        columns["input_ids"].append(encoded["input_ids"])
        columns["labels"].append(encoded["labels"])
        columns["task"].append(task)
    features = datasets.Features(
        {
            "input_ids": datasets.List(datasets.Value("int32")),
            "labels": datasets.List(datasets.Value("int32")),
            "task": datasets.Value("string"),
        }
    )
    return datasets.Dataset.from_dict(columns, features=features), stats

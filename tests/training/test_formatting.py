"""SemCoder's training bytes and tokens: golden prompts per task on rows our export makes, exact ids/labels."""

from __future__ import annotations

import json
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from semcoder_training.export import program_rows  # noqa: E402
from semcoder_training.formatting import (  # noqa: E402
    IGNORE,
    build,
    example,
    forward_example,
    task_of,
    tokenize_example,
)
from semcoder_training.rows import Program, Run  # noqa: E402
from semcoder_training.tiny import byte_level_bpe  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402

from semcoder_core.prompts.formats import debug_refine, failed_test  # noqa: E402

CODE = "def f(xs):\n    total = 0\n\n    for x in xs:\n        total += x\n    return total\n"
FWD = "### Understanding the Function\nIt sums.\n[/MONOLOGUE]\n[ANSWER]\nassert f([1, 2]) == 3\n[/ANSWER]"
BWD = "### Reverse Deduction\nAny list summing to 3.\n[/MONOLOGUE]\n[ANSWER]\nassert f([3]) == 3\n[/ANSWER]"
FIX = "### Execution Simulation\n...\n[Refined]\n```python\ndef f(xs):\n    return sum(xs)\n```\n[/Refined]"


def pyx_rows() -> dict[str, dict]:
    """The NL, forward and backward rows our export writes for one program, by task."""
    program = Program(
        id="p1", code=CODE, origin="test", nl="Sum a list.", runs=[Run(args="[1, 2]", output="3")], forward=[FWD]
    )
    program.backward = [BWD]
    rows = [row.model_dump() for row in program_rows(program)]
    return {task_of(row): row for row in rows}


def pyx_r_row() -> dict:
    buggy = "def f(xs):\n    total = 1\n    for x in xs:\n        total += x\n    return total"
    return {"fault": debug_refine("Sum a list.", buggy, failed_test("f([1, 2])", "3")), "response": FIX}


def test_nl_prompt_is_semcoders_template_around_the_instruction() -> None:
    row = pyx_rows()["nl"]
    assert example(row) == (
        "You are an exceptionally intelligent coding assistant that consistently delivers accurate and reliable "
        "<Code> according to <NL_Description>\n\n<NL_Description>\nSum a list.\n\n<Code>\n",
        "```python\n" + CODE + "```",
    )


def test_forward_prompt_labels_each_non_empty_line_from_l5() -> None:
    row = pyx_rows()["fwd_mnl"]
    assert row["id"] == "fwd_mnl_p1_ipt0"
    assert example(row) == (
        "Simulate the Execution: You are given a Python function and an assertion containing a function input. "
        "Complete the assertion containing the execution output corresponding to the given input in [ANSWER] and "
        "[/ANSWER] tags.\n"
        "[PYTHON]\n"
        "def f(xs): # [L5]\n"
        "    total = 0 # [L6]\n"
        "\n"
        "    for x in xs: # [L8]\n"
        "        total += x # [L9]\n"
        "    return total # [L10]\n"
        "assert f([1, 2]) == ??\n"
        "[/PYTHON]\n"
        "[MONOLOGUE]\n",
        FWD,
    )


def test_backward_prompt_opens_with_python_without_bracket_and_an_empty_line_before_monologue() -> None:
    row = pyx_rows()["bwd_mnl"]
    assert example(row) == (
        "Deduce the Semantic Constraints: You are given a Python program and its expected output. Find one input "
        "such that executing the program with the input leads to the given output. Complete the assertion with one "
        "such input in between [ANSWER] and [/ANSWER].\n"
        "PYTHON]\n" + CODE + "assert f(??) == 3\n[/PYTHON]\n\n[MONOLOGUE]\n",
        BWD,
    )


def test_refine_prompt_keeps_a_a_and_the_trailing_space() -> None:
    row = pyx_r_row()
    assert task_of(row) == "pyx_r"
    assert example(row) == (
        "Debug and Refine the Code: You are given a a problem to be implemented in Python, and a buggy code that "
        "tries to solve the problem but fails the test case.\n"
        "You should firstly simulate the execution with the buggy code and the failed test to identify the root "
        "cause of the failure. \n"
        "Then, you should fix the bug and wrap the refined code in between [Refined] and [/Refined].\n"
        "### Problem\nSum a list.\n\n"
        "### Buggy Solution\n```python\n"
        "def f(xs):\n    total = 1\n    for x in xs:\n        total += x\n    return total\n```\n\n"
        "### Failed Test\n```python\nretv = f([1, 2])\nassert retv == 3\n```\n",
        FIX,
    )


def test_task_of_needs_exactly_one_filled_prompt_field() -> None:
    assert [task_of(r) for r in pyx_rows().values()] == ["nl", "fwd_mnl", "bwd_mnl"]
    assert task_of({"id": "x", "nl": "", "fwd_mnl": "p", "bwd_mnl": None, "response": "r"}) == "fwd_mnl"
    with pytest.raises(ValueError, match="got nl, fwd_mnl"):
        task_of({"id": "x", "nl": "a", "fwd_mnl": "b", "response": "r"})
    with pytest.raises(ValueError, match="got none"):
        task_of({"id": "x", "nl": None, "response": "r"})


def test_a_stored_prompt_of_another_schema_is_refused() -> None:
    # e.g. a row that stores only the code in fwd_mnl: training on it would silently drop the template
    with pytest.raises(ValueError, match="not a whole SemCoder prompt"):
        forward_example({"id": "x", "fwd_mnl": CODE, "response": FWD})
    with pytest.raises(ValueError, match="not a whole SemCoder prompt"):
        example({"id": "x", "bwd_mnl": pyx_rows()["fwd_mnl"]["fwd_mnl"], "response": BWD})
    with pytest.raises(ValueError, match="no response"):
        example({"id": "x", "nl": "Sum.", "response": ""})


def _bytes_to_unicode() -> dict[int, str]:
    # GPT-2's byte → printable character map, which the ByteLevel pre-tokenizer uses
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


@pytest.fixture(scope="module")
def ascii_tokenizer() -> PreTrainedTokenizerFast:
    """Byte-level BPE whose ids are the bytes (so ``ord("Q") == 81``), ``<s>`` 256, ``</s>`` 257, ``ab`` 259."""
    vocab = {char: b for b, char in _bytes_to_unicode().items()}
    vocab.update({"<s>": 256, "</s>": 257, "<pad>": 258, "ab": 259})
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[("a", "b")]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(["<s>", "</s>", "<pad>"])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")


def test_exact_ids_and_labels_bos_prompt_masked_completion_and_eos_trained(ascii_tokenizer) -> None:
    out = tokenize_example(ascii_tokenizer, "Q: ab", "ab!", max_length=100)
    #                          <s>   Q   :  ' '  ab | ab   !  </s>
    assert out == {
        "input_ids": [256, 81, 58, 32, 259, 259, 33, 257],
        "labels": [IGNORE] * 5 + [259, 33, 257],
        "truncated": False,
    }


def test_prompt_and_completion_are_tokenized_separately(ascii_tokenizer) -> None:
    # "xa" + "b" tokenized together would merge into "ab" (259) across the boundary
    assert ascii_tokenizer("xab", add_special_tokens=False)["input_ids"] == [120, 259]
    out = tokenize_example(ascii_tokenizer, "xa", "b", max_length=100)
    assert out["input_ids"] == [256, 120, 97, 98, 257]
    assert out["labels"] == [IGNORE, IGNORE, IGNORE, 98, 257]


def test_tail_truncation_cuts_the_completion_end_eos_included(ascii_tokenizer) -> None:
    full = tokenize_example(ascii_tokenizer, "Q", "xyz", max_length=6)
    assert (full["input_ids"], full["labels"], full["truncated"]) == (
        [256, 81, 120, 121, 122, 257],
        [IGNORE, IGNORE, 120, 121, 122, 257],
        False,
    )
    no_eos = tokenize_example(ascii_tokenizer, "Q", "xyz", max_length=5)
    assert (no_eos["input_ids"], no_eos["labels"], no_eos["truncated"]) == (
        [256, 81, 120, 121, 122],
        [IGNORE, IGNORE, 120, 121, 122],
        True,
    )
    short = tokenize_example(ascii_tokenizer, "Q", "xyz", max_length=3)
    assert (short["input_ids"], short["labels"]) == ([256, 81, 120], [IGNORE, IGNORE, 120])


def test_an_example_with_every_label_masked_is_dropped(ascii_tokenizer) -> None:
    assert tokenize_example(ascii_tokenizer, "QQQ", "x", max_length=3) is None  # prompt alone is too long
    assert tokenize_example(ascii_tokenizer, "QQQ", "x", max_length=4) is None  # BOS + prompt fill it exactly
    assert tokenize_example(ascii_tokenizer, "QQQ", "x", max_length=5)["labels"] == [IGNORE] * 4 + [120]


def test_a_tokenizer_without_bos_is_refused() -> None:
    tok = Tokenizer(models.BPE(vocab={"a": 0, "</s>": 1}, merges=[]))
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>")
    with pytest.raises(ValueError, match="BOS"):
        tokenize_example(hf, "a", "a", 10)


@pytest.fixture(scope="module")
def trained_tokenizer() -> PreTrainedTokenizerFast:
    """A small byte-level BPE trained here on the rows' own text, as the tiny loop does."""
    corpus = [text for row in [*pyx_rows().values(), pyx_r_row()] for text in example(row)]
    return byte_level_bpe(corpus, vocab=400)


def test_build_gives_pretokenized_columns_and_exact_stats(trained_tokenizer) -> None:
    tok = trained_tokenizer
    rows = [*pyx_rows().values(), pyx_r_row()]
    n = {task_of(r): len(tok(example(r)[0], add_special_tokens=False)["input_ids"]) for r in rows}
    c = {task_of(r): len(tok(example(r)[1], add_special_tokens=False)["input_ids"]) for r in rows}
    # max_length: everything fits but the refine row, whose prompt alone is too long
    max_length = max(n["nl"] + c["nl"], n["fwd_mnl"] + c["fwd_mnl"], n["bwd_mnl"] + c["bwd_mnl"]) + 2
    assert n["pyx_r"] + 1 >= max_length
    long_nl = {"id": "nl_long", "nl": "Sum a list.", "response": example(rows[0])[1] * 40}

    dataset, stats = build([*rows, long_nl], tok, max_length)

    assert dataset.column_names == ["input_ids", "labels", "task"]
    assert dataset["task"] == ["nl", "fwd_mnl", "bwd_mnl", "nl"]
    fwd = dataset[1]
    prompt, completion = example(rows[1])
    assert tok.decode(fwd["input_ids"]) == "<s>" + prompt + completion + "</s>"
    assert fwd["labels"] == [IGNORE] * (n["fwd_mnl"] + 1) + fwd["input_ids"][n["fwd_mnl"] + 1 :]
    assert len(dataset[3]["input_ids"]) == max_length and dataset[3]["labels"][-1] != tok.eos_token_id

    report = json.loads(json.dumps(stats.to_dict()))
    assert report["rows"] == 4 and report["dropped_all_masked"] == 1 and report["truncated"] == 1
    assert report["tasks"]["pyx_r"] == {
        "rows": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "tokens": 0,
        "dropped_all_masked": 1,
        "truncated": 0,
    }
    assert report["tasks"]["fwd_mnl"] == {
        "rows": 1,
        "prompt_tokens": n["fwd_mnl"] + 1,
        "completion_tokens": c["fwd_mnl"] + 1,
        "tokens": n["fwd_mnl"] + c["fwd_mnl"] + 2,
        "dropped_all_masked": 0,
        "truncated": 0,
    }
    assert report["tasks"]["nl"]["rows"] == 2 and report["tasks"]["nl"]["truncated"] == 1
    assert report["tasks"]["nl"]["tokens"] == n["nl"] + c["nl"] + 2 + max_length
    assert report["tokens"] == sum(len(ids) for ids in dataset["input_ids"])

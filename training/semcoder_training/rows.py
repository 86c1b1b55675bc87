"""The pipeline's types, defined once: a program, one run of it, and the exported rows.

Between stages a program travels as a datatrove ``Document`` (``text`` = the program's code,
``metadata`` = the rest); :func:`to_document` and :func:`from_document` are the only two places that
know that mapping."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field

#: the name every program's entry function has (CRUXEval's, and the one the monologue rows assert on)
ENTRY = "f"


class Run(BaseModel):
    """One input of a program and what really happened (a call ``f(args)`` that returned)."""

    args: str  # the call's argument text, e.g. ``[1, 2], 3``
    output: str  # repr of the return value
    lines: list[int] = Field(default_factory=list)  # lines of the program it ran (coverage)
    steps: int = 0  # state changes the tracer saw
    origin: str = "guess"  # guess | mutation | model | seed
    trace: Optional[dict] = None  # the tracer's document (semcoder_core.tracer.schema.Trace), after `trace`

    @property
    def call(self) -> str:
        return f"{ENTRY}({self.args})"


class Program(BaseModel):
    """A self-contained program whose entry function is ``f``."""

    id: str  # stable: derived from the code, so reruns and shards agree
    code: str
    origin: str  # where the seed came from, e.g. ``stdlib:textwrap.dedent`` or ``model:<backend>``
    seed: Optional[str] = None  # the seed snippet a model wrote this program from
    nl: Optional[str] = None  # the problem statement (model-synthesised programs, docstring seeds)
    runs: list[Run] = Field(default_factory=list)
    # filled by later stages
    forward: list[Optional[str]] = Field(default_factory=list)  # per run: the forward monologue response
    backward: list[Optional[str]] = Field(default_factory=list)  # per run: the backward monologue response
    refine: list[dict] = Field(default_factory=list)  # PyX-R rows made from this program
    annotator: Optional[str] = None  # "verbaliser" or the model's name


class PyXRow(BaseModel):
    """A row of the public PyX schema: exactly one of ``nl`` / ``fwd_mnl`` / ``bwd_mnl`` is filled; the
    filled field is the prompt (``nl``: the instruction of SemCoder's NL→code template; ``fwd_mnl`` /
    ``bwd_mnl``: the whole monologue prompt), ``response`` the completion it was trained on."""

    id: str
    nl: Optional[str] = None
    fwd_mnl: Optional[str] = None
    bwd_mnl: Optional[str] = None
    response: str


class PyXRRow(BaseModel):
    """A row of the public PyX-R schema: ``fault`` is the debug-and-refine prompt, ``response`` the
    rationale and the fixed code."""

    fault: str
    response: str


def to_document(program: Program):
    from datatrove.data import Document

    return Document(text=program.code, id=program.id, metadata=program.model_dump(exclude={"code", "id"}))


def from_document(doc) -> Program:
    return Program(id=doc.id, code=doc.text, **doc.metadata)

"""Explain a failing test from its trace: the failure, the chain of states that led to it, and the
first place where it parted from passing tests of the same code.

Everything shown comes from the trace documents (``testruns.test_document``) and the source text;
what the trace does not tell is left out. Pure Python: no LSP or CLI code.

The package, by what each part does (each imports only those above it):

- ``source``: statements and functions of the source text, what a line reads and writes;
- ``reprs``: values read off the trace's reprs, and how the markdown shows them;
- ``replay``: one function in one trace, its calls told apart, the variables at any point;
- ``compare``: the relations between the values at a line (for comparing runs);
- ``result``: ``Step``, ``Tried`` and ``Explanation``;
- ``context``: the failing run, its sources, functions and views (made once), the failure;
- ``origins``: where the wrong value was produced or the exception raised;
- ``chain``: the steps from there back along data and conditions;
- ``divergence``: the first place the failing run parted from passing runs;
- ``markdown``: the explanation's text, and ``explain_failure``, which puts them together.
"""

from .markdown import explain_failure
from .result import Explanation, Step, Tried

__all__ = ["Explanation", "Step", "Tried", "explain_failure"]

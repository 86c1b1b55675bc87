"""semcoder_training: the PyX / PyX-R data pipeline (on datatrove) and, later, SFT recipes.

It depends on ``semcoder_core`` (tracer, sandbox, prompts, backends, mutation operators); nothing in
``semcoder_core`` or the language server imports it, so ``pip install semcoder`` stays light."""

__version__ = "0.1.0"

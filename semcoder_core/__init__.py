"""semcoder's engine: tracer, sandbox and (later) models, prompts, repair and evaluation."""

__version__ = "0.1.0"

"""Run user code safely: a child process of the project's interpreter, limits, no writes to the project."""

from .interpreter import Interpreter, find_interpreter, probe
from .limits import Limits
from .runner import RunCancelled, Sandbox

__all__ = ["Interpreter", "Limits", "RunCancelled", "Sandbox", "find_interpreter", "probe"]

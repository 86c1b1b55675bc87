"""Line tracer that runs inside the user's interpreter (Python 3.9-3.13).

Stdlib only, and only relative imports: the sandbox puts this folder on the
target's path as the top-level package ``semcoder_tracer``, so it must run in
any environment without the rest of semcoder.
"""

from .saferepr import SafeRepr
from .session import TargetFilter, TraceSession

__all__ = ["SafeRepr", "TargetFilter", "TraceSession"]

"""Bounded, failure-proof ``repr`` for values seen while tracing.

A user's ``__repr__`` may raise, sleep, recurse or return megabytes; none of
that may break or stall a trace. Builtin containers are rendered here with
length and depth caps (so a million-element list costs what twenty elements
cost); anything else goes through its own ``__repr__`` under a time guard, and
a type whose repr failed or was too slow is not asked again.
"""

from __future__ import annotations

import re
import signal
import threading
import time

_PLAIN = (int, float, complex, bool, type(None))
# Types whose values cannot change in place: a reference taken now still shows
# the value later, so the tracer may postpone their repr.
IMMUTABLE = frozenset((int, float, complex, bool, type(None), str, bytes, range))


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class _ReprTimeout(BaseException):
    pass


def _short_type(obj: object) -> str:
    return type(obj).__qualname__


class SafeRepr:
    """Caps: ``max_string`` characters per string, ``max_items`` per container,
    ``max_depth`` nesting levels, ``max_length`` characters for the whole
    result, ``time_limit`` seconds for a user-defined ``__repr__``. Without
    ``own_reprs`` no user-defined ``__repr__`` is called: an object is shown by
    its attributes (a ``__repr__`` may change what it shows, e.g. a cache that
    drops expired items when asked its size, and then tracing changes the run)."""

    def __init__(
        self,
        max_string: int = 200,
        max_items: int = 20,
        max_depth: int = 4,
        max_length: int = 400,
        time_limit: float = 0.2,
        own_reprs: bool = True,
    ) -> None:
        self.own_reprs = own_reprs
        self.max_string = max_string
        self.max_items = max_items
        self.max_depth = max_depth
        self.max_length = max_length
        self.time_limit = time_limit
        self._bad_types: dict[type, str] = {}
        self.busy = [False]
        self._can_alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")

    def __call__(self, obj: object) -> str:
        try:
            text = self._repr(obj, 0)
        except _ReprTimeout:
            raise
        except BaseException as exc:  # noqa: BLE001 - a repr must never break the trace
            text = f"<{_short_type(obj)} object (repr failed: {type(exc).__name__})>"
        if len(text) > self.max_length:
            text = text[: self.max_length - 3] + "..."
        return text

    def _repr(self, obj: object, level: int) -> str:
        t = type(obj)
        if t in _PLAIN:
            return repr(obj)
        if t is str or t is bytes:
            if len(obj) > self.max_string:  # type: ignore[arg-type]
                text = repr(obj[: self.max_string])  # type: ignore[index]
                return text[:-1] + "..." + text[-1]
            return repr(obj)
        if t is list:
            return self._seq(obj, "[", "]", level)  # type: ignore[arg-type]
        if t is tuple:
            if len(obj) == 1:  # type: ignore[arg-type]
                return "(" + self._repr(obj[0], level + 1) + ",)"  # type: ignore[index]
            return self._seq(obj, "(", ")", level)  # type: ignore[arg-type]
        if t is set:
            return self._seq(obj, "{", "}", level) if obj else "set()"  # type: ignore[arg-type]
        if t is frozenset:
            return "frozenset(" + self._seq(obj, "{", "}", level) + ")" if obj else "frozenset()"  # type: ignore[arg-type]
        if t is dict:
            return self._dict(obj, level)  # type: ignore[arg-type]
        return self._other(obj, level)

    def _seq(self, items, left: str, right: str, level: int) -> str:
        if level >= self.max_depth:
            return left + "..." + right if len(items) else left + right
        parts = []
        for i, item in enumerate(items):
            if i >= self.max_items:
                parts.append("...")
                break
            parts.append(self._repr(item, level + 1))
        return left + ", ".join(parts) + right

    def _dict(self, d: dict, level: int) -> str:
        if level >= self.max_depth:
            return "{...}" if d else "{}"
        parts = []
        for i, (k, v) in enumerate(d.items()):
            if i >= self.max_items:
                parts.append("...")
                break
            parts.append(self._repr(k, level + 1) + ": " + self._repr(v, level + 1))
        return "{" + ", ".join(parts) + "}"

    def _attrs(self, obj: object, level: int) -> str:
        name = _short_type(obj)
        attrs = object.__getattribute__(obj, "__dict__")
        if not attrs:
            return f"<{name}>"
        if level >= self.max_depth:
            return f"<{name} ...>"
        parts = []
        for i, (key, value) in enumerate(attrs.items()):
            if i >= self.max_items:
                parts.append("...")
                break
            parts.append(f"{key}={self._repr(value, level + 1)}")
        return f"<{name} " + ", ".join(parts) + ">"

    def _other(self, obj: object, level: int) -> str:
        t = type(obj)
        bad = self._bad_types.get(t)
        if bad is not None:
            return f"<{_short_type(obj)} object ({bad})>"
        if t.__repr__ is object.__repr__ and isinstance(getattr(obj, "__dict__", None), dict):
            # The default repr shows an address, which says nothing and changes every run:
            # show the attributes instead, so the reader (and change detection) sees them.
            return self._attrs(obj, level)
        if type(t.__repr__).__name__ == "wrapper_descriptor":
            # Builtin reprs often carry an address (functions, iterators): it changes every run.
            text = _ADDRESS.sub("", repr(obj))
        elif not self.own_reprs:
            try:
                attrs = object.__getattribute__(obj, "__dict__")
            except AttributeError:
                attrs = None
            return self._attrs(obj, level) if isinstance(attrs, dict) else f"<{_short_type(obj)} object>"
        else:
            busy = self.busy
            was, busy[0] = busy[0], True
            try:
                text = self._guarded(obj) if self._can_alarm else repr(obj)
            finally:
                busy[0] = was
        if not isinstance(text, str):
            raise TypeError("__repr__ returned a non-string")
        if len(text) > 10 * self.max_length:
            # Not worth showing, and not worth building again next line.
            self._bad_types[t] = f"repr of {len(text)} characters"
            return f"<{_short_type(obj)} object ({self._bad_types[t]})>"
        return text

    def _guarded(self, obj: object) -> str:
        """Call a user ``__repr__`` with SIGALRM as a watchdog, keeping any timer already set."""

        def on_alarm(signum, frame):  # pragma: no cover - fires only on a slow repr
            raise _ReprTimeout

        start = time.monotonic()
        old_handler = signal.signal(signal.SIGALRM, on_alarm)
        old_timer = signal.setitimer(signal.ITIMER_REAL, self.time_limit)
        try:
            return repr(obj)
        except _ReprTimeout:
            self._bad_types[type(obj)] = f"repr took over {self.time_limit:g} s"
            return f"<{_short_type(obj)} object (repr took over {self.time_limit:g} s)>"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
            if old_timer[0]:
                left = old_timer[0] - (time.monotonic() - start)
                signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))

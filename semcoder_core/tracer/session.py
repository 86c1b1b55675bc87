"""Start and stop tracing of a set of target files, and turn the result into JSON-ready data."""

from __future__ import annotations

import os

from .cores import make_core
from .recorder import Recorder
from .saferepr import SafeRepr

# Folders that hold installed or generated code, never the user's own.
EXCLUDED_PARTS = frozenset(
    ("site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__", ".git")
)
_HERE = os.path.dirname(os.path.abspath(__file__))


_FILTERS: dict[tuple[str, ...], TargetFilter] = {}


class TargetFilter:
    """Decides whether a code object's file is traced: listed files, or files under listed folders."""

    def __init__(self, targets: list[str]) -> None:
        self.files: set[str] = set()
        self.dirs: list[str] = []
        for target in targets:
            path = os.path.realpath(target)
            if os.path.isdir(path):
                self.dirs.append(path.rstrip(os.sep) + os.sep)
            else:
                self.files.add(path)
        self._cache: dict[str, bool] = {}

    @classmethod
    def shared(cls, targets: list[str]) -> TargetFilter:
        """One filter (and its cache of decided file names) per target list, for all sessions of a run."""
        key = tuple(targets)
        found = _FILTERS.get(key)
        if found is None:
            found = _FILTERS[key] = cls(targets)
        return found

    def __call__(self, filename: str) -> bool:
        hit = self._cache.get(filename)
        if hit is None:
            hit = self._cache[filename] = self._decide(filename)
        return hit

    def _decide(self, filename: str) -> bool:
        if not filename or filename[0] == "<":
            return False
        path = os.path.realpath(filename)
        if path.startswith(_HERE + os.sep):
            return False
        if path in self.files:
            return True
        for folder in self.dirs:
            if path.startswith(folder):
                rest = path[len(folder) :].split(os.sep)
                return not EXCLUDED_PARTS.intersection(rest[:-1])
        return False


class TraceSession:
    """One recording: ``start()``, run the code, ``stop()``, then ``lines()`` and ``calls()``."""

    def __init__(
        self,
        targets: list[str],
        max_states: int = 10,
        max_calls: int = 10,
        max_repr: int = 200,
        core: str = "auto",
        own_reprs: bool = True,
    ) -> None:
        saferepr = SafeRepr(max_string=max_repr, max_length=max(2 * max_repr, 100), own_reprs=own_reprs)
        self.recorder = Recorder(TargetFilter.shared(targets), max_states, max_calls, saferepr)
        self.core = make_core(self.recorder, core)

    def start(self) -> None:
        self.core.start()

    def stop(self) -> None:
        self.core.stop()
        # Frames still open (an escaped exception, a suspended generator) keep their last states.
        frames = getattr(self.core, "frames", {})
        for frame, fs in list(frames.items()):
            if fs.yields:
                # Suspended (its states were kept when it yielded), or finalized without an event
                # (3.12+ clears a generator parked outside any `try` silently): its locals are not
                # to be read. What its line would bind on resuming never happened.
                if fs.pending is not None:
                    fs.pending = None
                    fs.code.npending -= 1
                continue
            self.recorder.exit(fs, lambda frame=frame: frame.f_locals)
        frames.clear()

    def lines(self, path_map=None) -> dict:
        return self.recorder.lines_json(path_map)

    def calls(self, path_map=None) -> list:
        return self.recorder.calls_json(path_map)

"""Predicted states from a configured model, beside the observed ones.

After each run, every function of an open file that the run executed with literal arguments is
put to the model (SemCoder's forward monologue) with one of its observed calls, while the sandbox
traces that same call: the monologue's states are parsed, checked against the real ones, and shown
as distinct inlay hints (``≈ x = 3``). A disagreement gets an Information diagnostic — it is often
where the code does not do what it seems to. One model per process (``shared_backend``) with a
completion cache keyed by (prompt, model, decoding): re-opening a file makes no new model call.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field

from lsprotocol import types

from semcoder_core.annotate import executed_functions, is_test_file
from semcoder_core.errors import SemcoderError
from semcoder_core.models import Decoding, ModelError, shared_backend
from semcoder_core.sandbox import RunCancelled
from semcoder_core.tasks import CHECK_STATES
from semcoder_core.tasks.compare import DISAGREE
from semcoder_core.tasks.predict import Prediction, predict_call
from semcoder_core.tasks.targets import CallTarget, functions, observed_calls

from .lines import LineMap
from .state import SERIALS, Project

log = logging.getLogger(__name__)
MAX_FUNCTIONS_PER_FILE = 6


@dataclass
class Predicted:
    prediction: Prediction
    text: str  # the file's text the prediction was made on
    serial: int = field(default_factory=lambda: next(SERIALS))

    def line_map(self, now: str) -> LineMap:
        cache = self.__dict__.setdefault("_maps", {})
        found = cache.get(now)
        if found is None:
            cache.clear()
            found = cache[now] = LineMap(self.text, now)
        return found


class PredictionManager:
    def __init__(self, server) -> None:
        self.server = server
        self.told: set[str] = set()  # model errors already shown to the user

    def backend(self, project: Project):
        model = project.settings.model
        if not model.configured:
            return None
        try:
            return shared_backend(model)
        except SemcoderError as exc:
            self._tell(f"semcoder: the model is not available: {exc}")
            return None

    def targets(self, project: Project) -> dict[str, list[CallTarget]]:
        """Open file -> the calls to predict: one observed call per executed function."""
        out: dict[str, list[CallTarget]] = {}
        for path, text in self.server.overlay(project).items():
            run = project.run_for(path)
            if run is None or path in project.syntax_errors or is_test_file(path):
                continue
            source = run.texts.get(path, text)
            file_lines = (run.doc.get("lines") or {}).get(path, {})
            try:
                funcs = {f.first_line: f for f in functions(source, path)}
            except SemcoderError:
                continue
            chosen = []
            for span in executed_functions(source, file_lines):
                func = funcs.get(span.start)
                calls = observed_calls(func, run.doc.get("calls") or []) if func else []
                if func is not None and calls:
                    chosen.append(CallTarget(func, calls[0][0]))
                if len(chosen) >= MAX_FUNCTIONS_PER_FILE:
                    break
            if chosen:
                out[path] = chosen
        return out

    def schedule(self, project: Project) -> None:
        """Predict for the project's open files (after a run); a newer call cancels this one's work."""
        if project.predict_cancel is not None:
            project.predict_cancel.set()
        backend = self.backend(project)
        if backend is None:
            project.predictions.clear()
            return
        targets = self.targets(project)
        cancel = threading.Event()
        project.predict_cancel = cancel
        if targets:
            asyncio.ensure_future(self._predict(project, backend, targets, cancel))

    async def _predict(self, project: Project, backend, targets: dict[str, list[CallTarget]], cancel) -> None:
        server, runs = self.server, self.server.runs
        total = sum(len(t) for t in targets.values())
        token = await runs.progress_begin(f"Asking {_short(backend.name)} about {total} function(s)", cancel)
        decoding = Decoding.from_settings(project.settings.model)
        overlay = server.overlay(project)
        sandbox = project.settings.sandbox(project.root, max_states=CHECK_STATES)
        outcome, done = "done", 0
        loop = asyncio.get_running_loop()
        try:
            for path, items in targets.items():
                kept = {t.function.first_line for t in items}
                current = project.predictions.setdefault(path, {})
                for line in [line for line in current if line not in kept]:
                    del current[line]
                for target in items:
                    if cancel.is_set():
                        outcome = "cancelled"
                        return
                    tokens = [0]

                    def on_text(piece: str, target=target, tokens=tokens, done=done) -> None:
                        tokens[0] += 1
                        if token is not None and tokens[0] % 16 == 0:
                            report = types.WorkDoneProgressReport(
                                message=f"{target.call}: {tokens[0]} pieces of the monologue",
                                percentage=int(100 * done / total),
                            )
                            loop.call_soon_threadsafe(server.work_done_progress.report, token, report)

                    try:
                        prediction = await runs.in_thread(
                            lambda target=target, on_text=on_text: predict_call(
                                backend, target, decoding, sandbox, overlay, cancel, on_text
                            ),
                            cancel,
                        )
                    except (RunCancelled, ModelError, asyncio.CancelledError):
                        raise
                    except Exception as exc:  # noqa: BLE001 - one function's failure must not stop the others
                        log.exception("predicting %s failed", target.call)
                        self._tell(f"semcoder: predicting {target.call} failed: {type(exc).__name__}: {exc}")
                        continue
                    done += 1
                    if prediction.status == "error" and not cancel.is_set():
                        self._tell(f"semcoder: the model did not answer: {prediction.error}")
                    current[target.function.first_line] = Predicted(prediction, overlay.get(path, ""))
                    runs._publish(project)
                    server.refresh_views()
        except (RunCancelled, ModelError) as exc:
            outcome = "cancelled" if cancel.is_set() else str(exc)
        except asyncio.CancelledError:
            outcome = "cancelled"
        finally:
            runs.progress_end(token, outcome)

    def _tell(self, text: str) -> None:
        if text not in self.told:
            self.told.add(text)
            self.server.show_message(text, types.MessageType.Warning)


def hints(found: list[Predicted], now: str, max_values: int) -> list[tuple[int, str, str]]:
    """(1-based line now, label, tooltip) of the predictions ``found`` for a file whose text is now ``now``."""
    out = []
    for predicted in found:
        prediction = predicted.prediction
        if prediction.status == "error":
            continue
        lines = predicted.line_map(now)
        wrong = {(c.line, c.variable): c for c in prediction.checks if c.verdict == DISAGREE}
        tooltip = (
            f"semcoder: predicted by {prediction.model} for {prediction.target.call} — a prediction, not an "
            "observation (✗: the run disagrees)"
        )
        for line, entry in sorted(prediction.predicted.items()):
            new = lines.new(line)
            if new is None:
                continue
            series: dict[str, list[str]] = {}
            for state in entry.get("states", []):
                for name, value in state.items():
                    series.setdefault(name, []).append(value)
            parts = []
            for name, values in series.items():
                shown = " → ".join(_cut(v) for v in values[:max_values]) + (" …" if len(values) > max_values else "")
                check = wrong.get((line, name))
                mark = f" ✗ ran: {_cut(check.observed[0])}" if check and check.observed else ""
                parts.append(f"{name} = {shown}{mark}")
            if parts:
                out.append((new, "≈ " + "; ".join(parts), tooltip))
        returned = prediction.return_line()
        if prediction.predicted_return is not None and returned is not None and lines.new(returned) is not None:
            mark = ""
            if prediction.return_verdict is False:
                mark = f" ✗ ran: {_cut(str((prediction.observed or {}).get('return_repr')))}"
            out.append((lines.new(returned), f"≈ returns {_cut(prediction.predicted_return)}{mark}", tooltip))
    return out


def disagreements(project: Project, path: str, now: str) -> list[tuple[int, str]]:
    """(1-based line now, message) for each predicted state or return the run contradicts."""
    out = []
    for predicted in (project.predictions.get(path) or {}).values():
        prediction = predicted.prediction
        lines = predicted.line_map(now)
        for item in prediction.disagreements():
            new = lines.new(item["line"])
            if new is None:
                continue
            observed = ", ".join(str(v) for v in item["observed"][:3])
            what = "returns" if item["variable"] == "return" else f"{item['variable']} ="
            out.append(
                (
                    new,
                    f"{prediction.target.call}: the model predicted {what} {item['predicted']}, the run gave "
                    f"{observed} (predicted by {_short(prediction.model)})",
                )
            )
    return out


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]

"""Reports of an evaluation: a markdown summary, the full JSON, a plot of accuracy by category."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import SemcoderError
from .results import EvalResult

PLOT_MISSING = "the accuracy plot needs matplotlib: pip install 'semcoder[eval]'"


def percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}%"


def summary_markdown(result: EvalResult) -> str:
    """A short account: pass@k, where answers went wrong, accuracy by category."""
    lines = [f"# {result.benchmark}", ""]
    settings = ", ".join(f"{k}: {v}" for k, v in result.settings.items() if v is not None)
    if settings:
        lines += [settings, ""]
    lines.append(f"pass@1: {percent(result.pass_at_1)} on {len(result.problems)} problems")
    for k, value in result.pass_at_k.items():
        if k != 1:
            lines.append(f"pass@{k}: {percent(value)}")
    if result.has_plus:
        plus = result.document()["plus"]["pass_at_1"]
        lines.append(f"pass@1 with the extra (plus) tests: {percent(plus)}")
    lines += ["", "| outcome | generations |", "|---|---|"]
    lines += [f"| {status} | {count} |" for status, count in result.statuses().items()]
    lines += ["", f"| {result.category_label} | problems | pass@1 |", "|---|---|---|"]
    lines += [f"| {name} | {n} | {percent(v)} |" for name, (n, v) in result.by_category().items()]
    if result.notes:
        lines += [""] + [f"- {note}" for note in result.notes]
    return "\n".join(lines) + "\n"


def plot(result: EvalResult, path: Path) -> None:
    """A bar chart of pass@1 by category (matplotlib, optional: raises with the install line)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SemcoderError(PLOT_MISSING) from exc
    groups = result.by_category()
    names = list(groups)
    values = [100 * groups[n][1] for n in names]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(names) + 2), 3.8), dpi=110)
    bars = ax.bar(names, values, color="#4c72b0")
    for bar, name in zip(bars, names):
        ax.annotate(
            f"{values[names.index(name)]:.1f}%\n(n={groups[name][0]})",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.axhline(100 * result.pass_at_1, color="#c44e52", linestyle="--", linewidth=1, label="overall")
    ax.set_ylim(0, 115)
    ax.set_ylabel("pass@1 (%)")
    ax.set_xlabel(result.category_label)
    ax.set_title(f"{result.benchmark}: pass@1 by {result.category_label}")
    ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_report(result: EvalResult, folder: Path) -> list[str]:
    """``results.json``, ``summary.md`` and ``accuracy.png`` in ``folder``; returns notes for the user
    (a plot that could not be drawn does not stop the rest)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(result.full_document(), indent=1), encoding="utf-8")
    notes = []
    try:
        plot(result, folder / "accuracy.png")
    except SemcoderError as exc:
        notes.append(str(exc))
    summary = summary_markdown(result)
    if notes:
        summary += "\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    else:
        summary += "\n![pass@1 by category](accuracy.png)\n"
    (folder / "summary.md").write_text(summary, encoding="utf-8")
    return notes

"""Order build tasks so that every task runs after its prerequisites (Kahn's algorithm)."""

from __future__ import annotations


class CycleError(ValueError):
    pass


def build_order(deps: dict[str, list[str]]) -> list[str]:
    """A runnable order of all tasks, ties broken alphabetically; ``deps`` maps a task to its prerequisites."""
    waiting = {task: len(set(prereqs)) for task, prereqs in deps.items()}
    dependents: dict[str, list[str]] = {}
    for task, prereqs in deps.items():
        for prereq in set(prereqs):
            dependents.setdefault(prereq, []).append(task)
    ready = sorted(task for task, count in waiting.items() if count == 0)
    order: list[str] = []
    while ready:
        task = ready.pop(0)
        order.append(task)
        for dependent in dependents.get(task, []):
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                ready.append(dependent)
        ready.sort()
    if len(order) != len(waiting):
        stuck = sorted(task for task, count in waiting.items() if count > 0)
        raise CycleError(f"dependency cycle among {stuck}")
    return order

"""Order lifecycle: which events move an order from one state to the next."""

from __future__ import annotations

TRANSITIONS = {
    "cart": {"checkout": "pending"},
    "pending": {"pay": "payed", "cancel": "cancelled"},
    "paid": {"ship": "shipped", "refund": "refunded"},
    "shipped": {"deliver": "delivered", "return": "returned"},
}
FINAL = {"cancelled", "refunded", "delivered", "returned"}


class InvalidTransition(Exception):
    pass


def next_state(state: str, event: str) -> str:
    if state in FINAL:
        raise InvalidTransition(f"the order is already {state}")
    allowed = TRANSITIONS[state]
    if event not in allowed:
        raise InvalidTransition(f"cannot {event} an order that is {state}")
    return allowed[event]


def replay(events: list[str], start: str = "cart") -> str:
    """The state reached from ``start`` after ``events``."""
    state = start
    for event in events:
        state = next_state(state, event)
    return state

"""Stock levels and reorder planning for a single warehouse."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator


@dataclass
class Item:
    """A stocked product.

    ``reorder_point`` is the on-hand level at which a replenishment order is placed,
    ``reorder_qty`` is how many units above the reorder point that order should bring
    the shelf to, and suppliers only ship whole cases of ``case_size`` units.
    """

    sku: str
    name: str
    unit_cost: float
    quantity: int = 0
    reorder_point: int = 0
    reorder_qty: int = 0
    case_size: int = 1


class Stock:
    """An in-memory stock ledger keyed by SKU."""

    def __init__(self) -> None:
        self._items: dict[str, Item] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Item]:
        """Iterate over items in SKU order."""
        for sku in sorted(self._items):
            yield self._items[sku]

    def add(self, item: Item) -> None:
        """Start tracking ``item``; SKUs must be unique."""
        if item.sku in self._items:
            raise ValueError(f"duplicate SKU: {item.sku}")
        self._items[item.sku] = item

    def get(self, sku: str) -> Item:
        """Return the item for ``sku`` (raises ``KeyError`` if unknown)."""
        return self._items[sku]

    def receive(self, sku: str, quantity: int) -> int:
        """Book ``quantity`` incoming units and return the new on-hand level."""
        if quantity <= 0:
            raise ValueError(f"received quantity must be positive, got {quantity}")
        item = self.get(sku)
        item.quantity += quantity
        return item.quantity

    def remove(self, sku: str, quantity: int) -> int:
        """Take ``quantity`` units off the shelf and return the new on-hand level."""
        item = self.get(sku)
        if quantity > item.quantity:
            raise ValueError(f"cannot remove {quantity} x {sku}: only {item.quantity} on hand")
        item.quantity -= quantity
        return item.quantity

    def total_value(self) -> float:
        """Value of everything on hand, at cost, rounded to cents."""
        value = 0.0
        for item in self._items.values():
            value += item.quantity * item.unit_cost
        return round(value, 2)

    def reorder_plan(self) -> dict[str, int]:
        """Return ``{sku: units to order}`` for every item at or below its reorder point.

        Each order tops the item up to ``reorder_point + reorder_qty``, rounded up to
        whole cases.
        """
        plan: dict[str, int] = {}
        for item in self:
            if item.quantity < item.reorder_point:
                target = item.reorder_point + item.reorder_qty
                shortfall = target - item.quantity
                cases = math.ceil(shortfall / item.case_size)
                plan[item.sku] = cases * item.case_size
        return plan

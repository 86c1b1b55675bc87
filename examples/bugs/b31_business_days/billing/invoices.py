"""Invoice due dates and reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import AbstractSet

from billing.workdays import NO_HOLIDAYS, add_business_days


@dataclass(frozen=True)
class Invoice:
    number: str
    issued: date
    terms: int = 10  # business days


def due_date(invoice: Invoice, holidays: AbstractSet[date] = NO_HOLIDAYS) -> date:
    return add_business_days(invoice.issued, invoice.terms, holidays)


def is_late(invoice: Invoice, today: date, holidays: AbstractSet[date] = NO_HOLIDAYS) -> bool:
    return today > due_date(invoice, holidays)

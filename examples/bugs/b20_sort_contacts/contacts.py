"""An address book listed the way people expect: by last name, then first name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Contact:
    first: str
    last: str
    email: str = ""

    @property
    def display(self) -> str:
        return f"{self.last}, {self.first}"


def sort_key(contact: Contact) -> tuple[str, str]:
    """Case-insensitive key: last name first."""
    return (contact.first.casefold(), contact.last.casefold())


def directory(contacts: list[Contact]) -> list[str]:
    return [contact.display for contact in sorted(contacts, key=sort_key)]


def find(contacts: list[Contact], text: str) -> list[str]:
    text = text.casefold()
    return directory([c for c in contacts if text in c.first.casefold() or text in c.last.casefold()])

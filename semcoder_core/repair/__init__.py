"""Fault localisation from traces and search-based repair, every candidate validated by the tests."""

from ..spectrum import Suspect, localize
from .mutate import Edit, mutants
from .search import Candidate, FixReport, search

__all__ = ["Candidate", "Edit", "FixReport", "Suspect", "localize", "mutants", "search"]

"""Errors a user can cause, with messages a user understands."""


class SemcoderError(Exception):
    """Something the user can fix: a bad path, a missing interpreter, an unknown test."""

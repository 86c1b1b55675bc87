"""Errors a user can cause, with messages a user understands."""


class SemcoderError(Exception):
    """Something the user can fix: a bad path, a missing interpreter, an unknown test."""


class UsageError(SemcoderError):
    """The command was asked for something invalid (a bad option value or setting): exit code 2."""

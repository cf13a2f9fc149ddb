"""The one exception type the API raises for bad input: files, text, arrays, names."""

from __future__ import annotations


class GatescopeError(Exception):
    """A problem the user can act on: the message says what is wrong and where."""

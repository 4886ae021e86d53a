"""The search library's errors: bad settings, and a bad request parameter named so the web layer can say which."""

from __future__ import annotations


class SearchError(ValueError):
    """Bad input to the search library: a setting, a backend name, tuned settings that do not parse."""


class RequestError(SearchError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter

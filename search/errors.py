"""The one error a search request can have: a bad parameter, named so the web layer can say which."""

from __future__ import annotations


class RequestError(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter

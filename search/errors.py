"""The search library's errors: bad settings, and a bad request parameter named so the web layer can say which."""

from __future__ import annotations

from typing import Any


class SearchError(ValueError):
    """Bad input to the search library: a setting, a backend name, tuned settings that do not parse."""


class RequestError(SearchError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class ResourceError(SearchError):
    """A synonym, rule or ranking setting that cannot be stored: `field` names the part at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownResource(SearchError):
    """No synonym or rule with that id."""

    def __init__(self, kind: str, resource_id: str) -> None:
        super().__init__(f"no {kind} with id {resource_id!r}; list them to see the ids")


def check_id(resource_id: object, kind: str) -> None:
    """A synonym's or rule's id: 1 to 128 of A-Z a-z 0-9 . _ -, so that it is a URL path segment as it is."""
    if (
        isinstance(resource_id, str)
        and 0 < len(resource_id) <= 128
        and all(character.isascii() and (character.isalnum() or character in "._-") for character in resource_id)
    ):
        return
    if not isinstance(resource_id, str):
        why = f"{resource_id!r} is {type(resource_id).__name__}, not a string"
    elif not resource_id.strip():
        why = f"{resource_id!r} is blank"
    else:
        why = (
            f"{resource_id[:40]!r} is {len(resource_id)} characters long"
            if len(resource_id) > 128
            else (f"{resource_id!r} has other characters")
        )
    raise ResourceError("id", f"{kind} id {why}: use 1 to 128 of A-Z a-z 0-9 . _ -, e.g. 'couch-sofa'")


def validated(model: Any, record: Any, what: str = "") -> Any:
    """`model` (a pydantic model) from `record`; a ResourceError naming the first field at fault otherwise."""
    from pydantic import ValidationError

    try:
        return model.model_validate(record)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        message = f"{where}: {problem['msg'].removeprefix('Value error, ')}"
        raise ResourceError(where, f"{what}: {message}" if what else message) from None

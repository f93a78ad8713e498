"""The API document says every answer a client can get: each error status with its real body."""

from __future__ import annotations

from typing import Any

__all__ = ["describe_errors"]

_METHODS = ("get", "put", "post", "delete", "patch")
_WRITES = ("put", "post", "delete", "patch")

_MESSAGE = {"$ref": "#/components/schemas/ErrorMessage"}
_INPUT = {"$ref": "#/components/schemas/InputErrors"}

_SCHEMAS: dict[str, Any] = {
    "ErrorMessage": {
        "title": "ErrorMessage",
        "type": "object",
        "required": ["detail"],
        "properties": {"detail": {"type": "string", "title": "What went wrong"}},
    },
    "InputError": {
        "title": "InputError",
        "type": "object",
        "required": ["field", "message", "loc"],
        "properties": {
            "field": {"type": "string", "title": "The field, dotted ('' for the whole body)"},
            "message": {"type": "string", "title": "What is wrong with it and how to fix it"},
            "loc": {
                "type": "array",
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "title": "Where the field is: body, query or path, then its path",
            },
        },
    },
    "InputErrors": {
        "title": "InputErrors",
        "type": "object",
        "required": ["detail"],
        "properties": {
            "detail": {"type": "array", "items": {"$ref": "#/components/schemas/InputError"}}
        },
    },
}


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors_of(path: str, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    """The error answers this operation can give, by what it takes and who may call it."""
    errors: dict[str, Any] = {
        "422": _answer("The input was refused: each field with what to fix", _INPUT)
    }
    if operation.get("security"):
        errors["401"] = _answer("Missing, malformed or revoked API token", _MESSAGE)
        errors["403"] = _answer("This person's role may not do this", _MESSAGE)
    if "{" in path:
        errors["404"] = _answer("Nothing with this identifier", _MESSAGE)
    if method in _WRITES:
        errors["409"] = _answer("Not possible in the resource's current state", _MESSAGE)
        errors["413"] = _answer("The request body is larger than this route accepts", _MESSAGE)
        errors["503"] = _answer("The database is busy: retry after Retry-After seconds", _MESSAGE)
    return errors


def describe_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Replace FastAPI's validation-error schema with the one the API sends, and add the error
    statuses every route can answer; changes and returns `document` (idempotent)."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components.update(_SCHEMAS)
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status, answer in _errors_of(path, method, operation).items():
                if status == "422" or status not in responses:
                    responses[status] = answer
    return document

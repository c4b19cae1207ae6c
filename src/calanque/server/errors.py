"""One place that maps errors to HTTP statuses and JSON bodies.

Every error answer has the shape ``{"error": {"type": ..., "message": ...}}`` (the shape
OpenAI clients read), and the message says what was wrong and how to fix it.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from calanque.catalog.spaces import UnknownSpaceError
from calanque.errors import (
    AnswerError,
    AuthError,
    CalanqueError,
    CatalogError,
    ConfigError,
    IndexBackendError,
    IndexMismatchError,
    ModelError,
    SourceError,
    StorageFullError,
)


class RequestError(CalanqueError):
    """A request the server cannot serve as asked (bad value, unknown id, conflict)."""

    def __init__(self, message: str, *, status: int = 400, kind: str = "invalid_request_error"):
        super().__init__(message)
        self.status = status
        self.kind = kind


# Most specific first; the first class in an exception's MRO that is listed wins.
STATUS: dict[type[CalanqueError], tuple[int, str]] = {
    UnknownSpaceError: (404, "not_found"),
    SourceError: (400, "invalid_source"),
    ConfigError: (400, "configuration_error"),
    StorageFullError: (507, "storage_full"),
    CatalogError: (503, "catalog_unavailable"),
    IndexMismatchError: (503, "index_mismatch"),
    IndexBackendError: (503, "index_unavailable"),
    ModelError: (502, "model_error"),
    AnswerError: (500, "answer_error"),
}


def status_for(exc: CalanqueError) -> tuple[int, str]:
    """The HTTP status and error type of a Calanque error."""
    if isinstance(exc, RequestError):
        return exc.status, exc.kind
    if isinstance(exc, AuthError):
        kinds = {401: "authentication_error", 403: "permission_error", 429: "rate_limit_error"}
        return exc.status, kinds.get(exc.status, "authentication_error")
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500, "internal_error"


def error_body(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **extra}}


def error_response(exc: CalanqueError) -> JSONResponse:
    status, kind = status_for(exc)
    headers = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(error_body(kind, str(exc)), status_code=status, headers=headers)


def _field_path(loc: Any) -> str:
    """``messages.0.content`` from a validation error's location: a union's branch names
    (``constrained-str``, ``list[TextPart]``) are the validator's, not the request's."""
    names = [str(p) for p in loc if p != "body" and not _BRANCH.search(str(p))]
    return ".".join(names) or "body"


_BRANCH = re.compile(r"[\[\]-]|^function-")


def _validation_message(exc: RequestValidationError) -> str:
    errors = exc.errors()
    broken = next((e for e in errors if e.get("type") == "json_invalid"), None)
    if broken is not None:
        at = broken.get("loc", ("body", "?"))[-1]
        reason = (broken.get("ctx") or {}).get("error", "")
        return (
            f"invalid request: the body is not valid JSON (at character {at}"
            + (f": {reason}" if reason else "")
            + "). Send a JSON object (see /openapi.json)."
        )
    parts: dict[str, str] = {}  # one message a field: the first branch of a union says it
    for error in errors:
        parts.setdefault(_field_path(error.get("loc", ())), str(error.get("msg", "invalid")))
    listed = "; ".join(f"{where}: {msg}" for where, msg in list(parts.items())[:5])
    return f"invalid request: {listed}. Fix these fields (see /openapi.json)."


async def _on_calanque_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CalanqueError)
    return error_response(exc)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    body = error_body("invalid_request_error", _validation_message(exc))
    body["error"]["fields"] = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in exc.errors()
    ]
    return JSONResponse(body, status_code=422)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    messages = {
        404: f"no such endpoint {request.url.path}: see /openapi.json for the API.",
        405: f"{request.method} is not allowed on {request.url.path}: see /openapi.json.",
    }
    if exc.status_code == 400 and str(exc.detail) == "There was an error parsing the body":
        messages[400] = "the body could not be read: send JSON encoded in UTF-8."
    message = messages.get(exc.status_code, str(exc.detail))
    return JSONResponse(
        error_body("not_found" if exc.status_code == 404 else "http_error", message),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CalanqueError, _on_calanque_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, plus the database and model errors that bad input can still reach: 4xx, never 500."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, IntegrityError):
        exc = exceptions.ValidationError({"detail": "This conflicts with an existing object (a duplicate name?)."})
    elif isinstance(exc, DataError):
        exc = exceptions.ValidationError({"detail": "A value is out of range or not storable."})
    elif isinstance(exc, RecursionError):  # the JSON parser on a body nested thousands deep
        exc = exceptions.ParseError("The JSON body is nested too deeply.")
    return drf_exception_handler(exc, context)


def not_found(request, exception):
    """Django's 404 page, but JSON under /api/: an address no route matches (such as an id that is not a number)
    is answered like any other API 404."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found: no API operation has this address."}, status=404)
    return page_not_found(request, exception)


DETAIL = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
ERRORS = {  # status: (description, component, schema); every error answer is JSON
    400: ("The input is invalid: each field at fault (or `detail`, `non_field_errors`) with its reasons.",
          "ValidationErrors",
          {"anyOf": [{"type": "object", "additionalProperties": {}}, {"type": "array", "items": {"type": "string"}}]}),
    401: ("No credentials, or an API key that is unknown, revoked or expired.", "ErrorDetail", DETAIL),
    403: ("The caller may not do this (a read-only role, a key limited to another venue, a key managing keys).",
          "ErrorDetail", DETAIL),
    404: ("No such object in the caller's tenant (an id in the path, a filter or the body), or no such page.",
          "ErrorDetail", DETAIL),
    413: ("The request body is larger than API_MAX_BODY_BYTES (send several smaller batches).", "ErrorDetail",
          DETAIL),
    415: ("The body's content type is not one this operation reads.", "ErrorDetail", DETAIL),
    429: ("Too many requests: wait the `Retry-After` seconds and send it again.", "ErrorDetail", DETAIL),
}  # fmt: skip


def _error_statuses(method: str, operation: dict) -> list[int]:
    """The error answers an operation can give: every one can be refused (401, 403) or throttled (429); one with a
    query, or that changes something, can find it invalid (400); one with any input can name what is not there
    (404); one with a body can find it too large or of the wrong type (413, 415)."""
    parameters = {parameter["in"] for parameter in operation.get("parameters", [])}
    body = "requestBody" in operation
    return [401, 403, 429, *([400] if method != "get" or "query" in parameters else []),
            *([404] if body or parameters else []), *([413, 415] if body else [])]  # fmt: skip


def error_responses(result, generator, request, public):
    """A drf-spectacular postprocessing hook: documents the error answers of every operation (see ERRORS), with
    one shared schema per shape, beside the answers the views document themselves."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            for status in _error_statuses(method, operation):
                description, component, schema = ERRORS[status]
                components[component] = schema
                answer = {"description": description,
                          "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}}}  # fmt: skip
                if status == 429:
                    answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
                operation["responses"].setdefault(str(status), answer)
    return result

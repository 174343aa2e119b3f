from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
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

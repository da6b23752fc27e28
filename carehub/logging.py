"""Logging filters that keep PHI out of logs."""

from __future__ import annotations

import logging
import re
import traceback

_QUERY = re.compile(r"\?[^\s\"]*")
# Bearer credentials that can appear in a logged line: the receiving service's signed
# link (the path segment after /respond/), an API token (``chk_...``) and whatever follows
# "Bearer" in a quoted header. Each is replaced by an ellipsis, its prefix kept.
_CREDENTIALS = re.compile(
    r"(?P<keep>/respond/|\bBearer\s+)[^/\s\"'?#,;]+|\bchk_[A-Za-z0-9_\-]+", re.IGNORECASE
)


def strip_query_string(text: str) -> str:
    """``text`` with every query string in it cut to "?…"."""
    return _QUERY.sub("?…", text)


def mask_credentials(text: str) -> str:
    """``text`` with every bearer credential in it replaced by an ellipsis."""
    return _CREDENTIALS.sub(lambda m: (m.group("keep") or "chk_") + "…", text)


def _masked(value):
    return mask_credentials(value) if isinstance(value, str) else value


class MaskCredentials(logging.Filter):
    """A bearer credential never reaches a log: masked in the message, its arguments
    (Django's "Forbidden (CSRF cookie not set.): /referrals/respond/<token>/", "Not Found:
    <path>", the development server's request line), the attached request (kept as its
    masked path) and the formatted traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_credentials(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "META"):
            record.request = mask_credentials(request.path)
        elif isinstance(request, str):
            record.request = mask_credentials(request)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_credentials(record.exc_text)
        return True


class StripQueryStrings(logging.Filter):
    """Drop query strings from request lines (the development server's access log):
    search terms can be patient names. Paths carry ids only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                _QUERY.sub("?…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = _QUERY.sub("?…", record.msg)
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "META"):
            # Django's request loggers attach the request; keep only its path.
            record.request = request.path
        return True


def _database_error_in(exc: BaseException | None) -> bool:
    from django.db import DatabaseError

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DatabaseError) or type(exc).__module__.startswith(
            ("psycopg", "sqlite3")
        ):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


class WithholdDatabaseErrorMessages(logging.Filter):
    """A logged database error keeps its traceback but not its message: PostgreSQL's
    quotes the row (``Key (mrn)=(12345) already exists``, a failing row's values)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and _database_error_in(record.exc_info[1]):
            exc_type, _exc, tb = record.exc_info
            record.exc_text = (
                "Traceback (most recent call last):\n"
                + "".join(traceback.format_tb(tb))
                + f"{exc_type.__module__}.{exc_type.__qualname__}: (message withheld: a "
                "database error quotes the row's values)"
            )
        return True

"""Logging filters that keep PHI out of logs."""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"\?[^\s\"]*")


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

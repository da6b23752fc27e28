"""CSV that a spreadsheet opens as data, never as formulas (CSV injection, OWASP).

Every export writes through ``writer``: a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is written with a leading apostrophe, which spreadsheets
show as text. Numbers, dates and empty cells are written as they are. An import of
CareHub's own export reads such a cell back with ``unguard``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(value: Any) -> Any:
    """A cell's value as written: text that a spreadsheet would run is made text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unguard(text: str) -> str:
    """A cell read back from an export: the apostrophe ``guard`` added is removed."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class _GuardedWriter:
    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([guard(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out, **options) -> _GuardedWriter:
    """``csv.writer`` whose every text cell is guarded."""
    return _GuardedWriter(out, **options)

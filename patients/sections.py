"""Sections other apps contribute to the patient page (care plans, referrals, ...).

An app registers a function in its ``AppConfig.ready``::

    sections.register(order=20)(patient_care_plan_section)

The function takes ``(request, patient)`` and returns ``Section`` or None (nothing to
show, e.g. no permission). It must run a constant number of queries whatever the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest

from patients.models import Patient


@dataclass
class Section:
    template: str
    context: dict = field(default_factory=dict)


SectionFunction = Callable[[HttpRequest, Patient], Section | None]
_registry: list[tuple[int, SectionFunction]] = []


def register(*, order: int) -> Callable[[SectionFunction], SectionFunction]:
    def decorator(function: SectionFunction) -> SectionFunction:
        if all(existing is not function for _order, existing in _registry):
            _registry.append((order, function))
            _registry.sort(key=lambda item: item[0])
        return function

    return decorator


def sections_for(request: HttpRequest, patient: Patient) -> list[Section]:
    return [s for _order, function in _registry if (s := function(request, patient)) is not None]

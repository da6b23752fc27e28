"""Which recorded values are PHI: the one rule for the field history (audit/history.py).

Every change names the fields it changed. A field's old and new values are kept only when
the field cannot hold free text, a name, contact details or an identifier:

- a choice from a fixed list (status, priority, risk level, relationship ...);
- a yes/no, a number, a date or a time, except the date of birth;
- a reference to another record (its id: the coordinator, the care team, the service).

Everything else is stored as ``MASK``: names, the date of birth, addresses, phone numbers,
email addresses, MRNs, a patient's other identifiers (PatientIdentifier: their system,
value and assigner; only their type code is kept), member and reference numbers, and every
free-text title, note, reason or description. The rule goes by the field's type, so a text field added later is
masked without anyone having to list it. README (Security and privacy) documents it.
"""

from __future__ import annotations

from django.db import models

# What the history stores in place of a masked value (old and new alike).
MASK = "***"

# Values of these types are codes, amounts, dates or ids: they cannot carry free text.
# (DateField covers DateTimeField, IntegerField every integer, ForeignKey OneToOneField.)
_VALUE_TYPES = (
    models.BooleanField,
    models.IntegerField,
    models.DecimalField,
    models.FloatField,
    models.DateField,
    models.TimeField,
    models.DurationField,
    models.ForeignKey,
)

# Of those, the ones that still identify a person.
ALWAYS_MASKED = frozenset({"date_of_birth"})


def is_masked(field: models.Field) -> bool:
    """True when the history keeps only that ``field`` changed, never its values."""
    if field.name in ALWAYS_MASKED:
        return True
    if field.choices and not isinstance(field, models.JSONField):
        return False
    return not isinstance(field, _VALUE_TYPES)

"""The service directory as CSV: one row per service, with its organisation's columns.

Import is all or nothing: every row is checked, every bad row is reported with its line
number and reason, and nothing is saved unless every row is good. A row whose
organisation and service names exist already updates that service; others are added.
Export writes the same columns, so an export can be edited and imported back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from carehub import csv_safe
from directory.legacy import app_models, mirror_listings
from referrals.models import Organization, Service, ServiceCategory

ORGANIZATION_COLUMNS = {
    "organization": "name",
    "organization_description": "description",
    "organization_website": "website",
    "organization_email": "email",
    "organization_phone": "phone",
}
SERVICE_COLUMNS = [
    "name",
    "description",
    "category",
    "address_line",
    "city",
    "region",
    "postal_code",
    "phone",
    "email",
    "website",
    "hours",
    "languages",
    "eligibility_notes",
    "accepts_referrals",
    "is_active",
]
COLUMNS = [*ORGANIZATION_COLUMNS, *SERVICE_COLUMNS]
REQUIRED_COLUMNS = ("organization", "name", "category")
BOOLEAN_COLUMNS = ("accepts_referrals", "is_active")
TRUE = {"yes", "y", "true", "1"}
FALSE = {"no", "n", "false", "0"}
MAX_ROWS = 10_000
BATCH = 1000  # services written per statement


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportFailed(Exception):
    def __init__(self, errors: list[RowError]):
        super().__init__(
            _("The import saved nothing: %(count)s problem(s).") % {"count": len(errors)}
        )
        self.errors = errors


def _category(value: str) -> str:
    wanted = value.strip().lower()
    for code, label in ServiceCategory.choices:
        if wanted in (code, str(label).lower()):
            return code
    raise ValidationError(
        _("unknown category “%(value)s”; use one of: %(choices)s")
        % {"value": value, "choices": ", ".join(ServiceCategory.values)}
    )


def _boolean(column: str, value: str) -> bool:
    wanted = value.strip().lower()
    if wanted == "":
        return True
    if wanted in TRUE:
        return True
    if wanted in FALSE:
        return False
    raise ValidationError(
        _("%(column)s must be yes or no, not “%(value)s”") % {"column": column, "value": value}
    )


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


# What DictReader puts in the columns a short row has no value for.
_MISSING = object()


def _unreadable(reader: csv.DictReader, error: csv.Error) -> RowError:
    """A csv.Error (a field over the size limit, a bare carriage return ...) as the import's
    error, on the line the reader was at (DictReader's own count lags on an error), without
    the module's advice to programmers ("- do you need to open the file ...")."""
    reason = str(error).split(" - ")[0]
    return RowError(reader.reader.line_num or 1, _("unreadable CSV: %(error)s") % {"error": reason})


def _rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text), restval=_MISSING)
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as error:
        raise ImportFailed([_unreadable(reader, error)]) from None
    missing = [column for column in REQUIRED_COLUMNS if column not in fieldnames]
    if missing:
        raise ImportFailed(
            [RowError(1, _("missing column(s): %(columns)s") % {"columns": ", ".join(missing)})]
        )
    unknown = [c for c in fieldnames if c not in COLUMNS]
    if unknown:
        raise ImportFailed(
            [RowError(1, _("unknown column(s): %(columns)s") % {"columns": ", ".join(unknown)})]
        )
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # The reader cannot go on past it: the rows so far are checked, then nothing saved.
            unreadable = _unreadable(reader, error)
            yield unreadable.line, {"__error__": unreadable.message}
            return
        # The line the row starts on: a quoted value may span lines.
        start = reader.line_num - sum(
            value.count("\n") for value in row.values() if isinstance(value, str)
        )
        if None in row:
            yield start, {"__error__": _("more values than columns")}
        elif _MISSING in row.values():
            # Not blanks: an existing service's fields would be emptied (and a blank
            # yes/no column reads as yes).
            yield start, {"__error__": _("fewer values than columns")}
        else:
            # An export's guarded cell (a phone number "+1 ...") reads back as it was.
            yield start, {key: csv_safe.unguard(value.strip()) for key, value in row.items()}


@dataclass
class _Known:
    """What the directory holds already for the file's organisations, read in two
    queries, not two a row: organisations by name, their services by (organisation, name),
    names compared without case."""

    organizations: dict[str, Organization]
    services: dict[tuple[int, str], Service]

    @classmethod
    def for_rows(cls, rows: list[tuple[int, dict[str, str]]]) -> _Known:
        names = {row.get("organization", "").lower() for _line, row in rows} - {""}
        organizations = {
            organization.key: organization
            for organization in Organization.objects.annotate(key=Lower("name")).filter(
                key__in=names
            )
        }
        services = {
            (service.organization_id, service.key): service
            for service in Service.objects.annotate(key=Lower("name")).filter(
                organization__in=list(organizations.values())
            )
        }
        return cls(organizations, services)


def _build(
    line: int, row: dict[str, str], known: _Known, seen: set
) -> tuple[Organization, Service]:
    """The row's organisation and service, checked. Every problem of the line is named
    at once (one ValidationError holding them all), not only the first."""
    if "__error__" in row:
        raise ValidationError(row["__error__"])
    problems: list[str] = []
    org_name = row.get("organization", "")
    if org_name:
        organization = known.organizations.setdefault(org_name.lower(), Organization(name=org_name))
    else:
        problems.append(str(_("organization: this field is required")))
        organization = Organization(name="")
    for column, attribute in ORGANIZATION_COLUMNS.items():
        if column != "organization" and row.get(column):
            setattr(organization, attribute, row[column])
    if org_name:
        try:
            # Not validate_unique: its query a row is answered already (known.organizations
            # has every organisation of these names, whatever their case).
            organization.full_clean(validate_unique=False, exclude=["hsds_organization"])
        except ValidationError as error:
            problems.append(_messages(error))

    key = (org_name.lower(), row.get("name", "").lower())
    if key in seen:
        problems.append(str(_("the same service appears twice in this file")))
    seen.add(key)
    service = None
    if organization.pk and row.get("name"):
        service = known.services.get((organization.pk, key[1]))
    service = service or Service(organization=organization)
    before = {column: getattr(service, column) for column in SERVICE_COLUMNS}
    refused: list[str] = []
    for column in SERVICE_COLUMNS:
        if column not in row:
            continue
        value = row[column]
        try:
            if column == "category":
                value = _category(value) if value else ""
            elif column in BOOLEAN_COLUMNS:
                value = _boolean(column, value)
        except ValidationError as error:
            problems.append(_messages(error))
            refused.append(column)
            continue
        setattr(service, column, value)
    try:
        # The organisation may be new (not saved yet): validate the rest, save in order
        # later; a column already refused above is not named twice.
        service.full_clean(
            exclude=["organization", "service_at_location", *refused], validate_constraints=False
        )
    except ValidationError as error:
        problems.append(_messages(error))
    if problems:
        raise ValidationError("; ".join(problems))
    changed = [column for column in SERVICE_COLUMNS if getattr(service, column) != before[column]]
    return organization, service, changed


def directory_import_csv(
    *, data: bytes, progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Import services (and their organisations) from CSV bytes. Raises ImportFailed with
    every bad row's line number and reason; then nothing was saved. ``progress(n)`` is
    told of each row checked and each row saved (twice the rows in all)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed([RowError(1, _("the file is not UTF-8 text"))]) from None
    if "\x00" in text:
        # The csv module reads it; PostgreSQL refuses it in text (an error at save).
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportFailed([RowError(line, _("the line contains a NUL character"))])
    advance = progress or (lambda _count: None)
    result = ImportResult()
    rows = list(islice(_rows(text), MAX_ROWS + 1))
    if len(rows) > MAX_ROWS:
        raise ImportFailed([RowError(rows[-1][0], _("too many rows (at most %s)") % MAX_ROWS)])
    seen: set = set()
    valid: list[tuple[Organization, Service, list[str]]] = []
    with transaction.atomic():
        known = _Known.for_rows(rows)
        for line, row in rows:
            try:
                valid.append(_build(line, row, known, seen))
            except ValidationError as error:
                result.errors.append(RowError(line, _messages(error)))
            advance(1)
        if result.errors:
            raise ImportFailed(result.errors)
        for organization in {id(o): o for o, _service, _changed in valid}.values():
            organization.save()
        added, updated = [], []
        for organization, service, changed in valid:
            service.organization = organization
            if service.pk is None:
                added.append(service)
            elif changed:
                # Only what changed: an export imported back writes nothing.
                service.save(update_fields=[*changed, "updated_at"])
                updated.append(service)
                result.updated += 1
                advance(1)
        Service.objects.bulk_create(added, batch_size=BATCH)
        hsds_sync(added + updated)
        advance(len(valid) - result.updated)
        result.created = len(added)
        result.unchanged = len(valid) - result.created - result.updated
    return result


def hsds_sync(services: Iterable[Service]) -> None:
    """Bring the HSDS 3 records of these listings (and their organisations) up to date
    (directory/legacy.py): the listing's fields win; the links are set on first sync.
    A constant number of statements a thousand listings."""
    services = list(services)
    if not services:
        return
    org_of, sal_of = mirror_listings(services, app_models())
    organizations = {}
    for service in services:
        organization = service.organization
        if organization.hsds_organization_id != org_of[organization.pk].pk:
            organization.hsds_organization = org_of[organization.pk]
            organizations[organization.pk] = organization
    Organization.objects.bulk_update(
        organizations.values(), ["hsds_organization"], batch_size=BATCH
    )
    linked = []
    for service in services:
        if service.service_at_location_id != sal_of[service.pk].pk:
            service.service_at_location = sal_of[service.pk]
            linked.append(service)
    Service.objects.bulk_update(linked, ["service_at_location"], batch_size=BATCH)


def directory_export_csv(services: Iterable[Service], out) -> None:
    """Write ``services`` (with their organisation selected) as import-ready CSV."""
    writer = csv_safe.writer(out)
    writer.writerow(COLUMNS)
    for service in services:
        organization = service.organization
        writer.writerow(
            [getattr(organization, attribute) for attribute in ORGANIZATION_COLUMNS.values()]
            + [
                ("yes" if getattr(service, c) else "no")
                if c in BOOLEAN_COLUMNS
                else getattr(service, c)
                for c in SERVICE_COLUMNS
            ]
        )

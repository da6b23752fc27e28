"""Import an HSDS 3.0 directory: a tabular data package (datapackage.json with its CSV
files) or HSDS JSON (a service, a list of services, or an HSDS API page ``{"contents":
[...]}``), validated against the published schemas in directory/hsds_schema/.

- The data package: each CSV's header must match its resource in the package's
  datapackage.json, and every cell is checked against the published HSDS 3 field (type,
  required, enum). JSON: every service against schema/compiled/service.json (jsonschema).
- Then both become the same tables and are checked alike: field lengths, coordinates,
  schedules (valid_to before valid_from, days that are not RRULE days), and every id one
  row names in another table (a service_at_location naming a missing location) must be in
  the file or already in the directory.
- Every problem is reported with the file, the row and the field; if there is one,
  nothing is written (ImportFailed). Rows are upserted by their HSDS ``id``.
- ``full=True``: a service of the directory missing from the file is marked inactive,
  never deleted (referrals may point at it). CareHub's own listings (directory/legacy.py)
  are not touched.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction

from directory import models as m
from directory.legacy import BATCH

SCHEMA_DIR = Path(__file__).parent / "hsds_schema"

# HSDS table -> model, in the order they are written (a table after those it points at).
TABLES: dict[str, type[models.Model]] = {
    "organization": m.Organization,
    "taxonomy": m.Taxonomy,
    "taxonomy_term": m.TaxonomyTerm,
    "service": m.Service,
    "location": m.Location,
    "address": m.Address,
    "service_at_location": m.ServiceAtLocation,
    "phone": m.Phone,
    "language": m.Language,
    "schedule": m.Schedule,
    "service_area": m.ServiceArea,
    "attribute": m.Attribute,
}
# Column -> (model field, table it names). Other *_id columns (program, contact) are
# tables CareHub does not keep.
REFERENCES: dict[str, dict[str, tuple[str, str]]] = {
    "organization": {"parent_organization_id": ("parent_organization", "organization")},
    "taxonomy_term": {
        "parent_id": ("parent", "taxonomy_term"),
        "taxonomy_id": ("taxonomy", "taxonomy"),
    },
    "service": {"organization_id": ("organization", "organization")},
    "location": {"organization_id": ("organization", "organization")},
    "address": {"location_id": ("location", "location")},
    "service_at_location": {
        "service_id": ("service", "service"),
        "location_id": ("location", "location"),
    },
    "phone": {
        "location_id": ("location", "location"),
        "service_id": ("service", "service"),
        "organization_id": ("organization", "organization"),
        "service_at_location_id": ("service_at_location", "service_at_location"),
    },
    "language": {
        "service_id": ("service", "service"),
        "location_id": ("location", "location"),
        "phone_id": ("phone", "phone"),
    },
    "schedule": {
        "service_id": ("service", "service"),
        "location_id": ("location", "location"),
        "service_at_location_id": ("service_at_location", "service_at_location"),
    },
    "service_area": {
        "service_id": ("service", "service"),
        "service_at_location_id": ("service_at_location", "service_at_location"),
    },
    "attribute": {"taxonomy_term_id": ("taxonomy_term", "taxonomy_term")},
}
RENAMED = {("taxonomy_term", "taxonomy"): "taxonomy_name"}
REQUIRED_REFERENCES = {
    ("service", "organization_id"),
    ("address", "location_id"),
    ("service_at_location", "service_id"),
    ("service_at_location", "location_id"),
    ("attribute", "taxonomy_term_id"),
}
RRULE_DAYS = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}


@dataclass
class Problem:
    file: str
    row: str
    field: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (self.file, self.row, self.field and f"field {self.field}") if part
        )
        return f"{where}: {self.message}"


class ImportFailed(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"The import saved nothing: {len(problems)} problem(s).")
        self.problems = problems


@dataclass
class Row:
    table: str
    values: dict
    file: str
    row: str


@dataclass
class HsdsResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    inactivated: int = 0

    def summary(self) -> str:
        parts = [
            f"{table}: {self.created.get(table, 0)} new, {self.updated.get(table, 0)} updated"
            for table in TABLES
            if self.created.get(table) or self.updated.get(table)
        ]
        if self.inactivated:
            parts.append(f"{self.inactivated} service(s) missing from the file marked inactive")
        return "; ".join(parts) or "nothing to import"


@cache
def package_schema() -> dict[str, dict]:
    """The published datapackage.json's resources by name."""
    data = json.loads((SCHEMA_DIR / "datapackage.json").read_text())
    return {resource["name"]: resource for resource in data["resources"]}


@cache
def service_validator():
    import jsonschema

    schema = json.loads((SCHEMA_DIR / "service.json").read_text())
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def _convert(kind: str, value):
    """A cell (or JSON value) as the HSDS field's type; raises ValueError."""
    if value is None or value == "":
        return None
    if kind == "string":
        return value if isinstance(value, str) else str(value)
    if kind == "number":
        if isinstance(value, bool):
            raise ValueError("not a number")
        try:
            return decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            raise ValueError("not a number") from None
    if kind == "integer":
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("not a whole number")
        try:
            return int(str(value))
        except ValueError:
            raise ValueError("not a whole number") from None
    if kind == "date":
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            raise ValueError("not a date (YYYY-MM-DD)") from None
    if kind == "time":
        try:
            return datetime.time.fromisoformat(str(value))
        except ValueError:
            raise ValueError("not a time (HH:MM or HH:MM:SS)") from None
    if kind == "datetime":
        try:
            return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("not a date and time (ISO 8601)") from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1", "yes"):
            return True
        if str(value).lower() in ("false", "0", "no"):
            return False
        raise ValueError("not true or false")
    return value


def _typed(table: str, raw: dict, file: str, row: str, problems: list[Problem]) -> dict:
    """``raw``'s values as the published HSDS field types, problems noted."""
    fields = {f["name"]: f for f in package_schema()[table]["schema"]["fields"]}
    values = {}
    for name, value in raw.items():
        spec = fields.get(name)
        if spec is None:
            continue
        try:
            converted = _convert(spec.get("type", "string"), value)
        except ValueError as error:
            problems.append(Problem(file, row, name, f"{error}: {str(value)[:60]!r}"))
            continue
        constraints = spec.get("constraints", {})
        if converted is None and constraints.get("required"):
            problems.append(Problem(file, row, name, "this field is required"))
            continue
        enum = spec.get("enum") or constraints.get("enum")
        if converted is not None and enum and converted not in enum:
            problems.append(
                Problem(
                    file,
                    row,
                    name,
                    f"{converted!r} is not one of: {', '.join(map(str, enum))}",
                )
            )
            continue
        values[name] = converted
    return values


# --- Reading the formats -----------------------------------------------------------------


def read_package(directory: Path, problems: list[Problem]) -> list[Row]:
    """The rows of a data package (the folder holding datapackage.json)."""
    try:
        package = json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))
        resources = package["resources"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        problems.append(Problem("datapackage.json", "", "", f"unreadable: {error}"))
        return []
    rows: list[Row] = []
    published = package_schema()
    for resource in resources:
        name = resource.get("name") if isinstance(resource, dict) else None
        if name not in TABLES:
            continue
        path = resource.get("path", "")
        file = str(path)
        target = (directory / file).resolve()
        if directory.resolve() not in target.parents:
            problems.append(Problem(file, "", "", "the path leaves the data package"))
            continue
        try:
            text = target.read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            problems.append(Problem(file, "", "", "named in datapackage.json but missing"))
            continue
        except UnicodeDecodeError as error:
            problems.append(Problem(file, "", "", f"not UTF-8 text (byte {error.start})"))
            continue
        except OSError as error:
            problems.append(Problem(file, "", "", f"unreadable: {error.strerror}"))
            continue
        declared = [f.get("name") for f in resource.get("schema", {}).get("fields", [])]
        known = {f["name"] for f in published[name]["schema"]["fields"]}
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        if declared and header != declared:
            problems.append(
                Problem(
                    file,
                    "row 1",
                    "",
                    "the columns disagree with datapackage.json: "
                    f"file has {', '.join(header)}; datapackage.json says {', '.join(declared)}",
                )
            )
            continue
        unknown = [column for column in header if column not in known]
        if unknown:
            problems.append(
                Problem(file, "row 1", "", f"not HSDS 3 {name} fields: {', '.join(unknown)}")
            )
            continue
        if "id" not in header:
            problems.append(Problem(file, "row 1", "id", "the id column is missing"))
            continue
        try:
            for record in reader:
                line = f"row {reader.line_num}"
                if None in record:
                    problems.append(Problem(file, line, "", "more values than columns"))
                    continue
                values = _typed(name, record, file, line, problems)
                rows.append(Row(name, values, file, line))
        except csv.Error as error:
            problems.append(Problem(file, f"row {reader.line_num}", "", f"unreadable CSV: {error}"))
    return rows


NESTED = {
    # key in a JSON object -> (table, the column naming the parent)
    "phones": ("phone", None),
    "schedules": ("schedule", None),
    "languages": ("language", None),
    "service_areas": ("service_area", "service_id"),
    "addresses": ("address", "location_id"),
}


def read_json(data: bytes, file: str, problems: list[Problem]) -> list[Row]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        problems.append(Problem(file, "", "", f"not UTF-8 text (byte {error.start})"))
        return []
    except ValueError as error:
        problems.append(Problem(file, "", "", f"not JSON: {error}"))
        return []
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        services = document["contents"]
    elif isinstance(document, list):
        services = document
    elif isinstance(document, dict):
        services = [document]
    else:
        problems.append(Problem(file, "", "", "expected a service or a list of services"))
        return []
    rows: list[Row] = []
    validator = service_validator()
    for number, service in enumerate(services, start=1):
        label = f"service {number}"
        if isinstance(service, dict) and isinstance(service.get("id"), str):
            label += f" (id {service['id']})"
        errors = sorted(validator.iter_errors(service), key=lambda e: list(e.absolute_path))
        for error in errors:
            path = ".".join(str(part) for part in error.absolute_path)
            problems.append(Problem(file, label, path, error.message[:200]))
        if errors:
            continue
        _flatten("service", service, {}, file, label, "", rows, problems)
    return rows


def _flatten(table, obj, parent, file, label, prefix, rows, problems) -> None:
    scalars = {k: v for k, v in obj.items() if not isinstance(v, (dict, list))}
    scalars.update(parent)
    typed_problems: list[Problem] = []
    values = _typed(table, scalars, file, label, typed_problems)
    for problem in typed_problems:
        problem.field = prefix + problem.field
    problems.extend(typed_problems)
    rows.append(Row(table, values, file, label))
    own = {"id": obj.get("id")}
    if table == "service":
        organization = obj.get("organization")
        if isinstance(organization, dict):
            _flatten("organization", organization, {}, file, label, "organization.", rows, problems)
            values.setdefault("organization_id", organization.get("id"))
        for n, sal in enumerate(obj.get("service_at_locations") or []):
            location = sal.get("location")
            at = f"service_at_locations.{n}."
            link = {"service_id": own["id"]}
            if isinstance(location, dict):
                _flatten("location", location, {}, file, label, at + "location.", rows, problems)
                link["location_id"] = location.get("id")
            _flatten("service_at_location", sal, link, file, label, at, rows, problems)
        for n, attribute in enumerate(obj.get("attributes") or []):
            at = f"attributes.{n}."
            term = attribute.get("taxonomy_term")
            link = {"link_id": own["id"], "link_type": attribute.get("link_type") or "service"}
            if isinstance(term, dict):
                taxonomy = term.get("taxonomy_detail")
                term_link = {}
                if isinstance(taxonomy, dict):
                    _flatten(
                        "taxonomy",
                        taxonomy,
                        {},
                        file,
                        label,
                        at + "taxonomy_term.taxonomy_detail.",
                        rows,
                        problems,
                    )
                    term_link["taxonomy_id"] = taxonomy.get("id")
                _flatten(
                    "taxonomy_term",
                    term,
                    term_link,
                    file,
                    label,
                    at + "taxonomy_term.",
                    rows,
                    problems,
                )
                link["taxonomy_term_id"] = term.get("id")
            _flatten("attribute", attribute, link, file, label, at, rows, problems)
    owner_column = {"service": "service_id", "location": "location_id"}.get(table)
    if owner_column:
        for key, (child, _column) in NESTED.items():
            if key == "addresses" and table != "location":
                continue
            if key == "service_areas" and table != "service":
                continue
            for n, item in enumerate(obj.get(key) or []):
                if isinstance(item, dict):
                    _flatten(
                        child,
                        item,
                        {owner_column: own["id"]},
                        file,
                        label,
                        f"{prefix}{key}.{n}.",
                        rows,
                        problems,
                    )


# --- Checking and writing -----------------------------------------------------------------


def _model_checks(row: Row, problems: list[Problem]) -> None:
    model = TABLES[row.table]
    values = row.values
    for name, value in values.items():
        model_field = _field(model, RENAMED.get((row.table, name), name))
        limit = getattr(model_field, "max_length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            problems.append(Problem(row.file, row.row, name, f"longer than {limit} characters"))
        if isinstance(value, str) and "\x00" in value:
            problems.append(Problem(row.file, row.row, name, "contains a NUL character"))
    if row.table == "location":
        for name, bound in (("latitude", 90), ("longitude", 180)):
            value = values.get(name)
            if value is not None and not -bound <= value <= bound:
                problems.append(
                    Problem(row.file, row.row, name, f"{value} is outside -{bound}..{bound}")
                )
        if (values.get("latitude") is None) != (values.get("longitude") is None):
            problems.append(
                Problem(
                    row.file, row.row, "latitude", "give both latitude and longitude, or neither"
                )
            )
    if row.table == "schedule":
        if (
            values.get("valid_from")
            and values.get("valid_to")
            and values["valid_to"] < values["valid_from"]
        ):
            problems.append(Problem(row.file, row.row, "valid_to", "before valid_from"))
        days = [day.strip()[-2:] for day in (values.get("byday") or "").split(",") if day.strip()]
        wrong = [day for day in days if day.upper() not in RRULE_DAYS]
        if wrong:
            problems.append(
                Problem(row.file, row.row, "byday", f"not RRULE days: {', '.join(wrong)}")
            )
        if values.get("opens_at") and values.get("closes_at") == values.get("opens_at"):
            problems.append(Problem(row.file, row.row, "closes_at", "the same as opens_at"))
        offset = values.get("timezone")
        if offset is not None and not -12 <= offset <= 14:
            problems.append(Problem(row.file, row.row, "timezone", "not a UTC offset (-12..14)"))
    if row.table == "service":
        low, high = values.get("minimum_age"), values.get("maximum_age")
        if low is not None and high is not None and low > high:
            problems.append(Problem(row.file, row.row, "maximum_age", "below minimum_age"))


def _existing(model, ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(ids), BATCH):
        found.update(
            model.objects.filter(hsds_id__in=ids[start : start + BATCH]).values_list(
                "hsds_id", "pk"
            )
        )
    return found


def import_hsds(
    rows: list[Row],
    problems: list[Problem],
    *,
    full: bool = False,
    progress: Callable[[int], None] | None = None,
) -> HsdsResult:
    """Check ``rows`` (from read_package or read_json) and write them, all or nothing."""
    advance = progress or (lambda _n: None)
    by_table: dict[str, dict[str, Row]] = {table: {} for table in TABLES}
    for row in rows:
        hsds_id = row.values.get("id")
        if not hsds_id:
            problems.append(Problem(row.file, row.row, "id", "this field is required"))
            continue
        previous = by_table[row.table].get(hsds_id)
        if previous is not None and row.file.endswith(".csv"):
            problems.append(
                Problem(row.file, row.row, "id", f"{hsds_id} appears twice (also {previous.row})")
            )
            continue
        # In JSON the same organisation or location may be nested under many services.
        by_table[row.table][hsds_id] = row
        _model_checks(row, problems)
    known = {table: _existing(model, list(by_table[table])) for table, model in TABLES.items()}
    # Every id named in another table must be in the file or in the directory.
    missing_cache: dict[str, set[str]] = {}
    for table, table_rows in by_table.items():
        for row in table_rows.values():
            for column, (_attribute, target) in REFERENCES.get(table, {}).items():
                value = row.values.get(column)
                if not value:
                    if (table, column) in REQUIRED_REFERENCES:
                        problems.append(
                            Problem(row.file, row.row, column, "this field is required")
                        )
                    continue
                if value in by_table[target] or value in known[target]:
                    continue
                missing_cache.setdefault(target, set()).add(value)
    for target, values in missing_cache.items():
        found = _existing(TABLES[target], sorted(values))
        known[target].update(found)
    for table, table_rows in by_table.items():
        for row in table_rows.values():
            for column, (_attribute, target) in REFERENCES.get(table, {}).items():
                value = row.values.get(column)
                if value and value not in by_table[target] and value not in known[target]:
                    problems.append(
                        Problem(
                            row.file,
                            row.row,
                            column,
                            f"names a {target} that does not exist: {value}",
                        )
                    )
    if problems:
        raise ImportFailed(problems)

    result = HsdsResult()
    pks: dict[str, dict[str, int]] = {table: dict(ids) for table, ids in known.items()}
    with transaction.atomic():
        for table, model in TABLES.items():
            table_rows = list(by_table[table].values())
            if table == "taxonomy_term":
                # Parents first, so a child's path can be built from its parent's.
                table_rows = _parents_first(table_rows)
            objects = []
            pending: list[tuple[str, str, str]] = []
            update_fields: set[str] = set()
            for row in table_rows:
                attrs = {"hsds_id": row.values["id"]}
                for column, value in row.values.items():
                    if column == "id":
                        continue
                    if column in REFERENCES.get(table, {}):
                        attribute, target = REFERENCES[table][column]
                        attrs[f"{attribute}_id"] = pks[target].get(value) if value else None
                        if value and attrs[f"{attribute}_id"] is None and target == table:
                            # A parent new in this same file: set once it is written.
                            pending.append((row.values["id"], f"{attribute}_id", value))
                        continue
                    name = RENAMED.get((table, column), column)
                    model_field = _field(model, name)
                    if model_field is None or model_field.is_relation:
                        continue
                    if value is None and not model_field.null:
                        value = ""
                    if name in ("code",) and table == "language" and isinstance(value, str):
                        value = value.lower()
                    attrs[model_field.attname] = value
                if (
                    table == "attribute"
                    and row.values.get("link_type") in (None, "service")
                    or (table == "attribute" and row.values.get("link_entity") == "service")
                ):
                    attrs["service_id"] = pks["service"].get(row.values.get("link_id"))
                if table == "taxonomy_term":
                    attrs["path"] = _path(row, by_table, attrs, pks)
                update_fields.update(key for key in attrs if key != "hsds_id")
                objects.append(model(**attrs))
            if not objects:
                continue
            existing = known[table]
            result.created[table] = sum(1 for o in objects if o.hsds_id not in existing)
            result.updated[table] = len(objects) - result.created[table]
            for start in range(0, len(objects), BATCH):
                batch = objects[start : start + BATCH]
                model.objects.bulk_create(
                    batch,
                    update_conflicts=True,
                    unique_fields=["hsds_id"],
                    update_fields=sorted(update_fields),
                )
                pks[table].update(_existing(model, [o.hsds_id for o in batch]))
                advance(len(batch))
            for hsds_id, column, parent in pending:
                model.objects.filter(hsds_id=hsds_id).update(**{column: pks[table][parent]})
        if full:
            keep = set(by_table["service"])
            stale = (
                m.Service.objects.exclude(hsds_id__in=keep)
                .exclude(service_at_locations__referral_listing__isnull=False)
                .exclude(status=m.ServiceStatus.INACTIVE)
            )
            result.inactivated = stale.update(status=m.ServiceStatus.INACTIVE)
    return result


def _field(model, name: str):
    """The model's field of that name, or None (a column CareHub does not keep)."""
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _parents_first(rows: list[Row]) -> list[Row]:
    ids = {row.values["id"]: row for row in rows}
    ordered: list[Row] = []
    placed: set[str] = set()

    def place(row: Row, trail: set[str]) -> None:
        hsds_id = row.values["id"]
        if hsds_id in placed or hsds_id in trail:
            return
        parent = row.values.get("parent_id")
        if parent in ids:
            place(ids[parent], trail | {hsds_id})
        placed.add(hsds_id)
        ordered.append(row)

    for row in rows:
        place(row, set())
    return ordered


def _path(row: Row, by_table, attrs, pks) -> str:
    """The term's ids from the root down (TaxonomyTerm.path), cycles cut."""
    chain = [row.values["id"]]
    parent = row.values.get("parent_id")
    terms = by_table["taxonomy_term"]
    while parent and parent not in chain and len(chain) < 20:
        chain.append(parent)
        if parent in terms:
            parent = terms[parent].values.get("parent_id")
        else:
            stored = (
                m.TaxonomyTerm.objects.filter(hsds_id=parent).values_list("path", flat=True).first()
            )
            if stored:
                return "/".join([stored, *reversed(chain[:-1])])
            break
    return "/".join(reversed(chain))

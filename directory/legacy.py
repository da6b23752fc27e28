"""CareHub's flat directory listings (referrals.Organization / referrals.Service, the CSV
format) as HSDS 3 records: one organization, one service, one location (physical when
the listing has an address, virtual otherwise), the service at that location, its
phones, languages, hours as a schedule's description and its category as a term of the
"CareHub service categories" taxonomy.

Plain functions over a ``models`` namespace (the app's models, or a migration's
historical ones), so migration referrals 0008 and the running app write the same rows.
Ids are uuid5 of the listing's primary key: stable, and the same on every re-run.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace

CATEGORY_TAXONOMY_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:carehub:taxonomy:category"))
CATEGORY_LABELS = {
    "primary_care": "Primary care",
    "specialty_care": "Specialty care",
    "behavioral_health": "Behavioral health",
    "substance_use": "Substance use",
    "housing": "Housing",
    "food": "Food",
    "transportation": "Transportation",
    "benefits": "Benefits and insurance",
    "legal": "Legal",
    "employment": "Employment",
    "caregiver_support": "Caregiver support",
    "other": "Other",
}


def listing_id(kind: str, pk: int | str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:carehub:{kind}:{pk}"))


def app_models() -> SimpleNamespace:
    from directory import models

    return SimpleNamespace(
        **{
            name: getattr(models, name)
            for name in (
                "Organization",
                "Service",
                "Location",
                "Address",
                "ServiceAtLocation",
                "Phone",
                "Language",
                "Schedule",
                "Taxonomy",
                "TaxonomyTerm",
                "Attribute",
            )
        }
    )


BATCH = 1000


def _upsert(model, rows: list[dict], fields: list[str]) -> dict[str, object]:
    """Insert or update ``rows`` (dicts with ``hsds_id``) in one statement a batch; the
    saved records by hsds_id, read back in one query a batch."""
    if not rows:
        return {}
    model.objects.bulk_create(
        [model(**row) for row in rows],
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["hsds_id"],
        update_fields=fields,
    )
    ids = [row["hsds_id"] for row in rows]
    saved = {}
    for start in range(0, len(ids), BATCH):
        saved.update(model.objects.in_bulk(ids[start : start + BATCH], field_name="hsds_id"))
    return saved


def _drop(model, ids: list[str]) -> None:
    for start in range(0, len(ids), BATCH):
        model.objects.filter(hsds_id__in=ids[start : start + BATCH]).delete()


def _languages(value: str) -> list[str]:
    return list(
        dict.fromkeys(c for c in value.replace(";", ",").replace(" ", ",").lower().split(",") if c)
    )


def mirror_listings(services: list, m: SimpleNamespace) -> tuple[dict, dict]:
    """HSDS records for referrals.Service listings (each with its ``organization``),
    created or brought up to date in a constant number of statements a batch. Returns
    ({organization pk: HSDS organization}, {service pk: HSDS service at location})."""
    organizations = {service.organization.pk: service.organization for service in services}
    hsds_orgs = _upsert(
        m.Organization,
        [
            {
                "hsds_id": listing_id("organization", o.pk),
                "name": o.name,
                "description": o.description,
                "email": o.email,
                "website": o.website,
            }
            for o in organizations.values()
        ],
        ["name", "description", "email", "website"],
    )
    org_of = {pk: hsds_orgs[listing_id("organization", pk)] for pk in organizations}
    _upsert(
        m.Phone,
        [
            {
                "hsds_id": listing_id("organization-phone", o.pk),
                "organization": org_of[o.pk],
                "number": o.phone,
            }
            for o in organizations.values()
            if o.phone
        ],
        ["organization", "number"],
    )
    _drop(
        m.Phone,
        [listing_id("organization-phone", o.pk) for o in organizations.values() if not o.phone],
    )

    hsds_services = _upsert(
        m.Service,
        [
            {
                "hsds_id": listing_id("service", s.pk),
                "organization": org_of[s.organization.pk],
                "name": s.name,
                "description": s.description,
                "url": s.website,
                "email": s.email,
                "status": "active" if s.is_active else "inactive",
                "eligibility_description": s.eligibility_notes,
            }
            for s in services
        ],
        [
            "organization",
            "name",
            "description",
            "url",
            "email",
            "status",
            "eligibility_description",
        ],
    )
    service_of = {s.pk: hsds_services[listing_id("service", s.pk)] for s in services}

    def has_address(s) -> bool:
        return bool(s.address_line or s.city or s.postal_code)

    locations = _upsert(
        m.Location,
        [
            {
                "hsds_id": listing_id("location", s.pk),
                "organization": org_of[s.organization.pk],
                "location_type": "physical" if has_address(s) else "virtual",
                "name": s.name,
                "url": "" if has_address(s) else s.website,
            }
            for s in services
        ],
        ["organization", "location_type", "name", "url"],
    )
    location_of = {s.pk: locations[listing_id("location", s.pk)] for s in services}
    _upsert(
        m.Address,
        [
            {
                "hsds_id": listing_id("address", s.pk),
                "location": location_of[s.pk],
                "address_1": s.address_line,
                "city": s.city,
                "state_province": s.region,
                "postal_code": s.postal_code,
                "address_type": "physical",
            }
            for s in services
            if has_address(s)
        ],
        ["address_1", "city", "state_province", "postal_code"],
    )
    _drop(m.Address, [listing_id("address", s.pk) for s in services if not has_address(s)])
    sals = _upsert(
        m.ServiceAtLocation,
        [
            {
                "hsds_id": listing_id("service-at-location", s.pk),
                "service": service_of[s.pk],
                "location": location_of[s.pk],
            }
            for s in services
        ],
        ["service", "location"],
    )
    _upsert(
        m.Phone,
        [
            {
                "hsds_id": listing_id("service-phone", s.pk),
                "service": service_of[s.pk],
                "number": s.phone,
            }
            for s in services
            if s.phone
        ],
        ["service", "number"],
    )
    _drop(m.Phone, [listing_id("service-phone", s.pk) for s in services if not s.phone])
    _upsert(
        m.Schedule,
        [
            {
                "hsds_id": listing_id("service-hours", s.pk),
                "service": service_of[s.pk],
                "description": s.hours,
            }
            for s in services
            if s.hours
        ],
        ["service", "description"],
    )
    _drop(m.Schedule, [listing_id("service-hours", s.pk) for s in services if not s.hours])

    wanted = {
        f"carehub-{listing_id('service-language', f'{s.pk}:{code}')}": (s, code)
        for s in services
        for code in _languages(s.languages)
    }
    hsds_pks = [service.pk for service in service_of.values()]
    for start in range(0, len(hsds_pks), BATCH):
        m.Language.objects.filter(
            service__in=hsds_pks[start : start + BATCH], hsds_id__startswith="carehub-"
        ).exclude(hsds_id__in=list(wanted)).delete()
    _upsert(
        m.Language,
        [
            {"hsds_id": hsds_id, "service": service_of[s.pk], "code": code}
            for hsds_id, (s, code) in wanted.items()
        ],
        ["service", "code"],
    )

    categories = {s.category for s in services if s.category}
    if categories:
        taxonomy, _created = m.Taxonomy.objects.get_or_create(
            hsds_id=CATEGORY_TAXONOMY_ID,
            defaults={
                "name": "CareHub service categories",
                "description": "The categories of CareHub's directory before HSDS 3.",
            },
        )
        terms = _upsert(
            m.TaxonomyTerm,
            [
                {
                    "hsds_id": listing_id("category", c),
                    "code": c,
                    "name": CATEGORY_LABELS.get(c, c),
                    "taxonomy": taxonomy,
                    "taxonomy_name": taxonomy.name,
                    "path": listing_id("category", c),
                }
                for c in sorted(categories)
            ],
            ["code", "name"],
        )
        _upsert(
            m.Attribute,
            [
                {
                    "hsds_id": listing_id("service-category", s.pk),
                    "link_id": service_of[s.pk].hsds_id,
                    "link_type": "service",
                    "link_entity": "service",
                    "taxonomy_term": terms[listing_id("category", s.category)],
                    "service": service_of[s.pk],
                }
                for s in services
                if s.category
            ],
            ["link_id", "taxonomy_term", "service"],
        )
    return org_of, {s.pk: sals[listing_id("service-at-location", s.pk)] for s in services}

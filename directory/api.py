"""The HSDS 3.0 API's read endpoints under /hsds/, so partners can read the directory.

``/hsds/services`` (``search``, ``taxonomy_term_id``, ``taxonomy_id``, ``organization_id``,
``modified_after``, ``page``, ``per_page``), ``/hsds/services/{id}``, ``/hsds/organizations``,
``/hsds/organizations/{id}``, ``/hsds/taxonomies``, ``/hsds/taxonomy_terms``
(``taxonomy_id``, ``parent_id``) and ``/hsds/service_at_locations``: the standard's paged
envelope (total_items, total_pages, page_number, size, first_page, last_page, empty,
contents) and its field names, ids being the publishers' ids. A directory holds no PHI:
``HSDS_API_PUBLIC`` (off by default) opens the endpoints to anyone; otherwise an API token
or a session is needed, as for /api/. Bad parameters are a 400 naming them.
"""

from __future__ import annotations

import datetime
import math

from django.conf import settings
from django.db.models import Prefetch, Q
from django.http import Http404
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from directory.models import (
    Attribute,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

MAX_PER_PAGE = 200


class BadParameter(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name, self.message = name, message


def _int(request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(name, "a whole number") from None
    if not low <= value <= high:
        raise BadParameter(name, f"between {low} and {high}")
    return value


def _text(request, name: str) -> str:
    value = request.query_params.get(name, "").strip()
    if "\x00" in value or len(value) > 200:
        raise BadParameter(name, "at most 200 characters of text")
    return value


def _iso(value):
    return value.isoformat() if value is not None else None


def _num(value):
    return float(value) if value is not None else None


def organization_json(o: Organization) -> dict:
    return {
        "id": o.hsds_id,
        "name": o.name,
        "alternate_name": o.alternate_name or None,
        "description": o.description,
        "email": o.email or None,
        "website": o.website or None,
        "tax_status": o.tax_status or None,
        "tax_id": o.tax_id or None,
        "year_incorporated": o.year_incorporated,
        "legal_status": o.legal_status or None,
        "logo": o.logo or None,
        "uri": o.uri or None,
    }


def _phone(p) -> dict:
    return {
        "id": p.hsds_id,
        "number": p.number,
        "extension": p.extension or None,
        "type": p.type or None,
        "description": p.description or None,
    }


def _schedule(s) -> dict:
    return {
        "id": s.hsds_id,
        "valid_from": _iso(s.valid_from),
        "valid_to": _iso(s.valid_to),
        "dtstart": _iso(s.dtstart),
        "timezone": _num(s.timezone),
        "until": _iso(s.until),
        "count": s.count,
        "wkst": s.wkst or None,
        "freq": s.freq or None,
        "interval": s.interval,
        "byday": s.byday or None,
        "bymonthday": s.bymonthday or None,
        "description": s.description or None,
        "opens_at": _iso(s.opens_at),
        "closes_at": _iso(s.closes_at),
        "notes": s.notes or None,
    }


def _location(loc) -> dict:
    return {
        "id": loc.hsds_id,
        "location_type": loc.location_type,
        "name": loc.name or None,
        "description": loc.description or None,
        "latitude": loc.latitude,
        "longitude": loc.longitude,
        "addresses": [
            {
                "id": a.hsds_id,
                "address_1": a.address_1,
                "address_2": a.address_2 or None,
                "city": a.city,
                "region": a.region or None,
                "state_province": a.state_province,
                "postal_code": a.postal_code,
                "country": a.country,
                "address_type": a.address_type,
            }
            for a in loc.addresses.all()
        ],
    }


def _sal(sal, *, with_service: bool = False) -> dict:
    data = {
        "id": sal.hsds_id,
        "description": sal.description or None,
        "location": _location(sal.location),
        "phones": [_phone(p) for p in sal.phones.all()],
        "schedules": [_schedule(s) for s in sal.schedules.all()],
    }
    if with_service:
        data["service"] = {"id": sal.service.hsds_id, "name": sal.service.name}
    return data


def _term(t) -> dict:
    return {
        "id": t.hsds_id,
        "code": t.code or None,
        "name": t.name,
        "description": t.description,
        "parent_id": t.parent.hsds_id if t.parent_id else None,
        "taxonomy": t.taxonomy_name or None,
        "taxonomy_id": t.taxonomy.hsds_id if t.taxonomy_id else None,
        "language": t.language or None,
        "term_uri": t.term_uri or None,
    }


def service_json(s: Service, *, full: bool) -> dict:
    data = {
        "id": s.hsds_id,
        "name": s.name,
        "alternate_name": s.alternate_name or None,
        "description": s.description or None,
        "url": s.url or None,
        "email": s.email or None,
        "status": s.status,
        "interpretation_services": s.interpretation_services or None,
        "application_process": s.application_process or None,
        "fees_description": s.fees_description or None,
        "wait_time": s.wait_time or None,
        "accreditations": s.accreditations or None,
        "eligibility_description": s.eligibility_description or None,
        "minimum_age": _num(s.minimum_age),
        "maximum_age": _num(s.maximum_age),
        "assured_date": _iso(s.assured_date),
        "assurer_email": s.assurer_email or None,
        "licenses": s.licenses or None,
        "alert": s.alert or None,
        "last_modified": _iso(s.last_modified or s.updated_at),
        "organization": organization_json(s.organization),
    }
    if full:
        data.update(
            {
                "phones": [_phone(p) for p in s.phones.all()],
                "schedules": [_schedule(x) for x in s.schedules.all()],
                "languages": [
                    {"id": lang.hsds_id, "name": lang.name or None, "code": lang.code or None}
                    for lang in s.languages.all()
                ],
                "service_areas": [
                    {"id": a.hsds_id, "name": a.name or None, "description": a.description or None}
                    for a in s.service_areas.all()
                ],
                "service_at_locations": [_sal(x) for x in s.service_at_locations.all()],
                "attributes": [
                    {
                        "id": a.hsds_id,
                        "link_id": a.link_id,
                        "link_type": a.link_type,
                        "value": a.value or None,
                        "taxonomy_term": _term(a.taxonomy_term),
                    }
                    for a in s.attributes.all()
                ],
            }
        )
    return data


SAL_PREFETCH = [
    "location__addresses",
    "phones",
    "schedules",
]


def services_queryset():
    return Service.objects.select_related("organization").prefetch_related(
        "phones",
        "schedules",
        "languages",
        "service_areas",
        Prefetch(
            "service_at_locations",
            ServiceAtLocation.objects.select_related("location").prefetch_related(*SAL_PREFETCH),
        ),
        Prefetch(
            "attributes",
            queryset=Attribute.objects.select_related(
                "taxonomy_term__parent", "taxonomy_term__taxonomy"
            ),
        ),
    )


class HsdsView(APIView):
    """Paged HSDS lists; ``HSDS_API_PUBLIC`` decides who may read.

    Not in CareHub's own OpenAPI schema (/api/schema/): these endpoints follow the HSDS
    3.0 API's published OpenAPI description, which partners read instead."""

    schema = None

    def get_permissions(self):
        if getattr(settings, "HSDS_API_PUBLIC", False):
            return [AllowAny()]
        return [IsAuthenticated()]

    def handle_exception(self, exc):
        if isinstance(exc, BadParameter):
            return Response({exc.name: [exc.message]}, status=400)
        return super().handle_exception(exc)

    def page(self, request, queryset, render) -> Response:
        number = _int(request, "page", 1, 1, 1_000_000)
        size = _int(request, "per_page", 50, 1, MAX_PER_PAGE)
        total = queryset.count()
        pages = max(1, math.ceil(total / size))
        items = list(queryset[(number - 1) * size : number * size])
        return Response(
            {
                "total_items": total,
                "total_pages": pages,
                "page_number": number,
                "size": len(items),
                "first_page": number == 1,
                "last_page": number >= pages,
                "empty": not items,
                "contents": [render(item) for item in items],
            }
        )


def _term_filter(request, prefix: str = "") -> Q:
    term_id = _text(request, "taxonomy_term_id")
    taxonomy_id = _text(request, "taxonomy_id")
    query = Q()
    if term_id:
        # The term and every term under it (TaxonomyTerm.path).
        path = TaxonomyTerm.objects.filter(hsds_id=term_id).values_list("path", flat=True).first()
        if path is None:
            return Q(pk__in=[])
        query &= Q(**{f"{prefix}attributes__taxonomy_term__path__startswith": path}) & (
            Q(**{f"{prefix}attributes__taxonomy_term__path": path})
            | Q(**{f"{prefix}attributes__taxonomy_term__path__startswith": path + "/"})
        )
    if taxonomy_id:
        query &= Q(**{f"{prefix}attributes__taxonomy_term__taxonomy__hsds_id": taxonomy_id})
    return query


class ServiceList(HsdsView):
    def get(self, request):
        queryset = services_queryset().order_by("name", "pk")
        search = _text(request, "search")
        if search:
            queryset = queryset.filter(
                Q(name__icontains=search)
                | Q(description__icontains=search)
                | Q(organization__name__icontains=search)
            )
        terms = _term_filter(request)
        if terms:
            queryset = queryset.filter(terms).distinct()
        organization_id = _text(request, "organization_id")
        if organization_id:
            queryset = queryset.filter(organization__hsds_id=organization_id)
        modified_after = _text(request, "modified_after")
        if modified_after:
            try:
                moment = datetime.datetime.fromisoformat(modified_after.replace("Z", "+00:00"))
            except ValueError:
                raise BadParameter("modified_after", "an ISO 8601 date and time") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=datetime.UTC)
            queryset = queryset.filter(updated_at__gt=moment)
        full = request.query_params.get("full", "").lower() in ("1", "true", "yes")
        return self.page(request, queryset, lambda s: service_json(s, full=full))


class ServiceDetail(HsdsView):
    def get(self, request, hsds_id: str):
        service = services_queryset().filter(hsds_id=hsds_id).first()
        if service is None:
            raise Http404
        return Response(service_json(service, full=True))


class OrganizationList(HsdsView):
    def get(self, request):
        queryset = Organization.objects.order_by("name", "pk")
        search = _text(request, "search")
        if search:
            queryset = queryset.filter(name__icontains=search)
        return self.page(request, queryset, organization_json)


class OrganizationDetail(HsdsView):
    def get(self, request, hsds_id: str):
        organization = Organization.objects.filter(hsds_id=hsds_id).first()
        if organization is None:
            raise Http404
        data = organization_json(organization)
        data["services"] = [
            {"id": s.hsds_id, "name": s.name, "status": s.status}
            for s in organization.services.order_by("name", "pk")[:MAX_PER_PAGE]
        ]
        return Response(data)


class TaxonomyList(HsdsView):
    def get(self, request):
        def render(t: Taxonomy) -> dict:
            return {
                "id": t.hsds_id,
                "name": t.name,
                "description": t.description,
                "uri": t.uri or None,
                "version": t.version or None,
            }

        return self.page(request, Taxonomy.objects.order_by("name", "pk"), render)


class TaxonomyTermList(HsdsView):
    def get(self, request):
        queryset = TaxonomyTerm.objects.select_related("parent", "taxonomy").order_by("name", "pk")
        taxonomy_id = _text(request, "taxonomy_id")
        if taxonomy_id:
            queryset = queryset.filter(taxonomy__hsds_id=taxonomy_id)
        parent_id = _text(request, "parent_id")
        if parent_id:
            queryset = queryset.filter(parent__hsds_id=parent_id)
        search = _text(request, "search")
        if search:
            queryset = queryset.filter(Q(name__icontains=search) | Q(code__iexact=search))
        return self.page(request, queryset, _term)


class ServiceAtLocationList(HsdsView):
    def get(self, request):
        queryset = (
            ServiceAtLocation.objects.select_related("service", "location")
            .prefetch_related(*SAL_PREFETCH)
            .order_by("pk")
        )
        search = _text(request, "search")
        if search:
            queryset = queryset.filter(
                Q(service__name__icontains=search) | Q(location__name__icontains=search)
            )
        terms = _term_filter(request, "service__")
        if terms:
            queryset = queryset.filter(terms).distinct()
        return self.page(request, queryset, lambda sal: _sal(sal, with_service=True))

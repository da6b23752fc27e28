"""The service directory in Open Referral's Human Services Data Specification, version 3.0.

One model per HSDS table a referral needs, with the standard's field names, so an HSDS
tabular data package or the HSDS API's JSON maps onto it column for column. Every row
keeps the publisher's ``id`` in ``hsds_id`` (unique): a re-import updates the row instead
of adding a second one. CareHub's own primary keys never leave the database; ``/hsds/``
publishes ``hsds_id``.

Not modelled (not needed to refer someone): programs, contacts, funding, cost options,
required documents, accessibility, organization identifiers, metadata, meta tables.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class HsdsRecord(models.Model):
    hsds_id = models.CharField(_("HSDS id"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return getattr(self, "name", "") or self.hsds_id


class Organization(HsdsRecord):
    name = models.CharField(_("name"), max_length=255)
    alternate_name = models.CharField(_("alternate name"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    website = models.CharField(_("website"), max_length=500, blank=True)
    tax_status = models.CharField(_("tax status"), max_length=100, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=100, blank=True)
    year_incorporated = models.PositiveIntegerField(_("year incorporated"), null=True, blank=True)
    legal_status = models.CharField(_("legal status"), max_length=100, blank=True)
    logo = models.CharField(_("logo"), max_length=500, blank=True)
    uri = models.CharField(_("URI"), max_length=500, blank=True)
    parent_organization = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name", "pk"]


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    DEFUNCT = "defunct", _("Defunct")
    TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")


class Service(HsdsRecord):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(_("name"), max_length=255)
    alternate_name = models.CharField(_("alternate name"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    url = models.CharField(_("URL"), max_length=500, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    interpretation_services = models.TextField(_("interpretation services"), blank=True)
    application_process = models.TextField(_("application process"), blank=True)
    fees_description = models.TextField(_("fees"), blank=True)
    wait_time = models.CharField(_("wait time"), max_length=255, blank=True)
    accreditations = models.TextField(_("accreditations"), blank=True)
    licenses = models.TextField(_("licenses"), blank=True)
    eligibility_description = models.TextField(_("eligibility"), blank=True)
    minimum_age = models.DecimalField(
        _("minimum age"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    maximum_age = models.DecimalField(
        _("maximum age"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    assured_date = models.DateField(_("last verified"), null=True, blank=True)
    assurer_email = models.CharField(_("verified by"), max_length=254, blank=True)
    alert = models.TextField(_("alert"), blank=True)
    last_modified = models.DateTimeField(_("last modified by the publisher"), null=True, blank=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["status", "name"], name="hsds_service_status_idx")]


class LocationType(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    POSTAL = "postal", _("Postal")
    VIRTUAL = "virtual", _("Virtual")


class Location(HsdsRecord):
    location_type = models.CharField(
        _("location type"), max_length=10, choices=LocationType.choices
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="locations"
    )
    url = models.CharField(_("URL"), max_length=500, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    alternate_name = models.CharField(_("alternate name"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    transportation = models.TextField(_("transportation"), blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    external_identifier = models.CharField(_("external identifier"), max_length=255, blank=True)
    external_identifier_type = models.CharField(
        _("external identifier type"), max_length=255, blank=True
    )

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name", "pk"]
        # The bounding box of a distance search (directory/search.py) narrows on these.
        indexes = [models.Index(fields=["latitude", "longitude"], name="hsds_location_coord_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="hsds_location_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="hsds_location_longitude_range",
            ),
        ]


class Address(HsdsRecord):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="addresses")
    attention = models.CharField(_("attention"), max_length=255, blank=True)
    address_1 = models.CharField(_("address"), max_length=255)
    address_2 = models.CharField(_("address line 2"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region"), max_length=100, blank=True)
    state_province = models.CharField(_("state or province"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=20)
    country = models.CharField(_("country"), max_length=2, blank=True)
    address_type = models.CharField(_("address type"), max_length=10, choices=LocationType.choices)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["pk"]


class ServiceAtLocation(HsdsRecord):
    """What a referral points at: this service, delivered at this location."""

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="service_at_locations"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="service_at_locations"
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("service at location")
        verbose_name_plural = _("services at locations")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["service", "location"], name="hsds_sal_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service.name} @ {self.location.name or self.location.hsds_id}"


class Phone(HsdsRecord):
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    number = models.CharField(_("number"), max_length=60)
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    type = models.CharField(_("type"), max_length=20, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.number


class Language(HsdsRecord):
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="languages"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="languages"
    )
    phone = models.ForeignKey(
        Phone, on_delete=models.CASCADE, null=True, blank=True, related_name="languages"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    # ISO 639-1 or 639-3 (HSDS 3.0); lower case here, searched by it.
    code = models.CharField(_("code"), max_length=12, blank=True, db_index=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        ordering = ["pk"]


class Weekday(models.TextChoices):
    MO = "MO", _("Monday")
    TU = "TU", _("Tuesday")
    WE = "WE", _("Wednesday")
    TH = "TH", _("Thursday")
    FR = "FR", _("Friday")
    SA = "SA", _("Saturday")
    SU = "SU", _("Sunday")


class Frequency(models.TextChoices):
    WEEKLY = "WEEKLY", _("Weekly")
    MONTHLY = "MONTHLY", _("Monthly")


class Schedule(HsdsRecord):
    """Opening hours as HSDS 3 writes them: RFC 5545 RRULE parts (freq, interval, byday,
    bymonthday, until, count, wkst) with opens_at/closes_at local times. ``timezone`` is the
    standard's number (hours from UTC); ``tz_name`` is the IANA zone CareHub uses for
    daylight saving where the publisher's data or the location gives one."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedules",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    dtstart = models.DateField(_("first occurrence"), null=True, blank=True)
    timezone = models.DecimalField(
        _("UTC offset (hours)"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    tz_name = models.CharField(_("time zone"), max_length=64, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    count = models.PositiveIntegerField(_("count"), null=True, blank=True)
    wkst = models.CharField(_("week starts"), max_length=2, choices=Weekday.choices, blank=True)
    freq = models.CharField(_("frequency"), max_length=7, choices=Frequency.choices, blank=True)
    interval = models.PositiveIntegerField(_("interval"), null=True, blank=True)
    byday = models.CharField(_("by day"), max_length=100, blank=True)
    byweekno = models.CharField(_("by week number"), max_length=100, blank=True)
    bymonthday = models.CharField(_("by day of the month"), max_length=100, blank=True)
    byyearday = models.CharField(_("by day of the year"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    schedule_link = models.CharField(_("schedule link"), max_length=500, blank=True)
    attending_type = models.CharField(_("attending type"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description or f"{self.freq} {self.byday} {self.opens_at}-{self.closes_at}"


class ServiceArea(HsdsRecord):
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="service_areas"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="service_areas",
    )
    name = models.CharField(_("name"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    extent = models.TextField(_("extent"), blank=True)
    extent_type = models.CharField(_("extent type"), max_length=20, blank=True)
    uri = models.CharField(_("URI"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("service area")
        verbose_name_plural = _("service areas")
        ordering = ["pk"]


class Taxonomy(HsdsRecord):
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    uri = models.CharField(_("URI"), max_length=500, blank=True)
    version = models.CharField(_("version"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("taxonomy")
        verbose_name_plural = _("taxonomies")
        ordering = ["name", "pk"]


class TaxonomyTerm(HsdsRecord):
    """A term of one taxonomy (211 LA/AIRS, Open Eligibility, the publisher's own), in a
    tree through ``parent``. ``path`` holds the hsds_ids from the root down, separated by
    ``/``, so "this term and its children" is one indexed prefix match."""

    code = models.CharField(_("code"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    taxonomy = models.ForeignKey(
        Taxonomy, on_delete=models.PROTECT, null=True, blank=True, related_name="terms"
    )
    # The free-text taxonomy name HSDS allows when no taxonomy row is given.
    taxonomy_name = models.CharField(_("taxonomy name"), max_length=255, blank=True)
    language = models.CharField(_("language"), max_length=12, blank=True)
    term_uri = models.CharField(_("term URI"), max_length=500, blank=True)
    path = models.CharField(max_length=1000, blank=True, editable=False, db_index=True)

    class Meta:
        verbose_name = _("taxonomy term")
        verbose_name_plural = _("taxonomy terms")
        ordering = ["name", "pk"]


class Attribute(HsdsRecord):
    """Links a taxonomy term to a record (HSDS 3 ``link_type``/``link_id``); CareHub uses
    the links to services for search by need."""

    link_id = models.CharField(_("linked record id"), max_length=100, db_index=True)
    link_type = models.CharField(_("linked table"), max_length=50)
    link_entity = models.CharField(_("link entity"), max_length=50, blank=True)
    taxonomy_term = models.ForeignKey(
        TaxonomyTerm, on_delete=models.CASCADE, related_name="attributes"
    )
    # Filled for link_type "service": the join search uses.
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="attributes"
    )
    value = models.TextField(_("value"), blank=True)
    label = models.CharField(_("label"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.link_type} {self.link_id}: {self.taxonomy_term_id}"

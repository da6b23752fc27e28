"""The HSDS 3 directory in Django admin: every table readable and editable by staff."""

from __future__ import annotations

from django.contrib import admin

from directory.models import (
    Address,
    Attribute,
    Language,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "hsds_id", "website", "updated_at"]
    search_fields = ["name", "hsds_id"]
    raw_id_fields = ["parent_organization"]


class ScheduleInline(admin.TabularInline):
    model = Schedule
    extra = 0
    fields = ["hsds_id", "freq", "byday", "opens_at", "closes_at", "tz_name", "description"]
    raw_id_fields = ["location", "service_at_location"]


class LanguageInline(admin.TabularInline):
    model = Language
    fk_name = "service"
    extra = 0
    fields = ["hsds_id", "code", "name"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "status", "assured_date", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name", "hsds_id", "organization__name"]
    list_select_related = ["organization"]
    raw_id_fields = ["organization"]
    inlines = [LanguageInline, ScheduleInline]


class AddressInline(admin.StackedInline):
    model = Address
    extra = 0


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "location_type", "latitude", "longitude"]
    list_filter = ["location_type"]
    search_fields = ["name", "hsds_id"]
    raw_id_fields = ["organization"]
    inlines = [AddressInline]


@admin.register(ServiceAtLocation)
class ServiceAtLocationAdmin(admin.ModelAdmin):
    list_display = ["hsds_id", "service", "location"]
    search_fields = ["hsds_id", "service__name", "location__name"]
    list_select_related = ["service", "location"]
    raw_id_fields = ["service", "location"]


@admin.register(Phone)
class PhoneAdmin(admin.ModelAdmin):
    list_display = ["number", "type", "service", "location", "organization"]
    search_fields = ["number", "hsds_id"]
    raw_id_fields = ["service", "location", "organization", "service_at_location"]


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["hsds_id", "service", "freq", "byday", "opens_at", "closes_at"]
    search_fields = ["hsds_id", "service__name"]
    raw_id_fields = ["service", "location", "service_at_location"]


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "service", "extent_type"]
    search_fields = ["name", "hsds_id"]
    raw_id_fields = ["service", "service_at_location"]


@admin.register(Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "uri"]
    search_fields = ["name", "hsds_id"]


@admin.register(TaxonomyTerm)
class TaxonomyTermAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "taxonomy", "parent"]
    list_filter = ["taxonomy"]
    search_fields = ["name", "code", "hsds_id"]
    raw_id_fields = ["parent"]


@admin.register(Attribute)
class AttributeAdmin(admin.ModelAdmin):
    list_display = ["link_type", "link_id", "taxonomy_term", "value"]
    search_fields = ["link_id", "hsds_id"]
    raw_id_fields = ["taxonomy_term", "service"]


admin.site.register(Language)
admin.site.register(Address)

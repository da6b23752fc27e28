"""Every organisation and service of the directory as it was becomes HSDS 3 records in the
directory app (directory/legacy.py says how each field maps), and every referral to a
service points at that service's service_at_location too. Nothing is removed: the old
listings keep their columns, so the referral pages work as before. Reversing only clears
the links (the HSDS rows are the directory app's, removed with its own migrations)."""

from types import SimpleNamespace

from django.db import migrations

from directory.legacy import listing_id, mirror_listings

MODELS = (
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


def forward(apps, schema_editor):
    m = SimpleNamespace(**{name: apps.get_model("directory", name) for name in MODELS})
    Organization = apps.get_model("referrals", "Organization")
    Service = apps.get_model("referrals", "Service")
    Referral = apps.get_model("referrals", "Referral")
    services = Service.objects.select_related("organization").order_by("pk")
    last = 0
    while batch := list(services.filter(pk__gt=last)[:1000]):
        last = batch[-1].pk
        org_of, sal_of = mirror_listings(batch, m)
        for pk, hsds in org_of.items():
            Organization.objects.filter(pk=pk).update(hsds_organization=hsds)
        for service in batch:
            service.service_at_location = sal_of[service.pk]
        Service.objects.bulk_update(batch, ["service_at_location"])
        for service in batch:
            Referral.objects.filter(service=service).update(
                service_at_location=service.service_at_location
            )
    # Organisations without services are in the directory too.
    for organization in Organization.objects.filter(hsds_organization__isnull=True):
        hsds, _created = m.Organization.objects.get_or_create(
            hsds_id=listing_id("organization", organization.pk),
            defaults={
                "name": organization.name,
                "description": organization.description,
                "email": organization.email,
                "website": organization.website,
            },
        )
        organization.hsds_organization = hsds
        organization.save(update_fields=["hsds_organization"])


def backward(apps, schema_editor):
    apps.get_model("referrals", "Referral").objects.update(service_at_location=None)
    apps.get_model("referrals", "Service").objects.update(service_at_location=None)
    apps.get_model("referrals", "Organization").objects.update(hsds_organization=None)


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0007_hsds_links"),
        ("directory", "0001_hsds3_directory"),
    ]

    operations = [migrations.RunPython(forward, backward)]

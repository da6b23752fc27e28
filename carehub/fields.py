"""Form fields shared by every app.

Records name themselves by number in ``__str__`` ("Goal #502"): that text reaches admin
logs and history, where a number is enough. A person picking a goal, a plan or a referral
needs its own words: a model offers them as ``picker_label``, and every record picker is a
``RecordChoiceField``, which shows it.
"""

from __future__ import annotations

from django import forms


def picker_label(obj) -> str:
    label = getattr(obj, "picker_label", None)
    return str(label) if label else str(obj)


class RecordChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return picker_label(obj)


def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone, by name, after "the clinic's zone" (an empty value)."""
    import zoneinfo

    from django.conf import settings
    from django.utils.translation import gettext as _

    default = [("", _("The clinic's time zone (%(zone)s)") % {"zone": settings.TIME_ZONE})]
    zones = sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone or zone == "UTC")
    return default + [(zone, zone.replace("_", " ")) for zone in zones]


class TimeZoneChoiceField(forms.ChoiceField):
    """A time zone picked from the list (it was free text: "EST", "new york" were typed)."""

    def __init__(self, *, max_length=None, empty_value="", **kwargs):
        kwargs.setdefault("choices", time_zone_choices)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

"""What a reminder says: one renderer per kind, called by the send task at send time
(so "overdue by 3 days" is true when it arrives).

Apps may register a better renderer for their kinds:
``register_renderer(ReminderKind.TASK_DUE, my_renderer)``; a renderer is
``(reminder, now) -> Message`` and must not put clinical detail in the text.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reminders.digest import digest_for
from reminders.models import Reminder, ReminderKind
from reminders.patient_messages import appointment_message


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    link: str = ""  # a path inside CareHub, for the notification and the email's link
    # The in-app notification's own words: it may name the record and the patient (the
    # email may not). Empty: the notification shows the subject and the body.
    in_app_title: str = ""
    in_app_body: str = ""

    @property
    def notification_title(self) -> str:
        return self.in_app_title or self.subject

    @property
    def notification_body(self) -> str:
        return self.in_app_body if self.in_app_title else self.body


Renderer = Callable[[Reminder, datetime.datetime], Message]
_RENDERERS: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    _RENDERERS[kind] = renderer


def absolute_link(link: str) -> str:
    if not link or "://" in link:
        return link
    return settings.CAREHUB_SITE_URL + link


def _span(delta: datetime.timedelta) -> str:
    """A lateness or lead as the largest whole unit it reaches: "5 minutes", "2 hours",
    "3 days". Whole units only, rounded down, so a reminder never claims more than is true."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours = minutes // 60
    if hours < 24:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    days = hours // 24
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def due_phrase(due_at: datetime.datetime | None, now: datetime.datetime, tz) -> str:
    """How soon or how late, exactly: "Due now", "Due in 30 minutes (at 14:00)",
    "Due today at 14:00", "Due tomorrow at 09:00", "Due on 3 May", "Overdue by 5 minutes",
    "Overdue by 2 hours", "Overdue by 3 days". Under a minute either side is "Due now"."""
    if due_at is None:
        return ""
    delta = due_at - now
    if abs(delta) < datetime.timedelta(minutes=1):
        return _("Due now")
    if delta < datetime.timedelta(0):
        return _("Overdue by %(span)s") % {"span": _span(-delta)}
    local = timezone.localtime(due_at, tz)
    today = timezone.localtime(now, tz).date()
    time = date_format(local, "TIME_FORMAT")
    if delta < datetime.timedelta(hours=1):
        return _("Due in %(span)s (at %(time)s)") % {"span": _span(delta), "time": time}
    if local.date() == today:
        return _("Due today at %(time)s") % {"time": time}
    if local.date() == today + datetime.timedelta(days=1):
        return _("Due tomorrow at %(time)s") % {"time": time}
    return _("Due on %(date)s") % {"date": date_format(local, "DATE_FORMAT")}


def _user_tz(reminder: Reminder) -> zoneinfo.ZoneInfo:
    user = reminder.recipient_user
    return zoneinfo.ZoneInfo(user.effective_time_zone if user else settings.TIME_ZONE)


def render_staff(reminder: Reminder, now: datetime.datetime) -> Message:
    """Any staff kind: its label, the caller's title (no clinical detail) and the due time."""
    kind_label = str(ReminderKind(reminder.kind).label)
    title = reminder.context.get("title") or kind_label
    link = reminder.context.get("link", "")
    phrase = due_phrase(reminder.due_at, now, _user_tz(reminder))
    if reminder.kind == ReminderKind.ESCALATION:
        lead = _("Still open past its due time, escalated to you as case manager:")
    else:
        lead = kind_label + ":"
    lines = [lead, title]
    if phrase:
        lines.append(phrase)
    if link:
        lines += ["", _("Open it in CareHub: %(link)s") % {"link": absolute_link(link)}]
    in_app = [phrase] if phrase else []
    if reminder.kind == ReminderKind.ESCALATION:
        in_app.insert(0, lead)
    return Message(
        subject=_("CareHub: %(kind)s") % {"kind": kind_label},
        body="\n".join(lines) + "\n",
        link=link,
        in_app_title=f"{kind_label}: {title}",
        in_app_body="\n".join(in_app),
    )


def render_digest(reminder: Reminder, now: datetime.datetime) -> Message:
    user = reminder.recipient_user
    tz = _user_tz(reminder)
    digest = digest_for(user=user, now=now)

    def rows(items):
        return [
            {
                "label": item.label,
                "phrase": due_phrase(item.due_at, now, tz),
                "link": absolute_link(item.link),
            }
            for item in items
        ]

    body = render_to_string(
        "reminders/email/digest.txt",
        {
            "overdue": rows(digest.overdue),
            "due_today": rows(digest.due_today),
            "is_empty": digest.is_empty,
            "home": absolute_link("/"),
        },
    )
    day = timezone.localtime(now, tz).date()
    return Message(
        subject=_("CareHub: your day, %(date)s") % {"date": date_format(day, "DATE_FORMAT")},
        body=body,
        link="/",
    )


def render_appointment(reminder: Reminder, now: datetime.datetime) -> Message:
    message = appointment_message(
        patient=reminder.recipient_patient,
        appointment_at=parse_datetime(reminder.context["appointment_at"]),
        place_name=reminder.context.get("place_name", ""),
        channel=reminder.channel,
    )
    return Message(subject=message.subject, body=message.body)


register_renderer(ReminderKind.DIGEST, render_digest)
register_renderer(ReminderKind.APPOINTMENT, render_appointment)


def render_reminder(reminder: Reminder, *, now: datetime.datetime) -> Message:
    renderer = _RENDERERS.get(reminder.kind, render_staff)
    if reminder.recipient_patient_id:
        return renderer(reminder, now)
    with translation.override(settings.LANGUAGE_CODE):
        return renderer(reminder, now)

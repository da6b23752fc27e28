"""Run inside Django by bench/load.py (python bench/load_setup.py COMMAND ...); prints JSON.

sessions --coordinators 40 --case-managers 10
    Signed-in, two-factor-verified sessions of demo coordinators and case managers,
    spread over the teams (bench/setup.py's session_for), each with its time zone and
    some ids of patients (and, for coordinators, referrals awaiting an answer) in scope.
reminders --count 2000 --over 600 --users 1,2,3
    Reminders to those users coming due evenly over the run, beside seed_demo's and the
    ones the load's new tasks call for.
pending --cutoff ISO
    How many reminders due by the cutoff are not sent yet (the drain waits for 0).
count --since ISO --cutoff ISO --mail DIR --sms DIR
    The reminders due by the cutoff: sent, failed, lost, stuck in "sending"; and what
    arrived twice, by Message-ID at the email and SMS file backends and per reminder
    in in-app notifications.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import re
import sys
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count, Q, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import CareTeam, User  # noqa: E402
from accounts.roles import Role  # noqa: E402
from bench.setup import session_for  # noqa: E402
from patients.models import Patient, PatientStatus  # noqa: E402
from patients.selectors import patients_visible_to  # noqa: E402
from referrals.models import AWAITING_RESPONSE, Referral  # noqa: E402
from reminders.models import (  # noqa: E402
    Notification,
    Reminder,
    ReminderChannel,
    ReminderKind,
    ReminderState,
)

PATIENTS_PER_USER = 40
REFERRALS_PER_USER = 15
KEY_PREFIX = "load:"
_REMINDER_ID = re.compile(r"<reminder-(\d+)@carehub>")


def _spread(users_by_team: dict[int, list[User]], count: int) -> list[User]:
    """``count`` users taking turns across the teams: the first of each team, then the
    second of each, and so on."""
    chosen = []
    for rank in range(max((len(u) for u in users_by_team.values()), default=0)):
        for members in users_by_team.values():
            if rank < len(members) and len(chosen) < count:
                chosen.append(members[rank])
    return chosen


def _by_team(role: Role) -> dict[int, list[User]]:
    teams: dict[int, list[User]] = {team.pk: [] for team in CareTeam.objects.order_by("pk")}
    users = (
        User.objects.filter(groups__name=role.group_name, is_active=True)
        .exclude(username="admin")
        .prefetch_related("teams")
        .order_by("username")
    )
    for user in users:
        for team in user.teams.all():
            teams.setdefault(team.pk, []).append(user)
    return {pk: members for pk, members in teams.items() if members}


def sessions(args) -> dict:
    rng = random.Random(2026)
    coordinators = _spread(_by_team(Role.COORDINATOR), args.coordinators)
    case_managers = _spread(_by_team(Role.CASE_MANAGER), args.case_managers)
    users = []
    for role, members in (("coordinator", coordinators), ("case_manager", case_managers)):
        for user in members:
            if role == "coordinator":
                mine = Patient.objects.filter(primary_coordinator=user)
            else:
                mine = patients_visible_to(user)
            patient_ids = list(
                mine.filter(status=PatientStatus.ACTIVE).values_list("pk", flat=True)[:400]
            )
            referral_ids = list(
                Referral.objects.filter(
                    patient__primary_coordinator=user, status__in=AWAITING_RESPONSE
                ).values_list("pk", flat=True)[:200]
            )
            users.append(
                {
                    "username": user.username,
                    "user_id": user.pk,
                    "role": role,
                    "cookie": session_for(user),
                    "time_zone": user.effective_time_zone,
                    "patients": rng.sample(patient_ids, min(PATIENTS_PER_USER, len(patient_ids))),
                    "referrals": rng.sample(
                        referral_ids,
                        min(REFERRALS_PER_USER if role == "coordinator" else 0, len(referral_ids)),
                    ),
                }
            )
    teams = {
        team.pk for user in coordinators + case_managers for team in user.teams.all()
    }  # prefetched
    return {"users": users, "teams": len(teams)}


def reminders(args) -> dict:
    """Email and in-app (the users' default preference) reminders, due evenly over the run."""
    user_ids = [int(pk) for pk in args.users.split(",")]
    run = uuid.uuid4().hex[:8]
    start = timezone.now() + datetime.timedelta(seconds=args.start)
    step = datetime.timedelta(seconds=args.over / max(1, args.count))
    Reminder.objects.bulk_create(
        [
            Reminder(
                kind=ReminderKind.TASK_DUE,
                channel=ReminderChannel.PREFERENCE,
                recipient_user_id=user_ids[n % len(user_ids)],
                key=f"{KEY_PREFIX}{run}:{n}",
                send_at=start + step * n,
                due_at=start + step * n,
                context={"title": f"Load check #{n}", "link": "/care-plans/tasks/mine/"},
            )
            for n in range(args.count)
        ],
        batch_size=1000,
    )
    return {"created": args.count, "first": start.isoformat(), "run": run}


def _due(cutoff: datetime.datetime):
    return Reminder.objects.filter(send_at__lte=cutoff)


def pending(args) -> dict:
    cutoff = datetime.datetime.fromisoformat(args.cutoff)
    waiting = _due(cutoff).filter(state__in=[ReminderState.SCHEDULED, ReminderState.SENDING])
    return {"pending": waiting.count()}


def _message_ids(texts: list[str]) -> Counter:
    return Counter(int(match) for text in texts for match in _REMINDER_ID.findall(text))


def _twice(counter: Counter) -> int:
    return sum(n - 1 for n in counter.values() if n > 1)


def count(args) -> dict:
    since = datetime.datetime.fromisoformat(args.since)
    cutoff = datetime.datetime.fromisoformat(args.cutoff)
    due = _due(cutoff).filter(
        Q(state__in=[ReminderState.SCHEDULED, ReminderState.SENDING])
        | Q(state=ReminderState.SENT, sent_at__gte=since)
        | Q(state=ReminderState.FAILED, updated_at__gte=since)
    )
    figures = due.aggregate(
        due=Count("pk"),
        sent=Count("pk", filter=Q(state=ReminderState.SENT)),
        failed=Count("pk", filter=Q(state=ReminderState.FAILED)),
        lost=Count("pk", filter=Q(state__in=[ReminderState.SCHEDULED, ReminderState.SENDING])),
        injected=Count("pk", filter=Q(key__startswith=KEY_PREFIX)),
        uncertain=Sum("uncertain_attempts"),
    )
    figures["uncertain"] = figures["uncertain"] or 0
    figures["sending_now"] = Reminder.objects.filter(state=ReminderState.SENDING).count()
    figures["failed_reasons"] = dict(
        Counter(due.filter(state=ReminderState.FAILED).values_list("last_error", flat=True))
    )
    figures["by_kind"] = dict(
        Counter(due.filter(state=ReminderState.SENT).values_list("kind", flat=True))
    )
    # Every message that reached the file backends, by Message-ID (reminders.delivery).
    mail = [p.read_text(errors="replace") for p in Path(args.mail).glob("*") if p.is_file()]
    emails = _message_ids(mail)
    sms_file = Path(args.sms) / "sms.jsonl"
    sms_lines = sms_file.read_text().splitlines() if sms_file.exists() else []
    texts = _message_ids([json.loads(line)["message_id"] for line in sms_lines if line])
    sent_ids = set(
        Reminder.objects.filter(pk__in=set(emails) | set(texts), state=ReminderState.SENT)
        .values_list("pk", flat=True)
        .iterator()
    )
    notifications = Notification.objects.filter(created_at__gte=since)
    figures.update(
        emails=sum(emails.values()),
        emails_twice=_twice(emails),
        texts=sum(texts.values()),
        texts_twice=_twice(texts),
        # Delivered but not marked sent: the uncertain window (RELIABILITY.md), or lost.
        delivered_not_marked=len((set(emails) | set(texts)) - sent_ids),
        notifications=notifications.count(),
        notifications_twice=sum(
            n - 1
            for n in notifications.exclude(reminder=None)
            .values("reminder")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .values_list("n", flat=True)
        ),
    )
    figures["duplicates"] = (
        figures["emails_twice"] + figures["texts_twice"] + figures["notifications_twice"]
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("sessions")
    p.add_argument("--coordinators", type=int, default=40)
    p.add_argument("--case-managers", type=int, default=10)
    p = commands.add_parser("reminders")
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--start", type=float, default=30, help="seconds from now of the first")
    p.add_argument("--over", type=float, default=600, help="seconds the rest are spread over")
    p.add_argument("--users", required=True, help="recipient user ids, comma-separated")
    p = commands.add_parser("pending")
    p.add_argument("--cutoff", required=True)
    p = commands.add_parser("count")
    p.add_argument("--since", required=True)
    p.add_argument("--cutoff", required=True)
    p.add_argument("--mail", required=True)
    p.add_argument("--sms", required=True)
    args = parser.parse_args()
    handler = {"sessions": sessions, "reminders": reminders, "pending": pending, "count": count}
    json.dump(handler[args.command](args), sys.stdout)


if __name__ == "__main__":
    main()

"""What the referral pages show: finished data and flags, so templates only render."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patients.sections import Section
from referrals import links
from referrals.models import Referral, ReferralStatus
from referrals.selectors import referrals_of_patient
from referrals.transitions import LINK_MOVES, REFERRAL_STATUS

S = ReferralStatus

# Moves that need more than a click: a reason, an appointment time or an outcome.
MOVES_WITH_FORM = frozenset(
    {S.DECLINED, S.CANCELLED, S.NO_SHOW, S.SCHEDULED, S.OUTCOME_RECORDED, S.CLOSED}
)
# The re-route starts from an answer that sends the patient elsewhere.
REROUTE_FROM = frozenset({S.DECLINED, S.OUTCOME_RECORDED})

MOVE_LABELS = {
    S.RECEIVED: gettext_lazy("Mark received"),
    S.ACCEPTED: gettext_lazy("Mark accepted"),
    S.DECLINED: gettext_lazy("Mark declined"),
    S.SCHEDULED: gettext_lazy("Record appointment"),
    S.NO_SHOW: gettext_lazy("Record no-show"),
    S.OUTCOME_RECORDED: gettext_lazy("Record outcome"),
    S.CLOSED: gettext_lazy("Review and close"),
    S.CANCELLED: gettext_lazy("Cancel referral"),
}


def move_needs_form(target: str) -> bool:
    return target in MOVES_WITH_FORM


def link_moves(referral: Referral) -> list[str]:
    """What the receiving service may answer now, in the machine's order."""
    return [m for m in REFERRAL_STATUS.allowed_from(referral.status) if m in LINK_MOVES]


def detail_context(request: HttpRequest, referral: Referral) -> dict:
    user = request.user
    can_change = user.has_perm("referrals.change_referral")
    moves = []
    if can_change:
        for target in REFERRAL_STATUS.allowed_from(referral.status):
            if target == S.SENT:
                continue
            moves.append(
                {
                    "target": target,
                    "label": str(MOVE_LABELS.get(target, S(target).label)),
                    "needs_form": move_needs_form(target),
                    "url": reverse("referrals:move", kwargs={"pk": referral.pk, "to": target}),
                    "danger": target == S.CANCELLED,
                }
            )
    now = timezone.now()
    return {
        "referral": referral,
        "patient": referral.patient,
        "is_overdue": Referral.objects.overdue(now).filter(pk=referral.pk).exists(),
        "transitions": referral.transitions.select_related("by"),
        "contacts": referral.contacts.select_related("by", "transition"),
        "events": referral.events.select_related("by")[:50],
        "rerouted_to": list(referral.rerouted_to.all()),
        "moves": moves,
        "can_edit": can_change and referral.status == S.DRAFT,
        "can_send": can_change and referral.status == S.DRAFT,
        "can_reroute": can_change
        and user.has_perm("referrals.add_referral")
        and referral.status in REROUTE_FROM,
        "can_add_contact": referral.is_open and user.has_perm("referrals.add_contactlogentry"),
        "can_renew_link": can_change and bool(referral.link_key),
    }


def letter_context(referral: Referral, *, with_link: bool) -> dict:
    """The referral letter: identifiers, reason, priority, who referred and how to answer.
    No internal notes (contact log, status reasons, consent overrides)."""
    patient = referral.patient
    return {
        "referral": referral,
        "patient": patient,
        "team": patient.care_team,
        "referrer": referral.referred_by,
        "recipient": referral.recipient_label,
        "needs": referral.need_labels,
        "response_url": links.response_url(referral) if with_link and referral.link_key else "",
    }


EXPORT_HEADER = [
    "referral",
    "mrn",
    "patient",
    "team",
    "recipient",
    "category",
    "priority",
    "status",
    "overdue",
    "referred_by",
    "created",
    "sent",
    "response_due",
    "appointment",
    "outcome",
    "closed",
]


def export_rows(referrals: QuerySet[Referral]) -> Iterator[list]:
    """CSV rows of a list already scoped, filtered and annotated with ``is_overdue``."""
    yield EXPORT_HEADER

    def stamp(value):
        return timezone.localtime(value).isoformat(timespec="minutes") if value else ""

    for r in referrals.iterator(chunk_size=1000):
        yield [
            _cell(value)
            for value in [
                r.pk,
                r.patient.mrn,
                r.patient.full_name,
                r.patient.care_team.name,
                r.recipient_label,
                r.service.get_category_display() if r.service_id else "",
                r.get_priority_display(),
                r.get_status_display(),
                _("yes") if r.is_overdue else _("no"),
                str(r.referred_by),
                stamp(r.created_at),
                stamp(r.sent_at),
                stamp(r.response_due_at),
                stamp(r.appointment_at),
                r.get_outcome_code_display(),
                stamp(r.closed_at),
            ]
        ]


def _cell(value) -> str:
    """A cell as text (carehub.csv_safe.writer guards it when it is written)."""
    return str(value)


def patient_section(request: HttpRequest, patient) -> Section | None:
    """The patient page's referrals: status, overdue marked, "New referral". One query."""
    user = request.user
    if not user.has_perm("referrals.view_referral"):
        return None
    return Section(
        template="referrals/partials/_patient_section.html",
        context={
            "patient": patient,
            "referrals": referrals_of_patient(patient=patient, now=timezone.now()),
            "can_add": user.has_perm("referrals.add_referral") and patient.is_open,
        },
    )

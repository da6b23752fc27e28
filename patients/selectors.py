"""Reads of the patient registry. ``patients_visible_to`` is the one scope rule."""

from __future__ import annotations

import unicodedata

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import CareTeam, TeamMembership, User
from patients.models import Patient, PatientIdentifier


def teams_of(user: User) -> QuerySet[CareTeam]:
    """The teams whose patients the user works with (all teams for admins)."""
    if not user.is_authenticated or not user.is_active:
        return CareTeam.objects.none()
    if user.is_admin:
        return CareTeam.objects.all()
    return CareTeam.objects.filter(memberships__user=user)


def patients_visible_to(user: User | AnonymousUser) -> QuerySet[Patient]:
    """Every patient the user may see: those of their care teams; admins see all.

    Every view, API endpoint, export and dashboard query starts here (DOMAIN.md, Scope).
    """
    if not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    team_ids = scope_team_ids(user)
    if team_ids is None:
        return Patient.objects.all()
    return Patient.objects.filter(care_team_id__in=team_ids)


def scope_team_ids(user: User) -> list[int] | QuerySet | None:
    """The care teams whose patients an active, signed-in user sees: None for admins (every
    team); else the ids read with the signed-in user, or a subquery of their memberships.

    As literal ids (read with the signed-in user, accounts.backends), PostgreSQL walks each
    team's own index (patient_team_order_idx, referral_team_newest_idx) for a page in
    order, where a subquery leaves it reading every team's rows in that order."""
    if user.is_admin:
        return None
    team_ids = getattr(user, "team_ids_at_start", None)
    if team_ids is not None:
        return sorted(team_ids)
    return TeamMembership.objects.filter(user_id=user.pk).values("team_id")


# What a staff member's name in a select or a row needs (User.__str__).
STAFF_NAME_FIELDS = ("pk", "first_name", "last_name", "username")


def team_staff(team_ids) -> QuerySet[User]:
    """Active members of the given teams: who may coordinate or manage their patients."""
    return (
        User.objects.filter(is_active=True, memberships__team_id__in=team_ids)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def name_key(name: str) -> str:
    """A name as its letters and digits, without case or accents: "  Díaz-Ortiz" ->
    "diazortiz"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isalnum()).casefold()


def patient_duplicates(
    *,
    user: User,
    given_name: str,
    family_name: str,
    date_of_birth,
    mrn: str = "",
    phone: str = "",
    email: str = "",
    exclude_pk: int | None = None,
) -> tuple[list[Patient], int]:
    """Possible matches for a patient being registered.

    Returns the matches the user may see and the number of further matches in teams the
    user cannot see (reported as a count only: their details are not the user's to see).
    """
    from django.db.models import Q

    # The same person typed differently ("José" / "Jose", "Mary-Ann" / "Mary Ann"): names
    # compared as their letters and digits, among the few born that day (an index).
    wanted = (name_key(given_name), name_key(family_name))
    same_birth = Patient.objects.filter(date_of_birth=date_of_birth).values_list(
        "pk", "given_name", "family_name"
    )
    query = Q(
        pk__in=[
            pk for pk, given, family in same_birth if (name_key(given), name_key(family)) == wanted
        ]
    )
    if mrn:
        query |= Q(mrn__iexact=mrn.strip())
    if phone:
        query |= Q(phone=phone)
    if email:
        query |= Q(email__iexact=email.strip())
    matches = Patient.objects.filter(query)
    if exclude_pk is not None:
        matches = matches.exclude(pk=exclude_pk)
    visible_ids = set(
        patients_visible_to(user).filter(pk__in=matches.values("pk")).values_list("pk", flat=True)
    )
    visible = list(matches.filter(pk__in=visible_ids).with_team_and_staff()[:20])
    hidden = matches.exclude(pk__in=visible_ids).count()
    return visible, hidden


def patient_by_identifier(system: str, value: str) -> Patient | None:
    """The patient holding ``value`` in ``system`` (outer whitespace ignored), or None.

    Across every team: for matching incoming messages to a patient, not for showing a
    user a patient (that is patients_visible_to's)."""
    identifier = (
        PatientIdentifier.objects.filter(system=system.strip(), value=value.strip())
        .select_related("patient")
        .first()
    )
    return identifier.patient if identifier is not None else None

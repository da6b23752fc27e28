"""Roles are Django groups. This module is the one place that says what each may do.

Migrations call ``sync_role_permissions`` (accounts 0002 and each later app that adds
models), so a new database always has the groups with their current permissions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    CASE_MANAGER = "case_manager", _("Case manager")
    ADMIN = "admin", _("Admin")

    @property
    def group_name(self) -> str:
        return GROUP_NAMES[self]


GROUP_NAMES = {
    Role.COORDINATOR: "Coordinator",
    Role.CASE_MANAGER: "Case manager",
    Role.ADMIN: "Admin",
}

_PATIENT_WORK = {
    "patients": [
        "view_patient",
        "add_patient",
        "change_patient",
        "discharge_patient",
        "view_relatedperson",
        "add_relatedperson",
        "change_relatedperson",
        "delete_relatedperson",
        "view_patientidentifier",
        "add_patientidentifier",
        "delete_patientidentifier",
    ],
    "careplans": [
        "view_careplan",
        "add_careplan",
        "change_careplan",
        "view_goal",
        "add_goal",
        "change_goal",
        "view_goalprogress",
        "add_goalprogress",
        "view_task",
        "add_task",
        "change_task",
    ],
    "referrals": [
        "view_organization",
        "view_service",
        "view_referral",
        "add_referral",
        "change_referral",
        "view_contactlogentry",
        "add_contactlogentry",
        "view_sharingconsent",
        "add_sharingconsent",
        "change_sharingconsent",
    ],
    "accounts": ["view_careteam"],
    # Stays and visits elsewhere: read by the team; notices write them (interfaces), and
    # a coordinator may record one that no notice told of.
    "encounters": ["view_encounter", "add_encounter", "view_encounternotice"],
    # The unmatched notices of their teams' facilities: matched or dismissed by the team.
    "interfaces": ["view_inboundmessage", "match_message"],
}

# Coordinators see the case manager's records of their patients (needs, enrolments,
# coverage and benefits) and record attendance; case managers do the rest.
_CASEWORK_VIEW = {
    "assessments": [
        "view_screeningtemplate",
        "view_assessment",
        "view_identifiedneed",
    ],
    "programs": ["view_program", "view_enrolment", "view_session", "add_session"],
    "benefits": [
        "view_coverage",
        "view_priorauthorisation",
        "view_benefitapplication",
        "view_requireddocument",
    ],
}

_CASE_MANAGER_EXTRA = {
    "audit": ["view_auditevent"],
    "patients": ["reassign_patient"],
    "careplans": ["review_careplan"],
    "accounts": ["view_caseload"],
    "assessments": ["change_identifiedneed"],
    "programs": ["add_enrolment", "change_enrolment"],
    "benefits": [
        "add_coverage",
        "change_coverage",
        "add_priorauthorisation",
        "change_priorauthorisation",
        "add_benefitapplication",
        "change_benefitapplication",
        "add_requireddocument",
        "change_requireddocument",
        "view_casework",
    ],
}


def _merge(*grants: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for grant in grants:
        for app_label, codenames in grant.items():
            merged.setdefault(app_label, []).extend(codenames)
    return merged


# Permissions an admin sets per role (Django admin, Groups): who may screen differs between
# programs (community health workers and coordinators screen in most). A role gets its
# default when its group is made (and, for a permission added later, by the migration
# that adds the default: assessments/0005); after that the admin's choice stands, and
# sync_role_permissions keeps whatever the group holds of these.
ADMIN_SET_PERMISSIONS: dict[str, list[str]] = {"assessments": ["add_assessment"]}
ADMIN_SET_DEFAULTS: dict[Role, dict[str, list[str]]] = {
    Role.COORDINATOR: {"assessments": ["add_assessment"]},
    Role.CASE_MANAGER: {"assessments": ["add_assessment"]},
}


def _permissions_q(grant: dict[str, list[str]]) -> models.Q:
    wanted = models.Q(pk__in=[])
    for app_label, codenames in grant.items():
        wanted |= models.Q(content_type__app_label=app_label, codename__in=codenames)
    return wanted


def grant_admin_set_defaults(apps, roles=None) -> None:
    """Give roles their default of the admin-set permissions (a data migration's step)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, grant in ADMIN_SET_DEFAULTS.items():
        if roles is not None and role not in roles:
            continue
        group, _created = Group.objects.get_or_create(name=role.group_name)
        group.permissions.add(*Permission.objects.filter(_permissions_q(grant)))


# Admins get every permission; see sync_role_permissions.
ROLE_PERMISSIONS: dict[Role, dict[str, list[str]]] = {
    Role.COORDINATOR: _merge(_PATIENT_WORK, _CASEWORK_VIEW),
    Role.CASE_MANAGER: _merge(_PATIENT_WORK, _CASEWORK_VIEW, _CASE_MANAGER_EXTRA),
}


def sync_role_permissions(apps, schema_editor) -> None:
    """Create the role groups and give them their permissions (idempotent).

    Runs inside migrations with the historical app registry; permissions that do not
    exist yet (an app migrated later) are skipped there and granted after ``migrate``
    by the post_migrate hook in accounts/apps.py.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # Historical app configs have no models module, and create_permissions skips
        # those; lend them one for the call.
        borrowed = getattr(app_config, "models_module", None) is None
        if borrowed:
            app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        if borrowed:
            app_config.models_module = None  # as it was

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in Role:
        group, created = Group.objects.get_or_create(name=role.group_name)
        if role == Role.ADMIN:
            group.permissions.set(Permission.objects.all())
            continue
        wanted = _permissions_q(ROLE_PERMISSIONS[role])
        admin_set = _permissions_q(ADMIN_SET_PERMISSIONS)
        if created:
            wanted |= _permissions_q(ADMIN_SET_DEFAULTS.get(role, {}))
        else:
            # The admin's choice of these stands: keep what the group holds.
            wanted |= admin_set & models.Q(pk__in=group.permissions.values("pk"))
        group.permissions.set(Permission.objects.filter(wanted))

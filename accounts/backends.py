"""The signed-in user, their roles and permissions, in one query instead of five.

Django loads the session's user, then ModelBackend asks for the user's own permissions
and their groups' permissions, ``User.role_names`` asks for the group names and
django-otp loads the device the session was verified with: five queries on every page.
Here, on PostgreSQL, ``RoleBackend.get_user`` reads the user with the ids of their
groups, their own permissions and their confirmed authenticator apps as arrays, in one
query (elsewhere: the user, then ``load_access``'s one query). What each group (role) is
called and may do is read once per process from ``auth_group`` and
``auth_group_permissions`` and kept for ``ROLE_PERMISSIONS_TTL`` seconds. Roles change
only through migrations (``accounts.roles.sync_role_permissions``) or admin; a change made
in admin reaches other processes within that time, and this process at once (the signals
below). A user's own group memberships, permissions and devices are read fresh on every
request.
"""

from __future__ import annotations

import functools
import threading
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast
from django.db.models.signals import m2m_changed, post_delete, post_save
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import TeamMembership

ROLE_PERMISSIONS_TTL = 60.0

_lock = threading.Lock()
_role_permissions: dict[int, frozenset[str]] = {}
_role_names: dict[int, str] = {}
_loaded_at = float("-inf")


def role_permissions() -> dict[int, frozenset[str]]:
    """{group id: {"app_label.codename", ...}} for every group, cached per process."""
    global _role_permissions, _role_names, _loaded_at
    if time.monotonic() - _loaded_at < ROLE_PERMISSIONS_TTL:
        return _role_permissions
    with _lock:
        names = dict(Group.objects.values_list("pk", "name"))
        found: dict[int, set[str]] = {group_id: set() for group_id in names}
        rows = Group.permissions.through.objects.values_list(
            "group_id", "permission__content_type__app_label", "permission__codename"
        )
        for group_id, app_label, codename in rows:
            found.setdefault(group_id, set()).add(f"{app_label}.{codename}")
        _role_permissions = {group_id: frozenset(perms) for group_id, perms in found.items()}
        _role_names = names
        _loaded_at = time.monotonic()
    return _role_permissions


def forget_role_permissions(**_kwargs) -> None:
    global _loaded_at
    _loaded_at = float("-inf")


# Either side of the group-permission relation, and saved (renamed) or deleted groups.
m2m_changed.connect(forget_role_permissions, sender=Group.permissions.through)
post_save.connect(forget_role_permissions, sender=Group)
post_delete.connect(forget_role_permissions, sender=Group)


def load_access(user) -> None:
    """Fill the user's role names and permission caches (what ModelBackend and
    ``User.role_names`` read) from one query."""
    groups = (
        Group.objects.filter(user=user)
        .annotate(kind=Value("g"), key=Cast("pk", CharField()), label=F("name"))
        .values_list("kind", "key", "label")
        .order_by()
    )
    own = (
        Permission.objects.filter(user=user)
        .annotate(kind=Value("p"), key=F("content_type__app_label"), label=F("codename"))
        .values_list("kind", "key", "label")
        .order_by()  # Permission's default order is not allowed inside a UNION on SQLite
    )
    group_ids, own_perms = [], set()
    for kind, key, label in groups.union(own, all=True):
        if kind == "g":
            group_ids.append(int(key))
        else:
            own_perms.add(f"{key}.{label}")
    apply_access(user, group_ids, own_perms)


def apply_access(user, group_ids, own_perms) -> None:
    """Set what ModelBackend and ``User.role_names`` read, from the user's group ids and
    own permissions ("app_label.codename")."""
    roles = role_permissions()
    if any(group_id not in roles for group_id in group_ids):
        forget_role_permissions()  # a group newer than the cache
        roles = role_permissions()
    own_perms = set(own_perms)
    group_perms = set().union(*(roles.get(group_id, ()) for group_id in group_ids))
    user.__dict__["role_names"] = frozenset(
        _role_names[group_id] for group_id in group_ids if group_id in _role_names
    )
    user._user_perm_cache = own_perms
    user._group_perm_cache = group_perms
    user._perm_cache = own_perms | group_perms


# The user with the ids of their groups, their own permissions ("app_label.codename"), the
# ids of their confirmed authenticator apps and the ids of their care teams: one statement, written out because the
# ORM would compile three subqueries on every request. Table names come from the models.
_USER_WITH_ACCESS_SQL = """
SELECT u.*,
  ARRAY(SELECT ug.group_id FROM {user_groups} ug WHERE ug.user_id = u.id) AS access_group_ids,
  ARRAY(SELECT ct.app_label || '.' || p.codename
          FROM {user_permissions} up
          JOIN {permission} p ON p.id = up.permission_id
          JOIN {content_type} ct ON ct.id = p.content_type_id
         WHERE up.user_id = u.id) AS access_own_perms,
  ARRAY(SELECT d.id FROM {totp_device} d WHERE d.user_id = u.id AND d.confirmed)
    AS access_totp_ids,
  ARRAY(SELECT m.team_id FROM {memberships} m WHERE m.user_id = u.id) AS access_team_ids{facts}
FROM {user} u
WHERE u.id = %s
"""

# Other apps' figures about the signed-in user that most pages show, read in the same
# statement: {attribute name: SQL expression over the user row ``u``}.
_user_facts: dict[str, str] = {}


def register_user_fact(name: str, expression: str) -> None:
    """Read ``expression`` (SQL over the user row ``u``, e.g. a COUNT subquery) with the
    signed-in user, as attribute ``name`` (PostgreSQL; absent elsewhere). Call it from an
    AppConfig.ready: the statement is built once, on the first request."""
    if not name.isidentifier():
        raise ValueError(f"{name!r} is not an attribute name")
    _user_facts[name] = expression
    user_with_access_sql.cache_clear()


@functools.cache
def user_with_access_sql() -> str:
    User = get_user_model()
    facts = "".join(f",\n  {expression} AS {name}" for name, expression in _user_facts.items())
    return _USER_WITH_ACCESS_SQL.format(
        facts=facts,
        user=User._meta.db_table,
        user_groups=User.groups.through._meta.db_table,
        user_permissions=User.user_permissions.through._meta.db_table,
        permission=Permission._meta.db_table,
        content_type=ContentType._meta.db_table,
        totp_device=TOTPDevice._meta.db_table,
        memberships=TeamMembership._meta.db_table,
    )


class RoleBackend(ModelBackend):
    """ModelBackend whose user comes with their access (``user_with_access_sql``, PostgreSQL) and
    whose permission lookups come from it (or from ``load_access``)."""

    def get_user(self, user_id):
        if connection.vendor != "postgresql":
            return super().get_user(user_id)
        User = get_user_model()
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        found = list(User._default_manager.raw(user_with_access_sql(), [user_id]))
        if not found or not self.user_can_authenticate(found[0]):
            return None
        user = found[0]
        apply_access(user, user.access_group_ids, user.access_own_perms)
        # What accounts.middleware.OTPMiddleware checks the session's device against.
        user.confirmed_totp_ids = frozenset(user.access_totp_ids)
        # What patients.selectors.patients_visible_to scopes by, as literal ids.
        user.team_ids_at_start = frozenset(user.access_team_ids)
        return user

    def _ensure_loaded(self, user_obj) -> bool:
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        if not hasattr(user_obj, "_perm_cache"):
            load_access(user_obj)
        return True

    def get_user_permissions(self, user_obj, obj=None):
        if obj is not None or not self._ensure_loaded(user_obj):
            return set()
        return user_obj._user_perm_cache

    def get_group_permissions(self, user_obj, obj=None):
        if obj is not None or not self._ensure_loaded(user_obj):
            return set()
        return user_obj._group_perm_cache

    def get_all_permissions(self, user_obj, obj=None):
        if user_obj.is_active and user_obj.is_superuser and obj is None:
            return super().get_all_permissions(user_obj)
        if obj is not None or not self._ensure_loaded(user_obj):
            return set()
        return user_obj._perm_cache

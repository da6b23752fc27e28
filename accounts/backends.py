"""Permissions for a signed-in request in one query instead of three.

Django's ModelBackend asks the database for the user's own permissions, then for their
groups' permissions, and ``User.role_names`` asks for the group names: three queries on
every page. Here one query returns the user's groups and own permissions together, and
what each group (role) may do is read once per process from ``auth_group_permissions``
and kept for ``ROLE_PERMISSIONS_TTL`` seconds. Roles change only through migrations
(``accounts.roles.sync_role_permissions``) or admin; a change made in admin reaches
other processes within that time, and this process at once (the signal below).
A user's own group memberships and permissions are read fresh on every request.
"""

from __future__ import annotations

import threading
import time

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast
from django.db.models.signals import m2m_changed, post_delete

ROLE_PERMISSIONS_TTL = 60.0

_lock = threading.Lock()
_role_permissions: dict[int, frozenset[str]] = {}
_loaded_at = float("-inf")


def role_permissions() -> dict[int, frozenset[str]]:
    """{group id: {"app_label.codename", ...}} for every group, cached per process."""
    global _role_permissions, _loaded_at
    if time.monotonic() - _loaded_at < ROLE_PERMISSIONS_TTL:
        return _role_permissions
    with _lock:
        found: dict[int, set[str]] = {
            group_id: set() for group_id in Group.objects.values_list("pk", flat=True)
        }
        rows = Group.permissions.through.objects.values_list(
            "group_id", "permission__content_type__app_label", "permission__codename"
        )
        for group_id, app_label, codename in rows:
            found.setdefault(group_id, set()).add(f"{app_label}.{codename}")
        _role_permissions = {group_id: frozenset(perms) for group_id, perms in found.items()}
        _loaded_at = time.monotonic()
    return _role_permissions


def forget_role_permissions(**_kwargs) -> None:
    global _loaded_at
    _loaded_at = float("-inf")


# Either side of the group-permission relation, and deleted groups.
m2m_changed.connect(forget_role_permissions, sender=Group.permissions.through)
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
    group_ids, names, own_perms = [], set(), set()
    for kind, key, label in groups.union(own, all=True):
        if kind == "g":
            group_ids.append(int(key))
            names.add(label)
        else:
            own_perms.add(f"{key}.{label}")
    roles = role_permissions()
    if any(group_id not in roles for group_id in group_ids):
        forget_role_permissions()  # a group newer than the cache
        roles = role_permissions()
    group_perms = set().union(*(roles.get(group_id, ()) for group_id in group_ids))
    user.__dict__["role_names"] = frozenset(names)
    user._user_perm_cache = own_perms
    user._group_perm_cache = group_perms
    user._perm_cache = own_perms | group_perms


class RoleBackend(ModelBackend):
    """ModelBackend whose permission lookups come from ``load_access``."""

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

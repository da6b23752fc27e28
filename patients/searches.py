"""Patient searches kept out of URLs.

A search by name or MRN is posted. The terms are kept in the user's session under a
short random key, and the list's address names the key (``/patients/?search=Kx3...``),
so the page can be reloaded, paged and found in the browser's history without a name
in any URL: not in the history, not in a proxy's access log. The other filters (team,
status, sort ...) say nothing about a patient and stay in the query string as before.
A typed ``?q=`` is still read (old bookmarks); the pages never write one.
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest, QueryDict
from django.urls import reverse

from patients.forms import PatientFilter

SESSION_KEY = "patient_searches"
KEPT = 20  # the user's last searches; older keys read as expired
FIELDS = tuple(PatientFilter.base_filters)


def _filters(source: QueryDict) -> QueryDict:
    data = QueryDict(mutable=True)
    for name in FIELDS:
        values = [value for value in source.getlist(name) if value != ""]
        if values:
            data.setlist(name, values)
    return data


def remember(request: HttpRequest, data: QueryDict) -> str:
    """The key of this search in the session (the same key for the same search)."""
    kept: dict[str, str] = request.session.get(SESSION_KEY, {})
    wanted = data.urlencode()
    for key, stored in kept.items():
        if stored == wanted:
            return key
    key = secrets.token_urlsafe(6)
    kept[key] = wanted
    while len(kept) > KEPT:
        kept.pop(next(iter(kept)))
    request.session[SESSION_KEY] = kept
    return key


def filters_of(request: HttpRequest) -> tuple[QueryDict | None, str | None]:
    """The list's filters (None: none, or a search no longer kept) and the search's key
    when the request posted a search term or named a kept search."""
    if request.method == "POST":
        data = _filters(request.POST)
        return data, remember(request, data) if data.get("q", "").strip() else None
    key = request.GET.get("search")
    if key:
        stored = request.session.get(SESSION_KEY, {}).get(key)
        return (None if stored is None else QueryDict(stored)), key
    data = _filters(request.GET)
    return (data or None), None


def page_query(data: QueryDict | None, key: str | None) -> str:
    """The query string that leads back to this list (its page links add ``page``)."""
    if key is not None:
        return QueryDict.fromkeys(["search"], key).urlencode()
    return data.urlencode() if data else ""


def url_of(query: str) -> str:
    return reverse("patients:list") + (f"?{query}" if query else "")

"""What the load test's users read from CareHub's pages (bench/locustfile.py): forms with
their values as a browser would submit them, the in-place task actions of My day and My
tasks, and links. Standard library only, so the test suite checks it against the real
templates (tests/test_load_pages.py) without locust installed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

CSRF_FIELD = "csrfmiddlewaretoken"
# Words of the conflict messages (carehub.transitions: StaleEdit, InvalidTransition): a
# genuine race between two users, answered with the form again, not an error.
CONFLICT_MARKERS = ("Someone else saved this", "Cannot move from")
_TASK_ACTION = re.compile(r"/care-plans/tasks/(\d+)/(complete|snooze)/$")
_TEXT_INPUTS = {
    "",
    "text",
    "hidden",
    "email",
    "tel",
    "number",
    "date",
    "datetime-local",
    "time",
    "search",
    "url",
    "password",
}


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    # Named submit buttons (name, value): the browser sends the one clicked.
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def value(self, name: str, default: str | None = None) -> str | None:
        return next((v for n, v in self.fields if n == name), default)

    def data(self, **changes: str) -> dict[str, str]:
        """The fields as submitted, with ``changes`` applied (repeated names kept last)."""
        values = dict(self.fields)
        values.update(changes)
        return values

    @property
    def csrf_token(self) -> str | None:
        return self.value(CSRF_FIELD)


@dataclass
class TaskAction:
    """A complete or snooze form of a task row."""

    kind: str  # "complete" or "snooze"
    task_id: int
    action: str
    version_field: str
    version: str
    csrf_token: str
    form: Form

    def data(self, **extra: str) -> dict[str, str]:
        return self.form.data(**extra)


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: tuple[str, bool] | None = None  # name, multiple
        self._options: list[tuple[str, bool]] = []  # value, selected
        self._option: tuple[str | None, bool, list[str]] | None = None  # value, selected, text
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = {name: (value or "") for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None or "disabled" in a:
            return
        elif tag == "input":
            self._input(a)
        elif tag == "button" and a.get("name") and a.get("type", "submit") == "submit":
            self._form.buttons.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = (a["name"], "multiple" in a)
            self._options = []
        elif tag == "option" and self._select is not None:
            self._close_option()  # </option> is optional
            self._option = (a.get("value"), "selected" in a, [])
        elif tag == "textarea" and a.get("name"):
            self._textarea = (a["name"], [])

    def _input(self, a: dict) -> None:
        name, kind = a.get("name"), a.get("type", "").lower()
        if not name:
            return
        if kind in ("checkbox", "radio"):
            if "checked" in a:
                self._form.fields.append((name, a.get("value", "on")))
        elif kind == "submit":
            self._form.buttons.append((name, a.get("value", "")))
        elif kind in _TEXT_INPUTS:
            self._form.fields.append((name, a.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        elif self._option is not None:
            self._option[2].append(data)

    def handle_endtag(self, tag):
        if tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]  # a browser submits the first option
            self._form.fields.extend((name, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            # The HTML parser keeps the newline that follows <textarea>; browsers drop it.
            self._form.fields.append((name, "".join(parts).removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None

    def _close_option(self) -> None:
        if self._option is None:
            return
        value, selected, text = self._option
        self._options.append((value if value is not None else "".join(text).strip(), selected))
        self._option = None


def parse(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser


def forms(html: str) -> list[Form]:
    return parse(html).forms


def form_posting_to(html: str, path: str) -> Form | None:
    """The first POST form whose action is ``path`` (an empty action posts to the page
    itself: give the page's path)."""
    for form in forms(html):
        if form.method == "post" and (form.action or path) == path:
            return form
    return None


def links(html: str, pattern: str) -> list[str]:
    """The hrefs matching the regular expression ``pattern``, in page order, once each."""
    wanted = re.compile(pattern)
    return list(dict.fromkeys(href for href in parse(html).links if wanted.search(href)))


def task_actions(html: str) -> list[TaskAction]:
    """The complete and snooze forms of the task rows on My day or My tasks."""
    found = []
    for form in forms(html):
        match = _TASK_ACTION.search(form.action)
        if form.method != "post" or not match:
            continue
        task_id, kind = int(match.group(1)), match.group(2)
        prefix = f"task-{task_id}" if kind == "complete" else f"snooze-{task_id}"
        version_field = f"{prefix}-version"
        version, token = form.value(version_field), form.csrf_token
        if version and token:
            found.append(
                TaskAction(kind, task_id, form.action, version_field, version, token, form)
            )
    return found


def referral_moves(html: str, referral_id: int) -> list[Form]:
    """The referral page's one-click moves to "received" or "accepted" (the service
    answered by phone); moves that need details have their own page."""
    action = re.compile(rf"^/referrals/{referral_id}/move/(received|accepted)/$")
    return [f for f in forms(html) if f.method == "post" and action.match(f.action)]


def is_conflict(html: str) -> bool:
    return any(marker in html for marker in CONFLICT_MARKERS)

"""`make load`: care coordinators and case managers using CareHub (run by bench/load.py).

Each simulated user takes one signed-in, two-factor-verified session of a demo user
(bench/load_setup.py writes them to LOAD_SESSIONS) and one of the servers in LOAD_HOSTS,
then works like its role: coordinators mostly read (My day, patients, search, My tasks,
referrals) and sometimes write (complete or snooze a task from My day, add a task that
comes due minutes later so its reminder is sent during the run, edit a patient, log a
contact with a referral's service, record a referral's acknowledgement); case managers
review caseloads, drill down and read casework.

Every response is checked: a 5xx or a connection error is a failure; a conflict page
(someone else saved first, carehub.transitions) is a genuine race between two users and
is counted apart. Request names are kinds, never URLs: search terms stay out of the
statistics and logs. At the end the figures go to LOAD_REPORT as JSON.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import random
import sys
import zoneinfo
from collections import Counter
from pathlib import Path

from locust import HttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import load_pages  # noqa: E402

SESSIONS = json.loads(Path(os.environ["LOAD_SESSIONS"]).read_text())
HOSTS = os.environ.get("LOAD_HOSTS", "http://127.0.0.1:8771").split(",")
THINK = [float(s) for s in os.environ.get("LOAD_THINK", "5-15").split("-")]
TIMEOUT = 30  # seconds; gunicorn's own timeout is 30 s too

# Parts of names typed into the patient search (seed_demo's names).
SEARCH_TERMS = ["garc", "nguy", "smith", "mart", "lee", "hern", "patel", "chen", "rivera"]
SEARCH_TERMS += ["maria", "jose", "okafor", "kim", "diaz", "wils", "ali", "john", "grace"]
PERIODS = (30, 90, 365)
CASELOAD_SORTS = ("name", "-overdue_tasks", "-active_patients", "-high_risk", "-open_tasks")
# Fictional numbers (555-01xx), as seed_demo uses.
PHONES = [f"+1413555{n:04d}" for n in range(100, 200)]

# Outcomes counted beside locust's own statistics.
COUNTS: Counter = Counter()
CONFLICTS: Counter = Counter()
UNEXPECTED: Counter = Counter()
_sessions = {
    role: itertools.cycle([s for s in SESSIONS if s["role"] == role])
    for role in ("coordinator", "case_manager")
}
_hosts = itertools.cycle(HOSTS)


class StaffUser(HttpUser):
    abstract = True
    role = ""
    wait_time = between(*THINK)
    host = HOSTS[0]

    def on_start(self) -> None:
        self.session = next(_sessions[self.role])
        # One server per user, as a load balancer with sticky sessions would do.
        self.client.base_url = next(_hosts)
        self.client.headers["Cookie"] = self.session["cookie"]
        self.zone = zoneinfo.ZoneInfo(self.session["time_zone"])
        self.patients = self.session["patients"] or [0]

    # --- one request, checked ------------------------------------------------------------

    def fetch(self, kind: str, path: str, *, data=None, htmx=False, expect=(200,), races=False):
        """GET (or POST with ``data``) ``path``; the response, or None on a failure."""
        headers = {"HX-Request": "true"} if htmx else {}
        method = "POST" if data is not None else "GET"
        with self.client.request(
            method,
            path,
            name=kind,
            data=data,
            headers=headers,
            allow_redirects=False,
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            status = response.status_code
            if not status:
                # The exception's text would carry the URL (and so a search term).
                COUNTS["connection_errors"] += 1
                response.failure(f"connection error: {type(response.error).__name__}")
                return None
            if status >= 500:
                COUNTS["server_errors"] += 1
                response.failure(f"HTTP {status}")
                return None
            if status not in expect:
                UNEXPECTED[f"{kind}: HTTP {status}"] += 1
                response.failure(f"unexpected HTTP {status}")
                return None
            if method == "POST" and status != 302:
                # The form (or, with htmx, the row) came back: a conflict, or the script
                # sent something the form refused.
                if races and load_pages.is_conflict(response.text):
                    CONFLICTS[kind] += 1
                elif not htmx or 'class="error"' in response.text:
                    UNEXPECTED[f"{kind}: form refused"] += 1
                    response.failure("form refused")
                    return None
            response.success()
            return response

    def patient(self) -> int:
        return random.choice(self.patients)

    def patient_page(self) -> None:
        self.fetch("patient page", f"/patients/{self.patient()}/")


class Coordinator(StaffUser):
    role = "coordinator"
    weight = 4

    @task(20)
    def my_day(self) -> None:
        self.fetch("my day", "/my-day/")

    @task(8)
    def patient_list(self) -> None:
        page = random.choice(["", "", "?page=2", "?page=3", "?status=active"])
        self.fetch("patient list", f"/patients/{page}")

    @task(8)
    def patient_search(self) -> None:
        self.fetch("patient search", f"/patients/?q={random.choice(SEARCH_TERMS)}")

    @task(15)
    def open_patient(self) -> None:
        self.patient_page()

    @task(8)
    def my_tasks(self) -> None:
        self.fetch("my tasks", "/care-plans/tasks/mine/")

    @task(5)
    def referrals(self) -> None:
        self.fetch("referrals list", random.choice(["/referrals/", "/referrals/?scope=teams"]))

    @task(6)
    def complete_or_snooze(self) -> None:
        """From My day: complete a task or snooze it, in place (htmx), as the page does."""
        response = self.fetch("my day", "/my-day/")
        actions = load_pages.task_actions(response.text) if response else []
        if not actions:
            return
        action = random.choice(actions)
        if action.kind == "complete":
            data = action.data(note="Called the patient.")
        else:
            data = action.data(**{f"snooze-{action.task_id}-days": random.choice(["1", "7"])})
        self.fetch(f"task {action.kind}", action.action, data=data, htmx=True, races=True)

    @task(3)
    def add_task(self) -> None:
        """A follow-up due in a few minutes, so its reminder is sent during the run."""
        path = f"/care-plans/patient/{self.patient()}/tasks/new/"
        response = self.fetch("task form", path)
        form = load_pages.form_posting_to(response.text, path) if response else None
        if form is None:
            return
        due = datetime.datetime.now(self.zone) + datetime.timedelta(minutes=random.randint(2, 5))
        data = form.data(
            description=random.choice(["Follow-up call", "Check medication", "Book transport"]),
            due_at=due.strftime("%Y-%m-%dT%H:%M"),
        )
        self.fetch("task create", path, data=data, expect=(302,))

    @task(2)
    def edit_patient(self) -> None:
        path = f"/patients/{self.patient()}/edit/"
        response = self.fetch("patient edit form", path)
        form = load_pages.form_posting_to(response.text, path) if response else None
        if form is None:
            return
        phone = random.choice([p for p in PHONES if p != form.value("phone")])
        self.fetch("patient edit", path, data=form.data(phone=phone), expect=(200, 302), races=True)

    @task(2)
    def log_contact(self) -> None:
        """A call to the service a referral went to, logged on the referral."""
        if not self.session["referrals"]:
            return
        path = f"/referrals/{random.choice(self.session['referrals'])}/contacts/new/"
        response = self.fetch("contact form", path)
        form = load_pages.form_posting_to(response.text, path) if response else None
        if form is None:
            return
        data = form.data(channel="phone", direction="outbound", note="Left a message.")
        self.fetch("contact add", path, data=data, expect=(200, 302), races=True)

    @task(1)
    def acknowledge_referral(self) -> None:
        """The service confirmed by phone: move the referral to received or accepted (a
        button on the referral's page, posting the version shown)."""
        if not self.session["referrals"]:
            return
        referral = random.choice(self.session["referrals"])
        response = self.fetch("referral page", f"/referrals/{referral}/")
        moves = load_pages.referral_moves(response.text, referral) if response else []
        if not moves:
            return
        form = random.choice(moves)
        self.fetch("referral move", form.action, data=form.data(), expect=(200, 302), races=True)


class CaseManager(StaffUser):
    role = "case_manager"
    weight = 1

    def on_start(self) -> None:
        super().on_start()
        self.drill_downs: list[str] = []

    @task(10)
    def caseload(self) -> None:
        period, sort = random.choice(PERIODS), random.choice(CASELOAD_SORTS)
        response = self.fetch("caseload review", f"/caseload/?period={period}&sort={sort}")
        if response:
            pattern = r"^/(patients|care-plans/tasks/mine|referrals)/\?"
            self.drill_downs = load_pages.links(response.text, pattern) or self.drill_downs

    @task(6)
    def drill_down(self) -> None:
        if not self.drill_downs:
            return self.caseload()
        path = random.choice(self.drill_downs)
        kind = path.split("/")[1].replace("care-plans", "tasks")
        self.fetch(f"drill-down: {kind}", path)

    @task(6)
    def open_patient(self) -> None:
        self.patient_page()

    @task(4)
    def casework(self) -> None:
        self.fetch("casework", "/benefits/")

    @task(2)
    def my_tasks(self) -> None:
        self.fetch("my tasks", "/care-plans/tasks/mine/")


@events.quitting.add_listener
def write_report(environment, **_kwargs) -> None:
    path = os.environ.get("LOAD_REPORT")
    if not path:
        return

    def figures(entry) -> dict:
        return {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "max_ms": round(entry.max_response_time or 0),
            "mean_ms": round(entry.avg_response_time, 1),
        }

    stats = environment.stats
    Path(path).write_text(
        json.dumps(
            {
                "total": figures(stats.total),
                "kinds": {name: figures(entry) for (name, _m), entry in stats.entries.items()},
                "server_errors": COUNTS["server_errors"],
                "connection_errors": COUNTS["connection_errors"],
                "conflicts": dict(CONFLICTS),
                "unexpected": dict(UNEXPECTED),
                "errors": {str(e.error): e.occurrences for e in stats.errors.values()},
            },
            indent=2,
        )
    )

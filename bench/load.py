"""`make load`: CareHub under its users while reminders go out, with the aims checked.

    make load                         50 users for 10 minutes on 10,000 patients
    make load DURATION=2m USERS=20    shorter, fewer
    make load THINK=1-5               seconds between a user's actions (default 5-15)
    make load SCALE_OUT=1             two gunicorn on two ports, two Celery workers, one beat
    make load REUSE=1                 keep the last run's database (LOAD_PATIENTS=N to size it)

Builds the data with seed_demo (500 patients a team, so 20 teams at 10,000 patients and
enough coordinators and case managers for distinct users), serves CareHub with gunicorn
as deployed (bench/run.py's Harness: DEBUG off, persistent connections), starts a Celery
worker and beat (django-celery-beat's DatabaseScheduler, as docker-compose runs them),
signs in coordinators and case managers of different teams (bench/load_setup.py), adds
reminders coming due over the run, and drives the users with locust (bench/locustfile.py)
on 127.0.0.1. When the users stop it waits for the dispatcher to send what was due, counts
what was lost and what arrived twice, prints one table, writes bench/load-results.json and
exits non-zero when an aim is missed. Everything it started is stopped on the way out,
Ctrl-C and failures included.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import BIN, ROOT, Harness, log, machine, process_tree, stop_group  # noqa: E402

PORTS = (8771, 8772)
RESULTS = ROOT / "bench" / "load-results.json"
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
PATIENTS_PER_TEAM = 500
P95_AIM_MS = 500
# A user reads a page before the next click: 5 to 15 seconds, 10 on average. Shorter
# think times model more users than there are (THINK=1-5 is about 3x the traffic).
THINK = "5-15"
DRAIN_TIMEOUT = 300  # seconds: a beat tick (60 s) plus sending, with room to spare


class Load(Harness):
    def __init__(self, *, users: int, duration: int, scale_out: bool, patients: int, think: str):
        super().__init__()
        self.url = self.base_url + "_load"
        self.users = users
        self.duration = duration
        self.scale_out = scale_out
        self.patients = patients
        self.think = think
        self.hosts = [f"http://127.0.0.1:{port}" for port in PORTS[: 2 if scale_out else 1]]
        self.workers = 2 if scale_out else 1

    def env(self, database_url: str, **extra) -> dict:
        """Text messages go to a file like emails, so both are counted by Message-ID."""
        return super().env(
            database_url,
            **{
                "REMINDERS_SMS_BACKEND": "reminders.sms.FileSmsBackend",
                "REMINDERS_SMS_FILE_PATH": str(self.tmp / "sms"),
                "CAREHUB_SITE_URL": self.hosts[0],
                **extra,
            },
        )

    def django(self, *args: str) -> dict:
        """bench/load_setup.py COMMAND ...: its JSON."""
        result = subprocess.run(
            [str(BIN / "python"), "bench/load_setup.py", *args],
            cwd=ROOT,
            env=self.env(self.url),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"load_setup.py {args[0]} failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout)

    # --- the run -----------------------------------------------------------------------------

    def build_data(self) -> None:
        self.seed(self.url, self.patients, "--patients-per-team", str(PATIENTS_PER_TEAM))

    def run(self) -> dict:
        self.manage(self.url, "collectstatic", "--noinput", "-v0")
        since = utc_now()
        with contextlib.ExitStack() as running:
            web = [
                running.enter_context(
                    self.gunicorn(self.url, port=PORTS[n], name=f"gunicorn{n + 1}")
                )
                for n in range(len(self.hosts))
            ]
            celery = [
                running.enter_context(self.worker(self.url, name=f"worker{n + 1}", loglevel="INFO"))
                for n in range(self.workers)
            ]
            celery.append(running.enter_context(self.beat(self.url)))
            log(
                f"{len(web)} gunicorn ({', '.join(self.hosts)}), {self.workers} worker(s), "
                "1 beat running"
            )
            staff = self.django("sessions", "--coordinators", "40", "--case-managers", "10")
            sessions = self.tmp / "sessions.json"
            sessions.write_text(json.dumps(staff["users"]))
            sessions.chmod(0o600)
            injected = self.django(
                "reminders",
                "--count",
                str(max(200, round(2_000 * self.duration / 600))),
                "--start",
                "30",
                "--over",
                str(max(30, self.duration - 60)),
                "--users",
                ",".join(str(u["user_id"]) for u in staff["users"]),
            )
            log(
                f"{len(staff['users'])} sessions over {staff['teams']} teams; "
                f"{injected['created']:,} reminders coming due during the run"
            )
            cpu = CpuMeter({"web": web, "celery": celery})
            loadavg = LoadAverage()
            connections = Connections(self.url)
            report = self.tmp / "locust.json"
            with loadavg, cpu, connections:
                started = time.monotonic()
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                self.locust(sessions, report)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)  # locust, now reaped
                elapsed = time.monotonic() - started
            cpu_figures = cpu.figures(elapsed)
            used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            cpu_figures["locust_pct_of_machine"] = round(
                100 * used / (elapsed * (os.cpu_count() or 1)), 1
            )
            cutoff = utc_now()
            drained = self.drain(cutoff)
            reminders = self.django(
                "count",
                "--since",
                since.isoformat(),
                "--cutoff",
                cutoff.isoformat(),
                "--mail",
                str(self.tmp / "mail"),
                "--sms",
                str(self.tmp / "sms"),
            )
        if not report.exists():
            raise RuntimeError(f"locust wrote no report; see {self.tmp / 'locust.log'}")
        http = json.loads(report.read_text())
        http["server_side"] = server_side(sorted(self.tmp.glob("gunicorn*-access.log")))
        reminders.update(injected=injected["created"], drain_seconds=drained)
        return self.results(
            http, reminders, elapsed, loadavg.figures(), cpu_figures, connections.peak
        )

    def locust(self, sessions: Path, report: Path) -> None:
        log(f"{self.users} users for {self.duration} s (think time {self.think} s)")
        command = [
            str(BIN / "locust"),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(self.users),
            "--spawn-rate",
            "5",
            "--run-time",
            f"{self.duration}s",
            "--stop-timeout",
            "30",
            "--host",
            self.hosts[0],
            "--only-summary",
        ]
        env = {
            **os.environ,
            "LOAD_SESSIONS": str(sessions),
            "LOAD_HOSTS": ",".join(self.hosts),
            "LOAD_THINK": self.think,
            "LOAD_REPORT": str(report),
            "PYTHONPATH": str(ROOT),
        }
        with open(self.tmp / "locust.log", "ab") as output:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
            )
            try:
                process.wait(timeout=self.duration + 120)
            finally:
                stop_group(process)

    def drain(self, cutoff: datetime.datetime) -> float:
        """Wait until nothing due by the cutoff waits to be sent (or DRAIN_TIMEOUT)."""
        started = time.monotonic()
        while time.monotonic() - started < DRAIN_TIMEOUT:
            waiting = self.django("pending", "--cutoff", cutoff.isoformat())["pending"]
            if not waiting:
                break
            log(f"waiting for the dispatcher: {waiting:,} reminder(s) due and not sent")
            time.sleep(10)
        return round(time.monotonic() - started, 1)

    # --- figures -------------------------------------------------------------------------

    def results(self, http, reminders, elapsed, loadavg, cpu, connections) -> dict:
        total = http["total"]
        conflicts = sum(http["conflicts"].values())
        aims = {
            "5xx": (http["server_errors"], "0", http["server_errors"] == 0),
            "connection errors": (http["connection_errors"], "0", http["connection_errors"] == 0),
            "p95": (total["p95_ms"], f"< {P95_AIM_MS} ms", total["p95_ms"] < P95_AIM_MS),
            "reminders lost": (reminders["lost"], "0", reminders["lost"] == 0),
            "reminders twice": (reminders["duplicates"], "0", reminders["duplicates"] == 0),
        }
        about = machine()
        about.pop("wrk", None)
        about["locust"] = _version(str(BIN / "locust"), "--version")
        return {
            "users": self.users,
            "duration_s": round(elapsed),
            "scale_out": self.scale_out,
            "servers": self.hosts,
            "gunicorn_workers_each": int(self.env(self.url)["WEB_CONCURRENCY"]),
            "celery_workers": self.workers,
            "patients": self.patients,
            "think_time_s": self.think,
            "requests": total["requests"],
            "rps": round(total["requests"] / elapsed, 1),
            "p50_ms": total["p50_ms"],
            "p95_ms": total["p95_ms"],
            "p99_ms": total["p99_ms"],
            "max_ms": total["max_ms"],
            "server_errors": http["server_errors"],
            "connection_errors": http["connection_errors"],
            "conflicts": conflicts,
            "conflicts_by_kind": http["conflicts"],
            "unexpected": http["unexpected"],
            "failures": http["errors"],
            "kinds": http["kinds"],
            "server_side": http["server_side"],
            "reminders": reminders,
            "postgresql_connections_peak": connections,
            "machine": {**about, "load_average": loadavg, "cpu": cpu},
            "aims": {
                name: {"value": value, "aim": aim, "met": met}
                for name, (value, aim, met) in aims.items()
            },
        }


_IDS = re.compile(r"/\d+")
_ACCESS = re.compile(r'"(\w+) (\S+) HTTP/[\d.]+" (\d{3}) \S+ (\d+)ms$')


def server_side(logs: list[Path]) -> dict:
    """Time inside gunicorn's workers (the access log's %(M)s), overall and per path with
    ids as N: beside locust's figures, it tells waiting in the queue (or a starved
    client) from time spent in CareHub."""

    def percentiles(values: list[int]) -> dict:
        values = sorted(values)
        at = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
        return {"requests": len(values), "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99)}

    every, paths = [], {}
    for path in logs:
        for line in path.read_text(errors="replace").splitlines():
            match = _ACCESS.search(line)
            if not match or match.group(2).startswith("/bench/"):
                continue
            ms = int(match.group(4))
            every.append(ms)
            name = match.group(1) + " " + _IDS.sub("/N", match.group(2))
            paths.setdefault(name, []).append(ms)
    if not every:
        return {}
    return {
        **percentiles(every),
        "paths": {name: percentiles(values) for name, values in sorted(paths.items())},
    }


# --- measuring the machine -------------------------------------------------------------------


class LoadAverage:
    """The 1-minute load average before, during (every 5 s) and after the users ran."""

    def __enter__(self):
        self.before = os.getloadavg()[0]
        self.samples: list[float] = []
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def _loop(self):
        while self.running:
            self.samples.append(os.getloadavg()[0])
            time.sleep(5)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.after = os.getloadavg()[0]

    def figures(self) -> dict:
        samples = self.samples or [self.before]
        return {
            "before": round(self.before, 2),
            "mean": round(sum(samples) / len(samples), 2),
            "max": round(max(samples), 2),
            "after": round(self.after, 2),
        }


class Connections:
    """The most PostgreSQL connections to the run's database at once (every 10 s): each
    gunicorn worker and Celery process holds one (CONN_MAX_AGE)."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.name = database_url.rsplit("/", 1)[1]
        self.peak = 0

    def __enter__(self):
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def _loop(self):
        query = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{self.name}'"  # noqa: S608
        while self.running:
            out = subprocess.run(
                ["psql", self.database_url, "-Atc", query], capture_output=True, text=True
            )
            if out.returncode == 0 and out.stdout.strip().isdigit():
                self.peak = max(self.peak, int(out.stdout.strip()))
            time.sleep(10)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


class CpuMeter:
    """CPU used while the users ran: the whole machine (/proc/stat) and ours per group of
    processes (the process trees' user and system time, reaped children included)."""

    def __init__(self, groups: dict[str, list[subprocess.Popen]]):
        self.groups = groups

    def _machine(self) -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields) - idle, sum(fields)

    def _ours(self) -> dict[str, int]:
        return {
            name: sum(_cpu_ticks(pid) for p in processes for pid in process_tree(p.pid))
            for name, processes in self.groups.items()
        }

    def __enter__(self):
        self.start_machine, self.start_ours = self._machine(), self._ours()
        return self

    def __exit__(self, *exc):
        self.end_machine, self.end_ours = self._machine(), self._ours()

    def figures(self, elapsed: float) -> dict:
        ticks = os.sysconf("SC_CLK_TCK")
        cores = os.cpu_count() or 1
        busy = self.end_machine[0] - self.start_machine[0]
        total = self.end_machine[1] - self.start_machine[1]
        figures = {"machine_busy_pct": round(100 * busy / max(1, total), 1)}
        for name in self.groups:
            used = (self.end_ours[name] - self.start_ours[name]) / ticks
            figures[f"{name}_pct_of_machine"] = round(100 * used / (elapsed * cores), 1)
        return figures


def _cpu_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15])  # utime stime cutime cstime


def _version(*command: str) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
        return out.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def parse_duration(text: str) -> int:
    match = re.fullmatch(r"(\d+)([smh]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 90s, 10m, 1h)")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


# --- output ------------------------------------------------------------------------------------


def render_table(r: dict) -> str:
    rows = [
        "| request kind | requests | p50 / p95 / p99 ms | max ms | failures |",
        "|---|---|---|---|---|",
    ]
    for name, k in sorted(r["kinds"].items(), key=lambda item: -item[1]["p95_ms"]):
        rows.append(
            f"| {name} | {k['requests']:,} | {k['p50_ms']} / {k['p95_ms']} / {k['p99_ms']} "
            f"| {k['max_ms']} | {k['failures']} |"
        )
    rows.append(
        f"| **all** | {r['requests']:,} ({r['rps']} req/s) | {r['p50_ms']} / {r['p95_ms']} / "
        f"{r['p99_ms']} | {r['max_ms']} | {r['server_errors'] + r['connection_errors']} |"
    )
    server = r["server_side"]
    if server:
        rows.append(
            f"| all, inside gunicorn (access log) | {server['requests']:,} | {server['p50_ms']} / "
            f"{server['p95_ms']} / {server['p99_ms']} | | |"
        )
    m, rem = r["machine"], r["reminders"]
    la, cpu = m["load_average"], m["cpu"]
    rows += [
        "",
        f"{r['users']} users for {r['duration_s']} s on {r['patients']:,} patients; "
        f"{len(r['servers'])} gunicorn x {r['gunicorn_workers_each']} sync workers, "
        f"{r['celery_workers']} Celery worker(s), 1 beat.",
        f"Conflicts (a genuine race, answered with the form again): {r['conflicts']} "
        f"{r['conflicts_by_kind'] or ''}; unexpected answers: {r['unexpected'] or 'none'}.",
        f"Reminders due by the end: {rem['due']:,} ({rem['injected']:,} added for the run); "
        f"sent {rem['sent']:,}, failed {rem['failed']}, lost {rem['lost']}, "
        f"still sending {rem['sending_now']}; emails {rem['emails']:,} "
        f"(twice: {rem['emails_twice']}), texts {rem['texts']:,} (twice: {rem['texts_twice']}), "
        f"in-app {rem['notifications']:,} (twice: {rem['notifications_twice']}); "
        f"uncertain attempts {rem['uncertain']}; drained in {rem['drain_seconds']} s.",
        f"Machine: {m['cores']} cores; load average before {la['before']}, during "
        f"{la['mean']} (max {la['max']}), after {la['after']}; CPU busy {cpu['machine_busy_pct']}%"
        f" (gunicorn {cpu['web_pct_of_machine']}%, Celery {cpu['celery_pct_of_machine']}%, "
        f"locust {cpu['locust_pct_of_machine']}%); PostgreSQL connections at most "
        f"{r['postgresql_connections_peak']}; "
        f"{m['postgresql']}, {m['redis']}, {m['locust']}, {m['date']}.",
        "",
        "| aim | value | met |",
        "|---|---|---|",
    ]
    rows += [
        f"| {name} {a['aim']} | {a['value']} | {'yes' if a['met'] else 'NO'} |"
        for name, a in r["aims"].items()
    ]
    return "\n".join(rows)


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # unwinds the context managers: everything is stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=parse_duration, default="10m")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--patients", type=int, default=int(os.environ.get("LOAD_PATIENTS", 10_000))
    )
    parser.add_argument("--scale-out", action="store_true", help="two gunicorn, two workers")
    parser.add_argument("--reuse-data", action="store_true", help="keep the last run's database")
    parser.add_argument(
        "--think", default=THINK, help=f"seconds between a user's actions (default {THINK})"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    load = Load(
        users=args.users,
        duration=args.duration,
        scale_out=args.scale_out,
        patients=args.patients,
        think=args.think,
    )
    passed = False
    try:
        if not args.reuse_data:
            load.build_data()
        results = load.run()
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print()
        print(render_table(results))
        print(f"\nWritten to {RESULTS.relative_to(ROOT)}")
        passed = all(a["met"] for a in results["aims"].values())
    finally:
        if passed:
            shutil.rmtree(load.tmp, ignore_errors=True)
        else:
            print(f"Logs kept in {load.tmp}", file=sys.stderr)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()

"""`make bench`: CareHub's figures, each beside a ceiling measured in the same run.

    make bench            100,000 patients (1,000,000 for search), about 10-30 minutes
    make bench QUICK=1    10,000 patients (100,000 for search), a few minutes

Runs on PostgreSQL and Redis (BENCH_DATABASE_URL / REDIS_URL; the local ones by default),
builds data with seed_demo, serves CareHub with gunicorn as deployed (DEBUG off,
persistent connections, WhiteNoise), drives it with wrk on 127.0.0.1, starts a Celery
worker for the task figures, stops everything it started, prints one table and writes
bench/results.json. A benchmark, not a test: machines are shared and noisy, so every
figure is compared with a ceiling taken minutes apart on the same machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORT = 8765
LUA = ROOT / "bench" / "report.lua"
RESULTS = ROOT / "bench" / "results.json"
PG = "postgres://postgres@127.0.0.1:5432"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Harness:
    """What `make bench` and `make load` share: the services' URLs, production settings as
    docker-compose runs them, data built with seed_demo, and the processes as deployed
    (gunicorn, Celery worker, beat), each in its own process group and stopped on exit."""

    def __init__(self):
        self.base_url = os.environ.get("BENCH_DATABASE_URL", f"{PG}/carehub_bench")
        self.redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
        self.tmp = Path(tempfile.mkdtemp(prefix="carehub-bench-"))

    # --- environment ---------------------------------------------------------------------

    def env(self, database_url: str, **extra) -> dict:
        """Production settings as docker-compose runs them, pointed at the bench services."""
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "REDIS_URL": self.redis_url,
            "ROOT_URLCONF": "bench.urls",
            "STATIC_ROOT": str(self.tmp / "static"),
            "CAREHUB_VAR_DIR": str(self.tmp / "var"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.tmp / "mail"),
            "WEB_CONCURRENCY": str(os.cpu_count() or 2),
            "GUNICORN_BIND": f"127.0.0.1:{PORT}",
            "GUNICORN_ACCESSLOG": str(self.tmp / "access.log"),
            "LOG_LEVEL": "WARNING",
            # One user's sustained hundreds of requests a second are the measurement here,
            # not abuse: the API's per-user limit (1,200/minute) would answer most with 429.
            # The throttle still counts every request, over a one-second window: DRF keeps
            # each request's time for the window, and a minute of this rate (tens of
            # thousands) would cost every request more than any real user's history does.
            "API_THROTTLE_USER": "1000000/second",
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "carehub.settings",
        }
        env.pop("CAREHUB_DEMO", None)
        env.update(extra)
        return env

    def manage(self, database_url: str, *args: str, debug: bool = False) -> float:
        env = self.env(database_url, **({"DEBUG": "true", "CAREHUB_DEMO": "true"} if debug else {}))
        started = time.perf_counter()
        subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True)
        return time.perf_counter() - started

    def fresh_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        admin = url.rsplit("/", 1)[0] + "/postgres"
        for statement in (
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}"',
        ):
            subprocess.run(["psql", admin, "-qc", statement], check=True, capture_output=True)

    def seed(self, url: str, patients: int, *extra: str) -> float:
        """A new database with the demo data (seed_demo); the seconds seed_demo took."""
        log(f"building {patients:,} patients in {url.rsplit('/', 1)[1]}")
        self.fresh_database(url)
        self.manage(url, "migrate", "--noinput", "-v0")
        return self.manage(url, "seed_demo", "--patients", str(patients), "-v1", *extra, debug=True)

    # --- processes -----------------------------------------------------------------------

    @contextmanager
    def process(self, command: list[str], database_url: str, log_name: str, **extra):
        """``command`` in its own process group (so Ctrl-C in the terminal does not reach
        it half-way), stderr to ``log_name`` under the run's folder; the whole group is
        stopped on exit, whatever happened."""
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env(database_url, **extra),
            stdout=subprocess.DEVNULL,
            stderr=open(self.tmp / log_name, "ab"),  # noqa: SIM115
            start_new_session=True,
        )
        try:
            yield process
        finally:
            stop_group(process)

    @contextmanager
    def gunicorn(self, database_url: str, *, port: int = PORT, name: str = "gunicorn"):
        with self.process(
            [str(BIN / "gunicorn"), "carehub.wsgi", "--config", "gunicorn.conf.py"],
            database_url,
            f"{name}.log",
            GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_ACCESSLOG=str(self.tmp / f"{name}-access.log"),
        ) as process:
            for _ in range(150):
                if process.poll() is not None:
                    break
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/bare", timeout=1)  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                process.kill()
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn did not start; see {self.tmp / name}.log")
            yield process

    @contextmanager
    def worker(
        self, database_url: str, concurrency: int = 2, *, name: str = "worker", **options: str
    ):
        with self.process(
            [
                str(BIN / "celery"),
                "-A",
                "carehub",
                "worker",
                "-I",
                "bench.tasks",
                "-n",
                f"{name}@%h",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                options.get("loglevel", "WARNING"),
                "--without-gossip",
                "--without-mingle",
            ],
            database_url,
            f"{name}.log",
        ) as process:
            time.sleep(4)
            yield process

    @contextmanager
    def beat(self, database_url: str):
        """The one beat, with django-celery-beat's DatabaseScheduler (CELERY_BEAT_SCHEDULER)."""
        with self.process(
            [str(BIN / "celery"), "-A", "carehub", "beat", "--loglevel", "INFO"],
            database_url,
            "beat.log",
        ) as process:
            yield process


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the process group (a graceful stop), SIGKILL after 30 seconds."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class Bench(Harness):
    def __init__(self, *, quick: bool, duration: int, connections: int):
        super().__init__()
        self.quick = quick
        self.duration = duration
        self.connections = connections
        self.patients = 10_000 if quick else 100_000
        self.search_patients = 100_000 if quick else 1_000_000
        self.results: dict = {"measures": [], "pages": [], "machine": machine()}

    # --- data ----------------------------------------------------------------------------

    def build_data(self, only: str | None = None) -> None:
        databases = [(self.base_url, self.patients, [])]
        if only != "celery":  # the task figures use the main database only
            databases += [
                (self.base_url + "_small", 1_000, []),
                (self.base_url + "_search", self.search_patients, ["--patients-only"]),
            ]
        for url, count, extra in databases:
            seconds = self.seed(url, count, *extra)
            if url == self.base_url:
                self.record(
                    "seed_demo",
                    f"{count:,} patients, all records",
                    seconds,
                    unit="s",
                    aim="< 60 s at 100,000",
                )
        self.manage(self.base_url, "collectstatic", "--noinput", "-v0")

    def migrate(self) -> None:
        """Reused data is brought to this code's migrations (a change since the last run
        may add one)."""
        for url in (self.base_url, self.base_url + "_small", self.search_patients_url):
            self.manage(url, "migrate", "--noinput", "-v0")

    def vacuum(self) -> None:
        """Reused data carries the last run's dead rows (every dispatched reminder, any
        rolled-back experiment): vacuum and analyze, as autovacuum eventually would."""
        import psycopg

        for url in (self.base_url, self.base_url + "_small", self.search_patients_url):
            log(f"VACUUM (ANALYZE) {url.rsplit('/', 1)[-1]}")
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute("VACUUM (ANALYZE)")

    # --- HTTP ----------------------------------------------------------------------------

    def wrk(self, path: str, cookie: str = "", *, connections: int | None = None) -> dict:
        connections = connections or self.connections
        result = subprocess.run(
            [
                "wrk",
                f"-t{min(2, connections)}",
                f"-c{connections}",
                f"-d{self.duration}s",
                "--timeout",
                "5s",
                "-s",
                str(LUA),
                f"http://127.0.0.1:{PORT}{path}",
            ],
            env={**os.environ, "BENCH_COOKIE": cookie},
            capture_output=True,
            text=True,
            check=True,
        )
        line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH_JSON "))
        return json.loads(line.removeprefix("BENCH_JSON "))

    def http_measures(self) -> None:
        setup = self.setup(self.base_url)
        small = {p["label"]: p["queries"] for p in self.setup(self.base_url + "_small")["pages"]}
        with self.gunicorn(self.base_url):
            ceiling = self.wrk("/bench/bare")
            self.record(
                "bare Django view (ceiling)",
                "same gunicorn and middleware",
                ceiling["rps"],
                ceiling=ceiling["rps"],
                figures=ceiling,
            )
            for page in setup["pages"]:
                figures = self.wrk(page["url"], setup["cookies"][page["user"]])
                aim = (
                    "p95 < 100 ms, >= 10% of ceiling"
                    if page["label"].startswith(("coordinator", "case manager"))
                    else ""
                )
                self.record(
                    page["label"],
                    f"{page['user']} {page['url']}",
                    figures["rps"],
                    ceiling=ceiling["rps"],
                    figures=figures,
                    aim=aim,
                )
                self.results["pages"].append(
                    {
                        "label": page["label"],
                        "queries": page["queries"],
                        "queries_at_1000": small.get(page["label"]),
                        "status": page["status"],
                    }
                )
        search = self.setup(self.search_patients_url)
        with self.gunicorn(self.search_patients_url):
            ceiling = self.wrk("/bench/bare")
            for page in search["pages"]:
                if not page["label"].startswith("patient search"):
                    continue
                # Throughput at 16 connections, as every page; then the latency of one
                # user's search, alone: at 16 connections on 2 workers a request mostly
                # waits for the 15 ahead of it, whatever the search costs.
                cookie = search["cookies"][page["user"]]
                figures = self.wrk(page["url"], cookie)
                self.record(
                    f"{page['label']} ({self.search_patients:,} patients)",
                    page["url"],
                    figures["rps"],
                    ceiling=ceiling["rps"],
                    figures=figures,
                )
                alone = self.wrk(page["url"], cookie, connections=1)
                self.record(
                    f"{page['label']} ({self.search_patients:,} patients), 1 connection",
                    page["url"],
                    alone["rps"],
                    ceiling=ceiling["rps"],
                    figures=alone,
                    aim="p95 < 50 ms",
                )

    @property
    def search_patients_url(self) -> str:
        return self.base_url + "_search"

    def setup(self, database_url: str) -> dict:
        result = subprocess.run(
            [str(BIN / "python"), "bench/setup.py"],
            cwd=ROOT,
            env=self.env(database_url),
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout)

    # --- Celery and reminders --------------------------------------------------------------

    def celery_measures(self) -> None:
        code = (
            "import os, sys, time, json, django\n"
            "sys.path.insert(0, os.getcwd())\n"
            "django.setup()\n"
            "from bench.bench_celery import run\n"
            "print('BENCH_JSON ' + json.dumps(run(sys.argv[1], int(sys.argv[2]))))\n"
        )
        sizes = [2_000, 10_000] if self.quick else [10_000, 100_000]
        with self.worker(self.base_url) as worker:
            measures = {}
            for kind, count in [("noop", 5_000 if self.quick else 20_000), ("claim", sizes[-1])] + [
                ("dispatch", n) for n in sizes
            ]:
                sampler = RssSampler(worker.pid)
                sampler.start()
                out = subprocess.run(
                    [str(BIN / "python"), "-c", code, kind, str(count)],
                    cwd=ROOT,
                    env=self.env(self.base_url),
                    capture_output=True,
                    text=True,
                )
                if out.returncode != 0:
                    raise RuntimeError(f"{kind} {count} failed:\n{out.stderr[-3000:]}")
                peak = sampler.stop()
                figures = json.loads(
                    next(
                        line for line in out.stdout.splitlines() if line.startswith("BENCH_JSON ")
                    ).removeprefix("BENCH_JSON ")
                )
                figures["worker_peak_rss_mb"] = round(peak / 1024, 1)
                measures[(kind, count)] = figures
        noop = measures[("noop", 5_000 if self.quick else 20_000)]
        self.record(
            "no-op Celery task (ceiling)",
            "worker concurrency 2, Redis",
            noop["rate"],
            unit="tasks/s",
            ceiling=noop["rate"],
            figures=noop,
        )
        claim = measures[("claim", sizes[-1])]
        self.record(
            "claim due reminders, SKIP LOCKED batches (ceiling)",
            f"{sizes[-1]:,} rows",
            claim["rate"],
            unit="rows/s",
            ceiling=claim["rate"],
            figures=claim,
        )
        for count in sizes:
            figures = measures[("dispatch", count)]
            self.record(
                f"reminder dispatch, {count:,} due",
                "1 worker, concurrency 2, file email backend",
                figures["rate"],
                unit="reminders/s",
                ceiling=noop["rate"],
                figures=figures,
                aim=">= 1,000/s; memory flat",
            )

    # --- output --------------------------------------------------------------------------

    def record(self, name, detail, value, *, unit="req/s", ceiling=None, figures=None, aim=""):
        entry = {
            "measure": name,
            "detail": detail,
            "value": round(value, 1),
            "unit": unit,
            "aim": aim,
        }
        if ceiling:
            entry["ceiling"] = round(ceiling, 1)
            entry["ratio"] = round(value / ceiling, 3)
        for key in (
            "p50_ms",
            "p95_ms",
            "p99_ms",
            "errors",
            "non_2xx",
            "worker_peak_rss_mb",
            "sent",
            "seconds",
        ):
            if figures and key in figures:
                entry[key] = figures[key]
        self.results["measures"].append(entry)
        log(
            f"{name}: {entry['value']} {unit}"
            + (f" (p95 {entry['p95_ms']} ms)" if "p95_ms" in entry else "")
        )

    def report(self) -> None:
        RESULTS.write_text(json.dumps(self.results, indent=2) + "\n")
        print()
        print(render_table(self.results))
        print(f"\nWritten to {RESULTS.relative_to(ROOT)}")


class RssSampler:
    """Peak resident memory (KB) of a process tree, sampled from /proc."""

    def __init__(self, pid: int):
        import threading

        self.pid, self.peak, self.running = pid, 0, True
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak

    def _loop(self):
        while self.running:
            self.peak = max(self.peak, sum(_rss(pid) for pid in process_tree(self.pid)))
            time.sleep(0.2)


def process_tree(pid: int) -> list[int]:
    pids, children = [pid], Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        for child in children.read_text().split():
            pids += process_tree(int(child))
    return pids


def _rss(pid: int) -> int:
    try:
        return int(re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))
    except (OSError, AttributeError):
        return 0


def machine() -> dict:
    def version(*command):
        try:
            return (
                subprocess.run(command, capture_output=True, text=True, timeout=10)
                .stdout.strip()
                .splitlines()[0]
            )
        except (OSError, IndexError):
            return "unknown"

    import django

    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": version("psql", "--version"),
        "redis": version("redis-server", "--version"),
        "wrk": version("wrk", "--version"),
        "kernel": platform.release(),
        "date": time.strftime("%Y-%m-%d"),
    }


def render_table(results: dict) -> str:
    rows = [
        "| measure | value | ceiling | ratio | p50 / p95 / p99 ms | errors | aim |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in results["measures"]:
        latency = f"{m['p50_ms']} / {m['p95_ms']} / {m['p99_ms']}" if "p95_ms" in m else ""
        extra = f", peak {m['worker_peak_rss_mb']} MB" if "worker_peak_rss_mb" in m else ""
        rows.append(
            f"| {m['measure']} | {m['value']:,} {m['unit']}{extra} | {m.get('ceiling', '')} | {m.get('ratio', '')} | {latency} | {m.get('errors', '')} | {m['aim']} |"
        )
    rows += ["", "| page | queries at 1,000 patients | queries at bench size |", "|---|---|---|"]
    rows += [
        f"| {p['label']} | {p['queries_at_1000']} | {p['queries']} |" for p in results["pages"]
    ]
    m = results["machine"]
    rows += [
        "",
        f"Machine: {m['cores']} cores, Python {m['python']}, Django {m['django']}, {m['postgresql']}, {m['redis']}, {m['date']}.",
    ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, shorter runs")
    parser.add_argument(
        "--reuse-data", action="store_true", help="keep the databases of the last run"
    )
    parser.add_argument("--only", choices=["http", "celery"], help="run one part only")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("make bench needs wrk (Debian: apt-get install wrk)")
    bench = Bench(quick=args.quick, duration=5 if args.quick else 15, connections=16)
    try:
        if not args.reuse_data:
            bench.build_data(only=args.only)
        else:
            bench.manage(bench.base_url, "collectstatic", "--noinput", "-v0")
            bench.migrate()
            bench.vacuum()
        if args.only in (None, "http"):
            bench.http_measures()
        if args.only in (None, "celery"):
            bench.celery_measures()
        bench.report()
    finally:
        shutil.rmtree(bench.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

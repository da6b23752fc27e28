"""Demo data: teams, a user for each role and realistic patients.

    python manage.py seed_demo                  # 200 patients
    python manage.py seed_demo --patients 100000
    python manage.py seed_demo --patients 10000 --patients-per-team 500   # 20 teams

Refuses to run when DEBUG is off: demo logins share a published password.
"""

from __future__ import annotations

import random
import sys
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from tqdm import tqdm

from carehub.bulk import analyze_allowed, analyzed_tables
from patients import demo


class Command(BaseCommand):
    help = "Create demo teams, users (password 'carehub-demo') and patients. DEBUG only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patients", type=int, default=200, help="How many patients (default 200)."
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Random seed, for repeatable data."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when patients already exist."
        )
        parser.add_argument(
            "--patients-per-team",
            type=int,
            default=demo.PATIENTS_PER_TEAM,
            help=f"Team size, and so how many teams and users (default {demo.PATIENTS_PER_TEAM:,}).",
        )
        parser.add_argument(
            "--patients-only",
            action="store_true",
            help="Only teams, users and patients (no care plans, referrals ...): search benchmarks.",
        )

    def handle(
        self,
        *args,
        patients: int,
        seed: int,
        if_empty: bool,
        patients_only: bool,
        patients_per_team: int,
        **options,
    ) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo refuses to run with DEBUG off: it creates demo logins.")
        if patients < 0:
            raise CommandError("--patients must be zero or more.")
        if patients_per_team < 1:
            raise CommandError("--patients-per-team must be one or more.")
        from patients.models import Patient

        if if_empty and Patient.objects.exists():
            self.stdout.write("Patients exist already; no demo data added.")
            return
        rng = random.Random(seed)
        team_count = max(2, -(-patients // patients_per_team))
        staff = demo.seed_staff(team_count=team_count)
        with tqdm(
            total=patients,
            desc="patients",
            unit="pt",
            file=sys.stderr,
            disable=options["verbosity"] == 0,
        ) as bar:
            patient_ids = demo.seed_patients(
                staff=staff, count=patients, rng=rng, progress=bar.update
            )
        # Every other app adds its records for these patients: <app>/demo.py defines
        # seed_for_patients(*, staff, patient_ids, rng, progress) using bulk inserts.
        for app_config in apps.get_app_configs():
            if patients_only or app_config.name == "patients":
                continue
            if find_spec(f"{app_config.name}.demo") is None:
                continue
            module = import_module(f"{app_config.name}.demo")
            with tqdm(
                total=len(patient_ids),
                desc=app_config.label,
                unit="pt",
                file=sys.stderr,
                disable=options["verbosity"] == 0,
            ) as bar:
                module.seed_for_patients(
                    staff=staff, patient_ids=patient_ids, rng=rng, progress=bar.update
                )
        if connection.vendor == "postgresql" and analyze_allowed():
            # Fresh statistics, or the planner ignores the search indexes after a bulk load:
            # for the tables the bulk loads have not analysed already (teams, staff, the
            # service directory ...).
            rest = sorted(set(connection.introspection.table_names()) - analyzed_tables)
            if rest:
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE " + ", ".join(map(connection.ops.quote_name, rest)))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {patients} patients in {team_count} teams. "
                f"Sign in as coord, coord2, manager or admin with password '{demo.DEMO_PASSWORD}'."
            )
        )

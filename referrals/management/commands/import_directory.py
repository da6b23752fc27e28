"""Import the service directory, as Django admin's import page does, for files too big
to upload through a browser or for scripted updates. Three formats:

    python manage.py import_directory services.csv              # CareHub's CSV
    python manage.py import_directory package/                  # HSDS 3 data package
    python manage.py import_directory package/datapackage.json  # the same
    python manage.py import_directory services.json             # HSDS 3 JSON
    python manage.py import_directory services.json --full      # missing services inactive
    python manage.py import_directory services.csv --dry-run    # check only
    python manage.py import_directory - < services.csv

HSDS problems are printed with their file, row and field (directory/importer.py).

All or nothing (referrals.directory): any bad row, and nothing is saved; every bad row
is printed with its line number, and the command exits with status 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from directory.importer import ImportFailed as HsdsImportFailed
from directory.importer import Problem, import_hsds, read_json, read_package
from referrals.directory import ImportFailed, ImportResult, directory_import_csv


class DryRun(Exception):
    """Rolls the checked import back."""

    def __init__(self, result: ImportResult):
        super().__init__()
        self.result = result


class Command(BaseCommand):
    help = "Import services and their organisations from CSV (the admin's export format)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The CSV file, or - for standard input.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and report; save nothing."
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="HSDS only: the file is the whole directory; services missing from it are "
            "marked inactive (never deleted).",
        )

    def handle(self, *args, path: str, dry_run: bool, full: bool = False, **options) -> None:
        target = Path(path)
        if path != "-" and (target.is_dir() or target.name == "datapackage.json"):
            return self._hsds(
                target if target.is_dir() else target.parent, None, dry_run, full, options
            )
        if path.lower().endswith(".json"):
            return self._hsds(None, target, dry_run, full, options)
        data = self._read(path)
        with tqdm(
            desc="rows", unit="row", file=sys.stderr, disable=options["verbosity"] == 0
        ) as bar:
            try:
                with transaction.atomic():
                    result = directory_import_csv(data=data, progress=bar.update)
                    if dry_run:
                        raise DryRun(result)
            except DryRun as checked:
                result = checked.result
            except ImportFailed as failed:
                bar.close()
                for error in failed.errors:
                    self.stderr.write(str(error))
                raise CommandError(str(failed)) from None
        counts = (
            f"{result.created} to add, {result.updated} to update, {result.unchanged} unchanged"
            if dry_run
            else f"{result.created} added, {result.updated} updated, {result.unchanged} unchanged"
        )
        prefix = "Checked, nothing saved" if dry_run else "Directory imported"
        self.stdout.write(self.style.SUCCESS(f"{prefix}: {counts}."))

    def _hsds(self, package: Path | None, document: Path | None, dry_run, full, options):
        problems: list[Problem] = []
        if package is not None:
            if not (package / "datapackage.json").is_file():
                raise CommandError(f"No datapackage.json in {package}.")
            rows = read_package(package, problems)
        else:
            rows = read_json(self._read(str(document)), document.name, problems)
        with tqdm(
            total=len(rows),
            desc="records",
            unit="record",
            file=sys.stderr,
            disable=options["verbosity"] == 0,
        ) as bar:
            try:
                with transaction.atomic():
                    result = import_hsds(rows, problems, full=full, progress=bar.update)
                    if dry_run:
                        raise DryRun(result)
            except DryRun as checked:
                result = checked.result
            except HsdsImportFailed as failed:
                bar.close()
                for problem in failed.problems:
                    self.stderr.write(str(problem))
                raise CommandError(str(failed)) from None
        prefix = "Checked, nothing saved" if dry_run else "Directory imported"
        self.stdout.write(self.style.SUCCESS(f"{prefix}: {result.summary()}."))

    @staticmethod
    def _read(path: str) -> bytes:
        if path == "-":
            return sys.stdin.buffer.read()
        try:
            return Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from None

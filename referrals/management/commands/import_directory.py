"""Import the service directory from a CSV file, as Django admin's import page does,
for files too big to upload through a browser or for scripted updates.

    python manage.py import_directory services.csv
    python manage.py import_directory services.csv --dry-run    # check only
    python manage.py import_directory - < services.csv

All or nothing (referrals.directory): any bad row, and nothing is saved; every bad row
is printed with its line number, and the command exits with status 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

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

    def handle(self, *args, path: str, dry_run: bool, **options) -> None:
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

    @staticmethod
    def _read(path: str) -> bytes:
        if path == "-":
            return sys.stdin.buffer.read()
        try:
            return Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from None

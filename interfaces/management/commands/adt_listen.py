"""python manage.py adt_listen: the HL7 v2 ADT listener (MLLP) on ADT_MLLP_HOST and
ADT_MLLP_PORT (127.0.0.1:2575 by default)."""

from __future__ import annotations

import asyncio

from django.conf import settings
from django.core.management.base import BaseCommand

from interfaces import mllp


class Command(BaseCommand):
    help = "Receive HL7 v2 ADT messages over MLLP into the inbox and acknowledge each."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.ADT_MLLP_HOST)
        parser.add_argument("--port", type=int, default=settings.ADT_MLLP_PORT)

    def handle(self, *args, host: str, port: int, **options):
        def ready(bound: int) -> None:
            self.stdout.write(f"Listening for HL7 v2 over MLLP on {host}:{bound}", ending="\n")
            self.stdout.flush()

        asyncio.run(mllp.serve(host, port, ready=ready))

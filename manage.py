#!/usr/bin/env python
"""Django's command-line utility for CareHub."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehub.settings")
    from django.core.management import execute_from_command_line

    from audit.history_context import command_context

    # Changes a command makes (a shell session, a data fix) name it in the field history.
    with command_context(sys.argv):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

"""seed_demo's progress bars reach their totals (issue 25, item 16: "referrals" stayed at
0 while referrals were made, its loop counter shadowed by the number per patient)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_every_progress_bar_ends_full(capsys, settings):
    settings.DEBUG = True  # seed_demo makes demo logins: development only
    call_command("seed_demo", patients=120, verbosity=1)
    err = capsys.readouterr().err
    last: dict[str, str] = {}
    for line in re.split(r"[\r\n]+", err):
        match = re.match(r"\s*([\w ]+?):\s+\d+%.*?(\d+)/(\d+)", line)
        if match:
            last[match.group(1)] = f"{match.group(2)}/{match.group(3)}"
    assert "referrals" in last and "careplans" in last, err[-2000:]
    unfinished = {
        label: done for label, done in last.items() if done.split("/")[0] != done.split("/")[1]
    }
    assert unfinished == {}, unfinished

"""The fault tests' figures (delivered, lost, twice, time to resume) are shown at the end
of every run, captured output or not."""

from __future__ import annotations

import pytest

FAULT_REPORT: list[str] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if FAULT_REPORT:
        terminalreporter.section("reminders: fault tests")
        for line in FAULT_REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _sms_in_tmp(settings, tmp_path):
    """Text messages of a test stay in its own folder, never under var/."""
    settings.REMINDERS_SMS_FILE_PATH = str(tmp_path / "sms")

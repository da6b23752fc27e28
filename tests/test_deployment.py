"""The deployment files are valid: docker-compose parses them as a deployer would."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

needs_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="needs Debian's docker-compose (CI installs it)"
)


def deployment_dir(tmp_path: Path) -> Path:
    for name in ("docker-compose.yml", "Dockerfile", "gunicorn.conf.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    env = (ROOT / ".env.example").read_text()
    env = env.replace("SECRET_KEY=\n", "SECRET_KEY=" + "s" * 64 + "\n")
    env = env.replace("POSTGRES_PASSWORD=\n", "POSTGRES_PASSWORD=compose-test\n")
    (tmp_path / ".env").write_text(env)
    return tmp_path


@needs_compose
def test_docker_compose_config_is_valid(tmp_path):
    result = subprocess.run(
        ["docker-compose", "config", "-q"],
        cwd=deployment_dir(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@needs_compose
def test_compose_runs_web_worker_beat_on_postgres_and_redis(tmp_path):
    result = subprocess.run(
        ["docker-compose", "config", "--services"],
        cwd=deployment_dir(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert set(result.stdout.split()) == {
        "postgres",
        "redis",
        "migrate",
        "web",
        "worker",
        "beat",
        "adt-listener",
    }


@needs_compose
def test_compose_refuses_to_start_without_a_database_password(tmp_path):
    folder = deployment_dir(tmp_path)
    (folder / ".env").write_text(
        (folder / ".env").read_text().replace("POSTGRES_PASSWORD=compose-test\n", "")
    )
    result = subprocess.run(
        ["docker-compose", "config", "-q"], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "POSTGRES_PASSWORD" in result.stderr


def test_env_example_documents_every_setting_read_from_the_environment():
    settings_source = (ROOT / "carehub" / "settings.py").read_text()
    import re

    read = set(re.findall(r'env\.(?:str|bool|int|list|db_url)\(\s*"([A-Z_]+)"', settings_source))
    documented = (ROOT / ".env.example").read_text()
    missing = sorted(name for name in read if name not in documented)
    assert not missing, f"document these in .env.example: {missing}"

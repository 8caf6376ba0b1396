"""``manage.py check --deploy`` is clean with the production settings taken from the
environment (HTTPS cookies, HSTS, a real secret key, debug off)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_check_deploy_is_clean_with_production_environment(tmp_path):
    environment = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "k3Jv9-pQ_2mZ8rT4wX7yB1nC6hF0sD5gL3aE9uI2oP8qR7tY4vW1zX6cV0bN5mA",
        "ALLOWED_HOSTS": "crm.example.ru",
        "SECURE_COOKIES": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    for name in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # set by test tools
        environment.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

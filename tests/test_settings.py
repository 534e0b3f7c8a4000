"""One settings module: embedded defaults with no variables, hardened production with them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean | env, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        "SECRET_KEY": "x" * 30 + "-production-secret-key-for-the-check-0123456789",
        "ALLOWED_HOSTS": "mestudio.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite3",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "MESTUDIO_VAR_DIR": str(tmp_path),
    }
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_embedded_defaults_need_no_variables(tmp_path):
    code = "from django.conf import settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL)"
    result = run_manage("shell", "-c", code, env={"MESTUDIO_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "True django.db.backends.sqlite3 filesystem://" in result.stdout


def test_production_is_not_in_debug_unless_asked(tmp_path):
    code = "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE)"
    env = {"SECRET_KEY": "k" * 60, "MESTUDIO_VAR_DIR": str(tmp_path), "ALLOWED_HOSTS": "x"}
    assert "False True" in run_manage("shell", "-c", code, env=env).stdout

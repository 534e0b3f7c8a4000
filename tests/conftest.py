"""Shared fixtures: users with roles, API clients, and a real Celery worker process."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from annotator.models import Role
from tests.factories import DatasetFactory, MembershipFactory, UserFactory, VideoFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def dataset(db):
    return DatasetFactory()


@pytest.fixture
def member(dataset):
    """Returns a function making a user with the given role in `dataset`."""

    def make(role: str = Role.ANNOTATOR, username: str | None = None):
        user = UserFactory(**({"username": username} if username else {}))
        MembershipFactory(dataset=dataset, user=user, role=role)
        return user

    return make


@pytest.fixture
def owner(member):
    return member(Role.OWNER, "owner")


@pytest.fixture
def video(dataset):
    return VideoFactory(dataset=dataset)


@pytest.fixture
def api():
    """Returns an API client logged in as the given user."""

    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_worker(name: str, log: Path, **env: str) -> subprocess.Popen:
    """A real `celery worker` process using the test database; `env` overrides settings (broker,
    media folder, timeouts). Its output is appended to `log`, which a failed wait prints."""
    environ = os.environ | {"DATABASE_URL": _test_database_url(), "PYTHONUNBUFFERED": "1", **env}
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mestudio",
                "worker",
                "--pool=solo",
                "-Q",
                "io,media,models",
                "-l",
                "info",
                "--without-mingle",
                "--without-gossip",
                "-n",
                f"{name}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_workers(procs: list[subprocess.Popen]) -> None:
    """Ask every worker still running to stop (a warm shutdown), then kill those that do not."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def celery_worker(transactional_db):
    """A real `celery worker` process on the configured broker, using the test database."""
    proc = start_worker("test", Path(settings.VAR_DIR) / "worker.log")
    yield proc
    stop_workers([proc])


def wait_for_job(job, timeout: float = 90.0):
    """Poll the Job row until it ends, as a page would."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.is_active:
            return job
        time.sleep(0.2)
    log = (Path(settings.VAR_DIR) / "worker.log").read_text(errors="replace")[-3000:]
    raise AssertionError(f"job {job.pk} still {job.state} after {timeout} s; worker log:\n{log}")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


SERVICE_FIXTURES = {"db", "transactional_db", "live_server", "celery_worker"}


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL + Redis run repeats only the tests that touch the database or the broker."""
    if os.environ.get("MESTUDIO_SERVICE_SUITE") != "1":
        return
    keep, drop = [], []
    for item in items:
        uses = item.get_closest_marker("django_db") or SERVICE_FIXTURES & set(
            getattr(item, "fixturenames", ())
        )
        (keep if uses else drop).append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep

"""Shared fixtures: users with roles, API clients, and a real Celery worker process."""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from annotator.models import Role
from tests.browser import BAR_FRAMES
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


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One headless Chromium for the module. Playwright's sync API runs an event loop in this thread,
    which Django's ORM refuses unless told: the check is off while the browser lives, and only then."""
    from tests.browser import launch_browser

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield from launch_browser()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def bar_store() -> str:
    """A bar-coded store of BAR_FRAMES frames under MEDIA_ROOT, written once for the module."""
    from bench.timeline_harness.frames import write_barcode_store

    folder = Path(settings.MEDIA_ROOT) / "timeline-bar"
    shutil.rmtree(folder, ignore_errors=True)
    write_barcode_store(folder, BAR_FRAMES)
    return "timeline-bar"


@pytest.fixture
def bar_video(transactional_db, dataset, bar_store):
    return VideoFactory(
        dataset=dataset, frame_count=BAR_FRAMES, width=160, height=120, first_frame_number=1,
        media_dir=bar_store, ingest_state="ready",
    )  # fmt: skip


@pytest.fixture
def open_page(browser, live_server) -> Iterator:
    """Open a video's editor as `user` in a fresh browser context (one person), closed after the test."""
    contexts = []

    def open_one(user, video):
        client = Client()
        client.force_login(user)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(context)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.goto(f"{live_server.url}/videos/{video.pk}/annotate/")
        page.wait_for_selector("[data-ready=true][data-frame='0']", timeout=15000)
        return page

    yield open_one
    for context in contexts:
        context.close()


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

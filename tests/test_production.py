"""The docker files stay honest without Docker: the compose file parses, every command it runs
exists, and the entrypoint runs the same processes the tests and benches use."""

import functools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from annotator.jobs import _KINDS
from mestudio import settings as app_settings

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
ROLES = {"web", "migrate", "worker-media", "worker-models", "worker-io", "beat"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def entrypoint(role: str, *args: str) -> list[str]:
    """The command line the entrypoint would exec for a role, read by running it with `echo` for exec."""
    script = (DOCKER / "entrypoint.sh").read_text().replace("exec ", "echo ")
    out = subprocess.run(["sh", "-c", script, "entrypoint", role, *args], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_compose_has_every_process_with_a_healthcheck(compose):
    services = compose["services"]
    assert {"web", "worker-media", "worker-models", "worker-io", "beat", "db", "redis", "minio"} <= set(
        services
    )
    for name in ("web", "worker-media", "worker-models", "worker-io", "beat", "db", "redis", "minio"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    for name, service in services.items():
        if "command" in service and service.get("image", "").startswith("mestudio"):
            assert service["command"][0] in ROLES, f"{name} runs an unknown role {service['command']}"


def test_every_dockerfile_copy_source_exists():
    for dockerfile in ("Dockerfile", "Dockerfile.cuda"):
        for line in (DOCKER / dockerfile).read_text().splitlines():
            if line.startswith("COPY "):
                for source in line.split()[1:-1]:
                    assert (ROOT / source).exists(), f"{dockerfile}: {source} does not exist"
        assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in (DOCKER / dockerfile).read_text()


def test_env_example_names_what_compose_and_settings_read(compose):
    names = {line.split("=")[0] for line in (ROOT / ".env.example").read_text().splitlines() if "=" in line}
    text = (DOCKER / "compose.yaml").read_text()
    for variable in (
        "POSTGRES_PASSWORD",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_STORAGE_BUCKET_NAME",
    ):
        assert variable in text and variable in names
    readers = (ROOT / "mestudio" / "settings.py").read_text() + (DOCKER / "gunicorn.conf.py").read_text()
    for variable in names - {"POSTGRES_PASSWORD"}:
        assert f'"{variable}"' in readers, (
            f".env.example names {variable}, which neither settings nor gunicorn read"
        )


def test_workers_consume_every_queue_jobs_use():
    queues: set[str] = set()
    for role in ("worker-media", "worker-models", "worker-io"):
        argv = entrypoint(role)
        assert argv[:4] == ["celery", "-A", "mestudio", "worker"]
        queues |= set(argv[argv.index("-Q") + 1].split(","))
    assert {kind.queue for kind in _KINDS.values()} <= queues
    assert "--max-tasks-per-child" in entrypoint("worker-models")


def test_worker_time_limits_cover_their_jobs_and_stay_under_the_visibility_timeout():
    for role, queue in (("worker-media", "media"), ("worker-models", "models"), ("worker-io", "io")):
        argv = entrypoint(role)
        limit = int(argv[argv.index("--time-limit") + 1])
        longest = max(kind.time_limit for kind in _KINDS.values() if kind.queue == queue)
        assert limit >= longest, f"{role}: --time-limit {limit} < {longest} of its longest job"
    longest = max(kind.time_limit for kind in _KINDS.values())
    env = {"SECRET_KEY": "x", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15", "PATH": "/usr/bin:/bin"}
    code = "from django.conf import settings; print(settings.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'])"
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='mestudio.settings';"
            f"django.setup(); {code}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(out.stdout) > longest
    assert app_settings.CELERY_TASK_ACKS_LATE and app_settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


@functools.cache
def celery_help(program: str, command: str) -> str:
    out = subprocess.run(
        [program, "-A", "mestudio", command, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("role", sorted(ROLES))
def test_the_commands_the_entrypoint_runs_exist(role):
    argv = entrypoint(role)
    program = Path(sys.executable).parent / argv[0]
    assert argv[0] == "python" or program.exists() or shutil.which(argv[0]), f"{argv[0]} is not installed"
    if argv[0] == "celery":
        help_text = celery_help(str(program), argv[3])
        for flag in (a for a in argv[4:] if a.startswith("--")):
            assert flag in help_text, f"celery {argv[3]} has no option {flag}"
    elif argv[0] == "gunicorn":
        assert argv[-1] == "mestudio.wsgi:application" and (ROOT / argv[2]).is_file()
        check = subprocess.run(
            [str(program), "--check-config", "-c", argv[2], argv[-1]],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    elif argv[0] == "python":
        assert argv[1:3] == ["manage.py", "migrate"]


def test_healthz_answers_when_the_database_does(client, db):
    assert client.get("/healthz").json() == {"ok": True}

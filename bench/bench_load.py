"""Load: 20 simulated annotators saving intervals for 60 s against gunicorn (docker/gunicorn.conf.py,
the web container's settings) on PostgreSQL, then an audit of the database.

Each annotator owns a few intervals and keeps saving them (PATCH with the version it last saw),
now and then creating one (POST), with a short think time. Reported: requests, p50/p95/p99
latency, errors. Then every acknowledged save (a 200/201 the client received) is checked in the
database: the interval holds the last acknowledged values and version, and the revision history
has one revision per acknowledged version, with the values that were sent.

Usage: .venv/bin/python bench/bench_load.py [--annotators 20] [--seconds 60] [--workers 4]
Needs PostgreSQL on 127.0.0.1:5432 (user postgres); creates and drops database mestudio_bench_load.
"""

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DB_NAME = "mestudio_bench_load"
SETUP = """
import json, os
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from annotator.models import Dataset, Membership, Video
dataset = Dataset.objects.create(name="load")
video = Video.objects.create(dataset=dataset, name="v", frame_count=100000, fps=30)
tokens = []
for i in range(int(os.environ["BENCH_ANNOTATORS"])):
    user = User.objects.create_user(f"annotator{i}")
    Membership.objects.create(dataset=dataset, user=user, role="annotator")
    tokens.append(Token.objects.create(user=user).key)
print(json.dumps({"video": video.pk, "tokens": tokens}))
"""
AUDIT = """
import json, os
from annotator.models import Interval, Revision
acked = json.load(open(os.environ["BENCH_ACKED"]))
problems = []
for pk, saves in acked.items():
    interval = Interval.objects.filter(pk=int(pk)).first()
    last = saves[-1]
    if interval is None or (interval.version, interval.offset) != (last["version"], last["offset"]):
        problems.append(f"interval {pk}: database has {interval and (interval.version, interval.offset)}, last ack {last}")
        continue
    history = {r.after["version"]: r.after["offset"] for r in Revision.objects.filter(interval_id=int(pk))}
    for save in saves:
        if history.get(save["version"]) != save["offset"]:
            problems.append(f"interval {pk}: no revision for acknowledged version {save}")
print(json.dumps({"intervals": len(acked), "saves": sum(map(len, acked.values())), "problems": problems[:20],
                  "problem_count": len(problems)}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True)


class Annotator(threading.Thread):
    """One annotator: saves its intervals in turn, sometimes adds one; records every acknowledgement."""

    def __init__(self, port: int, token: str, video: int, stop_at: float, seed: int):
        super().__init__()
        self.port, self.video, self.stop_at = port, video, stop_at
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.rng = random.Random(seed)
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.acked: dict[int, list[dict]] = {}
        self.versions: dict[int, int] = {}

    def call(self, conn, method: str, path: str, body: dict) -> tuple[int, dict]:
        start = time.perf_counter()
        conn.request(method, path, json.dumps(body), self.headers)
        response = conn.getresponse()
        data = json.loads(response.read() or b"{}")
        self.latencies.append((time.perf_counter() - start) * 1000)
        return response.status, data

    def create(self, conn) -> None:
        onset = self.rng.randrange(0, 90000)
        status, body = self.call(
            conn,
            "POST",
            "/api/intervals/",
            {"video": self.video, "kind": "ME", "onset": onset, "offset": onset + 8},
        )
        if status != 201:
            self.errors.append(f"POST {status} {body}")
            return
        self.versions[body["id"]] = body["version"]
        self.acked[body["id"]] = [{"version": body["version"], "offset": body["offset"]}]

    def save(self, conn) -> None:
        pk = self.rng.choice(list(self.versions))
        offset = self.acked[pk][-1]["offset"] + self.rng.choice([-1, 1, 2])
        status, body = self.call(
            conn, "PATCH", f"/api/intervals/{pk}/", {"offset": offset, "version": self.versions[pk]}
        )
        if status != 200:
            self.errors.append(f"PATCH {status} {body}")
            return
        self.versions[pk] = body["version"]
        self.acked[pk].append({"version": body["version"], "offset": body["offset"]})

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            for _ in range(3):
                self.create(conn)
            while time.monotonic() < self.stop_at:
                (self.create if self.rng.random() < 0.1 else self.save)(conn)
                time.sleep(self.rng.uniform(0.05, 0.25))  # think time between keystrokes
        except (OSError, http.client.HTTPException) as exc:
            self.errors.append(f"connection: {exc}")


def warm_up(port: int, workers: int) -> None:
    """Each gunicorn worker imports the views on its first request (seconds on a busy machine):
    send rounds of concurrent requests until one round is quick, so the clock measures saves."""

    def one(_: int) -> float:
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        return time.perf_counter() - start

    for _ in range(10):
        with ThreadPoolExecutor(workers * 4) as pool:
            if max(pool.map(one, range(workers * 4))) < 1.0:
                return


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    args = parser.parse_args()

    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    var = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = os.environ | {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "MESTUDIO_VAR_DIR": str(var),
        "DEBUG": "0",
        "GUNICORN_WORKERS": str(args.workers),
        "GUNICORN_ACCESSLOG": str(var / "access.log"),
    }
    try:
        subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        made = subprocess.run(
            [PY, "manage.py", "shell", "-c", SETUP],
            cwd=ROOT,
            env=env | {"BENCH_ANNOTATORS": str(args.annotators)},
            check=True,
            capture_output=True,
            text=True,
        )
        world = json.loads(made.stdout.strip().splitlines()[-1])
        port = free_port()
        server = subprocess.Popen(
            [PY, "-m", "gunicorn", "-c", "docker/gunicorn.conf.py", "mestudio.wsgi:application"],
            cwd=ROOT,
            env=env | {"GUNICORN_BIND": f"127.0.0.1:{port}"},
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            warm_up(port, args.workers)
            stop_at = time.monotonic() + args.seconds
            annotators = [
                Annotator(port, token, world["video"], stop_at, seed)
                for seed, token in enumerate(world["tokens"])
            ]
            for annotator in annotators:
                annotator.start()
            for annotator in annotators:
                annotator.join()
        finally:
            server.terminate()
            server.wait()
        latencies = [ms for a in annotators for ms in a.latencies]
        errors = [e for a in annotators for e in a.errors]
        acked = {pk: saves for a in annotators for pk, saves in a.acked.items()}
        (var / "acked.json").write_text(json.dumps(acked))
        audit = subprocess.run(
            [PY, "manage.py", "shell", "-c", AUDIT],
            cwd=ROOT,
            env=env | {"BENCH_ACKED": str(var / "acked.json")},
            check=True,
            capture_output=True,
            text=True,
        )
        report = json.loads(audit.stdout.strip().splitlines()[-1])
    finally:
        psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    print(
        f"{args.annotators} annotators, {args.seconds:.0f} s, gunicorn {args.workers} workers, PostgreSQL: "
        f"{len(latencies)} requests ({len(latencies) / args.seconds:.1f}/s), "
        f"p50 {pct(latencies, 50):.1f} ms, p95 {pct(latencies, 95):.1f} ms, p99 {pct(latencies, 99):.1f} ms, "
        f"errors {len(errors)}"
    )
    for error in errors[:5]:
        print("  error:", error)
    print(
        f"audit: {report['saves']} acknowledged saves on {report['intervals']} intervals; "
        f"missing from the database or its revision history: {report['problem_count']}"
    )
    for problem in report["problems"]:
        print("  ", problem)
    return 0 if not errors and not report["problem_count"] else 1


if __name__ == "__main__":
    sys.exit(main())

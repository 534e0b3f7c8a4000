"""Load: 20 simulated annotators saving intervals against gunicorn (docker/gunicorn.conf.py, the web
container's settings) on PostgreSQL, then an audit of the database.

Each annotator owns a few intervals and keeps saving them (PATCH with the version it last saw),
now and then creating one (POST). Pacing: the timeline sends each edit at once (static/timeline/
sync.js), and an edit is a coder's key press or drag after looking at frames, so an annotator waits
a think time between saves, drawn from an exponential distribution with a mean of 2 s (--think,
independent coders = Poisson arrivals; 10% of the gaps are under 0.2 s, like setting onset, apex and
offset in a row). 20 coders then offer about 10 saves/s, a busy lab where everyone edits at once;
real coding is slower (stepping through frames between edits). That is the goal's setting.

Three phases against the same server, reported separately so nobody mistakes one for another:
  single  one annotator, no think time: the service time of a save on this machine, a reference;
  paced   --annotators with think time for --seconds: the goal (no errors, p95 under 100 ms);
  closed  --annotators with no think time: saturation, where latency is queueing (about
          annotators / throughput) and says how far the server is from its limit, not what a coder sees.
Reported per phase: requests, p50/p95/p99 latency, errors. Then every acknowledged save of every
phase (a 200/201 the client received) is checked in the database: the interval holds the last
acknowledged values and version, and the revision history has one revision per acknowledged
version, with the values that were sent.

Usage: .venv/bin/python bench/bench_load.py [--annotators 20] [--seconds 60] [--think 2.0]
       [--closed-seconds 20] [--single-seconds 10] [--workers N] [--threads N]
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
CONFIG = """
import json, runpy, sys
config = runpy.run_path(sys.argv[1])
print(json.dumps({"workers": config["workers"], "threads": config["threads"]}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True)


class Annotator(threading.Thread):
    """One annotator: saves its intervals, sometimes adds one, thinks in between (mean `think` s,
    0 = closed loop); records every acknowledgement."""

    def __init__(self, port: int, token: str, video: int, stop_at: float, think: float, seed: int):
        super().__init__()
        self.video, self.stop_at, self.think = video, stop_at, think
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.rng = random.Random(seed)
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.acked: dict[int, list[dict]] = {}
        self.versions: dict[int, int] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.resends = 0

    def call(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        start = time.perf_counter()
        try:
            response = self.send(method, path, body)
        except ConnectionError:
            # gunicorn closes a connection idle past its keep-alive (GUNICORN_KEEPALIVE), as a long pause may;
            # a browser then sends on a new connection, and so does this (the reconnect is timed too).
            # Were the first send processed after all, the resend would be refused and counted as an error.
            self.conn.close()
            self.resends += 1
            response = self.send(method, path, body)
        data = json.loads(response.read() or b"{}")
        self.latencies.append((time.perf_counter() - start) * 1000)
        return response.status, data

    def send(self, method: str, path: str, body: dict) -> http.client.HTTPResponse:
        self.conn.request(method, path, json.dumps(body), self.headers)
        return self.conn.getresponse()

    def create(self) -> None:
        onset = self.rng.randrange(0, 90000)
        status, body = self.call(
            "POST",
            "/api/intervals/",
            {"video": self.video, "kind": "ME", "onset": onset, "offset": onset + 8},
        )
        if status != 201:
            self.errors.append(f"POST {status} {body}")
            return
        self.versions[body["id"]] = body["version"]
        self.acked[body["id"]] = [{"version": body["version"], "offset": body["offset"]}]

    def save(self) -> None:
        pk = self.rng.choice(list(self.versions))
        offset = self.acked[pk][-1]["offset"] + self.rng.choice([-1, 1, 2])
        status, body = self.call(
            "PATCH", f"/api/intervals/{pk}/", {"offset": offset, "version": self.versions[pk]}
        )
        if status != 200:
            self.errors.append(f"PATCH {status} {body}")
            return
        self.versions[pk] = body["version"]
        self.acked[pk].append({"version": body["version"], "offset": body["offset"]})

    def pause(self) -> None:
        if self.think:
            time.sleep(self.rng.expovariate(1 / self.think))

    def run(self) -> None:
        try:
            # Coders start their first intervals paced like every other save: were all 20 to send
            # their first three creates in the same millisecond, the queue behind that one burst
            # (60 requests, 13 % of a 60 s run) would be what p95 measures.
            for _ in range(3):
                self.pause()
                self.create()
            while time.monotonic() < self.stop_at:
                self.pause()
                if time.monotonic() < self.stop_at:
                    (self.create if self.rng.random() < 0.1 else self.save)()
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


def phase(port: int, tokens: list[str], video: int, seconds: float, think: float, seed: int) -> dict:
    """One annotator per token for `seconds`; their latencies, errors and acknowledged saves."""
    stop_at = time.monotonic() + seconds
    annotators = [Annotator(port, token, video, stop_at, think, seed + i) for i, token in enumerate(tokens)]
    for annotator in annotators:
        annotator.start()
    for annotator in annotators:
        annotator.join()
    return {
        "latencies": [ms for a in annotators for ms in a.latencies],
        "errors": [e for a in annotators for e in a.errors],
        "acked": {pk: saves for a in annotators for pk, saves in a.acked.items()},
        "resends": sum(a.resends for a in annotators),
        "seconds": seconds,
        "load": os.getloadavg()[0],
    }


def describe(name: str, result: dict) -> str:
    ms, seconds = result["latencies"], result["seconds"]
    return (
        f"{name}: {len(ms)} requests ({len(ms) / seconds:.1f}/s), p50 {pct(ms, 50):.1f} ms, "
        f"p95 {pct(ms, 95):.1f} ms, p99 {pct(ms, 99):.1f} ms, errors {len(result['errors'])} "
        f"(resent on a new connection after a keep-alive close: {result['resends']}), "
        f"load average at the end {result['load']:.1f}"
    )


def main() -> int:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="paced phase")
    parser.add_argument("--think", type=float, default=2.0, help="mean think time between saves, s")
    parser.add_argument("--closed-seconds", type=float, default=20.0, help="closed-loop phase (0: skip)")
    parser.add_argument("--single-seconds", type=float, default=10.0, help="one-annotator phase (0: skip)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the config's)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker (default: the config's)")
    args = parser.parse_args()

    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    var = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = os.environ | {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "MESTUDIO_VAR_DIR": str(var),
        "DEBUG": "0",
        "GUNICORN_ACCESSLOG": str(var / "access.log"),
    }
    env |= {"GUNICORN_WORKERS": str(args.workers)} if args.workers else {}
    env |= {"GUNICORN_THREADS": str(args.threads)} if args.threads else {}
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    results: dict[str, dict] = {}
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
        tokens, video = world["tokens"], world["video"]
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
            config = json.loads(
                subprocess.run(
                    [PY, "-c", CONFIG, str(ROOT / "docker" / "gunicorn.conf.py")],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            warm_up(port, config["workers"])
            if args.single_seconds:
                results["single"] = phase(port, tokens[:1], video, args.single_seconds, 0, seed=1000)
            results["paced"] = phase(port, tokens, video, args.seconds, args.think, seed=0)
            if args.closed_seconds:
                results["closed"] = phase(port, tokens, video, args.closed_seconds, 0, seed=2000)
        finally:
            server.terminate()
            server.wait()
        acked = {pk: saves for result in results.values() for pk, saves in result["acked"].items()}
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
        f"gunicorn {config['workers']} workers x {config['threads']} threads ({cores} cores), PostgreSQL; "
        f"uptime before: {uptime}"
    )
    names = {
        "single": "1 annotator, no think time (service-time reference)",
        "paced": f"{args.annotators} annotators, think time mean {args.think:g} s, {args.seconds:g} s (the goal)",
        "closed": f"{args.annotators} annotators, no think time, closed loop (saturation, not what a coder sees)",
    }
    for key, result in results.items():
        print(describe(names[key], result))
        for error in result["errors"][:5]:
            print("  error:", error)
    print(
        f"audit: {report['saves']} acknowledged saves on {report['intervals']} intervals; "
        f"missing from the database or its revision history: {report['problem_count']}"
    )
    for problem in report["problems"]:
        print("  ", problem)
    errors = sum(len(result["errors"]) for result in results.values())
    return 0 if not errors and not report["problem_count"] else 1


if __name__ == "__main__":
    sys.exit(main())

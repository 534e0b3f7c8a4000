"""API latency of interval create and update (with version check), sequential and 8 concurrent
clients, against gunicorn on SQLite and on PostgreSQL (when reachable on 127.0.0.1:5432).

Usage: .venv/bin/python bench/bench_api.py [--requests 200]
Prints p50 / p95 in milliseconds and requests per second for each setup.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SETUP = """
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from annotator.models import Dataset, Membership, Video
user, _ = User.objects.get_or_create(username="bench")
dataset, _ = Dataset.objects.get_or_create(name="bench")
Membership.objects.get_or_create(dataset=dataset, user=user, role="annotator")
video, _ = Video.objects.get_or_create(dataset=dataset, name="v", defaults={"frame_count": 100000, "fps": 30})
print(Token.objects.get_or_create(user=user)[0].key, video.pk)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict) -> tuple[int, dict, float]:
        start = time.perf_counter()
        self.conn.request(method, path, json.dumps(body), self.headers)
        response = self.conn.getresponse()
        data = json.loads(response.read() or b"{}")
        return response.status, data, (time.perf_counter() - start) * 1000


def session(port: int, token: str, video: int, n: int) -> tuple[list[float], list[float], int]:
    """n creates, each followed by an update of what it created; returns latencies and errors."""
    client, creates, updates, errors = Client(port, token), [], [], 0
    for i in range(n):
        status, body, ms = client.call(
            "POST",
            "/api/intervals/",
            {"video": video, "kind": "ME", "onset": i % 90000, "offset": i % 90000 + 10},
        )
        creates.append(ms)
        if status != 201:
            errors += 1
            continue
        status, _, ms = client.call(
            "PATCH",
            f"/api/intervals/{body['id']}/",
            {"offset": body["offset"] + 1, "version": body["version"]},
        )
        updates.append(ms)
        errors += status != 200
    return creates, updates, errors


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def run_setup(name: str, env: dict[str, str], n: int) -> None:
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    token, video = subprocess.run(
        [PY, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()[-2:]
    port = free_port()
    server = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "mestudio.wsgi",
            "-w",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        session(port, token, int(video), 10)  # warm up
        for clients in (1, 8):
            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                results = list(
                    pool.map(
                        session,
                        [port] * clients,
                        [token] * clients,
                        [int(video)] * clients,
                        [n // clients] * clients,
                    )
                )
            wall = time.perf_counter() - start
            creates = [x for r in results for x in r[0]]
            updates = [x for r in results for x in r[1]]
            errors = sum(r[2] for r in results)
            rate = (len(creates) + len(updates)) / wall
            print(
                f"{name:10} {clients} client(s): create p50 {pct(creates, 50):6.1f} ms p95 {pct(creates, 95):6.1f} ms | "
                f"update p50 {pct(updates, 50):6.1f} ms p95 {pct(updates, 95):6.1f} ms | {rate:6.1f} req/s | errors {errors}"
            )
    finally:
        server.terminate()
        server.wait()


def postgres_url() -> str | None:
    try:
        import psycopg2

        conn = psycopg2.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=3)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("DROP DATABASE IF EXISTS mestudio_bench")
            cursor.execute("CREATE DATABASE mestudio_bench")
        conn.close()
        return "postgres://postgres@127.0.0.1:5432/mestudio_bench"
    except Exception as exc:  # noqa: BLE001 - the bench reports and skips
        print(f"PostgreSQL not reachable ({exc}); skipped")
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--requests", type=int, default=200, help="create+update pairs per setup and client count"
    )
    n = parser.parse_args().requests
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    with tempfile.TemporaryDirectory() as var:
        run_setup("SQLite", base | {"MESTUDIO_VAR_DIR": var}, n)
        if url := postgres_url():
            run_setup("PostgreSQL", base | {"MESTUDIO_VAR_DIR": var, "DATABASE_URL": url}, n)


if __name__ == "__main__":
    main()

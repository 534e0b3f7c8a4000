"""gunicorn settings for the web container and for bench/bench_load.py (the same file)."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# A save is about 10 ms of Python (one core, the GIL) plus waits on PostgreSQL: one process per core
# the container may use runs Python on every core, and 4 threads each fill the waits. More processes
# than cores only add switching and memory (PostgreSQL and Celery share the machine). Set
# GUNICORN_WORKERS where a CPU quota (docker --cpus) is smaller than the cores the container sees.
workers = int(os.environ.get("GUNICORN_WORKERS") or len(os.sched_getaffinity(0)))
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
worker_class = "gthread"
# Keep idle connections open across a coder's pauses between saves (gthread parks them in its
# poller, not in a thread): a reconnect after each pause costs a new TCP + a resend.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 75)
timeout = 120  # uploads of large videos stream through the web process
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then; jitter keeps them from restarting together
max_requests_jitter = 200
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

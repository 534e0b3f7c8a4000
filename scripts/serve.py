"""Embedded run: the web server and one Celery worker (with the sweeper's beat) side by side.

Both stop together on Ctrl-C or SIGTERM (so `kill` of this script leaves no orphan). Production
runs these as separate processes (see README).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # runs the finally below, as Ctrl-C does
    var = Path(os.environ.get("MESTUDIO_VAR_DIR", ROOT / "var"))
    var.mkdir(parents=True, exist_ok=True)
    worker = subprocess.Popen(
        [
            PY,
            "-m",
            "celery",
            "-A",
            "mestudio",
            "worker",
            "-B",
            "-s",
            str(var / "celerybeat-schedule"),
            "-Q",
            "io,media,models",
            "--concurrency",
            "2",
            "-l",
            "info",
        ],
        cwd=ROOT,
    )
    web = subprocess.Popen([PY, "manage.py", "runserver", "127.0.0.1:8000", "--noreload"], cwd=ROOT)
    print("mestudio is running on http://127.0.0.1:8000  (Ctrl-C stops web and worker)", flush=True)
    try:
        while worker.poll() is None and web.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in (web, worker):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (web, worker):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    return (web.returncode or 0) | (worker.returncode or 0)


if __name__ == "__main__":
    sys.exit(main())

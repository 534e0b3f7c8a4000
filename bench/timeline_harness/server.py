"""Fake mestudio server for the timeline component: static files, one page, and the HTTP contract.

Run: `.venv/bin/python -m bench.timeline_harness.server --frames 5000 --port 8765`, then open
http://127.0.0.1:8765/. Tests and benchmarks start it in-process with `start_server()`.
`POST /_harness/offline {"offline": true}` makes every API write answer 503 (to test unsaved work).
"""

import argparse
import json
import re
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from bench.timeline_harness.frames import FrameSource, Render, stamp_index
from bench.timeline_harness.store import KINDS, ApiError, IntervalStore

STATIC_ROOT = Path(__file__).resolve().parents[2] / "static"
CSRF = "harness-csrf-token"
VIDEO_ID = 7
REGIONS = ["brows", "eyes", "nose", "mouth", "cheeks"]
EMOTIONS = ["happiness", "surprise", "disgust", "repression", "fear", "sadness", "others"]
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{name} - timeline</title>
<style>html,body{{margin:0;height:100%;background:#16181c;font-family:system-ui,sans-serif}}</style></head>
<body><div data-testid="timeline" id="timeline" data-config-url="/api/videos/{vid}/timeline/"></div>
<script type="module" src="/static/timeline/timeline.js"></script></body></html>"""


class Harness:
    """State behind one fake server: one video, its frames, motion, intervals and predictions."""

    def __init__(
        self,
        frame_count: int = 3000,
        fps: float = 30.0,
        width: int = 192,
        height: int = 144,
        render: Render | None = None,
    ) -> None:
        self.frames = FrameSource(frame_count, width, height, render=render)
        self.store = IntervalStore(VIDEO_ID, frame_count, EMOTIONS)
        self.fps, self.offline, self.user, self.can_edit = fps, False, "coder", True
        self.chunk_delay = 0.0  # seconds added to every chunk, to see the component wait for frames
        self._motion: bytes | None = None
        for run, name, step in ((1, "baseline", 400), (2, "mcwes", 700)):
            for k, onset in enumerate(range(150, frame_count - 60, step)):
                self.store.add_prediction(
                    run, name, KINDS[k % 2], onset, onset + 8, onset + 20, 0.5 + (k % 5) / 10
                )

    def config(self) -> dict[str, Any]:
        v, f = VIDEO_ID, self.frames
        return {
            "video": {"id": v, "name": "synthetic", "frame_count": f.frame_count, "fps": self.fps,
                      "first_frame_number": 1, "width": f.width, "height": f.height},
            "dataset": {"id": 1, "name": "harness", "emotions": EMOTIONS, "kinds": KINDS},
            "frames": {"chunk_size": f.chunk_size, "chunk_url": f"/videos/{v}/chunks/{{index}}",
                       "frame_url": f"/videos/{v}/frames/{{index}}.jpg",
                       "overview_url": f"/videos/{v}/overview.jpg",
                       "overview_frames": f.overview_frames()},
            "motion_url": f"/videos/{v}/motion.f32", "intervals_url": f"/api/intervals/?video={v}",
            "interval_url": "/api/intervals/{id}/", "interval_create_url": "/api/intervals/",
            "revisions_url": "/api/intervals/{id}/revisions/",
            "predictions_url": f"/api/predictions/?video={v}",
            "prediction_accept_url": "/api/predictions/{id}/accept/",
            "prediction_reject_url": "/api/predictions/{id}/reject/",
            "csrf_token": CSRF, "can_edit": self.can_edit, "user": self.user,
        }  # fmt: skip

    def motion(self) -> bytes:
        """Noise plus a bump per prediction, rendered once, as the app sends it: float32 per region."""
        if self._motion is None:
            rng = np.random.default_rng(0)
            n = self.frames.frame_count
            values = np.empty((len(REGIONS), n), "<f4")
            for r in range(len(REGIONS)):
                signal = 0.05 * rng.random(n)
                for p in self.store.predictions.values():
                    lo, hi = p["onset"], min(p["offset"] + 1, n)
                    signal[lo:hi] += (0.3 + 0.1 * r) * np.hanning(hi - lo)
                values[r] = signal
            self._motion = values.tobytes()
        return self._motion


ROUTES: list[tuple[str, str, str]] = [
    ("GET", r"/(?:videos/\d+/)?", "page"),
    ("GET", r"/static/(?P<path>.+)", "static"),
    ("GET", r"/favicon\.ico", "favicon"),
    ("GET", r"/api/videos/\d+/timeline/", "config"),
    ("GET", r"/videos/\d+/chunks/(?P<index>\d+)", "chunk"),
    ("GET", r"/videos/\d+/frames/(?P<index>\d+)\.jpg", "frame"),
    ("GET", r"/videos/\d+/overview\.jpg", "overview"),
    ("GET", r"/videos/\d+/motion\.f32", "motion"),
    ("GET", r"/api/intervals/", "intervals"),
    ("POST", r"/api/intervals/", "create"),
    ("PATCH", r"/api/intervals/(?P<id>\d+)/", "update"),
    ("DELETE", r"/api/intervals/(?P<id>\d+)/", "delete"),
    ("GET", r"/api/intervals/(?P<id>\d+)/revisions/", "revisions"),
    ("GET", r"/api/predictions/", "predictions"),
    ("POST", r"/api/predictions/(?P<id>\d+)/accept/", "accept"),
    ("POST", r"/api/predictions/(?P<id>\d+)/reject/", "reject"),
    ("POST", r"/_harness/offline", "set_offline"),
]
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}


class Handler(BaseHTTPRequestHandler):
    harness: Harness
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: tests and benchmarks make thousands of requests."""

    def _send(
        self, status: int, body: bytes = b"", content_type: str = "application/json", cache: str = ""
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache or "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, b"" if data is None else json.dumps(data).encode())

    def _body(self) -> dict[str, Any]:
        if not self.raw_body:
            return {}
        try:
            data = json.loads(self.raw_body)
        except json.JSONDecodeError as exc:
            raise ApiError(400, {"detail": f"Body is not JSON: {exc}"}) from exc
        if not isinstance(data, dict):
            raise ApiError(400, {"detail": "Body must be a JSON object."})
        return data

    def _dispatch(self, method: str) -> None:
        # Read the body before any answer: one left unread on a kept-alive connection would be parsed as
        # the next request, and the browser's next request on that connection would get a 400.
        self.raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        found = [(n, m) for verb, p, n in ROUTES if verb == method and (m := re.fullmatch(p, url.path))]
        if not found:
            return self._json(404, {"detail": f"No route for {method} {url.path}"})
        name, match = found[0]
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            if url.path.startswith("/api/") and method != "GET" and self.harness.offline:
                raise ApiError(503, {"detail": "Harness is offline."})
            if (
                method != "GET"
                and not url.path.startswith("/_harness")
                and self.headers.get("X-CSRFToken") != CSRF
            ):
                raise ApiError(403, {"detail": "CSRF token missing or incorrect."})
            getattr(self, f"do_{name}")(query=query, **match.groupdict())
        except ApiError as exc:
            self._json(exc.status, exc.body)
        except KeyError as exc:
            self._json(404, {"detail": str(exc)})

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_page(self, query: dict[str, str]) -> None:
        self._send(200, PAGE.format(name="synthetic", vid=VIDEO_ID).encode(), "text/html; charset=utf-8")

    def do_static(self, query: dict[str, str], path: str) -> None:
        file = (STATIC_ROOT / path).resolve()
        if not file.is_relative_to(STATIC_ROOT) or not file.is_file():
            raise KeyError(f"static file {path}")
        self._send(200, file.read_bytes(), CONTENT_TYPES.get(file.suffix, "application/octet-stream"))

    def do_favicon(self, query: dict[str, str]) -> None:
        self._send(HTTPStatus.NO_CONTENT, content_type="image/x-icon")

    def do_config(self, query: dict[str, str]) -> None:
        self._json(200, self.harness.config())

    def do_chunk(self, query: dict[str, str], index: str) -> None:
        time.sleep(self.harness.chunk_delay)
        body = self.harness.frames.chunk(int(index))
        self._send(200, body, "application/octet-stream", "public, max-age=31536000, immutable")

    def do_frame(self, query: dict[str, str], index: str) -> None:
        self._send(
            200,
            self.harness.frames.frame_jpeg(int(index)),
            "image/jpeg",
            "public, max-age=31536000, immutable",
        )

    def do_overview(self, query: dict[str, str]) -> None:
        self._send(200, self.harness.frames.overview_jpeg(), "image/jpeg", "public, max-age=3600")

    def do_motion(self, query: dict[str, str]) -> None:
        body = self.harness.motion()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Motion-Regions", ",".join(REGIONS))
        self.send_header("X-Motion-Frames", str(self.harness.frames.frame_count))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_intervals(self, query: dict[str, str]) -> None:
        self._json(200, self.harness.store.all())

    def do_create(self, query: dict[str, str]) -> None:
        self._json(201, self.harness.store.create(self._body(), self.harness.user))

    def do_update(self, query: dict[str, str], id: str) -> None:  # noqa: A002 - the route's name
        self._json(200, self.harness.store.update(int(id), self._body(), self.harness.user))

    def do_delete(self, query: dict[str, str], id: str) -> None:  # noqa: A002
        version = int(query["version"]) if query.get("version", "").isdigit() else None
        self.harness.store.delete(int(id), version, self.harness.user)
        self._send(HTTPStatus.NO_CONTENT)

    def do_revisions(self, query: dict[str, str], id: str) -> None:  # noqa: A002
        self._json(200, self.harness.store.history(int(id)))

    def do_predictions(self, query: dict[str, str]) -> None:
        self._json(200, self.harness.store.list_predictions())

    def do_accept(self, query: dict[str, str], id: str) -> None:  # noqa: A002
        self._json(201, self.harness.store.accept(int(id), self._body(), self.harness.user))

    def do_reject(self, query: dict[str, str], id: str) -> None:  # noqa: A002
        self._json(200, self.harness.store.reject(int(id)))

    def do_set_offline(self, query: dict[str, str]) -> None:
        self.harness.offline = bool(self._body().get("offline"))
        self._json(200, {"offline": self.harness.offline})


def start_server(harness: Harness, port: int = 0) -> ThreadingHTTPServer:
    """Serve `harness` on 127.0.0.1 from a daemon thread; the caller calls `shutdown()`."""
    handler = type("BoundHandler", (Handler,), {"harness": harness})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def face_harness(seconds: float, fps: float, width: int, height: int) -> Harness:
    """The synthetic face video (inference.synth), bar-coded like the digit frames so exactness stays visible."""
    from inference.synth import make_spec, render_frames

    spec = make_spec(1, fps=fps, seconds=seconds, width=width, height=height)

    def render(start: int, stop: int) -> list[np.ndarray]:
        return [stamp_index(f, start + k) for k, f in enumerate(render_frames(spec, start, stop))]

    harness = Harness(spec.frame_count, fps, width, height, render=render)
    for event in spec.events:
        harness.store.add_prediction(3, "synth truth", event.kind, event.onset, event.apex, event.offset, 1.0)
    return harness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3000)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--size", default="192x144", help="frame width x height")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--face", type=float, metavar="SECONDS", help="serve the synthetic face video instead"
    )
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    if args.face:
        harness = face_harness(args.face, args.fps, width, height)
    else:
        harness = Harness(args.frames, args.fps, width, height)
    server = start_server(harness, args.port)
    print(f"timeline harness on http://127.0.0.1:{server.server_port}/")
    threading.Event().wait()


if __name__ == "__main__":
    main()

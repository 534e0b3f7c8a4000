"""In-memory intervals, revisions and predictions with the same rules as the real API (versions, 409, 400)."""

import copy
import datetime as dt
import threading
from typing import Any

KINDS = ["ME", "MaE", "blink", "other"]
EDITABLE = ("kind", "onset", "apex", "offset", "aus", "emotion", "notes")


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def parse_aus(text: str) -> list[str]:
    """Split an AU string such as 'R12A+4' into tokens; the harness needs only a plausible echo."""
    return [t.strip().upper() for t in text.replace(",", "+").split("+") if t.strip()]


class IntervalStore:
    """One video's annotations. Thread-safe: the HTTP server handles requests on several threads."""

    def __init__(self, video_id: int, frame_count: int, emotions: list[str]) -> None:
        self.video_id, self.frame_count, self.emotions = video_id, frame_count, emotions
        self.intervals: dict[int, dict[str, Any]] = {}
        self.revisions: dict[int, list[dict[str, Any]]] = {}
        self.predictions: dict[int, dict[str, Any]] = {}
        self._next_id = 1
        self._lock = threading.Lock()

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _validate(self, obj: dict[str, Any]) -> None:
        errors: dict[str, list[str]] = {}
        for field in ("onset", "apex", "offset"):
            value = obj.get(field)
            if value is None and field != "onset":
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                errors[field] = ["A frame index (integer) is required."]
            elif not 0 <= value < self.frame_count:
                errors[field] = [f"Frame {value} is outside the video (0..{self.frame_count - 1})."]
        if not errors:
            points = [obj[f] for f in ("onset", "apex", "offset") if obj.get(f) is not None]
            if points != sorted(points):
                errors["non_field_errors"] = ["Onset <= apex <= offset is required."]
        if obj.get("kind") not in KINDS:
            errors["kind"] = [f"Kind must be one of {KINDS}."]
        if obj.get("emotion") and obj["emotion"] not in self.emotions:
            errors["emotion"] = [f"'{obj['emotion']}' is not in the dataset's vocabulary."]
        if errors:
            raise ApiError(400, errors)

    def _revision(self, interval_id: int, action: str, by: str, before: Any, after: Any) -> None:
        rev = {"id": sum(map(len, self.revisions.values())) + 1, "action": action, "at": _now(), "by": by}
        rev |= {"before": copy.deepcopy(before), "after": copy.deepcopy(after)}
        self.revisions.setdefault(interval_id, []).append(rev)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(i) for i in sorted(self.intervals.values(), key=lambda i: i["onset"])]

    def create(self, data: dict[str, Any], user: str, source_prediction: int | None = None) -> dict[str, Any]:
        with self._lock:
            if data.get("video") != self.video_id:
                raise ApiError(400, {"video": [f"Unknown video {data.get('video')!r}."]})
            obj = {"kind": "ME", "apex": None, "offset": None, "aus": "", "emotion": "", "notes": ""}
            obj |= {k: data[k] for k in EDITABLE if k in data}
            self._validate(obj)
            obj |= {
                "id": self._new_id(),
                "video": self.video_id,
                "au_tokens": parse_aus(obj["aus"]),
                "version": 1,
            }
            obj |= {"source_prediction": source_prediction, "updated_at": _now(), "updated_by": user}
            self.intervals[obj["id"]] = obj
            self._revision(obj["id"], "create", user, None, obj)
            return copy.deepcopy(obj)

    def _get(self, interval_id: int) -> dict[str, Any]:
        if interval_id not in self.intervals:
            raise ApiError(404, {"detail": f"Interval {interval_id} not found."})
        return self.intervals[interval_id]

    def update(self, interval_id: int, data: dict[str, Any], user: str) -> dict[str, Any]:
        with self._lock:
            current = self._get(interval_id)
            if data.get("version") != current["version"]:
                detail = f"Version {data.get('version')} is stale; the server has {current['version']}."
                raise ApiError(409, {"detail": detail, "current": copy.deepcopy(current)})
            obj = current | {k: data[k] for k in EDITABLE if k in data}
            self._validate(obj)
            obj |= {"au_tokens": parse_aus(obj["aus"]), "version": current["version"] + 1}
            obj |= {"updated_at": _now(), "updated_by": user}
            self.intervals[interval_id] = obj
            self._revision(interval_id, "update", user, current, obj)
            return copy.deepcopy(obj)

    def delete(self, interval_id: int, version: int | None, user: str) -> None:
        with self._lock:
            current = self._get(interval_id)
            if version != current["version"]:
                detail = f"Version {version} is stale; the server has {current['version']}."
                raise ApiError(409, {"detail": detail, "current": copy.deepcopy(current)})
            del self.intervals[interval_id]
            self._revision(interval_id, "delete", user, current, None)

    def history(self, interval_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self.revisions.get(interval_id, []))

    def add_prediction(
        self, run: int, run_name: str, kind: str, onset: int, apex: int, offset: int, score: float
    ) -> None:
        pid = len(self.predictions) + 1
        self.predictions[pid] = {
            "id": pid, "run": run, "run_name": run_name, "model": "baseline", "kind": kind, "onset": onset,
            "apex": apex, "offset": offset, "score": score, "status": "pending",
            "emotion": "", "emotion_scores": None,
        }  # fmt: skip

    def list_predictions(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(p) for p in self.predictions.values()]

    def accept(self, prediction_id: int, overrides: dict[str, Any], user: str) -> dict[str, Any]:
        pred = self.predictions.get(prediction_id)
        if pred is None:
            raise ApiError(404, {"detail": f"Prediction {prediction_id} not found."})
        data = {k: pred[k] for k in ("kind", "onset", "apex", "offset", "emotion")} | overrides
        interval = self.create(data | {"video": self.video_id}, user, source_prediction=prediction_id)
        pred["status"] = "accepted"
        return interval

    def reject(self, prediction_id: int) -> dict[str, Any]:
        pred = self.predictions.get(prediction_id)
        if pred is None:
            raise ApiError(404, {"detail": f"Prediction {prediction_id} not found."})
        pred["status"] = "rejected"
        return copy.deepcopy(pred)

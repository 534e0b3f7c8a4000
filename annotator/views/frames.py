"""Frames for the browser, read from the frame store by index (never by seeking a video by time)."""

from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.views.decorators.http import require_GET

from inference.media.decode import MediaError
from inference.media.framestore import FrameStore, overview_indices
from inference.spotting.baseline import BaselineParams
from mestudio import storage

from .. import access, quality
from ..access import CAN_EDIT
from ..models import IntervalKind, PredictionCurve, PredictionRun, Video
from . import HtmxHttpRequest

# Chunks never change once written (a re-ingest writes a new store folder), so browsers keep them.
IMMUTABLE = "private, max-age=31536000, immutable"


def video_store_path(video: Video) -> Path:
    if not video.media_dir:
        raise Http404("This video has no frame store yet; ingest it first.")
    return Path(settings.MEDIA_ROOT) / video.media_dir


def stored_motion(video: Video) -> tuple[list[str], np.ndarray]:
    """The regional motion signals ingest stored (regions, (frames, regions) values); none yet:
    no regions and no values, not an error (the timeline and the API show nothing)."""
    from inference.media.pipeline import load_motion

    folder = video_store_path(video) if video.media_dir else None
    if folder is None or not (folder / "motion.npz").exists():
        return [], np.zeros((0, 0), np.float32)
    return load_motion(folder)


def _store(video: Video) -> FrameStore:
    try:
        return FrameStore(video_store_path(video))
    except MediaError as exc:
        raise Http404(str(exc)) from exc


@login_required
@require_GET
def video_chunk(request: HtmxHttpRequest, video_id: int, index: int):
    store = _store(access.get_video_for_user(request.user, video_id))
    path = store.chunk_path(index)
    if storage.object_storage():
        if not 0 <= index * store.manifest["chunk_size"] < store.manifest["frame_count"]:
            raise Http404(f"No chunk {index} in this video's frame store.")
        return HttpResponseRedirect(storage.signed_url(storage.media_name(path)))
    if not path.exists():
        raise Http404(f"No chunk {index} in this video's frame store.")
    response = FileResponse(path.open("rb"), content_type="application/octet-stream")
    response["Cache-Control"] = IMMUTABLE
    return response


@login_required
@require_GET
def video_frame(request: HtmxHttpRequest, video_id: int, index: int):
    store = _store(access.get_video_for_user(request.user, video_id))
    try:
        data = store.frame_jpeg(index)
    except IndexError as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = IMMUTABLE
    return response


@login_required
@require_GET
def video_motion(request: HtmxHttpRequest, video_id: int):
    """The regional motion signals for the timeline as raw little-endian float32, region after
    region (`X-Motion-Regions`, `X-Motion-Frames`): 2 MB and milliseconds on a 100,000-frame video,
    where the API's JSON (`/api/videos/ID/motion/`) is ~10 MB and seconds of server time."""
    regions, values = stored_motion(access.get_video_for_user(request.user, video_id))
    response = HttpResponse(values.T.astype("<f4").tobytes(), content_type="application/octet-stream")
    response["X-Motion-Regions"] = ",".join(regions)
    response["X-Motion-Frames"] = str(len(values))
    response["Cache-Control"] = "private, no-cache"  # a re-ingest rewrites it
    return response


@login_required
@require_GET
def video_overview(request: HtmxHttpRequest, video_id: int):
    path = video_store_path(access.get_video_for_user(request.user, video_id)) / "overview.jpg"
    if not path.exists():
        raise Http404("No overview strip for this video yet.")
    response = FileResponse(path.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = IMMUTABLE
    return response


@login_required
@require_GET
def video_timeline_config(request: HtmxHttpRequest, video_id: int):
    """Everything the timeline component needs to start, in one request."""
    from .enhance import WINDOW as ENHANCE_WINDOW  # enhance builds on this module

    video = access.get_video_for_user(request.user, video_id)
    dataset = video.dataset
    frames: dict = {}
    if video.media_dir:
        try:
            manifest = FrameStore(video_store_path(video)).manifest
            chunk_url = reverse("video_chunk", args=[video.pk, 0])
            frame_url = reverse("video_frame", args=[video.pk, 0])
            frames = {
                "chunk_size": manifest["chunk_size"],
                "chunk_url": chunk_url[: chunk_url.rindex("/0")] + "/{index}",
                "frame_url": frame_url[: frame_url.rindex("/0")] + "/{index}.jpg",
                "overview_url": reverse("video_overview", args=[video.pk]),
                "overview_frames": manifest.get("overview_frames")
                or overview_indices(manifest["frame_count"]),
                "width": manifest.get("width"),
                "height": manifest.get("height"),
                "has_face": (video_store_path(video) / "track.npz").exists(),
            }
        except MediaError:
            frames = {}
    interval_url = reverse("interval-detail", args=[0])
    return JsonResponse(
        {
            "video": {
                "id": video.pk,
                "name": video.name,
                "frame_count": video.frame_count,
                "fps": video.fps,
                "first_frame_number": video.first_frame_number,
                "width": video.width,
                "height": video.height,
                "ingest_state": video.ingest_state,
                "page_url": reverse("video_detail", args=[video.pk]),
            },
            "dataset": {
                "id": dataset.pk,
                "name": dataset.name,
                "emotions": dataset.emotions,
                "kinds": IntervalKind.values,
                "url": reverse("dataset_detail", args=[dataset.pk]),
            },
            "frames": frames,
            "motion_url": reverse("video_motion", args=[video.pk]),
            "face_track_url": reverse("video_face_track", args=[video.pk]),
            "enhance_url": reverse("video_enhance", args=[video.pk, "MODE"]).replace("MODE", "{mode}"),
            "enhance_window": ENHANCE_WINDOW,
            "intervals_url": reverse("interval-list") + f"?video={video.pk}",
            "interval_url": interval_url.replace("/0/", "/{id}/"),
            "interval_create_url": reverse("interval-list"),
            "revisions_url": reverse("interval-revisions", args=[0]).replace("/0/", "/{id}/"),
            "predictions_url": reverse("prediction-list") + f"?video={video.pk}",
            "prediction_accept_url": reverse("prediction-accept", args=[0]).replace("/0/", "/{id}/"),
            "prediction_reject_url": reverse("prediction-reject", args=[0]).replace("/0/", "/{id}/"),
            "csrf_token": get_token(request),
            "can_edit": access.role_in(request.user, dataset.pk) in CAN_EDIT,
            "user": request.user.get_username(),
        }
        | review_config(video)
    )


def curve_threshold(run: PredictionRun) -> float | None:
    """Where the run's score threshold lies on its curves, when a score is a level of the curve.

    A baseline score is a function of the accumulated curve's peak height, so the threshold is a
    height; an MC-WES score is a contrast of its proposal, not a level, so it has no line."""
    if run.model != PredictionRun.Model.BASELINE:
        return None
    try:
        params = BaselineParams(**run.params)
    except (TypeError, ValueError):  # parameters of an older version: draw the curve without a line
        return None
    return params.height_for_score(run.threshold)


def review_config(video: Video) -> dict:
    """URLs and choices of the timeline's review tools: comparison, comments, weak labels, curves."""
    curve_runs = PredictionRun.objects.filter(
        pk__in=PredictionCurve.objects.filter(video=video).values("run")
    ).order_by("started_at", "pk")
    return {
        "compare_url": reverse("review-compare", args=[video.pk]),
        "compare_with": {
            "runs": [{"id": r.pk, "name": r.name} for r in video.dataset.runs.order_by("started_at", "pk")],
            "annotators": quality.annotators_of(Video.objects.filter(pk=video.pk)),
        },
        "comments_url": reverse("comment-list") + f"?video={video.pk}",
        "comment_create_url": reverse("comment-list"),
        "comment_resolve_url": reverse("comment-resolve", args=[0]).replace("/0/", "/{id}/"),
        "weak_labels_url": reverse("weak-label-list") + f"?video={video.pk}",
        "weak_label_create_url": reverse("weak-label-list"),
        "weak_label_url": reverse("weak-label-detail", args=[0]).replace("/0/", "/{id}/"),
        "curve_runs": [
            {
                "id": run.pk,
                "name": run.name,
                "threshold": run.threshold,
                "threshold_on_curve": curve_threshold(run),
                "url": reverse("run-curves", args=[run.pk]) + f"?video={video.pk}",
            }
            for run in curve_runs
        ],
    }

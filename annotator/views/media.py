"""Adding videos from the page, and the pictures of what ingest found (face track, motion)."""

import json

import cv2
import numpy as np
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from inference.media.framestore import FrameStore, encode_jpeg
from inference.media.motion import motion_plot
from inference.media.pipeline import load_motion, load_track

from .. import access, ingest
from ..access import CAN_EDIT
from . import HtmxHttpRequest
from .frames import IMMUTABLE, video_store_path


@login_required
@require_POST
def dataset_ingest(request: HtmxHttpRequest, dataset_id: int):
    """Upload a video file, or name a folder under an import root, and queue its ingest."""
    dataset = access.get_dataset_for_user(request.user, dataset_id, CAN_EDIT)
    try:
        fps = float(request.POST["fps"]) if request.POST.get("fps") else None
        if request.FILES.get("file"):
            sources = ingest.discover(ingest.save_upload(request.FILES["file"]))
        elif request.POST.get("path"):
            sources = ingest.discover(ingest.resolve_import_path(request.POST["path"]))
        else:
            raise ValidationError("Choose a video file to upload or a server folder to import.")
        for source in sources:
            video, job = ingest.add_source(
                dataset, source, request.user, subject=request.POST.get("subject") or None, fps=fps
            )
            if job is None:
                messages.info(request, f"{source.path.name} is already ingested as video {video.name}.")
            else:
                messages.success(request, f"{video.name}: ingest queued (job #{job.pk}).")
    except (ValidationError, ValueError) as exc:
        for message in getattr(exc, "messages", [str(exc)]):
            messages.error(request, message)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = request.META.get("HTTP_REFERER", "/")
        return response
    return redirect("dataset_detail", dataset.pk)


def _ready_store(request, video_id: int):
    video = access.get_video_for_user(request.user, video_id)
    folder = video_store_path(video)
    if not (folder / "track.npz").exists():
        raise Http404("This video has not been ingested yet.")
    return video, folder


@login_required
@require_GET
def video_face(request: HtmxHttpRequest, video_id: int):
    """A frame with the tracked face box and landmarks drawn, plus the aligned crop beside it."""
    video, folder = _ready_store(request, video_id)
    track = load_track(folder)
    store = FrameStore(folder)
    try:
        index = int(
            request.GET.get("frame") or json.loads((folder / "result.json").read_text())["sample_frame"]
        )
    except (ValueError, OSError, KeyError):
        raise Http404("Give ?frame= as a frame index.") from None
    if not 0 <= index < len(store):
        raise Http404(f"Frame {index} is outside 0..{len(store) - 1}.")
    image = store.frame(index)
    image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image
    scale = image.shape[1] / float(video.width or image.shape[1])
    if track["flags"][index]:
        x0, y0, x1, y1 = (track["boxes"][index] * scale).round().astype(int)
        cv2.rectangle(image, (x0, y0), (x1, y1), (60, 200, 60), 2)
        for x, y in (track["landmarks"][index] * scale).round().astype(int):
            cv2.circle(image, (int(x), int(y)), 1, (40, 220, 255), -1)
    else:
        cv2.putText(image, "no face in this frame", (12, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (40, 40, 230), 2)
    crop = FrameStore(folder, folder="crops").frame(index)
    side = cv2.resize(crop, (image.shape[0], image.shape[0]), interpolation=cv2.INTER_NEAREST)
    combined = np.hstack([image, cv2.cvtColor(side, cv2.COLOR_GRAY2BGR)])
    response = HttpResponse(encode_jpeg(combined, 90), content_type="image/jpeg")
    response["Cache-Control"] = IMMUTABLE
    return response


@login_required
@require_GET
def video_motion_plot(request: HtmxHttpRequest, video_id: int):
    video, folder = _ready_store(request, video_id)
    regions, values = load_motion(folder)
    response = HttpResponse(motion_plot(values, regions, video.fps or 0.0), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response

"""Ingest a video's source into its frame store, face track and motion signals (queue `media`)."""

from pathlib import Path

from django.conf import settings

from inference.media.decode import MediaError
from inference.media.pipeline import ingest
from inference.spotting.baseline import BaselineParams
from mestudio import storage

from ..importing import place_waiting_labels
from ..jobs import JobContext, JobFailure, job_handler
from ..models import Job, Video
from ..models.videos import IngestState
from ..spotting import window_signals
from .spotting import prelabel_after_ingest

INGEST_WORKERS = 2  # parallel parts per video; the pipeline splits the video at chunk boundaries


def store_folder(video: Video) -> str:
    return f"videos/{video.pk}/store"


@job_handler("ingest", queue="media", time_limit=4 * 3600)
def ingest_video(job: Job, ctx: JobContext) -> dict:
    video = Video.objects.select_related("dataset").get(pk=job.video_id)
    folder = store_folder(video)
    Video.objects.filter(pk=video.pk).update(ingest_state=IngestState.INGESTING, ingest_error="")
    fps = job.params.get("fps") or (None if Path(video.source_path).is_file() else video.dataset.default_fps)
    try:
        result = ingest(
            Path(video.source_path),
            Path(settings.MEDIA_ROOT) / folder,
            fps=fps,
            workers=INGEST_WORKERS,
            progress=lambda stage, percent: ctx.progress(percent, stage),
        )
    except MediaError as exc:
        Video.objects.filter(pk=video.pk).update(ingest_state=IngestState.FAILED, ingest_error=str(exc))
        raise JobFailure(str(exc)) from exc
    except Exception as exc:
        Video.objects.filter(pk=video.pk).update(
            ingest_state=IngestState.FAILED, ingest_error=f"Ingest stopped by an unexpected error: {exc}"
        )
        raise
    # The baseline's slow-motion signal belongs with the motion signals: computing it here keeps
    # pre-labelling after ingest far faster than real time.
    ctx.progress(97, "window", "Window motion for the spotters")
    video.media_dir, video.fps = folder, result.fps
    window_signals(video, result.frame_count, BaselineParams().window_half_s)
    if storage.object_storage():
        ctx.progress(99, "publish", "Copying the frame store to object storage")
        storage.publish_folder(Path(settings.MEDIA_ROOT) / folder)
    is_folder = Path(video.source_path).is_dir()
    Video.objects.filter(pk=video.pk).update(
        fps=result.fps,
        frame_count=result.frame_count,
        width=result.width,
        height=result.height,
        grayscale=result.grayscale,
        first_frame_number=result.first_frame_number if is_folder else video.first_frame_number,
        media_dir=folder,
        ingest_state=IngestState.READY,
        ingest_error="\n".join(result.messages),
    )
    outside = video.intervals.filter(onset__gte=result.frame_count).count()
    messages = list(result.messages)
    messages += place_waiting_labels(video.pk)  # imported labels that waited for these frames
    if outside:
        messages.append(
            f"{outside} interval(s) start beyond the last frame ({result.frame_count - 1}); check them."
        )
    prelabel_after_ingest(video)  # queues the baseline when the dataset asks for it
    return {
        "frame_count": result.frame_count,
        "fps": result.fps,
        "size": f"{result.width}x{result.height}",
        "first_frame_number": result.first_frame_number,
        "gaps": result.gaps,
        "variable_frame_rate": result.vfr,
        "face_found_ratio": round(result.face_found_ratio, 4),
        "timings_s": {k: round(v, 2) for k, v in result.timings.items()},
        "messages": messages,
    }

"""Probe a video's source: true frame count, frame rate and size, without building the frame store."""

from inference.media.decode import MediaError, probe

from ..jobs import JobContext, JobFailure, job_handler
from ..models import Job, Video


@job_handler("probe", queue="media", time_limit=600)
def probe_video(job: Job, ctx: JobContext) -> dict:
    video = Video.objects.get(pk=job.video_id)
    ctx.progress(10, "probe", f"Reading {video.source_path}")
    try:
        info = probe(video.source_path, fps=job.params.get("fps"))
    except MediaError as exc:
        raise JobFailure(str(exc)) from exc
    Video.objects.filter(pk=video.pk).update(
        fps=info.fps,
        frame_count=info.frame_count,
        width=info.width,
        height=info.height,
        grayscale=info.grayscale,
    )
    return {"frame_count": info.frame_count, "fps": info.fps, "width": info.width, "height": info.height}

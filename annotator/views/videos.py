"""The video page and the annotation page that mounts the timeline component."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .. import access
from . import HtmxHttpRequest


@login_required
def video_detail(request: HtmxHttpRequest, video_id: int):
    video = access.get_video_for_user(request.user, video_id)
    context = {
        "video": video,
        "dataset": video.dataset,
        "intervals": video.intervals.all(),
        "jobs": video.jobs.all()[:10],
        "role": access.role_in(request.user, video.dataset_id),
    }
    return render(request, "videos/detail.html", context)


@login_required
def video_annotate(request: HtmxHttpRequest, video_id: int):
    video = access.get_video_for_user(request.user, video_id)
    return render(request, "videos/annotate.html", {"video": video, "dataset": video.dataset})

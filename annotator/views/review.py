"""Review pages: a dataset's videos by workflow state, and a video's review panel with comments.

Buttons post plain forms (htmx swaps the panel when present); every move goes through
`annotator.review`, so the pages and the API refuse the same things. The accept button carries
the label revision the page was rendered with: labels edited since then make it answer 409.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from .. import access, review
from ..access import CAN_EDIT, CAN_REVIEW
from ..models import Comment, Membership, ReviewState, Video
from . import HtmxHttpRequest


def _int(value: str | None) -> int | None:
    """A form's id or frame, None when missing, not a number or beyond what the database holds."""
    try:
        number = int(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and 0 <= number < 2**63 else None


@login_required
@require_GET
def dataset_review(request: HtmxHttpRequest, dataset_id: int):
    """Videos by state, with filters (state, assignee, name), counts per state and progress."""
    dataset = access.get_dataset_for_user(request.user, dataset_id)
    all_videos = Video.objects.filter(dataset=dataset)
    videos = all_videos.select_related("subject", "assigned_annotator", "assigned_reviewer").annotate(
        open_comments=Count("comments", filter=Q(comments__resolved=False), distinct=True),
        last_move=Max("transitions__at"),
    )
    filters = {
        "state": request.GET.get("state", ""),
        "annotator": _int(request.GET.get("annotator")),
        "reviewer": _int(request.GET.get("reviewer")),
        "q": request.GET.get("q", "").strip(),
    }
    if filters["state"]:
        videos = videos.filter(review_state=filters["state"])
    if filters["annotator"]:
        videos = videos.filter(assigned_annotator_id=filters["annotator"])
    if filters["reviewer"]:
        videos = videos.filter(assigned_reviewer_id=filters["reviewer"])
    if filters["q"]:
        videos = videos.filter(name__icontains=filters["q"])
    counts = review.state_counts(all_videos)
    total = sum(counts.values())
    members = Membership.objects.filter(dataset=dataset).select_related("user")
    role = access.role_in(request.user, dataset.pk)
    labels = dict(ReviewState.choices)
    rows = [
        {
            "video": v,
            "label": labels.get(v.review_state, v.review_state),
            "moves": review.moves_for(request.user, v),
        }
        for v in videos
    ]
    context = {
        "dataset": dataset,
        "rows": rows,
        "filters": filters,
        "states": [(s, label, counts[s]) for s, label in ReviewState.choices],
        "total": total,
        "accepted_pct": round(100 * counts[ReviewState.ACCEPTED] / total) if total else 0,
        "submitted_pct": round(100 * counts[ReviewState.SUBMITTED] / total) if total else 0,
        "annotators": [m.user for m in members if m.role in CAN_EDIT],
        "reviewers": [m.user for m in members if m.role in CAN_REVIEW],
        "can_assign": role in CAN_REVIEW,
    }
    return render(request, "review/dataset.html", context)


def _panel(request: HtmxHttpRequest, video: Video, error: str = "") -> HttpResponse:
    context = {
        "video": video,
        "state_label": dict(ReviewState.choices).get(video.review_state, video.review_state),
        "moves": review.moves_for(request.user, video),
        "transitions": video.transitions.select_related("by"),
        "comments": video.comments.select_related("author", "interval"),
        "latest_revision": review.latest_revision(video),
        "can_comment": access.role_in(request.user, video.dataset_id) in CAN_EDIT,
        "error": error,
    }
    return render(request, "review/_video_panel.html", context)


@login_required
@require_GET
def video_review(request: HtmxHttpRequest, video_id: int):
    """The video page's review panel (loaded by htmx)."""
    return _panel(request, access.get_video_for_user(request.user, video_id))


def _back(request: HtmxHttpRequest, video: Video, error: str = "", status: int = 200) -> HttpResponse:
    """htmx: the refreshed panel, error shown in it (htmx swaps no 4xx, so the page keeps 200 and
    says `HX-Refusal`: the status); a plain form post: back where it came from, with the message."""
    if request.htmx:
        response = _panel(request, video, error)
        if error:
            response["HX-Refusal"] = str(status)
        return response
    if error:
        messages.error(request, error)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("video_detail", video.pk)


@login_required
@require_POST
def video_move(request: HtmxHttpRequest, video_id: int):
    video = access.get_video_for_user(request.user, video_id)
    try:
        review.transition(
            video,
            request.POST.get("to", ""),
            request.user,
            request.POST.get("note", "").strip(),
            _int(request.POST.get("seen_revision")),
        )
    except review.StaleRevision as exc:
        return _back(request, video, str(exc), 409)
    except review.TransitionRefused as exc:
        return _back(request, video, str(exc), 409)
    except PermissionDenied as exc:
        return _back(request, video, str(exc), 403)
    except ValidationError as exc:
        return _back(request, video, " ".join(exc.messages), 400)
    return _back(request, video)


@login_required
@require_POST
def video_assign(request: HtmxHttpRequest, video_id: int):
    video = access.get_video_for_user(request.user, video_id, CAN_REVIEW)
    try:
        review.assign(
            video, request.user, _int(request.POST.get("annotator")), _int(request.POST.get("reviewer"))
        )
    except ValidationError as exc:
        return _back(request, video, " ".join(exc.messages), 400)
    return _back(request, video)


@login_required
@require_POST
def video_comment(request: HtmxHttpRequest, video_id: int):
    video = access.get_video_for_user(request.user, video_id, CAN_EDIT)
    frame = _int(request.POST.get("frame"))
    if frame is None:
        return _back(request, video, "A comment needs a frame number.", 400)
    try:
        review.add_comment(
            video, frame, request.POST.get("text", ""), request.user, _int(request.POST.get("interval"))
        )
    except ValidationError as exc:
        return _back(request, video, " ".join(exc.messages), 400)
    return _back(request, video)


@login_required
@require_POST
def comment_resolve(request: HtmxHttpRequest, comment_id: int):
    comment = Comment.objects.filter(pk=comment_id).first()
    video = access.get_video_for_user(request.user, comment.video_id if comment else 0, CAN_EDIT)
    review.set_resolved(comment, request.POST.get("resolved", "true") != "false")
    return _back(request, video)

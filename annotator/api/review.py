"""Review over the API: a video's workflow state and moves, assignments, comments, comparisons.

`/api/review/{video}/` is keyed by video id. Accepting needs `seen_revision`, the newest label
revision id the client loaded; a newer one answers 409 so nobody accepts labels they have not seen.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from .. import access, quality, review
from ..access import CAN_EDIT
from ..models import Comment, ReviewState, ReviewTransition
from .views import _django_errors, _int_param


class TransitionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None, read_only=True)

    class Meta:
        model = ReviewTransition
        fields = ["id", "from_state", "to_state", "by", "at", "note"]


class ReviewSerializer(serializers.Serializer):
    video = serializers.IntegerField(source="pk")
    state = serializers.CharField(source="review_state")
    assigned_annotator = serializers.CharField(
        source="assigned_annotator.username", default=None, allow_null=True
    )
    assigned_reviewer = serializers.CharField(
        source="assigned_reviewer.username", default=None, allow_null=True
    )
    latest_revision = serializers.IntegerField()
    moves = serializers.ListField(child=serializers.DictField())
    transitions = TransitionSerializer(many=True)


class MoveRequestSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=ReviewState.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    seen_revision = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Needed to accept: newest revision id seen."
    )


class AssignRequestSerializer(serializers.Serializer):
    annotator = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**63 - 1
    )
    reviewer = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**63 - 1
    )


class CommentSerializer(serializers.ModelSerializer):
    # Plain ids: the access helpers decide (404 for another dataset's video, as everywhere).
    video = serializers.IntegerField(source="video_id", min_value=1, max_value=2**63 - 1)
    interval = serializers.IntegerField(
        source="interval_id", required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )
    author = serializers.CharField(source="author.username", default=None, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "video", "frame", "interval", "author", "text", "resolved", "created_at"]
        read_only_fields = ["author", "resolved", "created_at"]


class ResolveSerializer(serializers.Serializer):
    resolved = serializers.BooleanField(default=True)


def review_data(video, user) -> dict:
    return {
        "pk": video.pk,
        "review_state": video.review_state,
        "assigned_annotator": video.assigned_annotator,
        "assigned_reviewer": video.assigned_reviewer,
        "latest_revision": review.latest_revision(video),
        "moves": [{"to": m.target, "label": m.label} for m in review.moves_for(user, video)],
        "transitions": video.transitions.select_related("by"),
    }


@extend_schema(parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="Video id.")])
class ReviewViewSet(viewsets.ViewSet):
    """Workflow of one video (`pk` = video id)."""

    def _video(self, pk: str, capability=access.CAN_VIEW):
        return access.get_video_for_user(self.request.user, int(pk), capability)

    @extend_schema(responses=ReviewSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        video = self._video(pk)
        return Response(ReviewSerializer(review_data(video, request.user)).data)

    @extend_schema(request=MoveRequestSerializer, responses={200: ReviewSerializer, 409: dict})
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        """Move the video (annotators submit, reviewers accept or request changes)."""
        video = self._video(pk)
        body = MoveRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            review.transition(video, data["to"], request.user, data["note"], data["seen_revision"])
        except review.StaleRevision as exc:
            return Response(
                {"detail": str(exc), "seen_revision": exc.seen, "latest_revision": exc.latest},
                status=status.HTTP_409_CONFLICT,
            )
        except review.TransitionRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        video.refresh_from_db()
        return Response(ReviewSerializer(review_data(video, request.user)).data)

    @extend_schema(request=AssignRequestSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        """Set or clear (null) the assigned annotator and reviewer (owners and reviewers)."""
        video = self._video(pk, access.CAN_REVIEW)
        body = AssignRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            review.assign(
                video, request.user, body.validated_data["annotator"], body.validated_data["reviewer"]
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(ReviewSerializer(review_data(video, request.user)).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("run", int, description="Compare with this prediction run..."),
            OpenApiParameter("annotator", str, description="...or with this annotator (username)."),
            OpenApiParameter("base", str, description="Whose labels are the human side (default: all)."),
            OpenApiParameter("iou", float, description="IoU for a match (default 0.5)."),
        ],
        responses=dict,
    )
    @action(detail=True, methods=["get"])
    def compare(self, request: Request, pk: str) -> Response:
        """Matches, misses and extras with their IoU, for the timeline's comparison lane."""
        video = self._video(pk)
        try:
            threshold = float(request.query_params.get("iou", 0.5))
        except ValueError:
            raise ValidationError({"iou": "iou must be a number in (0, 1]."}) from None
        if not 0 < threshold <= 1:
            raise ValidationError({"iou": "iou must be in (0, 1]."})
        run_id, name = _int_param(request, "run"), request.query_params.get("annotator")
        if (run_id is None) == (not name):
            raise ValidationError({"detail": "Give either run=ID or annotator=USERNAME."})
        try:
            base = request.query_params.get("base")
            base = quality.find_annotator(video.dataset, base) if base else None
            other = quality.find_annotator(video.dataset, name) if name else None
        except ValueError as exc:
            raise ValidationError({"annotator": str(exc)}) from exc
        run = None
        if run_id is not None:
            run = access.get_run_for_user(request.user, run_id)
            if run.dataset_id != video.dataset_id:
                raise Http404("No such run in this video's dataset.")
        return Response(quality.compare_video(video, threshold, run=run, other=other, base=base))


class CommentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Frame-anchored comments; list them with `?video=ID` (and `resolved=false` for open ones)."""

    serializer_class = CommentSerializer
    pagination_class = None

    @extend_schema(
        parameters=[OpenApiParameter("video", int, required=True), OpenApiParameter("resolved", bool)]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        if self.action != "list":
            return Comment.objects.none()
        video_id = _int_param(self.request, "video")
        if video_id is None:
            raise ValidationError({"video": "List comments of one video: ?video=ID."})
        video = access.get_video_for_user(self.request.user, video_id)
        qs = video.comments.select_related("author")
        resolved = self.request.query_params.get("resolved")
        if resolved in ("true", "false"):
            qs = qs.filter(resolved=resolved == "true")
        return qs

    def get_object(self) -> Comment:
        comment = Comment.objects.select_related("video", "author").filter(pk=int(self.kwargs["pk"])).first()
        if comment is None:
            raise Http404("No such comment.")
        access.get_video_for_user(self.request.user, comment.video_id)
        return comment

    def create(self, request: Request, *args, **kwargs) -> Response:
        """Comment at a frame (annotators, reviewers, owners)."""
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        video = access.get_video_for_user(request.user, data["video_id"], CAN_EDIT)
        try:
            comment = review.add_comment(
                video, data["frame"], data["text"], request.user, data.get("interval_id")
            )
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ResolveSerializer, responses=CommentSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        """Mark resolved (or reopen with `resolved: false`)."""
        comment = self.get_object()
        access.get_video_for_user(request.user, comment.video_id, CAN_EDIT)
        body = ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review.set_resolved(comment, body.validated_data["resolved"])
        return Response(CommentSerializer(comment).data)

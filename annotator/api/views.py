"""REST endpoints. Objects come only through the access helpers, so other datasets answer 404."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from .. import access, ingest, labels, predictions
from ..access import CAN_EDIT, CAN_MANAGE
from ..jobs import JobFailure, retry_job
from ..models import Interval, Membership, Prediction, Revision, Role, Subject, Video
from . import serializers as s

CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValidationError({name: f"{name} must be an integer id, not {value!r}."}) from None
    if not 0 < number < 2**63:  # ids are positive 64-bit integers in every database
        raise ValidationError({name: f"{name} must be a positive integer id, not {value!r}."})
    return number


def _django_errors(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


class DatasetViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.DatasetSerializer

    def get_queryset(self):
        return access.datasets_for_user(self.request.user)

    def get_object(self):
        capability = CAN_MANAGE if self.action in {"update", "partial_update"} else access.CAN_VIEW
        return access.get_dataset_for_user(self.request.user, int(self.kwargs["pk"]), capability)

    @transaction.atomic
    def perform_create(self, serializer):
        dataset = serializer.save()
        Membership.objects.create(dataset=dataset, user=self.request.user, role=Role.OWNER)

    @extend_schema(responses=s.MembershipSerializer(many=True))
    @action(detail=True, methods=["get"])
    def members(self, request: Request, pk: str) -> Response:
        dataset = self.get_object()
        return Response(s.MembershipSerializer(dataset.memberships.select_related("user"), many=True).data)


class SubjectViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.SubjectSerializer

    @extend_schema(parameters=[OpenApiParameter("dataset", int)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        qs = Subject.objects.filter(dataset__in=access.datasets_for_user(self.request.user))
        dataset = _int_param(self.request, "dataset")
        return qs.filter(dataset_id=dataset) if dataset else qs


class VideoViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.VideoSerializer

    @extend_schema(parameters=[OpenApiParameter("dataset", int)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        qs = Video.objects.filter(dataset__in=access.datasets_for_user(self.request.user)).select_related(
            "subject"
        )
        dataset = _int_param(self.request, "dataset")
        return qs.filter(dataset_id=dataset) if dataset else qs

    def get_object(self):
        return access.get_video_for_user(self.request.user, int(self.kwargs["pk"]))

    @extend_schema(request=s.IngestRequestSerializer, responses={202: s.IngestedSerializer(many=True)})
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def ingest(self, request: Request) -> Response:
        """Add videos by upload or from a server path (inside IMPORT_ROOTS) and queue their ingest."""
        body = s.IngestRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dataset = access.get_dataset_for_user(request.user, body.validated_data["dataset"], CAN_EDIT)
        try:
            if body.validated_data.get("file"):
                sources = ingest.discover(ingest.save_upload(body.validated_data["file"]))
            else:
                sources = ingest.discover(ingest.resolve_import_path(body.validated_data["path"]))
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        results = []
        for source in sources:
            video, job = ingest.add_source(
                dataset,
                source,
                request.user,
                subject=body.validated_data.get("subject") or None,
                fps=body.validated_data.get("fps"),
            )
            detail = f"already ingested as video {video.name}" if job is None else "ingest queued"
            results.append({"video": video, "job": job, "detail": detail})
        return Response(s.IngestedSerializer(results, many=True).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def motion(self, request: Request, pk: str) -> Response:
        """Per-frame regional motion magnitudes (empty until ingest has computed them)."""
        from ..views.frames import stored_motion

        video = self.get_object()
        regions, values = stored_motion(video)
        rounded = values.round(4)
        return Response(
            {
                "regions": list(regions),
                "fps": video.fps,
                "values": {r: rounded[:, i].tolist() for i, r in enumerate(regions)},
            }
        )


class IntervalViewSet(viewsets.ModelViewSet):
    """Human intervals. Update and delete need the version you last saw (`version` or If-Match)."""

    serializer_class = s.IntervalSerializer
    pagination_class = None
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    @extend_schema(parameters=[OpenApiParameter("video", int), OpenApiParameter("dataset", int)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        qs = Interval.objects.filter(video__dataset__in=access.datasets_for_user(self.request.user))
        video, dataset = _int_param(self.request, "video"), _int_param(self.request, "dataset")
        if self.action == "list" and video is None and dataset is None:
            raise ValidationError({"video": "Give ?video=ID or ?dataset=ID."})
        if video is not None:
            qs = qs.filter(video_id=video)
        if dataset is not None:
            qs = qs.filter(video__dataset_id=dataset)
        return qs.select_related("updated_by")

    def get_object(self):
        return access.get_interval_for_user(self.request.user, int(self.kwargs["pk"]))

    def _expected_version(self, request: Request) -> tuple[int, bool]:
        """The client's version and whether it came as If-Match (412 instead of 409 when stale)."""
        if_match = request.headers.get("If-Match")
        raw = (
            if_match.strip('W/"')
            if if_match
            else request.data.get("version", request.query_params.get("version"))
        )
        if raw in (None, ""):
            raise ValidationError(
                {"version": "Send the version you last saw (field `version` or If-Match header)."}
            )
        try:
            return int(raw), bool(if_match)
        except (TypeError, ValueError):
            raise ValidationError({"version": f"version must be an integer, not {raw!r}."}) from None

    def _conflict(self, exc: labels.VersionConflict, precondition: bool) -> Response:
        current = s.IntervalSerializer(exc.current).data if exc.current else None
        detail = str(exc) if exc.current else "This interval was deleted by someone else."
        code = status.HTTP_412_PRECONDITION_FAILED if precondition else status.HTTP_409_CONFLICT
        return Response({"detail": detail, "current": current}, status=code)

    @extend_schema(
        description="Optional `client_id` (1-64 letters, digits, - or _) makes the create idempotent: "
        "re-sending it (a reply lost, then a reload) answers 200 with the interval already made."
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        video = access.get_video_for_user(request.user, serializer.validated_data["video_id"], CAN_EDIT)
        client_id = request.data.get("client_id")
        extra = {}
        if client_id is not None:
            if not (isinstance(client_id, str) and CLIENT_ID.fullmatch(client_id)):
                raise ValidationError({"client_id": "client_id must be 1-64 letters, digits, - or _."})
            extra["provenance"] = {"client_id": client_id}
        earlier = client_id is not None and self._made_earlier(video, client_id)
        if earlier:
            return Response(self.get_serializer(earlier).data, status=status.HTTP_200_OK)
        try:
            interval = labels.create_interval(video, serializer.validated_data, request.user, **extra)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        except IntegrityError:
            earlier = client_id is not None and self._made_earlier(video, client_id)
            if not earlier:
                raise
            # The same create, sent twice at once: the other send made it (a unique constraint guards this).
            return Response(self.get_serializer(earlier).data, status=status.HTTP_200_OK)
        return Response(self.get_serializer(interval).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _made_earlier(video: Video, client_id: str) -> Interval | None:
        return Interval.objects.filter(video=video, provenance__client_id=client_id).first()

    def update(self, request: Request, *args, **kwargs) -> Response:
        interval = access.get_interval_for_user(request.user, int(kwargs["pk"]), CAN_EDIT)
        version, precondition = self._expected_version(request)
        serializer = self.get_serializer(interval, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = {k: v for k, v in serializer.validated_data.items() if k not in {"video_id", "version"}}
        try:
            serializer.instance = labels.update_interval(interval.pk, values, version, request.user)
        except labels.VersionConflict as exc:
            return self._conflict(exc, precondition)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(serializer.data)  # the validating serializer answers too: its fields are built once

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        interval = access.get_interval_for_user(request.user, int(kwargs["pk"]), CAN_EDIT)
        version, precondition = self._expected_version(request)
        try:
            labels.delete_interval(interval.pk, version, request.user)
        except labels.VersionConflict as exc:
            return self._conflict(exc, precondition)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=s.RevisionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def revisions(self, request: Request, pk: str) -> Response:
        interval = self.get_object()
        history = Revision.objects.filter(interval_id=interval.pk).select_related("by")
        return Response(s.RevisionSerializer(history, many=True).data)


class PredictionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.PredictionSerializer
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("video", int), OpenApiParameter("run", int)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        qs = Prediction.objects.filter(video__dataset__in=access.datasets_for_user(self.request.user))
        video, run = _int_param(self.request, "video"), _int_param(self.request, "run")
        if self.action == "list" and video is None and run is None:
            raise ValidationError({"video": "Give ?video=ID or ?run=ID."})
        if video is not None:
            qs = qs.filter(video_id=video)
        if run is not None:
            qs = qs.filter(run_id=run)
        return (
            qs.select_related("run").filter(score__gte=F("run__threshold")).order_by("video", "onset", "id")
        )

    def get_object(self):
        return access.get_prediction_for_user(self.request.user, int(self.kwargs["pk"]))

    @extend_schema(request=s.PredictionAcceptSerializer, responses={201: s.IntervalSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        prediction = access.get_prediction_for_user(request.user, int(pk), CAN_EDIT)
        overrides = s.PredictionAcceptSerializer(data=request.data)
        overrides.is_valid(raise_exception=True)
        try:
            interval = predictions.accept(prediction, overrides.validated_data, request.user)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(s.IntervalSerializer(interval).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.PredictionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        prediction = access.get_prediction_for_user(request.user, int(pk), CAN_EDIT)
        predictions.reject(prediction)
        return Response(s.PredictionSerializer(prediction).data)


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.JobSerializer

    def get_queryset(self):
        return access.jobs_for_user(self.request.user)

    def get_object(self):
        return access.get_job_for_user(self.request.user, int(self.kwargs["pk"]))

    @extend_schema(request=None, responses=s.JobSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        job = access.get_job_for_user(request.user, int(pk), CAN_EDIT)
        try:
            job = retry_job(job)
        except JobFailure as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(s.JobSerializer(job).data)

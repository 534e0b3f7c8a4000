"""Spotting endpoints: weak labels (the timeline tags a video or a window), prediction runs
(threshold, MEGC metrics, curves, start a pre-labelling job) and the checkpoint registry."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from .. import access
from ..access import CAN_EDIT
from ..jobs import start_job
from ..models import ModelCheckpoint, PredictionCurve, PredictionRun, WeakLabel
from ..recognition import RecognitionError, load_for_prelabel
from ..spotting import evaluate_run
from ..views.models import TrainForm
from ..views.mol import MolTrainForm
from .views import _int_param


class WeakLabelSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = WeakLabel
        fields = ["id", "video", "start", "end", "contains_me", "contains_mae", "author", "created_at"]
        read_only_fields = ["author", "created_at"]

    def validate(self, data: dict) -> dict:
        start, end, video = data.get("start"), data.get("end"), data["video"]
        if (start is None) != (end is None):
            raise ValidationError(
                {"end": "Give both start and end for a window, or neither for the whole video."}
            )
        if start is not None and end < start:
            raise ValidationError({"end": f"The window ends ({end}) before it starts ({start})."})
        if end is not None and video.frame_count is not None and end >= video.frame_count:
            raise ValidationError({"end": f"Frame {end} is past the last frame ({video.frame_count - 1})."})
        return data


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = PredictionRun
        fields = ["id", "dataset", "name", "model", "checkpoint", "params", "threshold", "report", "metrics"]
        fields += ["job", "started_at", "finished_at"]
        read_only_fields = [f for f in fields if f != "threshold"]

    def validate_threshold(self, value: float) -> float:
        if not 0 <= value <= 1:
            raise ValidationError("The threshold is a score between 0 and 1.")
        return value


class PrelabelSerializer(serializers.Serializer):
    dataset = serializers.IntegerField()
    model = serializers.ChoiceField(choices=["baseline", "mcwes"], default="baseline")
    checkpoint = serializers.IntegerField(required=False)
    video = serializers.IntegerField(required=False)


class TrainSerializer(serializers.Serializer):
    dataset = serializers.IntegerField()
    model = serializers.ChoiceField(choices=["mcwes", "mol"])
    params = serializers.DictField(
        required=False,
        default=dict,
        help_text="The model page's training fields: MC-WES labels, epochs, loso, name; "
        "MOL classes, steps, loso, flow_width, lr, batch_size, name.",
    )


class CheckpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelCheckpoint
        fields = ["id", "dataset", "kind", "name", "sha256", "config", "metrics", "training_data", "uploaded"]
        fields += ["job", "created_at"]


class WeakLabelViewSet(
    mixins.CreateModelMixin, mixins.DestroyModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Weak labels of a video: whole video (no start/end) or a window, containing ME / MaE / nothing."""

    serializer_class = WeakLabelSerializer
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("video", int, required=True)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        video = _int_param(self.request, "video")
        if self.action == "list":
            if video is None:
                raise ValidationError({"video": "Give ?video=ID."})
            return access.get_video_for_user(self.request.user, video).weak_labels.select_related("author")
        return WeakLabel.objects.filter(video__dataset__in=access.datasets_for_user(self.request.user))

    def perform_create(self, serializer):
        video = access.get_video_for_user(self.request.user, serializer.validated_data["video"].pk, CAN_EDIT)
        serializer.save(video=video, author=self.request.user)

    def perform_destroy(self, instance):
        access.get_video_for_user(self.request.user, instance.video_id, CAN_EDIT)
        instance.delete()


class RunViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Prediction runs. PATCH `threshold` re-thresholds without re-running the model."""

    serializer_class = RunSerializer
    pagination_class = None
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(parameters=[OpenApiParameter("dataset", int, required=True)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        dataset = _int_param(self.request, "dataset")
        if self.action == "list" and dataset is None:
            raise ValidationError({"dataset": "Give ?dataset=ID."})
        qs = PredictionRun.objects.filter(dataset__in=access.datasets_for_user(self.request.user))
        return qs.filter(dataset_id=dataset) if dataset is not None else qs

    def perform_update(self, serializer):
        evaluate_run(serializer.save())  # the stored metrics follow the new threshold

    def get_object(self):
        capability = CAN_EDIT if self.request.method == "PATCH" else access.CAN_VIEW
        return access.get_run_for_user(self.request.user, int(self.kwargs["pk"]), capability)

    @extend_schema(
        parameters=[OpenApiParameter("iou", float)],
        responses={200: OpenApiTypes.OBJECT},
        description="MEGC metrics (TP/FP/FN, precision, recall, F1 for ME, MaE, overall) per video and pooled.",
    )
    @action(detail=True, methods=["get"])
    def metrics(self, request: Request, pk: str) -> Response:
        run = access.get_run_for_user(request.user, int(pk))
        try:
            iou = float(request.query_params.get("iou", 0.5))
        except ValueError:
            raise ValidationError({"iou": "iou must be a number in (0, 1]."}) from None
        if not 0 < iou <= 1:
            raise ValidationError({"iou": "iou must be a number in (0, 1]."})
        return Response(evaluate_run(run, iou=iou, store=iou == 0.5))

    @extend_schema(
        parameters=[OpenApiParameter("video", int, required=True)], responses={200: OpenApiTypes.OBJECT}
    )
    @action(detail=True, methods=["get"])
    def curves(self, request: Request, pk: str) -> Response:
        """Per-frame score curves of the run on one video, by name (the timeline's lanes)."""
        run = access.get_run_for_user(request.user, int(pk))
        video = _int_param(request, "video")
        if video is None:
            raise ValidationError({"video": "Give ?video=ID."})
        rows = PredictionCurve.objects.filter(run=run, video_id=video).values_list("name", "values")
        return Response(dict(rows))

    @extend_schema(request=PrelabelSerializer, responses={202: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"])
    def prelabel(self, request: Request) -> Response:
        """Queue a pre-labelling job; the answer names the job to poll (/api/jobs/ID/)."""
        data = PrelabelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        dataset = access.get_dataset_for_user(request.user, params["dataset"], CAN_EDIT)
        if params.get("video") is not None:
            video = access.get_video_for_user(request.user, params["video"], CAN_EDIT)
            if video.dataset_id != dataset.pk:
                raise ValidationError({"video": f"Video #{video.pk} is not in dataset #{dataset.pk}."})
        if params["model"] == "mcwes":
            found = dataset.checkpoints.filter(pk=params.get("checkpoint") or 0, kind="mcwes").exists()
            if not found:
                raise ValidationError(
                    {"checkpoint": "MC-WES needs a trained MC-WES checkpoint of this dataset."}
                )
        job_params = {k: params.get(k) for k in ("model", "checkpoint", "video")}
        job = start_job("prelabel", dataset=dataset, params=job_params, user=request.user)
        return Response({"job": job.pk}, status=status.HTTP_202_ACCEPTED)


class CheckpointViewSet(viewsets.ReadOnlyModelViewSet):
    """The model registry: checkpoints with metrics, training data, parameters and file hash."""

    serializer_class = CheckpointSerializer
    pagination_class = None

    def get_queryset(self):
        qs = ModelCheckpoint.objects.filter(dataset__in=access.datasets_for_user(self.request.user))
        dataset = _int_param(self.request, "dataset")
        return qs.filter(dataset_id=dataset) if dataset is not None else qs

    @extend_schema(request=TrainSerializer, responses={202: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"])
    def train(self, request: Request) -> Response:
        """Queue MC-WES or MOL training, checked as the model page checks it; poll /api/jobs/ID/."""
        data = TrainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = access.get_dataset_for_user(request.user, data.validated_data["dataset"], CAN_EDIT)
        fields = data.validated_data["params"]
        if data.validated_data["model"] == "mcwes":
            form, kind = TrainForm(fields, dataset=dataset), "train"
        else:
            form, kind = MolTrainForm(fields), "train_mol"
        if not form.is_valid():
            raise ValidationError({"params": form.errors})
        job = start_job(kind, dataset=dataset, params=form.job_params(), user=request.user)
        return Response({"job": job.pk}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def suggest(self, request: Request, pk: str) -> Response:
        """Queue MOL emotion suggestions for the dataset's ME intervals with this checkpoint."""
        record = self.get_object()
        dataset = access.get_dataset_for_user(request.user, record.dataset_id, CAN_EDIT)
        if record.kind != ModelCheckpoint.Kind.MOL:
            raise ValidationError({"checkpoint": "Emotion suggestions need a MOL checkpoint."})
        try:
            load_for_prelabel(record, dataset)
        except RecognitionError as exc:
            raise ValidationError({"checkpoint": str(exc)}) from exc
        job = start_job("prelabel_mol", dataset=dataset, params={"checkpoint": record.pk}, user=request.user)
        return Response({"job": job.pk}, status=status.HTTP_202_ACCEPTED)

"""Exports over the API: start an export job, list the dataset's exports, download a file."""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from mestudio import storage

from .. import access
from ..access import CAN_EDIT
from ..exporting import LABELS, ExportError, Selection, check_request, download_path, parse_kinds
from ..jobs import start_job
from ..models import ExportRecord
from ..models.review import ReviewState
from .serializers import JobSerializer
from .views import _int_param


class ExportRecordSerializer(serializers.ModelSerializer):
    downloadable = serializers.SerializerMethodField()

    class Meta:
        model = ExportRecord
        fields = [
            "id",
            "dataset",
            "format",
            "file",
            "sha256",
            "params",
            "counts",
            "label_revision",
            "job",
            "created_by",
            "created_at",
            "downloadable",
        ]

    def get_downloadable(self, record: ExportRecord) -> bool:
        return download_path(record) is not None


class ExportRequestSerializer(serializers.Serializer):
    dataset = serializers.IntegerField()
    format = serializers.ChoiceField(choices=list(LABELS.items()))
    state = serializers.ChoiceField(choices=ReviewState.choices, required=False, allow_blank=True, default="")
    kinds = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    run = serializers.IntegerField(required=False, allow_null=True, default=None)
    options = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        default=dict,
        help_text="megc-log: dataset (1 SAMM, 2 CAS(ME)^2); eaf: media_url; labelstudio: video_url.",
    )


class ExportViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ExportRecordSerializer

    @extend_schema(parameters=[OpenApiParameter("dataset", int)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        qs = ExportRecord.objects.filter(dataset__in=access.datasets_for_user(self.request.user))
        dataset = _int_param(self.request, "dataset")
        return qs.filter(dataset_id=dataset) if dataset else qs

    def get_object(self) -> ExportRecord:
        record = ExportRecord.objects.filter(pk=int(self.kwargs["pk"])).first()
        if record is None:
            raise Http404("No such export.")
        access.get_dataset_for_user(self.request.user, record.dataset_id)
        return record

    @extend_schema(request=ExportRequestSerializer, responses={202: JobSerializer})
    def create(self, request: Request) -> Response:
        """Queue an export job; its result names the ExportRecord, whose file `download` serves."""
        body = ExportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        dataset = access.get_dataset_for_user(request.user, data["dataset"], CAN_EDIT)
        try:
            selection = Selection(data["state"], parse_kinds(data["kinds"]), data["run"])
            check_request(dataset, data["format"], selection, data["options"])
        except ExportError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        job = start_job(
            "export",
            dataset=dataset,
            params={"format": data["format"], **selection.params(), "options": data["options"]},
            user=request.user,
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> HttpResponse:
        record = self.get_object()
        path = download_path(record)
        if path is None:
            raise Http404("This export has no file here (CLI exports stay where they were written).")
        return storage.download_response(path)

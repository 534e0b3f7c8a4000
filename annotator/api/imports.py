"""Imports over the API: queue an import (or its dry run) from an upload or a server path, read reports, confirm."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from .. import access
from ..access import CAN_EDIT
from ..formats.readers import FORMATS
from ..importing import Request as ImportRequest
from ..importing import save_upload
from ..ingest import resolve_import_path
from ..jobs import start_job
from ..models import ImportRecord
from .serializers import JobSerializer
from .views import _int_param


class ImportRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRecord
        fields = [
            "id",
            "dataset",
            "format",
            "file_name",
            "sha256",
            "dry_run",
            "report",
            "job",
            "created_by",
            "created_at",
        ]


class ImportRequestSerializer(serializers.Serializer):
    dataset = serializers.IntegerField()
    file = serializers.FileField(required=False, help_text="The sheet, uploaded (multipart).")
    path = serializers.CharField(
        required=False, help_text="Or a file/folder on the server, inside one of the configured import roots."
    )
    format = serializers.ChoiceField(choices=FORMATS, required=False, allow_null=True, default=None)
    sheet = serializers.CharField(required=False, allow_null=True, default=None)
    fps = serializers.FloatField(required=False, allow_null=True, default=None, min_value=0.001)
    dry_run = serializers.BooleanField(required=False, default=False)

    def validate(self, data: dict) -> dict:
        if bool(data.get("file")) == bool(data.get("path")):
            raise ValidationError(
                {"file": "Give either an uploaded file or a server path, not both or neither."}
            )
        return data


class ImportViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ImportRecordSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        qs = ImportRecord.objects.filter(dataset__in=access.datasets_for_user(self.request.user))
        dataset = _int_param(self.request, "dataset")
        return qs.filter(dataset_id=dataset) if dataset else qs

    def get_object(self) -> ImportRecord:
        record = ImportRecord.objects.select_related("job").filter(pk=int(self.kwargs["pk"])).first()
        if record is None:
            raise Http404("No such import.")
        access.get_dataset_for_user(self.request.user, record.dataset_id)
        return record

    @extend_schema(request={"multipart/form-data": ImportRequestSerializer}, responses={202: JobSerializer})
    def create(self, request: Request) -> Response:
        """Queue an `import` job on the io queue; its result (and the ImportRecord) hold the report."""
        body = ImportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        dataset = access.get_dataset_for_user(request.user, data["dataset"], CAN_EDIT)
        try:
            if data.get("file"):
                path, name = save_upload(data["file"]), data["file"].name
            else:
                path = resolve_import_path(data["path"])
                name = path.name
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        params = ImportRequest(path, data["format"], data["sheet"], data["fps"], name).params()
        job = start_job(
            "import", dataset=dataset, params={**params, "dry_run": data["dry_run"]}, user=request.user
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        """Run a dry run's import for real, from the same stored file."""
        record = self.get_object()
        access.get_dataset_for_user(request.user, record.dataset_id, CAN_EDIT)
        if not record.dry_run or record.job is None:
            raise ValidationError(
                {"detail": "Only a dry run queued through the page or the API can be confirmed."}
            )
        params = {**record.job.params, "dry_run": False, "preview": record.pk}
        job = start_job("import", dataset=record.dataset, params=params, user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

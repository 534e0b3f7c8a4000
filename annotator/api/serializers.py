"""JSON shapes of the REST API. Frames are 0-based indices; `*_number` fields are the dataset's own."""

from django.urls import reverse
from rest_framework import serializers

from ..models import Dataset, Interval, Job, Membership, Prediction, Revision, Subject, Video


class DatasetSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    emotions = serializers.ListField(child=serializers.CharField(max_length=50), required=False)

    class Meta:
        model = Dataset
        fields = [
            "id",
            "name",
            "description",
            "default_fps",
            "frame_convention",
            "emotions",
            "prelabel_after_ingest",
            "role",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        extra_kwargs = {"default_fps": {"min_value": 0.1}}

    def get_role(self, dataset: Dataset) -> str | None:
        from ..access import role_in

        return role_in(self.context["request"].user, dataset.pk)


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "role"]


class SubjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subject
        fields = ["id", "dataset", "code", "normalized"]


class VideoSerializer(serializers.ModelSerializer):
    subject_code = serializers.CharField(source="subject.code", read_only=True, default=None, allow_null=True)
    annotate_url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = Video
        fields = [
            "id",
            "dataset",
            "subject",
            "subject_code",
            "name",
            "fps",
            "frame_count",
            "first_frame_number",
            "width",
            "height",
            "grayscale",
            "ingest_state",
            "ingest_error",
            "review_state",
            "annotate_url",
            "page_url",
            "created_at",
        ]
        read_only_fields = fields

    def get_annotate_url(self, video: Video) -> str:
        return reverse("video_annotate", args=[video.pk])

    def get_page_url(self, video: Video) -> str:
        return reverse("video_detail", args=[video.pk])


class IntervalSerializer(serializers.ModelSerializer):
    """`version` is required on update: a stale one is refused with 409 and nothing changes."""

    # A plain id: the view loads the video once, through the access check (404 outside your datasets).
    video = serializers.IntegerField(source="video_id", min_value=1, max_value=2**63 - 1)
    updated_by = serializers.CharField(
        source="updated_by.username", read_only=True, default=None, allow_null=True
    )
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Interval
        fields = [
            "id",
            "video",
            "kind",
            "onset",
            "apex",
            "offset",
            "aus",
            "au_tokens",
            "emotion",
            "suggested_emotion",
            "emotion_scores",
            "notes",
            "version",
            "source_prediction",
            "provenance",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = [
            "au_tokens",
            "source_prediction",
            "provenance",
            "updated_at",
            "updated_by",
            "emotion_scores",
        ]


class RevisionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Revision
        fields = ["id", "interval_id", "action", "at", "by", "before", "after"]


class PredictionSerializer(serializers.ModelSerializer):
    run_name = serializers.CharField(source="run.name", read_only=True)
    model = serializers.CharField(source="run.model", read_only=True)

    class Meta:
        model = Prediction
        fields = [
            "id",
            "run",
            "run_name",
            "model",
            "video",
            "kind",
            "onset",
            "apex",
            "offset",
            "score",
            "status",
            "emotion",
            "emotion_scores",
        ]
        read_only_fields = fields


class PredictionAcceptSerializer(serializers.Serializer):
    kind = serializers.CharField(required=False)
    onset = serializers.IntegerField(required=False)
    apex = serializers.IntegerField(required=False, allow_null=True)
    offset = serializers.IntegerField(required=False, allow_null=True)
    emotion = serializers.CharField(required=False, allow_blank=True)


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "dataset",
            "video",
            "params",
            "queue",
            "state",
            "progress",
            "stage",
            "message",
            "error",
            "result",
            "attempts",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        ]
        read_only_fields = fields


class IngestRequestSerializer(serializers.Serializer):
    """Either an uploaded `file` or a server `path` inside the configured import roots."""

    dataset = serializers.IntegerField()
    file = serializers.FileField(required=False)
    path = serializers.CharField(required=False)
    subject = serializers.CharField(required=False, allow_blank=True)
    fps = serializers.FloatField(required=False, min_value=0.1)

    def validate(self, attrs):
        if bool(attrs.get("file")) == bool(attrs.get("path")):
            raise serializers.ValidationError(
                "Send exactly one of `file` (upload) or `path` (server import)."
            )
        return attrs


class IngestedSerializer(serializers.Serializer):
    video = VideoSerializer()
    job = JobSerializer(allow_null=True)
    detail = serializers.CharField()

from django.urls import path

from .views import datasets, enhance, exports, frames, imports, jobs, media, videos

urlpatterns = [
    path("", datasets.dataset_list, name="dataset_list"),
    path("datasets/<int:dataset_id>/", datasets.dataset_detail, name="dataset_detail"),
    path("datasets/<int:dataset_id>/members/", datasets.member_add, name="member_add"),
    path(
        "datasets/<int:dataset_id>/members/<int:membership_id>/remove/",
        datasets.member_remove,
        name="member_remove",
    ),
    path("datasets/<int:dataset_id>/ingest/", media.dataset_ingest, name="dataset_ingest"),
    path("datasets/<int:dataset_id>/exports/", exports.dataset_exports, name="dataset_exports"),
    path("datasets/<int:dataset_id>/exports/new/", exports.dataset_export_start, name="dataset_export_start"),
    path(
        "datasets/<int:dataset_id>/exports/<int:record_id>/download/",
        exports.export_download,
        name="export_download",
    ),
    path("datasets/<int:dataset_id>/imports/", imports.dataset_imports, name="dataset_imports"),
    path("datasets/<int:dataset_id>/imports/new/", imports.dataset_import_start, name="dataset_import_start"),
    path("datasets/<int:dataset_id>/imports/<int:record_id>/", imports.import_record, name="import_record"),
    path(
        "datasets/<int:dataset_id>/imports/<int:record_id>/confirm/",
        imports.import_confirm,
        name="import_confirm",
    ),
    path("datasets/<int:dataset_id>/imports/jobs/<int:job_id>/", imports.import_job, name="import_job"),
    path("videos/<int:video_id>/face.jpg", media.video_face, name="video_face"),
    path("videos/<int:video_id>/motion.svg", media.video_motion_plot, name="video_motion_plot"),
    path("videos/<int:video_id>/", videos.video_detail, name="video_detail"),
    path("videos/<int:video_id>/annotate/", videos.video_annotate, name="video_annotate"),
    path("videos/<int:video_id>/timeline.json", frames.video_timeline_config, name="video_timeline_config"),
    path("videos/<int:video_id>/chunks/<int:index>", frames.video_chunk, name="video_chunk"),
    path("videos/<int:video_id>/frames/<int:index>.jpg", frames.video_frame, name="video_frame"),
    path("videos/<int:video_id>/overview.jpg", frames.video_overview, name="video_overview"),
    path("videos/<int:video_id>/face-track.json", enhance.video_face_track, name="video_face_track"),
    path("videos/<int:video_id>/enhance/<str:mode>.png", enhance.video_enhance, name="video_enhance"),
    path("jobs/", jobs.job_list, name="job_list"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/retry/", jobs.job_retry, name="job_retry"),
]

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from . import exports, imports, models, review, views


class Router(DefaultRouter):
    """Object ids are integers: `/api/intervals/abc/` is a 404 from the URL conf, not a 500 from `int()`."""

    def get_lookup_regex(self, viewset, lookup_prefix: str = "") -> str:
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        return f"(?P<{lookup_prefix}{kwarg}>[0-9]+)"


router = Router()
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register("subjects", views.SubjectViewSet, basename="subject")
router.register("videos", views.VideoViewSet, basename="video")
router.register("intervals", views.IntervalViewSet, basename="interval")
router.register("predictions", views.PredictionViewSet, basename="prediction")
router.register("jobs", views.JobViewSet, basename="job")
router.register("exports", exports.ExportViewSet, basename="export")
router.register("imports", imports.ImportViewSet, basename="import")
router.register("review", review.ReviewViewSet, basename="review")
router.register("comments", review.CommentViewSet, basename="comment")
router.register("weak-labels", models.WeakLabelViewSet, basename="weak-label")
router.register("runs", models.RunViewSet, basename="run")
router.register("checkpoints", models.CheckpointViewSet, basename="checkpoint")

urlpatterns = [
    path("", include(router.urls)),
    path("token/", obtain_auth_token, name="api_token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
]

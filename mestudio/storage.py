"""Media on object storage (S3, MinIO) when a bucket is configured, on MEDIA_ROOT otherwise.

Workers build frame stores under MEDIA_ROOT, which stays a local cache because the pipeline and
the enhance views read frames by index many times; a finished store is then published to the
bucket through `default_storage`, and the chunk endpoint redirects browsers to signed URLs.
Publishing skips files already in the bucket with the same size, so a retried job redoes nothing.
"""

from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, HttpResponseRedirect


def object_storage() -> bool:
    return bool(settings.AWS_STORAGE_BUCKET_NAME)


def media_name(path: Path) -> str:
    """The storage name of a file under MEDIA_ROOT (the same key locally and in the bucket)."""
    return Path(path).resolve().relative_to(Path(settings.MEDIA_ROOT).resolve()).as_posix()


def publish_file(path: Path) -> bool:
    """Upload one file under MEDIA_ROOT unless the bucket has it with the same size; whether sent."""
    name = media_name(path)
    if default_storage.exists(name) and default_storage.size(name) == path.stat().st_size:
        return False
    with path.open("rb") as handle:
        default_storage.save(name, File(handle, name=path.name))
    return True


def publish_folder(folder: Path) -> int:
    """Upload every file of a MEDIA_ROOT folder to the bucket; returns how many were sent."""
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith("."))
    return sum(publish_file(path) for path in files)


def download_response(path: Path) -> HttpResponse:
    """A file under MEDIA_ROOT as a download: a signed bucket URL when the bucket is on, else streamed."""
    if object_storage():
        disposition = f'attachment; filename="{path.name}"'
        return HttpResponseRedirect(
            default_storage.url(media_name(path), parameters={"ResponseContentDisposition": disposition})
        )
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


def signed_url(name: str) -> str:
    """A time-limited URL of a bucket object (AWS_QUERYSTRING_EXPIRE seconds)."""
    return default_storage.url(name)

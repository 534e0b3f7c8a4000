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


def object_storage() -> bool:
    return bool(settings.AWS_STORAGE_BUCKET_NAME)


def media_name(path: Path) -> str:
    """The storage name of a file under MEDIA_ROOT (the same key locally and in the bucket)."""
    return Path(path).resolve().relative_to(Path(settings.MEDIA_ROOT).resolve()).as_posix()


def publish_folder(folder: Path) -> int:
    """Upload every file of a MEDIA_ROOT folder to the bucket; returns how many were sent."""
    sent = 0
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith(".")):
        name = media_name(path)
        if default_storage.exists(name) and default_storage.size(name) == path.stat().st_size:
            continue
        with path.open("rb") as handle:
            default_storage.save(name, File(handle, name=path.name))
        sent += 1
    return sent


def signed_url(name: str) -> str:
    """A time-limited URL of a bucket object (AWS_QUERYSTRING_EXPIRE seconds)."""
    return default_storage.url(name)

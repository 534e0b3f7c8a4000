"""Bringing media into a dataset: find sources, check paths, create videos, queue ingest jobs.

Paths that arrive through the page or the API must resolve (symlinks and `..` followed) inside
one of `settings.IMPORT_ROOTS`; the operator's CLI may read any path. A source that a video of
the dataset already has is not added twice: its video is reused and only re-ingested if needed.
"""

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from inference.media.decode import IMAGE_EXTS, VIDEO_EXTS

from .formats.readers.ids import normalise_subject
from .jobs import start_job
from .models import Dataset, Job, Subject, Video
from .models.videos import IngestState


@dataclass
class Source:
    path: Path
    name: str  # the clip / video id as the dataset writes it
    subject: str | None  # participant id as written, from the folder above the clip


def resolve_import_path(raw: str) -> Path:
    """The real path of a server-side source, refused unless it lies inside an import root."""
    roots = [Path(root).resolve() for root in settings.IMPORT_ROOTS]
    if not roots:
        raise PermissionDenied("Server imports are disabled: no IMPORT_ROOTS are configured.")
    try:
        path = Path(raw).resolve(strict=True)
    except (OSError, RuntimeError):
        raise ValidationError({"path": f"{raw}: no such file or folder on the server."}) from None
    if not any(path == root or root in path.parents for root in roots):
        raise PermissionDenied(f"{raw} is outside the configured import roots.")
    return path


def _has_images(folder: Path) -> bool:
    return any(p.suffix.lower() in IMAGE_EXTS for p in folder.iterdir() if p.is_file())


def discover(path: Path) -> list[Source]:
    """A video file, an image folder, or a tree of them laid out as subject / clip."""
    path = Path(path)
    if path.is_file():
        return [Source(path, path.stem, None)]
    if not path.is_dir():
        raise ValidationError({"path": f"{path}: no such file or folder."})
    if _has_images(path):
        return [Source(path, path.name, None)]
    found: list[Source] = []
    for item in sorted(path.rglob("*")):
        if item.is_file() and item.suffix.lower() in VIDEO_EXTS:
            found.append(Source(item, item.stem, _subject_of(item, path)))
        elif item.is_dir() and _has_images(item):
            found.append(Source(item, item.name, _subject_of(item, path)))
    if not found:
        raise ValidationError(
            {"path": f"{path}: no videos ({', '.join(sorted(VIDEO_EXTS))}) or image folders inside."}
        )
    return found


def _subject_of(item: Path, root: Path) -> str | None:
    parts = item.relative_to(root).parts
    return parts[0] if len(parts) >= 2 else None


def source_fingerprint(path: Path) -> str:
    """sha256 of a file, or of a folder's image names and sizes (cheap, and changes with the frames)."""
    digest = hashlib.sha256()
    if path.is_file():
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    else:
        for item in sorted(path.iterdir()):
            if item.suffix.lower() in IMAGE_EXTS:
                digest.update(f"{item.name}:{item.stat().st_size}\n".encode())
    return digest.hexdigest()


@transaction.atomic
def add_source(
    dataset: Dataset, source: Source, user=None, *, subject: str | None = None, fps: float | None = None
) -> tuple[Video, Job | None]:
    """Create (or find) the video for a source and queue its ingest; returns (video, job or None)."""
    fingerprint = source_fingerprint(source.path)
    same = dataset.videos.filter(source_sha256=fingerprint).first()
    if same is not None and same.ingest_state in {IngestState.READY, IngestState.INGESTING}:
        return same, None
    code = subject or source.subject
    subject_row = None
    if code:
        subject_row, _ = Subject.objects.get_or_create(
            dataset=dataset, normalized=normalise_subject(code), defaults={"code": code}
        )
    video = same or dataset.videos.filter(name=source.name, subject=subject_row).first()
    if video is None:
        video = Video(dataset=dataset, name=source.name)
    video.source_path, video.source_sha256 = str(source.path), fingerprint
    video.subject = video.subject or subject_row
    video.ingest_state, video.ingest_error = IngestState.INGESTING, ""
    video.save()
    return video, start_job("ingest", dataset=dataset, video=video, params={"fps": fps}, user=user)


def save_upload(upload: UploadedFile) -> Path:
    """Store an uploaded video under the media root; refuses types ingest cannot read."""
    suffix = Path(upload.name).suffix.lower()
    if suffix not in VIDEO_EXTS:
        raise ValidationError(
            {
                "file": f"{upload.name}: unsupported type {suffix or '(none)'}; upload one of {', '.join(sorted(VIDEO_EXTS))}."
            }
        )
    if upload.size > settings.MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": f"{upload.name} is larger than the upload limit of {settings.MAX_UPLOAD_BYTES} bytes."}
        )
    if upload.size == 0:
        raise ValidationError({"file": f"{upload.name} is empty (0 bytes)."})
    folder = Path(settings.MEDIA_ROOT) / "sources" / "uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    target = folder / Path(upload.name).name
    with target.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return target

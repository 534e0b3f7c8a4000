"""Media on S3-compatible storage, against moto's S3 server on 127.0.0.1: an ingested frame store
and an export are published to the bucket, the chunk and download endpoints redirect to signed
URLs that serve the same bytes, and publishing again (a retried job) sends nothing."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from annotator.jobs import execute, start_job
from annotator.models import ExportRecord, Job, Video
from annotator.models.videos import IngestState
from inference.synth import make_spec
from inference.synth.output import write_video
from mestudio import storage
from tests.factories import IntervalFactory

BUCKET = "mestudio-test"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            break
        except (requests.ConnectionError, requests.Timeout):  # a busy machine: bound, not answering yet
            time.sleep(0.2)
    boto3.client("s3", endpoint_url=url, **KEYS).create_bucket(Bucket=BUCKET)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def s3(settings, s3_endpoint, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AWS_STORAGE_BUCKET_NAME = BUCKET
    settings.AWS_S3_ENDPOINT_URL = s3_endpoint
    settings.AWS_ACCESS_KEY_ID = KEYS["aws_access_key_id"]
    settings.AWS_SECRET_ACCESS_KEY = KEYS["aws_secret_access_key"]
    settings.STORAGES = settings.STORAGES | {"default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    return boto3.client("s3", endpoint_url=s3_endpoint, **KEYS)


def keys(client, prefix: str) -> dict[str, int]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return {item["Key"]: item["Size"] for page in pages for item in page.get("Contents", [])}


def test_ingest_publishes_the_store_and_chunks_redirect_to_signed_urls(
    s3, s3_endpoint, dataset, owner, client, tmp_path
):
    clip = write_video(
        make_spec(3, seconds=1.0, width=160, height=120, n_me=0, n_mae=0, n_blinks=0, head_turns=0),
        tmp_path / "a.mp4",
    )
    call_command("ingest", str(clip), "--dataset", dataset.name, "--now")
    video = Video.objects.get(dataset=dataset)
    assert video.ingest_state == IngestState.READY, video.ingest_error
    local = tmp_path / "media" / video.media_dir
    published = keys(s3, video.media_dir + "/")
    files = {storage.media_name(p): p.stat().st_size for p in local.rglob("*") if p.is_file()}
    assert published == files and any("/chunks/" in key for key in published)

    client.force_login(owner)
    response = client.get(reverse("video_chunk", args=[video.pk, 0]))
    assert response.status_code == 302
    signed = response["Location"]
    assert signed.startswith(s3_endpoint) and "X-Amz-Signature=" in signed and "X-Amz-Expires=" in signed
    chunk = requests.get(signed, timeout=10)
    assert (
        chunk.status_code == 200
        and chunk.content == (local / "chunks" / Path(signed.split("?")[0]).name).read_bytes()
    )
    assert requests.get(signed.split("?")[0], timeout=10).status_code == 403  # unsigned: refused
    assert client.get(reverse("video_chunk", args=[video.pk, 99])).status_code == 404

    assert storage.publish_folder(local) == 0  # a retried job sends nothing again
    s3.delete_object(Bucket=BUCKET, Key=next(k for k in published if "/chunks/" in k))
    assert storage.publish_folder(local) == 1  # ... but restores what is missing


def test_without_a_bucket_chunks_stream_from_disk(dataset, owner, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    clip = write_video(
        make_spec(3, seconds=1.0, width=160, height=120, n_me=0, n_mae=0, n_blinks=0, head_turns=0),
        tmp_path / "a.mp4",
    )
    call_command("ingest", str(clip), "--dataset", dataset.name, "--now")
    video = Video.objects.get(dataset=dataset)
    client.force_login(owner)
    response = client.get(reverse("video_chunk", args=[video.pk, 0]))
    assert response.status_code == 200
    assert (
        b"".join(response.streaming_content)
        == (tmp_path / "media" / video.media_dir / "chunks")
        .joinpath(sorted(p.name for p in (tmp_path / "media" / video.media_dir / "chunks").iterdir())[0])
        .read_bytes()
    )


def test_exports_are_published_and_downloads_redirect_to_signed_urls(s3, dataset, owner, client, api, video):
    IntervalFactory(video=video, onset=10, apex=12, offset=20)
    job = start_job(
        "export", dataset=dataset, params={"format": "csv", "state": "", "kinds": [], "run": None}, user=owner
    )
    execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    record = ExportRecord.objects.get(job=job)
    local = Path(settings.MEDIA_ROOT) / record.file
    assert keys(s3, record.file) == {record.file: local.stat().st_size}

    client.force_login(owner)
    for response in (
        client.get(reverse("export_download", args=[dataset.pk, record.pk])),
        api(owner).get(reverse("export-download", args=[record.pk])),
    ):
        assert response.status_code == 302
        download = requests.get(response["Location"], timeout=10)
        assert download.status_code == 200 and download.content == local.read_bytes()
        assert download.headers["Content-Disposition"] == f'attachment; filename="{local.name}"'

    s3.delete_object(Bucket=BUCKET, Key=record.file)
    Job.objects.filter(pk=job.pk).update(state=Job.State.QUEUED)  # redelivered after its record was written
    execute(job.pk)
    assert keys(s3, record.file) == {record.file: local.stat().st_size}

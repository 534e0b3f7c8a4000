"""Media ingest through the app: CLI, API and page; import roots; bad input keeps everything."""

import struct
from pathlib import Path

import av
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from annotator.models import Job, Role, Video
from annotator.models.videos import IngestState
from inference.synth import make_spec
from inference.synth.output import write_image_folder, write_video
from inference.synth.spec import no_face_spec
from tests.factories import IntervalFactory, VideoFactory

SMALL = {"seconds": 2.0, "width": 320, "height": 240, "n_me": 1, "n_mae": 0, "n_blinks": 0}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_ROOTS = [tmp_path / "imports"]
    (tmp_path / "imports").mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def clip(tmp_path) -> Path:
    return write_video(make_spec(5, **SMALL), tmp_path / "imports" / "EP01_01.mp4")


def decoded_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]


def unpack(chunk: bytes) -> list[bytes]:
    (count,) = struct.unpack_from("<I", chunk)
    sizes = struct.unpack_from(f"<{count}I", chunk, 4)
    out, offset = [], 4 + 4 * count
    for size in sizes:
        out.append(chunk[offset : offset + size])
        offset += size
    return out


def test_cli_ingest_of_a_video_is_frame_exact(dataset, owner, clip, client):
    call_command("ingest", str(clip), "--dataset", dataset.name, "--subject", "01", "--now")
    video = Video.objects.get(dataset=dataset)
    assert video.ingest_state == IngestState.READY and video.name == "EP01_01" and video.subject.code == "01"
    truth = decoded_frames(clip)
    assert video.frame_count == len(truth) == 60 and video.fps == 30.0
    client.force_login(owner)
    config = client.get(reverse("video_timeline_config", args=[video.pk])).json()
    chunk_size = config["frames"]["chunk_size"]
    for k in (0, 37, 59):  # frame k of the store is the k-th decoded frame
        chunk = client.get(config["frames"]["chunk_url"].format(index=k // chunk_size))
        assert chunk["Cache-Control"].endswith("immutable")
        jpeg = unpack(b"".join(chunk.streaming_content))[k % chunk_size]
        import cv2

        stored = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert stored.shape == truth[k].shape
        errors = [
            np.abs(stored.astype(int) - truth[j].astype(int)).mean() for j in (k - 1, k, k + 1) if 0 <= j < 60
        ]
        assert np.argmin(errors) == min(k, 1) and errors[min(k, 1)] < 4.0
    single = client.get(config["frames"]["frame_url"].format(index=59))
    assert single.status_code == 200 and single["Content-Type"] == "image/jpeg"
    assert client.get(config["frames"]["frame_url"].format(index=60)).status_code == 404
    motion = client.get(config["motion_url"])  # the timeline's: float32, region after region
    regions, frames = motion["X-Motion-Regions"].split(","), int(motion["X-Motion-Frames"])
    values = np.frombuffer(motion.content, "<f4").reshape(len(regions), frames)
    api = client.get(f"/api/videos/{video.pk}/motion/").json()  # the API's JSON: the same numbers
    assert set(regions) >= {"brows", "eyes", "mouth"} and frames == 60 and api["regions"] == regions
    assert np.allclose(values, [api["values"][r] for r in regions], atol=1e-4) and values.max() > 0
    page = client.get(reverse("video_detail", args=[video.pk])).content.decode()
    assert (
        reverse("video_face", args=[video.pk]) in page
        and reverse("video_motion_plot", args=[video.pk]) in page
    )
    assert client.get(reverse("video_face", args=[video.pk]))["Content-Type"] == "image/jpeg"
    assert b"<svg" in client.get(reverse("video_motion_plot", args=[video.pk])).content


def test_cli_ingest_of_a_casme2_style_tree(dataset, tmp_path):
    root = tmp_path / "CASME2"
    spec = make_spec(6, **SMALL)
    write_image_folder(spec, root / "sub01" / "EP02_01f", pattern="img{n}.jpg", first_number=46)
    write_image_folder(spec, root / "sub02" / "EP03_02", pattern="reg_img{n}.jpg", first_number=100)
    write_image_folder(spec, root / "sub02" / "EP02_01f", pattern="img{n}.jpg", first_number=7)  # name reused
    call_command("ingest", str(root), "--dataset", dataset.name, "--fps", "200", "--now")
    videos = {(v.subject.code, v.name): v for v in Video.objects.filter(dataset=dataset)}
    assert set(videos) == {("sub01", "EP02_01f"), ("sub02", "EP03_02"), ("sub02", "EP02_01f")}
    assert videos["sub02", "EP02_01f"].first_frame_number == 7
    first = videos["sub01", "EP02_01f"]
    assert (first.subject.code, first.first_frame_number, first.frame_count, first.fps) == (
        "sub01",
        46,
        60,
        200.0,
    )
    assert (
        videos["sub02", "EP03_02"].first_frame_number == 100
        and videos["sub02", "EP03_02"].subject.normalized == "2"
    )


def test_a_video_without_a_face_fails_clearly_and_keeps_its_labels(dataset, tmp_path):
    path = write_video(no_face_spec(1, seconds=2.5, width=320, height=240), tmp_path / "landscape.mp4")
    call_command("ingest", str(path), "--dataset", dataset.name)  # queued only: run it below, by hand
    video = Video.objects.get(dataset=dataset)
    IntervalFactory(video=video, onset=1, apex=2, offset=3)
    job = Job.objects.get(video=video)
    from annotator import jobs

    jobs.execute(job.pk)
    job.refresh_from_db()
    video.refresh_from_db()
    assert job.state == Job.State.FAILED and "no face" in job.error.lower()
    assert video.ingest_state == IngestState.FAILED and "no face" in video.ingest_error.lower()
    assert video.intervals.count() == 1  # nothing attached is lost
    job = jobs.retry_job(job)
    jobs.execute(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and job.attempts == 2
    with pytest.raises(CommandError, match="1 of 1 ingest job"):
        call_command("ingest", str(path), "--dataset", dataset.name, "--now")


def test_a_video_without_motion_yet_gives_the_timeline_no_lanes(dataset, owner, client):
    """Not an error (the editor would flash one over what matters): no regions, no values."""
    video = VideoFactory(dataset=dataset, ingest_state=IngestState.NEW)
    client.force_login(owner)
    motion = client.get(reverse("video_motion", args=[video.pk]))
    assert motion.status_code == 200 and motion.content == b""
    assert (motion["X-Motion-Regions"], motion["X-Motion-Frames"]) == ("", "0")


def test_a_second_ingest_of_the_same_file_is_not_duplicated(dataset, clip):
    call_command("ingest", str(clip), "--dataset", dataset.name, "--now")
    call_command("ingest", str(clip), "--dataset", dataset.name, "--now")
    assert Video.objects.filter(dataset=dataset).count() == 1
    assert Job.objects.filter(kind="ingest").count() == 1


def test_api_server_path_must_stay_inside_the_import_roots(api, member, dataset, clip, tmp_path):
    client = api(member(Role.ANNOTATOR))
    url = reverse("video-ingest")
    outside = tmp_path / "secret.mp4"
    outside.write_bytes(clip.read_bytes())
    link = tmp_path / "imports" / "link.mp4"
    link.symlink_to(outside)
    for path in (str(outside), str(link), str(tmp_path / "imports" / ".." / "secret.mp4")):
        response = client.post(url, {"dataset": dataset.pk, "path": path}, format="json")
        assert response.status_code == 403 and "outside" in response.json()["detail"], path
    missing = client.post(
        url, {"dataset": dataset.pk, "path": str(tmp_path / "imports" / "nope.mp4")}, format="json"
    )
    assert missing.status_code == 400
    accepted = client.post(url, {"dataset": dataset.pk, "path": str(clip)}, format="json")
    assert accepted.status_code == 202
    [item] = accepted.json()
    assert item["detail"] == "ingest queued" and item["job"]["kind"] == "ingest"
    assert Video.objects.get().source_path == str(clip)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [("notes.txt", b"hello", "unsupported type"), ("empty.mp4", b"", "empty")],
)
def test_api_upload_refuses_bad_files(api, member, dataset, name, content, words):
    client = api(member(Role.ANNOTATOR))
    upload = SimpleUploadedFile(name, content)
    response = client.post(
        reverse("video-ingest"), {"dataset": dataset.pk, "file": upload}, format="multipart"
    )
    assert response.status_code == 400 and words in str(response.json())
    assert not Video.objects.exists()


def test_viewers_cannot_ingest(api, member, dataset, clip):
    response = api(member(Role.VIEWER)).post(
        reverse("video-ingest"), {"dataset": dataset.pk, "path": str(clip)}, format="json"
    )
    assert response.status_code == 403 and not Video.objects.exists()


def test_page_upload_queues_an_ingest(client, owner, dataset, clip):
    client.force_login(owner)
    with clip.open("rb") as handle:
        response = client.post(
            reverse("dataset_ingest", args=[dataset.pk]), {"file": handle, "subject": "7"}, follow=True
        )
    assert "ingest queued" in response.content.decode()
    video = Video.objects.get()
    assert video.subject.code == "7" and video.ingest_state == IngestState.INGESTING
    assert Job.objects.get().kind == "ingest"
    page = client.get(reverse("dataset_detail", args=[dataset.pk])).content.decode()
    assert "Add videos" in page and "Import from server" in page

"""The whole ingest: results, frame store equality, 1 vs 2 processes, resume after a kill, bad input."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

from inference.media.decode import MediaError, iter_frames, probe
from inference.media.framestore import FrameStore, unpack_chunk, write_overview
from inference.media.pipeline import IngestResult, Settings, ingest, load_motion, load_track, read_crops
from inference.synth import SynthEvent, SynthSpec, write_image_folder, write_video

SETTINGS = Settings(chunk_size=16)  # small chunks: several chunks and a real two-part split on 72 frames


def _spec(**changes) -> SynthSpec:
    fields = dict(
        seed=21,
        fps=30,
        frame_count=72,
        width=320,
        height=240,
        grayscale=False,
        head_motion=1.0,
        noise=1.0,
        events=[
            SynthEvent("ME", 20, 24, 29, ("mouth",), None, 3.0),
            SynthEvent("blink", 44, 46, 49, ("eyes",), None, 8.5),
        ],
    )
    return SynthSpec(**{**fields, **changes})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    spec = _spec()
    video = write_video(spec, root / "face.mp4")
    progress: list[tuple[str, float]] = []
    one = ingest(video, root / "one", workers=1, settings=SETTINGS)
    two = ingest(
        video, root / "two", workers=2, settings=SETTINGS, progress=lambda s, p: progress.append((s, p))
    )
    return spec, video, root, one, two, progress


def test_result_describes_the_video(runs):
    spec, _, _, one, _, _ = runs
    assert isinstance(one, IngestResult)
    assert (one.frame_count, one.fps, one.width, one.height) == (72, 30.0, 320, 240)
    assert (one.display_width, one.display_height, one.first_frame_number) == (320, 240, 0)
    assert one.gaps == [] and not one.vfr and not one.grayscale
    assert one.face_found_ratio == 1.0 and 0 <= one.sample_frame < 72
    assert set(one.timings) == {"probe", "frames", "finalize"} and one.messages == []


def test_store_frame_k_equals_frame_k_decoded_independently(runs):
    _, video, root, _, _, _ = runs
    store = FrameStore(root / "one")
    manifest = store.manifest
    assert {k: manifest[k] for k in ("version", "frame_count", "chunk_size", "width", "height", "fps")} == {
        "version": 1,
        "frame_count": 72,
        "chunk_size": 16,
        "width": 320,
        "height": 240,
        "fps": 30.0,
    }
    assert (manifest["source_width"], manifest["source_height"], manifest["grayscale"]) == (320, 240, False)
    assert manifest["first_frame_number"] == 0 and manifest["overview_frames"] == list(range(72))
    assert sorted(p.name for p in (root / "one" / "chunks").iterdir()) == [f"{i:06d}.mfc" for i in range(5)]
    decoded = [f.astype(np.int16) for _, f in iter_frames(probe(video))]
    for k in range(72):
        errors = [np.abs(store.frame(k) - decoded[j]).mean() for j in range(max(0, k - 2), min(72, k + 3))]
        assert errors[min(k, 2)] == min(errors) and min(errors) < 3, k


def test_two_processes_give_the_same_frames_and_indices(runs):
    _, _, root, one, two, _ = runs
    assert two.frame_count == one.frame_count and two.face_found_ratio == 1.0
    for folder in ("chunks", "crops"):
        assert sorted(p.name for p in (root / "one" / folder).iterdir()) == sorted(
            p.name for p in (root / "two" / folder).iterdir()
        )
    for i in range(5):  # display frames are byte-identical: the second part starts frame-exactly
        assert (root / "one" / "chunks" / f"{i:06d}.mfc").read_bytes() == (
            root / "two" / "chunks" / f"{i:06d}.mfc"
        ).read_bytes()
    a, b = load_track(root / "one"), load_track(root / "two")
    assert np.abs(a["boxes"] - b["boxes"]).max() < 2.0
    assert np.abs(load_motion(root / "one")[1] - load_motion(root / "two")[1]).max() < 0.05


def test_overview_strip_made_while_decoding_matches_one_read_back_from_the_store(runs, tmp_path):
    """Both processes contribute thumbnails in frame order; the strip equals one re-made from the
    finished store's JPEG frames up to JPEG noise."""
    _, _, root, _, _, _ = runs
    made = cv2.imread(str(root / "two" / "overview.jpg"))
    store = FrameStore(root / "two")
    shutil.copytree(root / "two" / "chunks", tmp_path / "chunks")
    assert write_overview(FrameStore(tmp_path, manifest=store.manifest)) == store.manifest["overview_frames"]
    again = cv2.imread(str(tmp_path / "overview.jpg"))
    assert made.shape == again.shape == (64, 72 * round(320 * 64 / 240), 3)
    width = round(320 * 64 / 240)
    error = np.abs(made.astype(int) - again).mean()
    shifted = np.abs(made.astype(int) - np.roll(again, width, axis=1)).mean()  # off by one thumbnail
    assert error < 2.5 and shifted > 1.5 * error


def test_face_track_follows_the_generated_face(runs):
    spec, _, root, _, _, _ = runs
    track = load_track(root / "one")
    assert track["landmarks"].shape == (72, 468, 2) and track["landmarks"].dtype == np.float32
    assert track["transforms"].shape == (72, 2, 3) and track["flags"][0] == 2
    for k in range(72):
        x0, y0, x1, y1 = spec.face_box(k)
        centre = (track["boxes"][k, :2] + track["boxes"][k, 2:]) / 2
        assert np.abs(centre - [(x0 + x1) / 2, (y0 + y1) / 2]).max() < 0.1 * (y1 - y0), k
    lm = track["landmarks"]
    assert (lm[:, [33, 263], 1].mean(1) < lm[:, 13, 1]).all()  # eyes above the mouth on every frame
    assert len(track["subset68"]) == 68


def test_crops_are_readable_without_the_video(runs):
    _, _, root, _, _, _ = runs
    crops = read_crops(root / "one", 10, 40)
    assert crops.shape == (30, 128, 128) and crops.dtype == np.uint8
    store = FrameStore(root / "one", folder="crops")
    assert np.array_equal(crops[5], store.frame(15))
    assert crops.std() > 20  # a face, not a blank


def test_progress_reports_stages_in_order(runs):
    progress = runs[5]
    stages = [s for s, _ in progress]
    assert stages[0] == "probe" and stages[-1] == "finalize" and "frames" in stages
    assert stages.index("finalize") > max(i for i, s in enumerate(stages) if s == "frames")
    percents = [p for _, p in progress]
    assert percents == sorted(percents) and percents[-1] == 100.0


def test_finished_ingest_is_not_redone(runs):
    _, video, root, one, _, _ = runs
    before = {p: p.stat().st_mtime_ns for p in (root / "one" / "chunks").iterdir()}
    again = ingest(video, root / "one", workers=1, settings=SETTINGS)
    assert again.frame_count == one.frame_count and again.timings == one.timings
    assert {p: p.stat().st_mtime_ns for p in (root / "one" / "chunks").iterdir()} == before


def test_resume_after_a_kill_gives_identical_output(runs):
    """Simulate a kill during part 1: its result, a chunk and the stage markers are gone, a torn
    temporary chunk is left behind. Re-running redoes only what is missing."""
    _, video, root, _, _, _ = runs
    killed = root / "killed"
    shutil.copytree(root / "two", killed)
    for name in (
        "done/frames",
        "done/finalize",
        "result.json",
        "parts/part_00000032_00000072.npz",
        "chunks/000004.mfc",
    ):
        (killed / name).unlink()
    (killed / "chunks" / ".000004.mfc.123.tmp").write_bytes(b"\x10\x00\x00\x00torn")
    part0 = (killed / "parts" / "part_00000000_00000032.npz").stat().st_mtime_ns
    result = ingest(video, killed, workers=2, settings=SETTINGS)
    assert result.frame_count == 72
    assert (killed / "parts" / "part_00000000_00000032.npz").stat().st_mtime_ns == part0  # not redone
    for folder in ("chunks", "crops"):
        for chunk in sorted((root / "two" / folder).iterdir()):
            assert (killed / folder / chunk.name).read_bytes() == chunk.read_bytes(), chunk
    assert len(unpack_chunk((killed / "chunks" / "000004.mfc").read_bytes())) == 72 - 64
    for key, value in load_track(root / "two").items():
        assert np.array_equal(load_track(killed)[key], value, equal_nan=True), key
    assert np.array_equal(load_motion(killed)[1], load_motion(root / "two")[1])


def test_mjpeg_avi_and_image_folder_with_dataset_numbering(tmp_path):
    spec = _spec(frame_count=40, events=[])
    avi = ingest(
        write_video(spec, tmp_path / "face.avi", "mjpeg"), tmp_path / "avi", workers=2, settings=SETTINGS
    )
    assert avi.frame_count == 40 and avi.face_found_ratio == 1.0
    folder = tmp_path / "EP02_01f"
    write_image_folder(spec, folder, "reg_img{n}.jpg", first_number=46)
    (folder / "reg_img50.jpg").unlink()
    result = ingest(folder, tmp_path / "folder", fps=200, workers=1, settings=SETTINGS)
    assert (result.frame_count, result.first_frame_number, result.gaps, result.fps) == (
        39,
        46,
        [(50, 50)],
        200.0,
    )
    assert any("1 frame numbers missing in 1 gap(s), first at 50" in m for m in result.messages)
    manifest = json.loads((tmp_path / "folder" / "manifest.json").read_text())
    assert manifest["first_frame_number"] == 46 and manifest["frame_count"] == 39


def test_an_error_in_a_parallel_part_reaches_the_caller(tmp_path):
    folder = tmp_path / "frames"
    write_image_folder(_spec(frame_count=40, events=[]), folder, "img{n}.png", first_number=1)
    cv2.imwrite(str(folder / "img36.png"), np.zeros((100, 100, 3), np.uint8))  # frame 35: second part
    with pytest.raises(
        MediaError, match=r"frames/img36.png: image size 100x100 differs from the first image's 320x240"
    ):
        ingest(folder, tmp_path / "out", fps=30, workers=2, settings=SETTINGS)


def test_grayscale_video_stays_grayscale(tmp_path):
    spec = _spec(frame_count=24, events=[], grayscale=True)
    result = ingest(
        write_video(spec, tmp_path / "gray.mkv", "ffv1"), tmp_path / "out", workers=1, settings=SETTINGS
    )
    assert result.grayscale and result.face_found_ratio == 1.0
    assert FrameStore(tmp_path / "out").frame(3).ndim == 2


def test_no_face_scene_fails_clearly(tmp_path):
    spec = _spec(frame_count=70, events=[], scene="rocket")
    with pytest.raises(MediaError, match=r"no face found in the first 60 frames of rocket.mp4"):
        ingest(write_video(spec, tmp_path / "rocket.mp4"), tmp_path / "out", workers=2, settings=SETTINGS)


def test_another_split_after_a_kill_does_not_mix_parts(runs):
    """Killed with 1 process, resumed with 2: the single part's result is not mistaken for part 1."""
    _, video, root, one, _, _ = runs
    mixed = root / "mixed"
    shutil.copytree(root / "one", mixed)
    for name in ("done/frames", "done/finalize", "result.json"):
        (mixed / name).unlink()
    result = ingest(video, mixed, workers=2, settings=SETTINGS)
    assert result.frame_count == one.frame_count and len(load_motion(mixed)[1]) == 72


def test_a_different_source_replaces_old_outputs(tmp_path):
    first = write_video(_spec(frame_count=20, events=[]), tmp_path / "a.mp4")
    ingest(first, tmp_path / "out", workers=1, settings=SETTINGS)
    second = write_video(_spec(frame_count=36, events=[], seed=5), tmp_path / "b.mp4")
    result = ingest(second, tmp_path / "out", workers=1, settings=SETTINGS)
    assert result.frame_count == 36 and len(load_motion(tmp_path / "out")[1]) == 36
    assert len(FrameStore(tmp_path / "out")) == 36


def test_landmarks_between_meshes_are_interpolated_close_to_a_mesh_on_every_frame(runs):
    """The mesh runs on every 2nd frame by default; the frames between get interpolated landmarks
    (flag TRACKED) that stay within the mesh's own jitter of a run that meshes every frame."""
    _, video, root, one, _, _ = runs
    every = ingest(video, root / "every", workers=1, settings=Settings(chunk_size=16, mesh_every=1))
    assert every.face_found_ratio == one.face_found_ratio == 1.0
    a, b = load_track(root / "one"), load_track(root / "every")
    assert (a["flags"][1:-1:2] == 1).all() and (a["presence"] > 0.5).all()
    distance = np.linalg.norm(a["landmarks"] - b["landmarks"], axis=2)
    assert distance.mean() < 0.6 and distance.max() < 4.0
    assert np.abs(load_motion(root / "one")[1] - load_motion(root / "every")[1]).max() < 0.1


@pytest.mark.parametrize("source", ["jpg folder", "ffv1 mkv", "h264 mp4"])
def test_grayscale_200_fps_recording(tmp_path, source):
    """SAMM-like: grayscale at 200 fps. Frames exact, stays grayscale, motion peaks in the events."""
    spec = _spec(
        fps=200,
        frame_count=150,
        grayscale=True,
        noise=0.5,
        events=[
            SynthEvent("ME", 30, 45, 60, ("mouth",), None, 4.0),
            SynthEvent("blink", 95, 100, 106, ("eyes",), None, 8.5),
        ],
    )
    if source == "jpg folder":
        path, fps = tmp_path / "006_1", 200.0
        write_image_folder(spec, path, "006_{n:05d}.jpg", first_number=5562)
    elif source == "ffv1 mkv":
        path, fps = write_video(spec, tmp_path / "gray.mkv", "ffv1"), None
    else:  # grey pictures in a 4:2:0 colour format: found grey, stored grey
        path, fps = write_video(spec, tmp_path / "gray.mp4", "libx264"), None
    result = ingest(path, tmp_path / "out", fps=fps, workers=2, settings=SETTINGS)
    assert (result.frame_count, result.fps, result.grayscale) == (150, 200.0, True)
    assert result.face_found_ratio == 1.0
    store = FrameStore(tmp_path / "out")
    for k, frame in iter_frames(probe(path, fps)):
        assert frame.ndim == 2 and store.frame(k).ndim == 2
        assert np.abs(store.frame(k).astype(int) - frame).mean() < 3, k
    regions, values = load_motion(tmp_path / "out")
    quiet = np.ones(150, bool)
    for event in spec.events:
        quiet[event.onset : event.offset + 2] = False
    for event in spec.events:
        r = regions.index(event.regions[0])
        peak = int(np.argmax(values[:, r]))
        assert event.onset <= peak <= event.offset + 1, (event, peak)
        assert values[peak, r] > 2 * values[quiet, r].max(), event

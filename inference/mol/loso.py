"""Leave-one-subject-out evaluation (FORMATS.md §5).

Per fold: train on every other subject with a fixed number of steps (no early stopping, no
checkpoint picked by held-out accuracy: nothing about the held-out subject reaches training),
then decide once per video (phases averaged). Counts are pooled over folds into one confusion
matrix; accuracy, UF1 and UAR come from it (``inference.metrics.recognition``).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from inference.metrics.recognition import RecognitionResult, evaluate_recognition

from .config import MOLConfig
from .data import MOLSample, as_sample, check_sample, label_index
from .train import predict_batch, train

FoldProgress = Callable[[str, int, int, dict[str, float]], None]


@dataclass
class LosoResult(RecognitionResult):
    """The recognition figures pooled over folds (classes absent from the truth are left out of
    UF1 and UAR), with every held-out video's decision and each fold's details."""

    predictions: list[dict[str, Any]] = field(default_factory=list)  # one per video
    folds: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict() | {"predictions": self.predictions, "folds": self.folds}


def split_by_subject(samples: Sequence[MOLSample], subject: str) -> tuple[list[MOLSample], list[MOLSample]]:
    """(training samples, held-out samples) for one fold; asserts that no subject is on both sides."""
    train_set = [s for s in samples if s.subject != subject]
    test_set = [s for s in samples if s.subject == subject]
    overlap = {s.subject for s in train_set} & {s.subject for s in test_set}
    assert not overlap, f"LOSO fold {subject!r}: subjects {overlap} on both sides"
    return train_set, test_set


def loso(
    samples: Sequence[MOLSample | tuple],
    config: MOLConfig,
    *,
    seed: int = 0,
    device: str | torch.device | None = None,
    steps: int = 1000,
    progress: FoldProgress | None = None,
) -> LosoResult:
    """Leave-one-subject-out over every subject in ``samples``; same seed and steps in every fold."""
    samples = [as_sample(s, f"sample {i}") for i, s in enumerate(samples)]
    for i, s in enumerate(samples):  # fail before the first fold trains, not in the last one
        check_sample(s, config, f"sample {i}" + (f" ({s.video})" if s.video else ""))
    subjects = sorted({s.subject for s in samples})
    if len(subjects) < 2:
        raise ValueError(f"LOSO needs at least 2 subjects, got {subjects}")
    truths, decisions, predictions, folds = [], [], [], []
    for subject in subjects:
        train_set, test_set = split_by_subject(samples, subject)
        fold_progress = None if progress is None else (lambda s, t, v, sub=subject: progress(sub, s, t, v))
        ckpt = train(train_set, config, seed=seed, device=device, steps=steps, progress=fold_progress)
        assert subject not in ckpt.info["subjects"], f"held-out subject {subject!r} was trained on"
        probs = predict_batch(ckpt, [s.frames for s in test_set], device=device)
        correct = 0
        for s, p in zip(test_set, probs, strict=True):
            truth, pred = label_index(s.label, config, s.video), int(p.argmax())
            truths.append(config.class_names[truth])
            decisions.append(config.class_names[pred])
            correct += truth == pred
            predictions.append(
                {
                    "subject": subject,
                    "video": s.video,
                    "truth": config.class_names[truth],
                    "predicted": config.class_names[pred],
                    "probabilities": p.tolist(),
                }
            )
        folds.append(
            {
                "subject": subject,
                "train_subjects": ckpt.info["subjects"],
                "n_test": len(test_set),
                "accuracy": correct / len(test_set),
                "final_loss": ckpt.info["history"][-1],
            }
        )
    pooled = evaluate_recognition(truths, decisions, classes=config.class_names)
    return LosoResult(
        pooled.classes,
        pooled.confusion,
        pooled.accuracy,
        pooled.uf1,
        pooled.uar,
        pooled.absent_classes,
        predictions,
        folds,
    )

"""MC-WES on a generated corpus: leave-one-subject-out MEGC F1, weak vs frame-level labels, speed.

Corpus: synthetic face videos (inference.synth; aligned crops from the known geometry, regional
motion from inference.media.motion.FlowMeter), several "subjects" (seed families; the renderer
has one face, so subjects differ in events, noise and head motion, not identity) with videos that
hold ME+MaE, ME only, MaE only or nothing, blinks in all. Each fold trains on the other subjects,
once with video-level labels only and once with frame-level labels, and is scored on the held-out
subject with inference.metrics.spotting (IoU >= 0.5, one-to-one, pooled).

    PYTHONPATH=. .venv/bin/python bench/bench_mcwes.py [--subjects 4] [--epochs 30] [--device cpu]

Measured 2026-11-30, first version (32x32 crops, no window speed, no calibration, 30 epochs):
video-level labels 0 TP / 0 FP / 20 FN (F1 0); frame-level labels overall F1 0.378 (ME 0.000).

Measured 2026-11-30, current defaults (window speed in the motion stream, decoding calibrated on
the training videos' weak labels, blink rule), 30 epochs, seed 0, 4 subjects x 4 videos, no
setting tuned on these folds (the machine's load allowed one LOSO run per mode):
  frame-level labels: overall F1 0.821 (16 TP / 3 FP / 4 FN; ME 0.909, MaE 0.706);
  video-level labels: overall F1 0.000 (0 TP / 20 FP / 20 FN): the weakly trained activation
    peaks on blinks (every prediction inspected in folds s0, s1 sat on or just before a blink);
  baseline on the same videos and scorer: overall F1 0.493 (17 TP / 32 FP / 3 FN; ME 0.415,
    MaE 0.750).
Decoding ablation on the same checkpoints: without calibration frame-level F1 0.400 (28 FP) and
video-level 0 TP / 59 FP; the blink rule changes nothing here, because the renderer's blink moves
the "brows" box more than the "eyes" box, so no proposal is eye-only. Other video-level runs
(seed 0, one change each): k_me = 6: 0 TP / 9 FP; no window speed: 0 TP / 14 FP; 80 epochs:
0 TP / 17 FP (0 TP / 27 FP without calibration), unlike the first version's 80-epoch F1 0.229.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from inference.mcwes import MCWESConfig, VideoInput, pick_device, predict, train
from inference.media.motion import REGIONS, FlowMeter
from inference.metrics.spans import Span
from inference.metrics.spotting import evaluate_spotting
from inference.spotting.baseline import spot
from inference.spotting.signals import window_speed
from inference.synth import aligned_face_clip, make_spec

# events per video: (n_me, n_mae); blinks are added to every video as distractors
VIDEO_MIX = ((2, 1), (1, 0), (0, 1), (0, 0))
CROP = 112


def make_video(subject: int, index: int, seconds: float, cache: Path) -> VideoInput:
    """Render (or load from the cache) one video: crops, regional motion, window speed, truth."""
    n_me, n_mae = VIDEO_MIX[index % len(VIDEO_MIX)]
    seed = 1000 * subject + index
    spec = make_spec(seed, fps=30.0, seconds=seconds, n_me=n_me, n_mae=n_mae, n_blinks=2)
    path = cache / f"s{subject}_v{index}_{seconds}.npz"
    if path.exists():
        data = np.load(path)
        crops, motion = data["crops"], data["motion"]
    else:
        crops = aligned_face_clip(spec, 0, spec.frame_count - 1, CROP)
        meter = FlowMeter(CROP)
        motion = np.stack(
            [np.zeros(len(REGIONS), np.float32)]
            + [meter.measure(crops[i - 1], crops[i]) for i in range(1, len(crops))]
        )
        np.savez_compressed(path, crops=crops, motion=motion)
    ws_path = cache / f"ws_s{subject}_v{index}.npy"  # window speed at the default half width
    if not ws_path.exists():
        np.save(ws_path, window_speed(crops, spec.fps, MCWESConfig().window_half_s))
    intervals = [
        {"kind": e.kind, "onset": e.onset, "offset": e.offset} for e in spec.events if e.kind in ("ME", "MaE")
    ]
    return VideoInput(
        fps=spec.fps,
        crops=crops,
        motion=motion,
        window_motion=np.load(ws_path),
        intervals=intervals,
        video_id=f"s{subject}v{index}",
        subject=f"s{subject}",
    )


def spans(intervals: list[dict]) -> list[Span]:
    return [
        Span(iv["kind"], iv["onset"], iv["offset"], apex=iv.get("apex"), score=iv.get("score"))
        for iv in intervals
    ]


def run_baseline(videos: list[VideoInput]) -> dict:
    """The training-free spotter on the same videos and signals (per-frame and window speed)."""
    truth, preds = {}, {}
    for v in videos:
        found = spot(v.motion, REGIONS, v.fps, window_values=v.window_motion).intervals
        truth[v.video_id] = spans(v.intervals)
        preds[v.video_id] = [Span(c.kind, c.onset, c.offset, apex=c.apex, score=c.score) for c in found]
    return {"counts": evaluate_spotting(truth, preds, 0.5).counts}


def run_mode(videos: list[VideoInput], config: MCWESConfig, device: str, cache: dict, seed: int) -> dict:
    """Leave-one-subject-out for one supervision mode; pooled MEGC counts and timings."""
    truth, preds, epoch_s, predict_s, video_s = {}, {}, [], 0.0, 0.0
    for held in sorted({v.subject for v in videos}):
        train_set = [v for v in videos if v.subject != held]
        last = [time.perf_counter()]

        def tick(epoch: int, losses: dict, last=last) -> None:
            now = time.perf_counter()
            epoch_s.append(now - last[0])
            last[0] = now

        ck = train(train_set, config, seed=seed, device=device, progress=tick, cache=cache)
        first, final = ck.history[0]["total"], ck.history[-1]["total"]
        print(f"  fold {held}: loss {first:.3f} -> {final:.3f}")
        for v in videos:
            if v.subject != held:
                continue
            t0 = time.perf_counter()
            intervals, _ = predict(ck, v, device=device)
            predict_s += time.perf_counter() - t0
            video_s += v.length / v.fps
            truth[v.video_id] = spans(v.intervals)
            preds[v.video_id] = spans(intervals)
    result = evaluate_spotting(truth, preds, 0.5)
    return {"counts": result.counts, "epoch_s": float(np.median(epoch_s)), "realtime": video_s / predict_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=4)
    ap.add_argument("--videos", type=int, default=4, help="videos per subject")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    ap.add_argument("--threads", type=int, default=1, help="1 is fastest for these tiny convolutions")
    ap.add_argument("--cache", default="/tmp/mcwes_bench_cache")
    ap.add_argument("--modes", default="video,frame", help="supervision modes to run, comma-separated")
    ap.add_argument("--seed", type=int, default=0, help="training seed")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cache_dir = Path(args.cache)
    cache_dir.mkdir(parents=True, exist_ok=True)
    device = str(pick_device(args.device))

    t0 = time.perf_counter()
    videos = [
        make_video(s, i, args.seconds, cache_dir) for s in range(args.subjects) for i in range(args.videos)
    ]
    n_me = sum(iv["kind"] == "ME" for v in videos for iv in v.intervals)
    n_mae = sum(iv["kind"] == "MaE" for v in videos for iv in v.intervals)
    print(
        f"corpus: {len(videos)} videos, {args.subjects} subjects, {args.seconds} s at 30 fps, "
        f"{n_me} ME + {n_mae} MaE truths; built/loaded in {time.perf_counter() - t0:.1f} s; device {device}"
    )
    snippet_cache: dict = {}
    rows = []
    for mode in args.modes.split(","):
        config = MCWESConfig(epochs=args.epochs, supervision=mode)
        print(f"supervision={mode}")
        r = run_mode(videos, config, device, snippet_cache, args.seed)
        rows.append((mode, r))
    rows.append(("baseline", run_baseline(videos)))
    print("\nLOSO, MEGC IoU>=0.5, pooled over held-out videos")
    print(f"{'labels':<8} {'kind':<8} {'TP':>4} {'FP':>4} {'FN':>4} {'P':>6} {'R':>6} {'F1':>6}")
    for mode, r in rows:
        for kind in ("ME", "MaE", "overall"):
            c = r["counts"][kind]

            def f(x: float | None) -> str:
                return "   n/a" if x is None else f"{x:6.3f}"

            print(
                f"{mode:<8} {kind:<8} {c.tp:>4} {c.fp:>4} {c.fn:>4} {f(c.precision)} {f(c.recall)} {f(c.f1)}"
            )
    for mode, r in rows[:-1]:
        print(
            f"{mode}: median epoch {r['epoch_s']:.2f} s ({len(videos) - args.videos} training videos), "
            f"prediction {r['realtime']:.1f}x real time (incl. snippet pre-processing, excl. flow)"
        )


if __name__ == "__main__":
    main()

"""Baseline spotter on synthetic corpora: render -> ingest -> spot -> MEGC metrics, and its speed.

Three corpora from ``inference.synth`` (several subjects; ME, MaE, blinks, head turns, slow head
drift, sensor noise), each with its own seeds: *tune*, on which the default parameters were
chosen; *test*, whose failures were looked at once (so it is no longer untouched); *holdout*,
never looked at before the reported run. Rendered videos, ingests and window speeds are cached
under ``--cache`` (re-running only re-spots), keyed by parameters only: delete the folder after
a change to ``inference.synth`` or ``inference.media``. Spotting speed is measured on the
ingested signals, as a multiple of real time (frames / fps / seconds spent).

    .venv/bin/python bench/bench_baseline.py [--cache DIR] [--only tune|test|holdout] [--no-window]
        [--preset balanced|medium|fast] [--mesh-every N]   (ingest settings; each has its own cache)
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from inference.media.pipeline import Settings, ingest, load_motion, read_crops  # noqa: E402
from inference.metrics.spans import Span  # noqa: E402
from inference.metrics.spotting import evaluate_spotting  # noqa: E402
from inference.spotting.baseline import BaselineParams, spot  # noqa: E402
from inference.spotting.signals import window_speed  # noqa: E402
from inference.synth.corpus import CorpusSpec, make_corpus  # noqa: E402

SPEC = {"fps": 30.0, "seconds": 20.0, "width": 640, "height": 480, "n_me": 4, "n_mae": 2, "n_blinks": 3}
CORPORA = {
    "tune": {"seed": 1, "subjects": 3, "videos_per_subject": 1, "head_turns": 1, **SPEC},
    "test": {"seed": 2, "subjects": 4, "videos_per_subject": 1, "head_turns": 1, **SPEC},
    "holdout": {"seed": 3, "subjects": 4, "videos_per_subject": 1, "head_turns": 1, **SPEC},
}


def corpus(root: Path, params: dict) -> CorpusSpec:
    """Render once; reuse when the same parameters were rendered before."""
    stamp = root / "bench_params.json"
    if stamp.exists() and json.loads(stamp.read_text()) == params:
        return CorpusSpec.load(root)
    kwargs = dict(params)
    spec = make_corpus(
        root, subjects=kwargs.pop("subjects"), videos_per_subject=kwargs.pop("videos_per_subject"), **kwargs
    )
    stamp.write_text(json.dumps(params))
    return spec


def run(name: str, root: Path, use_window: bool, settings: Settings) -> dict:
    """Ingest (cached) and spot every video of one corpus; truth, predictions and timings."""
    data = corpus(root, CORPORA[name])
    ingested = root / f"ingest_{settings.preset}_mesh{settings.mesh_every}"
    truth, preds, signals = {}, {}, {}
    ingest_s = window_s = 0.0
    for video in data.videos:
        vid, out = f"{video.subject}/{video.name}", ingested / video.subject / video.name
        t0 = time.perf_counter()
        ingest(video.path, out, workers=1, settings=settings)
        ingest_s += time.perf_counter() - t0
        regions, values = load_motion(out)
        window = None
        if use_window:
            cached = out / "window_speed.npy"
            if not cached.exists():
                t0 = time.perf_counter()
                speeds = window_speed(
                    read_crops(out, 0, len(values)), video.spec.fps, BaselineParams().window_half_s
                )
                window_s += time.perf_counter() - t0
                np.save(cached, speeds)
            window = np.load(cached)
        signals[vid] = (values, regions, video.spec.fps, window)
        truth[vid] = [
            Span(e.kind, e.onset, e.offset, e.apex) for e in video.spec.events if e.kind in ("ME", "MaE")
        ]
        intervals = spot(values, regions, video.spec.fps, window_values=window).intervals
        preds[vid] = [Span(c.kind, c.onset, c.offset, c.apex, c.score) for c in intervals]
    seconds_of_video = sum(len(v) / fps for v, _, fps, _ in signals.values())
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        for values, regions, fps, window in signals.values():
            spot(values, regions, fps, window_values=window)
        timings.append(time.perf_counter() - t0)
    values, regions, fps, window = next(iter(signals.values()))
    repeat = math.ceil(600 * fps / len(values))
    long_values = np.tile(values, (repeat, 1))
    long_window = None if window is None else np.tile(window, (repeat, 1))
    t0 = time.perf_counter()
    spot(long_values, regions, fps, window_values=long_window)
    long_speed = len(long_values) / fps / (time.perf_counter() - t0)
    return {
        "long_speed": long_speed,
        "truth": truth,
        "preds": preds,
        "videos": len(signals),
        "frames": sum(len(v) for v, _, _, _ in signals.values()),
        "speed": seconds_of_video / statistics.median(timings),
        "ingest_s": ingest_s,
        "window_s": window_s,
        "seconds_of_video": seconds_of_video,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mestudio-bench-baseline"))
    parser.add_argument("--only", choices=sorted(CORPORA), help="run one corpus only")
    parser.add_argument("--no-window", action="store_true", help="per-frame flow only, no window speed")
    parser.add_argument("--preset", default=Settings().preset, help="DIS preset of the ingest")
    parser.add_argument("--mesh-every", type=int, default=Settings().mesh_every, help="ingest's mesh stride")
    args = parser.parse_args()
    settings = Settings(preset=args.preset, mesh_every=args.mesh_every)
    print(f"ingest: DIS {settings.preset}, face mesh on every {settings.mesh_every}. frame")
    for name in [args.only] if args.only else list(CORPORA):
        r = run(name, args.cache / name, not args.no_window, settings)
        result = evaluate_spotting(r["truth"], r["preds"])
        print(
            f"== {name} corpus: {r['videos']} videos, {r['frames']} frames at 30 fps, "
            f"signals: per-frame flow{'' if args.no_window else ' + window speed'}"
        )
        for kind in ("ME", "MaE", "overall"):
            c = result.counts[kind]
            f1 = "n/a" if c.f1 is None else f"{c.f1:.3f}"
            print(f"   {kind:8s} TP {c.tp:3d}  FP {c.fp:3d}  FN {c.fn:3d}  F1 {f1}")
        print(f"   spotting speed: {r['speed']:.0f}x real time (median of 5 runs over all videos)")
        print(f"   spotting speed, 10-minute video (signals tiled): {r['long_speed']:.0f}x real time")
        if r["ingest_s"] > 1.0:
            print(f"   ingest (not cached this run): {r['seconds_of_video'] / r['ingest_s']:.2f}x real time")
        if r["window_s"] > 0.0:
            print(
                f"   window speed (not cached this run): {r['seconds_of_video'] / r['window_s']:.1f}x real time"
            )
        for vid, v in result.videos.items():
            fn = ", ".join(f"{u.span.kind} {u.span.onset}-{u.span.offset}" for u in v.false_negatives)
            fp = ", ".join(f"{u.span.kind} {u.span.onset}-{u.span.offset}" for u in v.false_positives)
            print(f"   {vid}: missed [{fn}] false [{fp}]")


if __name__ == "__main__":
    main()

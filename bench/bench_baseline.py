"""Baseline spotter on synthetic corpora: render -> ingest -> spot -> MEGC metrics, and its speed.

Two corpora from ``inference.synth`` (several subjects; ME, MaE, blinks, head turns, slow head
drift, sensor noise): a *tune* corpus, on which the default parameters were chosen, and a *test*
corpus with other seeds, reported separately. Rendered videos and ingests are cached under
``--cache`` (re-running only re-spots). Spotting speed is measured on the ingested motion
signals, as a multiple of real time (frames / fps / seconds spent).

    .venv/bin/python bench/bench_baseline.py [--cache DIR] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inference.media.pipeline import ingest, load_motion  # noqa: E402
from inference.metrics.spans import Span  # noqa: E402
from inference.metrics.spotting import evaluate_spotting  # noqa: E402
from inference.spotting.baseline import spot  # noqa: E402
from inference.synth.corpus import CorpusSpec, make_corpus  # noqa: E402

SPEC = {"fps": 30.0, "seconds": 20.0, "width": 640, "height": 480, "n_me": 4, "n_mae": 2, "n_blinks": 3}
CORPORA = {
    "tune": {"seed": 1, "subjects": 3, "videos_per_subject": 1, "head_turns": 1, **SPEC},
    "test": {"seed": 2, "subjects": 4, "videos_per_subject": 1, "head_turns": 1, **SPEC},
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


def run(name: str, root: Path) -> tuple[dict, dict, dict, float, float]:
    data = corpus(root, CORPORA[name])
    truth, preds, signals = {}, {}, {}
    ingest_s = 0.0
    for video in data.videos:
        vid = f"{video.subject}/{video.name}"
        t0 = time.perf_counter()
        ingest(video.path, root / "ingest" / video.subject / video.name, workers=1)
        ingest_s += time.perf_counter() - t0
        regions, values = load_motion(root / "ingest" / video.subject / video.name)
        signals[vid] = (values, regions, video.spec.fps)
        truth[vid] = [
            Span(e.kind, e.onset, e.offset, e.apex) for e in video.spec.events if e.kind in ("ME", "MaE")
        ]
        preds[vid] = [
            Span(c.kind, c.onset, c.offset, c.apex, c.score)
            for c in spot(values, regions, video.spec.fps).intervals
        ]
    frames = sum(len(v) for v, _, _ in signals.values())
    seconds_of_video = sum(len(v) / fps for v, _, fps in signals.values())
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        for values, regions, fps in signals.values():
            spot(values, regions, fps)
        timings.append(time.perf_counter() - t0)
    speed = seconds_of_video / statistics.median(timings)
    return truth, preds, {"videos": len(signals), "frames": frames}, speed, ingest_s


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache", type=Path, default=Path("/tmp/mestudio-bench-baseline"))
    parser.add_argument("--only", choices=sorted(CORPORA), help="run one corpus only")
    args = parser.parse_args()
    for name in [args.only] if args.only else ["tune", "test"]:
        truth, preds, size, speed, ingest_s = run(name, args.cache / name)
        result = evaluate_spotting(truth, preds)
        print(
            f"== {name} corpus: {size['videos']} videos, {size['frames']} frames at 30 fps "
            f"(ingest {ingest_s:.1f} s, 0 when cached)"
        )
        for kind in ("ME", "MaE", "overall"):
            c = result.counts[kind]
            f1 = "n/a" if c.f1 is None else f"{c.f1:.3f}"
            print(f"   {kind:8s} TP {c.tp:3d}  FP {c.fp:3d}  FN {c.fn:3d}  F1 {f1}")
        print(f"   spotting speed: {speed:.0f}x real time (median of 5 runs over all videos)")
        if name == "test":
            for vid, r in result.videos.items():
                fn = ", ".join(f"{u.span.kind} {u.span.onset}-{u.span.offset}" for u in r.false_negatives)
                fp = ", ".join(f"{u.span.kind} {u.span.onset}-{u.span.offset}" for u in r.false_positives)
                print(f"   {vid}: missed [{fn}] false [{fp}]")


if __name__ == "__main__":
    main()

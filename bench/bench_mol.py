"""MOL benchmark: size, FLOPs, CPU inference speed, and LOSO scores on synthetic 3-class clips.

Usage: PYTHONPATH=. .venv/bin/python bench/bench_mol.py [--subjects 3] [--steps 120] [--skip-loso] [--skip-speed]

The LOSO part trains a reduced model (FlowNetC widths x ``--flow-width``, lr ``--lr``) for a few
steps per fold so it finishes on 2 shared cores (~17 min at load 15); its scores say whether the
pipeline learns emotion-specific motion, not what the full model reaches on a real corpus. The
generator's "subjects" are seeds over one face photo, so subject shift is far smaller than real.
"""

import argparse
import os
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from inference.mol import MOL, MOLConfig, MOLSample, loso, predict_batch, train
from inference.synth.render import aligned_face_clip
from inference.synth.spec import make_spec

CLASSES = {
    "negative": ("disgust", "sadness", "anger", "fear", "contempt", "repression"),
    "positive": ("happiness",),
    "surprise": ("surprise",),
}


def params(model: torch.nn.Module) -> float:
    return sum(p.numel() for p in model.parameters()) / 1e6


def gflops(fn, x: torch.Tensor) -> float:
    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        fn(x)
    return counter.get_total_flops() / 1e9


def clips_per_second(fn, x: torch.Tensor, repeats: int) -> float:
    with torch.inference_mode():
        fn(x)  # warm-up
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - start)
    return x.shape[0] / float(np.median(times))


def size_and_speed() -> None:
    torch.manual_seed(0)
    config = MOLConfig()
    full, rec = MOL(config).eval(), MOL(config, with_aux=False).eval()
    x = torch.randn(1, 8, 128, 128)
    print(f"parameters: full {params(full):.2f} M, recognition path {params(rec):.2f} M")
    print(
        f"GFLOPs per 8-frame clip: full {gflops(full, x):.2f}, recognition path {gflops(rec.recognise, x):.2f}"
    )
    for graph in ("channel", "spatial"):
        rec = MOL(MOLConfig(graph=graph), with_aux=False).eval()
        for threads in (1, 2):
            torch.set_num_threads(threads)
            rate = clips_per_second(rec.recognise, torch.randn(8, 8, 128, 128), repeats=3)
            full_rate = (
                clips_per_second(full, torch.randn(1, 8, 128, 128), repeats=2) if graph == "channel" else None
            )
            line = f"CPU {threads} thread(s), graph={graph}: recognition {rate:.1f} sub-clips/s"
            if full_rate:
                line += f", full model {full_rate:.2f} sub-clips/s (ratio {rate / full_rate:.0f}x)"
            print(line)


def synthetic_samples(subjects: int, per_class: int, fps: float) -> list[MOLSample]:
    """Per subject (one generator seed) ``per_class`` ME clips of every class, emotion-specific motion."""
    samples = []
    for s in range(subjects):
        for c, (label, emotions) in enumerate(CLASSES.items()):
            for k in range(per_class):
                emotion = emotions[(s * per_class + k) % len(emotions)]
                spec = make_spec(
                    1000 * s + 10 * c + k,
                    fps=fps,
                    seconds=1.6,
                    grayscale=True,
                    n_me=1,
                    n_mae=0,
                    n_blinks=0,
                    emotions=[emotion],
                    head_motion=0.0,
                )
                event = spec.events[0]
                clip = aligned_face_clip(spec, event.onset, event.offset)
                samples.append(MOLSample(clip, label, f"s{s:02d}", f"s{s:02d}_{label}_{k}_{emotion}"))
    return samples


def run_loso(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    samples = synthetic_samples(args.subjects, args.per_class, args.fps)
    lengths = [len(s.frames) for s in samples]
    print(
        f"LOSO data: {len(samples)} clips, {args.subjects} subjects, {args.fps:g} fps, "
        f"{min(lengths)}-{max(lengths)} frames, generated in {time.perf_counter() - start:.0f} s"
    )
    config = MOLConfig(flow_width=args.flow_width, lr=args.lr, batch_size=args.batch)
    start = time.perf_counter()

    def progress(subject: str, step: int, steps: int, loss: dict[str, float]) -> None:
        if step % args.log_every == 0 or step == steps:
            print(
                f"    fold {subject} step {step}/{steps}: ce {loss['ce']:.3f} flow {loss['flow']:.3f} "
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )

    result = loso(samples, config, seed=0, steps=args.steps, progress=progress)
    seconds = time.perf_counter() - start
    print(
        f"LOSO ({args.steps} steps x batch {args.batch} per fold, flow_width {args.flow_width}, lr {args.lr}, "
        f"{args.threads} thread(s)): {seconds:.0f} s"
    )
    print(f"  accuracy {result.accuracy:.3f}  UF1 {result.uf1:.3f}  UAR {result.uar:.3f}  (chance UF1 ~0.33)")
    print(f"  confusion (rows truth, cols predicted, {result.classes}):")
    for name, row in zip(result.classes, result.confusion, strict=True):
        print(f"    {name:>9} {row.tolist()}")
    for fold in result.folds:
        loss = fold["final_loss"]
        print(
            f"  fold {fold['subject']}: acc {fold['accuracy']:.2f}  last loss ce {loss['ce']:.3f} "
            f"flow {loss['flow']:.3f}"
        )
    # Same data, training subjects scored on themselves: is the model fitting at all?
    ckpt = train(samples, config, seed=0, steps=args.steps)
    probs = predict_batch(ckpt, [s.frames for s in samples])
    fit = np.mean(
        [config.class_names[int(p.argmax())] == s.label for p, s in zip(probs, samples, strict=True)]
    )
    print(f"  training-set accuracy of a model trained on all subjects (fit check, not a score): {fit:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=3)
    parser.add_argument("--per-class", type=int, default=2)
    parser.add_argument("--fps", type=float, default=60.0)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--flow-width", type=float, default=0.125)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--log-every", type=int, default=20)
    parser.add_argument("--skip-loso", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    print(
        "load average (1/5/15 min): {:.1f} {:.1f} {:.1f} on {} CPUs".format(*os.getloadavg(), os.cpu_count())
    )
    if not args.skip_speed:
        size_and_speed()
    if not args.skip_loso:
        run_loso(args)


if __name__ == "__main__":
    main()

"""Benchmark the timeline component in headless Chromium on a 100,000-frame video (fake server).

Prints: page ready time, warm and cold frame-step latency (keydown -> frame drawn, measured inside the
page), held-key exactness, playback dropped frames, JS heap after scrubbing the whole overview, and a
same-run reference: fetching and decoding one frame per step (what a page without chunks would do).
Run: `.venv/bin/python bench/bench_timeline.py [--frames 100000]`.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.timeline_harness.server import Harness, start_server  # noqa: E402

ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--enable-precise-memory-info"]
STATE = "window.mestudioTimeline"


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def wait_frame(page, frame: int, timeout: int = 10000) -> None:
    page.wait_for_selector(f"[data-testid=timeline][data-frame='{frame}']", timeout=timeout)


def heap_mb(cdp) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["JSHeapUsedSize"] / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    harness = Harness(frame_count=args.frames, fps=30, width=160, height=120)
    # A real server serves the frame store and motion from files; render what the first load needs up
    # front so that page-ready time measures the component, not the fake's rendering. Later chunks
    # are rendered on request, so cold jumps include ~the fake's render time for one chunk.
    harness.motion()
    harness.frames.overview_jpeg()
    for chunk in range(4):
        harness.frames.chunk(chunk)
    server = start_server(harness)
    url = f"http://127.0.0.1:{server.server_port}/"
    rng = random.Random(0)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")

        t0 = time.perf_counter()
        page.goto(url)
        page.wait_for_selector("[data-ready=true][data-frame='0']", timeout=30000)
        wall = (time.perf_counter() - t0) * 1000
        timings = page.evaluate(f"{STATE}.timings")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"video: {args.frames} frames, 160x120, 30 fps; machine load average {load} on {os.cpu_count()} CPUs"
        )
        print(
            f"page ready: {wall:.0f} ms wall (goto -> first frame and data); in page: first frame drawn at "
            f"{timings['firstPaintMs']:.0f} ms, intervals and predictions loaded at "
            f"{timings['dataReadyMs']:.0f} ms"
        )

        start = args.frames // 3
        page.keyboard.press("g")
        page.keyboard.type(str(start + 1))
        page.keyboard.press("Enter")
        wait_frame(page, start)
        page.wait_for_timeout(500)  # let the prefetch around the cursor settle: these steps are "warm"
        external = []
        for k in range(1, args.steps + 1):
            t = time.perf_counter()
            page.keyboard.press("ArrowRight")
            wait_frame(page, start + k)
            external.append((time.perf_counter() - t) * 1000)
            page.wait_for_timeout(30)
        warm = page.evaluate(f"{STATE}.timings.stepWarmMs")
        print(
            f"warm step (keydown -> drawn, in page): p50 {pct(warm, 50):.1f} ms, p95 {pct(warm, 95):.1f} ms, "
            f"n={len(warm)}; seen from Playwright (adds its round trip): p50 {pct(external, 50):.1f} ms"
        )

        for _ in range(15):
            target = rng.randrange(args.frames)
            page.keyboard.press("g")
            page.keyboard.type(str(target + 1))
            page.keyboard.press("Enter")
            wait_frame(page, target)
        cold = page.evaluate(f"{STATE}.timings.stepColdMs")
        print(
            f"cold jump (go to an unloaded frame -> drawn): p50 {pct(cold, 50):.0f} ms, "
            f"p95 {pct(cold, 95):.0f} ms, n={len(cold)}"
        )

        base = page.evaluate(f"{STATE}.frame")
        t = time.perf_counter()
        for _ in range(100):
            page.keyboard.down("ArrowRight")
        page.keyboard.up("ArrowRight")
        moved = page.evaluate(f"{STATE}.frame") - base
        wait_frame(page, base + 100)
        print(
            f"100 held-key presses: moved {moved} frames, frame {base + 100} drawn "
            f"{(time.perf_counter() - t) * 1000:.0f} ms after the first press"
        )

        page.wait_for_timeout(500)
        counters = f"[{STATE}.droppedFrames, {STATE}.playedFrames, {STATE}.stalledTicks]"
        before = page.evaluate(counters)
        page.keyboard.press(" ")
        page.wait_for_timeout(5000)
        page.keyboard.press(" ")
        dropped, played, stalled = (a - b for a, b in zip(page.evaluate(counters), before, strict=True))
        print(
            f"playback 1x at 30 fps for 5 s: {played} frames advanced, {dropped} dropped "
            f"({100 * dropped / max(played, 1):.1f} %); {stalled} animation frames waited for a frame to decode "
            "(the rest of the drops are animation frames the browser did not run in time)"
        )

        heap_before = heap_mb(cdp)
        box = page.locator("[data-testid=overview]").bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + 80, y)
        page.mouse.down()
        for i in range(301):
            page.mouse.move(box["x"] + 80 + i * (box["width"] - 81) / 300, y)
            page.wait_for_timeout(10)
        page.mouse.up()
        page.wait_for_timeout(1000)
        cache = page.evaluate(f"{STATE}.cache")
        print(
            f"JS heap: {heap_before:.1f} MB before scrubbing the overview, {heap_mb(cdp):.1f} MB after, "
            f"outside it the cache holds {cache['bitmaps']} bitmaps (cap {cache['bitmapCapacity']}, "
            f"{cache['bitmaps'] * 160 * 120 * 4 / 1e6:.0f} MB decoded) and {cache['chunks']} chunks "
            f"({cache['chunkCacheBytes'] / 1e6:.0f} MB compressed); "
            f"{cache['chunkFetches']} chunks fetched ({cache['chunkBytes'] / 1e6:.1f} MB)"
        )

        reference = page.evaluate(
            """async (n) => {
              const times = [];
              for (let i = 0; i < 40; i++) {
                const t = performance.now();
                const blob = await (await fetch(`/videos/7/frames/${n + i}.jpg`, {cache: 'no-store'})).blob();
                (await createImageBitmap(blob)).close();
                times.push(performance.now() - t);
              }
              return times;
            }""",
            args.frames // 2,
        )
        print(
            f"reference, same run: fetch + decode one frame per step: p50 {pct(reference, 50):.1f} ms, "
            f"p95 {pct(reference, 95):.1f} ms -> the warm chunked step is "
            f"{pct(reference, 50) / pct(warm, 50):.1f}x faster at p50"
        )
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()

// The frame viewer: paints exactly one frame index on a canvas, and owns the playback clock.
// The root's data-frame always names the frame on the canvas; while a frame is still loading the
// nearest decoded one is shown greyed and data-frame is removed (it is not the frame asked for).

export const SPEEDS = [1 / 8, 1 / 4, 1 / 2, 1, 2];
const LATENCY_SAMPLES = 2000;

export class Viewer {
  constructor({ root, canvas, frames, frameCount, fps, onFrame }) {
    this.root = root;
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.frames = frames;
    this.frameCount = frameCount;
    this.fps = fps;
    this.onFrame = onFrame; // called once per animation frame with the cursor, to redraw the track
    this.cursor = 0;
    this.painted = -1; // index really on the canvas, -1 while a placeholder or nothing is shown
    this.placeholder = -1;
    this.queued = false;
    this.speedIndex = 3;
    this.playing = false;
    this.clock = null;
    this.lastShown = -1;
    this.droppedFrames = 0;
    this.playedFrames = 0;
    this.stalledTicks = 0; // animation frames in playback whose frame was not decoded yet
    this.pendingInput = null; // {frame, t, cold}: the step whose paint we time
    this.latencies = { warm: [], cold: [] };
    this.firstPaintAt = null;
    this.firstPaint = new Promise((resolve) => (this.resolveFirstPaint = resolve));
    this.lastPrefetch = -Infinity; // the first request is a jump: the first frame fetches alone
    this.now = performance.now(); // time of the current animation frame
    this.refreshMs = 1000 / 60; // screen refresh interval, learnt from animation frames
    this.settleTimer = null;
  }

  get speed() {
    return SPEEDS[this.speedIndex];
  }

  /** Move the cursor now (one call per key event, so no step is lost) and paint on the next frame. */
  seek(frame, inputTime = null) {
    const target = Math.max(0, Math.min(this.frameCount - 1, Math.round(frame)));
    if (this.playing) this.pause();
    const direction = target < this.cursor ? -1 : 1;
    this.cursor = target;
    if (inputTime !== null) this.pendingInput = { frame: target, t: inputTime, cold: !this.frames.get(target) };
    this.prefetch(direction);
    this.request();
  }

  request() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame((t) => this.tick(t));
  }

  /**
   * Decode around the cursor, further ahead in the playing direction. After a long jump (scrubbing)
   * only the cursor's own chunk is fetched at first; neighbours follow once the cursor rests.
   */
  prefetch(direction) {
    const { chunkSize } = this.frames;
    const jumped = Math.abs(this.cursor - this.lastPrefetch) > 2 * chunkSize;
    this.lastPrefetch = this.cursor;
    clearTimeout(this.settleTimer);
    if (jumped) {
      this.frames.want(Array.from({ length: 8 }, (_, d) => this.cursor + d));
      this.settleTimer = setTimeout(() => this.prefetch(direction), 150);
      return;
    }
    const ahead = this.playing ? Math.max(48, Math.ceil(this.fps * this.speed * 2)) : 24;
    const list = [this.cursor];
    for (let d = 1; d <= ahead; d++) {
      list.push(this.cursor + d * direction);
      if (d <= 8) list.push(this.cursor - d * direction);
    }
    const here = Math.floor(this.cursor / chunkSize);
    const chunks = [here, here + direction, here + 2 * direction, here - direction, here + 3 * direction];
    this.frames.want(list, chunks);
  }

  tick(now) {
    this.queued = false;
    const delta = now - this.now;
    if (delta > 2 && delta < 40) this.refreshMs = 0.9 * this.refreshMs + 0.1 * delta;
    this.now = now;
    if (this.playing) {
      const { t0, f0 } = this.clock;
      const target = f0 + Math.max(0, Math.floor(((now - t0) / 1000) * this.fps * this.speed));
      this.cursor = Math.min(target, this.frameCount - 1);
      this.prefetch(1);
    }
    this.paint();
    this.onFrame(this.cursor);
    if (this.playing) {
      if (this.cursor >= this.frameCount - 1) this.pause();
      else this.request();
    }
  }

  paint() {
    const frame = this.cursor;
    const bitmap = this.frames.get(frame);
    if (bitmap) {
      if (this.painted !== frame) this.draw(bitmap, false);
      this.painted = frame;
      this.placeholder = -1;
      this.root.dataset.frame = String(frame);
      if (this.firstPaintAt === null) {
        this.firstPaintAt = performance.now();
        this.resolveFirstPaint();
      }
      if (this.playing && frame > this.lastShown) this.countPlayback(frame);
      const input = this.pendingInput;
      if (input && input.frame === frame) {
        const list = input.cold ? this.latencies.cold : this.latencies.warm;
        list.push(performance.now() - input.t);
        if (list.length > LATENCY_SAMPLES) list.shift();
        this.pendingInput = null;
      }
      return;
    }
    const near = this.frames.nearest(frame);
    if (this.playing) this.stalledTicks += 1;
    this.painted = -1;
    delete this.root.dataset.frame;
    if (near && near.index !== this.placeholder) {
      this.draw(near.bitmap, true);
      this.placeholder = near.index;
    }
  }

  /**
   * A skipped frame counts as dropped only if a screen refresh went by without it: at 200 fps on a
   * 60 Hz screen two of three frames can never be shown, and that is not a drop; a stall is.
   */
  countPlayback(frame) {
    const refreshes = Math.max(1, Math.round((this.now - this.lastShownAt) / this.refreshMs));
    this.droppedFrames += Math.min(frame - this.lastShown - 1, refreshes - 1);
    this.playedFrames += frame - this.lastShown;
    this.lastShown = frame;
    this.lastShownAt = this.now;
  }

  draw(bitmap, greyed) {
    if (this.canvas.width !== bitmap.width || this.canvas.height !== bitmap.height) {
      this.canvas.width = bitmap.width;
      this.canvas.height = bitmap.height;
    }
    this.ctx.filter = greyed ? "grayscale(1) brightness(0.45)" : "none";
    this.ctx.drawImage(bitmap, 0, 0);
    this.canvas.classList.toggle("mt-stale", greyed);
  }

  /** A decoded frame arrived: repaint if it is the one we wait for. */
  decoded(frame) {
    if (frame === this.cursor && this.painted !== frame) this.request();
  }

  play() {
    if (this.playing || this.cursor >= this.frameCount - 1) return;
    this.playing = true;
    this.clock = { t0: performance.now(), f0: this.cursor };
    this.lastShown = this.painted === this.cursor ? this.cursor : this.cursor - 1;
    this.lastShownAt = performance.now();
    this.prefetch(1);
    this.request();
  }

  pause() {
    this.playing = false;
    this.clock = null;
  }

  changeSpeed(delta) {
    this.speedIndex = Math.max(0, Math.min(SPEEDS.length - 1, this.speedIndex + delta));
    if (this.playing) this.clock = { t0: performance.now(), f0: this.cursor };
  }
}

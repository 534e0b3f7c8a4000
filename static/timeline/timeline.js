// The timeline editor: mounts on [data-testid="timeline"][data-config-url] and wires the viewer,
// the track, the side panel, the keyboard and autosave together. No build step, no dependencies.
//
// Page contract: <div data-testid="timeline" id="timeline" data-config-url="..."></div> and
// <script type="module" src="/static/timeline/timeline.js"></script>. The root gets data-ready="true"
// once intervals are loaded and data-frame="N" whenever frame N (0-based) is on the canvas.
// window.mestudioTimeline is a frozen, read-only view: frame, paintedFrame, playing, speed,
// droppedFrames, playedFrames, stalledTicks, selected, intervals, pendingCount, view, layout (lanes at their
// unscrolled y; scrollTop, viewHeight, contentHeight, rulerHeight), cache, timings (trackDrawMs too),
// review (comparison, comments, weak labels, curves).

import { Api, fillUrl } from "./api.js";
import { FrameCache } from "./frames.js";
import { commandFor, KEY_HELP } from "./keys.js";
import { Lens } from "./lens.js";
import { Panel } from "./panel.js";
import { Review } from "./review.js";
import { IntervalSync } from "./sync.js";
import { LABEL_W, RULER_H, Track } from "./track.js";
import { SPEEDS, Viewer } from "./viewer.js";

const HTML = `
<div class="mt-main">
  <div class="mt-stage"><canvas class="mt-frame" data-testid="frame-canvas"></canvas>
    <canvas class="mt-frame mt-overlay" data-testid="face-overlay" hidden></canvas>
    <div class="mt-help" data-testid="help" hidden></div>
    <form class="mt-goto" hidden><label>go to frame <input type="number" data-testid="goto-input"></label></form>
  </div>
  <aside class="mt-lens" data-testid="lens" hidden></aside>
  <aside class="mt-panel" data-testid="panel"><div class="mt-sel"></div><div class="mt-review" data-testid="review"></div></aside>
</div>
<div class="mt-bar">
  <span class="mt-counter" data-testid="counter"></span>
  <span class="mt-speed" data-testid="speed"></span>
  <span class="mt-kind"></span>
  <span class="mt-flash" role="status"></span>
  <span class="mt-save" data-testid="save-summary"></span>
  <button type="button" class="mt-helpbtn" title="keyboard (?)">?</button>
</div>
<canvas class="mt-overview" data-testid="overview"></canvas>
<div class="mt-lanes"><canvas class="mt-track" data-testid="track"></canvas>
  <div class="mt-vscroll" data-testid="track-scroll" hidden><div></div></div></div>`;

function speedLabel(s) {
  return s >= 1 ? `${s}×` : `1/${1 / s}×`;
}

function formatTime(seconds) {
  const m = Math.floor(seconds / 60);
  return `${String(m).padStart(2, "0")}:${(seconds - m * 60).toFixed(3).padStart(6, "0")}`;
}

export class Timeline {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.api = new Api(config.csrf_token);
    this.selected = null; // {type: "interval" | "prediction", key}
    this.predictions = [];
    this.predEdits = new Map(); // prediction id -> adjusted fields, sent with accept
    this.motion = null;
    this.motionMax = {};
    this.newKind = config.dataset.kinds[0];
    this.intervalCache = null;
    this.laneItems = new Map(); // kind or run id -> its items, kept until the data changes (drawn every frame)
    this.lastDrawn = { cursor: -1 };
    root.innerHTML = HTML;
    root.classList.add("mt-root");
    const $ = (s) => root.querySelector(s);
    this.els = Object.fromEntries(["counter", "speed", "kind", "flash", "save", "help", "goto"].map((n) => [n, $(`.mt-${n}`)]));
    const { video, frames } = config;
    this.frames = new FrameCache({
      chunkUrl: frames.chunk_url, chunkSize: frames.chunk_size, frameCount: video.frame_count,
      width: video.width, height: video.height, onDecoded: (f) => this.viewer.decoded(f),
      onError: (message) => this.flash(message),
    });
    this.viewer = new Viewer({
      root, canvas: $(".mt-frame"), frames: this.frames, frameCount: video.frame_count, fps: video.fps,
      onFrame: (c) => this.onFrame(c),
    });
    this.sync = new IntervalSync({ api: this.api, config, onChange: () => this.changed() });
    this.review = new Review({ tl: this, node: $(".mt-review") });
    this.track = new Track({
      tl: this, overview: $(".mt-overview"), canvas: $(".mt-track"), scroller: $(".mt-vscroll"),
    });
    this.panel = new Panel({ tl: this, node: $(".mt-sel") });
    // The lens needs the face track and crops, which only an ingest with a face produces.
    if (frames.has_face && config.enhance_url) {
      this.lens = new Lens({ tl: this, node: $(".mt-lens"), frameCanvas: $(".mt-frame"), overlay: $(".mt-overlay") });
      $(".mt-main").classList.add("mt-with-lens");
    }
    for (const [keys, what] of KEY_HELP) {
      const row = document.createElement("div");
      row.append(Object.assign(document.createElement("kbd"), { textContent: keys }), Object.assign(document.createElement("span"), { textContent: what }));
      this.els.help.append(row);
    }
    $(".mt-helpbtn").addEventListener("click", () => this.command("help"));
    this.els.goto.addEventListener("submit", (e) => this.gotoSubmit(e));
    this.els.goto.addEventListener("focusout", () => (this.els.goto.hidden = true));
    window.addEventListener("keydown", (e) => this.keydown(e));
    window.addEventListener("online", () => this.sync.retryAll());
  }

  url(name, values) {
    return fillUrl(this.config[name], values);
  }

  async start() {
    this.viewer.seek(0);
    const overview = new Image();
    overview.onload = () => {
      this.track.overviewImage = overview;
      this.requestDraw(true);
    };
    overview.src = this.config.frames.overview_url;
    const data = Promise.all([
      this.api.get(this.config.intervals_url).catch((err) => {
        this.config.can_edit = false; // editing blind could duplicate or overwrite intervals
        this.els.flash.textContent = `intervals could not be loaded (${err.status || "network"}): read only, reload to edit`;
        throw err;
      }),
      this.api.get(this.config.predictions_url).catch((err) => this.failed("predictions", err, [])),
    ]);
    // Motion (2 MB of float32 on a 100,000-frame video) is asked for once the first frame and the
    // intervals are in: it delays neither.
    Promise.all([this.viewer.firstPaint, data.catch(() => null)])
      .then(() => this.api.motion(this.config.motion_url))
      .then((motion) => {
        this.setMotion(motion);
        this.track.resize();
        this.motionReadyAt = performance.now();
      })
      .catch((err) => this.failed("motion signals", err, null));
    this.viewer.firstPaint.then(() => this.review.loadCurves());
    const review = this.review.load(); // comments and weak labels: small, asked for beside the intervals
    const [intervals, predictions] = await data;
    this.predictions = predictions;
    this.sync.load(intervals);
    await review;
    this.track.resize();
    this.changed();
    this.dataReadyAt = performance.now();
    this.root.dataset.ready = "true";
  }

  failed(what, err, fallback) {
    this.flash(`${what} unavailable (${err.status || "network"})`);
    return fallback;
  }

  setMotion(motion) {
    for (const [region, values] of Object.entries(motion.values)) {
      this.motionMax[region] = values.reduce((m, v) => (v > m ? v : m), 0) || 1;
    }
    this.motion = motion;
  }

  // ---- views of the data, for the track and the panel ----
  intervalList() {
    this.intervalCache ??= this.sync.list();
    return this.intervalCache;
  }

  intervalsIn(kind) {
    let items = this.laneItems.get(kind);
    if (!items) this.laneItems.set(kind, (items = this.intervalList().filter((i) => i.kind === kind)));
    return items;
  }

  runs() {
    const runs = new Map();
    for (const p of this.predictions) {
      if (!runs.has(p.run)) runs.set(p.run, { id: p.run, name: p.run_name || `run ${p.run}` });
    }
    return [...runs.values()];
  }

  predictionView(p) {
    return { ...p, ...this.predEdits.get(p.id), key: `p${p.id}` };
  }

  predictionsIn(run) {
    let items = this.laneItems.get(run);
    if (!items) {
      items = this.predictions.filter((p) => p.run === run).map((p) => this.predictionView(p));
      this.laneItems.set(run, items);
    }
    return items;
  }

  selectedItem() {
    const sel = this.selected;
    if (!sel) return null;
    const item = sel.type === "interval" ? this.intervalList().find((i) => i.key === sel.key)
      : this.predictions.map((p) => this.predictionView(p)).find((p) => p.key === sel.key);
    return item ? { type: sel.type, item } : null;
  }

  canEditItem() {
    return this.config.can_edit;
  }

  // ---- drawing ----
  changed() {
    this.intervalCache = null;
    this.laneItems.clear();
    if (this.selected && !this.selectedItem()) this.selected = null;
    this.panel.update();
    const n = this.sync.pendingCount();
    this.els.save.textContent = n ? `${n} unsaved` : "all saved";
    this.els.save.dataset.state = n ? "pending" : "saved";
    this.review.labelsChanged();
    this.requestDraw(true);
  }

  requestDraw(trackToo = false) {
    if (trackToo) this.track.dirty = true;
    this.viewer.request();
  }

  onFrame(cursor) {
    this.track.follow(cursor, this.viewer.playing);
    if (this.track.dirty || cursor !== this.lastDrawn.cursor) {
      this.track.draw();
      this.lastDrawn.cursor = cursor;
    }
    const { video } = this.config;
    const loading = this.viewer.painted !== cursor ? " · loading" : "";
    const number = cursor + video.first_frame_number;
    this.els.counter.textContent =
      `frame ${cursor} · #${number} · ${formatTime(cursor / video.fps)} / ${video.frame_count} frames${loading}`;
    this.els.speed.textContent = `${this.viewer.playing ? "▶" : "❚❚"} ${speedLabel(this.viewer.speed)}`;
    this.els.kind.textContent = `new: ${this.newKind}`;
    this.lens?.update();
  }

  flash(text) {
    this.els.flash.textContent = text;
    clearTimeout(this.flashTimer);
    this.flashTimer = setTimeout(() => (this.els.flash.textContent = ""), 4000);
  }

  // ---- actions ----
  seek(frame, inputTime = null) {
    this.viewer.seek(frame, inputTime);
  }

  select(sel) {
    this.selected = sel;
    const found = this.selectedItem();
    if (found) this.track.revealItem(found.type, found.item);
    this.panel.update();
    this.requestDraw(true);
  }

  editSelected(changes) {
    const sel = this.selectedItem();
    if (!sel) return;
    if (sel.type === "interval") this.sync.edit(sel.item.key, changes);
    else {
      this.predEdits.set(sel.item.id, { ...this.predEdits.get(sel.item.id), ...changes });
      this.changed();
    }
  }

  setPoint(sel, field, value) {
    if (sel?.key !== this.selected?.key) this.select(sel);
    this.editSelected({ [field]: value });
  }

  keydown(e) {
    const target = e.target;
    const typing = target instanceof HTMLElement && target.closest("input, textarea, select");
    if (typing) {
      if (e.key === "Escape") target.blur();
      return;
    }
    const command = commandFor(e);
    if (!command) return;
    e.preventDefault();
    this.command(command[0], command[1], e.timeStamp);
  }

  command(name, arg, time = performance.now()) {
    const v = this.viewer;
    const last = this.config.video.frame_count - 1;
    const editing = ["point", "kind", "delete", "undo", "redo", "accept", "reject", "comment"].includes(name);
    if (editing && !this.config.can_edit) return this.flash("read only: you cannot edit this video");
    const sel = this.selectedItem();
    switch (name) {
      case "step": return this.seek(v.cursor + arg, time);
      case "home": return this.seek(0, time);
      case "end": return this.seek(last, time);
      case "play": return v.playing ? v.pause() : v.play();
      case "speed": v.changeSpeed(arg); return this.requestDraw();
      case "point":
        if (!sel && arg === "onset") {
          const key = this.sync.create({ kind: this.newKind, onset: v.cursor });
          return this.select({ type: "interval", key });
        }
        if (!sel) return this.flash("select an interval, or press i to start one");
        return this.editSelected({ [arg]: v.cursor });
      case "kind": {
        const kinds = this.config.dataset.kinds;
        const next = (k) => kinds[(kinds.indexOf(k) + 1) % kinds.length];
        if (!sel) {
          this.newKind = next(this.newKind);
          return this.requestDraw();
        }
        this.editSelected({ kind: next(sel.item.kind) });
        const moved = this.selectedItem(); // now in its new kind's lane: bring that lane into view
        return moved && this.track.revealItem(moved.type, moved.item);
      }
      case "save":
        this.sync.retryAll();
        return this.select(null);
      case "cancel":
        if (!this.els.help.hidden) return (this.els.help.hidden = true);
        if (sel?.type === "interval" && ["invalid", "offline", "conflict"].includes(sel.item.status)) {
          return this.sync.revert(sel.item.key);
        }
        if (sel?.type === "prediction" && this.predEdits.delete(sel.item.id)) return this.changed();
        return this.select(null);
      case "delete":
        if (sel?.type !== "interval") return this.flash("select an interval to delete");
        this.sync.remove(sel.item.key);
        return this.select(null);
      case "next": return this.nextInterval(arg);
      case "undo":
      case "redo": {
        const key = this.sync[name]();
        if (!key) return this.flash(`nothing to ${name}`);
        const item = this.intervalList().find((i) => i.key === key);
        this.select(item ? { type: "interval", key } : null);
        if (item) this.seek(item.onset);
        return;
      }
      case "accept": return this.accept(sel);
      case "reject": return this.reject(sel);
      case "zoom": return this.track.zoom(arg, v.cursor + 0.5);
      case "disagreement": return this.review.step(arg);
      case "comment":
        if (!this.review.enabled) return this.flash("comments are not available here");
        return this.review.openComment();
      case "goto": {
        this.els.goto.hidden = false;
        const input = this.els.goto.querySelector("input");
        input.value = "";
        return input.focus();
      }
      case "help":
        this.els.help.hidden = !this.els.help.hidden;
        return;
      default: throw new Error(`unknown timeline command ${name}`);
    }
  }

  gotoSubmit(e) {
    e.preventDefault();
    const input = this.els.goto.querySelector("input");
    const n = Number(input.value);
    this.els.goto.hidden = true;
    input.blur();
    if (input.value.trim() === "" || !Number.isFinite(n)) return;
    const index = n - this.config.video.first_frame_number;
    if (index < 0 || index >= this.config.video.frame_count) return this.flash(`frame ${n} is not in this video`);
    this.seek(index, e.timeStamp);
  }

  nextInterval(direction) {
    const list = this.intervalList();
    const cursor = this.viewer.cursor;
    const item = direction > 0 ? list.find((i) => i.onset > cursor) : list.findLast((i) => i.onset < cursor);
    if (!item) return this.flash(direction > 0 ? "no interval after the cursor" : "no interval before the cursor");
    this.select({ type: "interval", key: item.key });
    this.seek(item.onset);
  }

  async accept(sel) {
    if (sel?.type === "interval") return this.acceptSuggestion(sel.item);
    if (sel?.type !== "prediction") return this.flash("select a prediction to accept");
    if (sel.item.status !== "pending") return this.flash(`this prediction is already ${sel.item.status}`);
    const overrides = this.predEdits.get(sel.item.id);
    try {
      const url = this.url("prediction_accept_url", { id: sel.item.id });
      const interval = await this.api.request("POST", url, overrides);
      this.predictions = this.predictions.map((p) => (p.id === sel.item.id ? { ...p, status: "accepted" } : p));
      this.predEdits.delete(sel.item.id);
      const key = this.sync.adopt(interval);
      this.select({ type: "interval", key });
      this.flash("prediction accepted");
    } catch (err) {
      this.flash(`accept failed: ${err.status === 400 ? JSON.stringify(err.body) : err.status || "network"}`);
    }
  }

  /** y on an interval: take the emotion the recognition model (MOL) suggested. */
  acceptSuggestion(item) {
    const suggested = this.sync.get(item.key)?.server?.suggested_emotion;
    if (!suggested) return this.flash("this interval has no suggested emotion");
    if (item.emotion === suggested) return this.flash(`emotion is already ${suggested}`);
    this.editSelected({ emotion: suggested });
    this.flash(`emotion set to the suggested ${suggested}`);
  }

  async reject(sel) {
    if (sel?.type !== "prediction") return this.flash("select a prediction to reject");
    try {
      const updated = await this.api.request("POST", this.url("prediction_reject_url", { id: sel.item.id }));
      this.predictions = this.predictions.map((p) => (p.id === updated.id ? updated : p));
      this.changed();
      this.flash("prediction rejected");
    } catch (err) {
      this.flash(`reject failed: ${err.status || "network"}`);
    }
  }

  /** Read-only state for tests and benchmarks. */
  publicState() {
    const tl = this;
    const v = this.viewer;
    return Object.freeze({
      get frame() { return v.cursor; },
      get paintedFrame() { return v.painted; },
      get playing() { return v.playing; },
      get speed() { return v.speed; },
      get droppedFrames() { return v.droppedFrames; },
      get playedFrames() { return v.playedFrames; },
      get stalledTicks() { return v.stalledTicks; },
      get selected() { const s = tl.selectedItem(); return s ? structuredClone({ type: s.type, ...s.item }) : null; },
      get intervals() { return structuredClone(tl.intervalList()); },
      get pendingCount() { return tl.sync.pendingCount(); },
      get view() { return { start: tl.track.start, framesPerPixel: tl.track.fpp }; },
      get layout() {
        const t = tl.track;
        const lanes = t.lanes().lanes.map(({ type, label, y, h }) => ({ type, label, y, h }));
        return {
          labelWidth: LABEL_W, rulerHeight: RULER_H, lanes,
          scrollTop: t.scrollY, viewHeight: t.cssHeight, contentHeight: t.contentHeight,
        };
      },
      get cache() { return { ...tl.frames.sizes(), ...tl.frames.stats }; },
      get review() { return structuredClone(tl.review.publicState()); },
      get timings() {
        return {
          firstPaintMs: v.firstPaintAt, dataReadyMs: tl.dataReadyAt ?? null, motionReadyMs: tl.motionReadyAt ?? null,
          stepWarmMs: [...v.latencies.warm], stepColdMs: [...v.latencies.cold],
          trackDrawMs: Array.from(tl.track.drawTimes.subarray(0, Math.min(tl.track.draws, tl.track.drawTimes.length))),
        };
      },
      speeds: SPEEDS,
    });
  }
}

const REQUIRED = {
  "": ["video", "dataset", "frames", "motion_url", "intervals_url", "interval_url", "interval_create_url",
    "revisions_url", "predictions_url", "prediction_accept_url", "prediction_reject_url", "csrf_token", "can_edit"],
  video: ["id", "frame_count", "fps", "first_frame_number"],
  dataset: ["emotions", "kinds"],
  frames: ["chunk_size", "chunk_url", "overview_url", "overview_frames"],
};

/** Fail early with the name of what is missing, rather than somewhere deep in the drawing code. */
export function checkConfig(config, url) {
  for (const [section, keys] of Object.entries(REQUIRED)) {
    const obj = section ? config[section] : config;
    for (const key of keys) {
      if (obj?.[key] === undefined) throw new Error(`timeline: ${url} lacks "${section ? `${section}.` : ""}${key}"`);
    }
  }
  const { frame_count: n, fps } = config.video;
  if (!(Number.isInteger(n) && n > 0)) {
    throw new Error(`timeline: ${url} video.frame_count must be a positive integer, got ${n}`);
  }
  if (!(fps > 0)) throw new Error(`timeline: ${url} video.fps must be positive, got ${fps}`);
  if (!(config.frames.chunk_size > 0)) throw new Error(`timeline: ${url} frames.chunk_size must be positive`);
  return config;
}

export async function mount(root) {
  const configUrl = root.dataset.configUrl;
  if (!configUrl) throw new Error("timeline: the mount element needs data-config-url");
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = new URL("./timeline.css", import.meta.url).href;
  document.head.append(css);
  const response = await fetch(configUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) {
    root.textContent = `Timeline configuration could not be loaded (${response.status} from ${configUrl}).`;
    throw new Error(`timeline: config ${configUrl} answered ${response.status}`);
  }
  let config;
  try {
    config = checkConfig(await response.json(), configUrl);
  } catch (err) {
    root.textContent = `Timeline cannot start: ${err.message}`;
    throw err;
  }
  const timeline = new Timeline(root, config);
  window.mestudioTimeline = timeline.publicState();
  await timeline.start();
  return timeline;
}

const root = document.querySelector('[data-testid="timeline"][data-config-url]');
if (root) mount(root).catch((err) => console.error(err));

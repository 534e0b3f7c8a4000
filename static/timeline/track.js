// The overview strip and the zoomable track: ruler, interval lanes by kind, one lane per prediction
// run, the comparison lane, comments and weak labels, score curves per run, motion curves per region
// (a group that folds), playhead and onset/apex/offset handles. Drawn on two canvases; the lane layout
// is cached until the data changes, and the ruler and curves' layer until the view changes.
//
// The lanes scroll vertically under a fixed ruler once they need more than TRACK_SHARE of the editor's
// height (wheel over the lane labels, or the scrollbar at the right), so the frame keeps its size. The
// canvas is only as tall as what is shown, at the device's pixel ratio; lanes sit at whole pixels.

import { COMPARE_COLORS } from "./review.js";

export const KIND_COLORS = { ME: "#e5534b", MaE: "#4c9aff", blink: "#a371f7", other: "#c69026" };
const REGION_COLORS = ["#f0b429", "#3ecf8e", "#8ab4f8", "#ff7b72", "#d2a8ff"];
export const LABEL_W = 74;
export const RULER_H = 20;
const LANE_H = 20;
const MOTION_H = 22;
const CURVE_H = 30;
const COMPARE_H = 26;
const NOTES_H = 14;
const GROUP_H = 16;
const TRACK_SHARE = 0.38; // of the editor's height, at most, for the ruler and lanes
const MIN_VIEW_H = 120;
const DRAW_SAMPLES = 256;
const CURVE_COLORS = ["#f0b429", "#8ab4f8", "#d2a8ff", "#3ecf8e"];
const WEAK_COLORS = { me: "#e5534b", mae: "#4c9aff", both: "#d2a8ff", none: "#6e7681" };
const HANDLE_PX = 6;
const STATE_COLORS = { conflict: "#ff3b30", invalid: "#ff9f0a", offline: "#ffd60a", saving: "#ffd60a", accepted: "#3ecf8e" };
const MIN_FPP = 1 / 24; // most zoomed in: 24 px per frame

function color(kind) {
  return KIND_COLORS[kind] || "#888";
}

export class Track {
  constructor({ tl, overview, canvas, scroller }) {
    this.tl = tl;
    this.overview = overview;
    this.canvas = canvas;
    this.frameCount = tl.config.video.frame_count;
    this.start = 0;
    this.fpp = 1;
    this.drag = null;
    this.layout = null;
    this.layerCache = null;
    this.overviewImage = null;
    this.dirty = true;
    this.scroller = scroller;
    this.scrollY = 0; // CSS pixels of lanes scrolled up under the ruler
    this.folded = new Set(); // groups shown as their header only
    this.drawTimes = new Float64Array(DRAW_SAMPLES); // ms per draw(), a ring, for the benchmark
    this.draws = 0;
    this.bindMouse();
    scroller.addEventListener("scroll", () => this.scrollTo(scroller.scrollTop));
    const observer = new ResizeObserver(() => this.resize());
    observer.observe(canvas);
    observer.observe(tl.root); // a taller window gives the lanes more room
    this.resize();
  }

  get plotWidth() {
    return Math.max(10, this.cssWidth - LABEL_W);
  }

  x(frame) {
    return LABEL_W + (frame - this.start) / this.fpp;
  }

  frameAt(x) {
    return this.start + (x - LABEL_W) * this.fpp;
  }

  /** The lanes, top to bottom; computed again only after resize() (which every data change calls). */
  lanes() {
    this.layout ??= this.computeLanes();
    return this.layout;
  }

  computeLanes() {
    const lanes = [];
    let y = RULER_H;
    const add = (lane) => {
      lanes.push({ ...lane, text: lane.label.slice(0, 11), y });
      y += lane.h;
    };
    for (const kind of this.tl.config.dataset.kinds) add({ type: "kind", kind, label: kind, h: LANE_H });
    for (const run of this.tl.runs()) add({ type: "run", run: run.id, label: run.name, h: LANE_H });
    const review = this.tl.review;
    if (review.comparison) add({ type: "compare", label: `vs ${review.comparison.label}`, h: COMPARE_H });
    if (review.enabled) add({ type: "notes", label: "comments", h: NOTES_H });
    for (const curve of review.curves) {
      const top = curve.series.reduce((m, s) => Math.max(m, s.max), curve.lineAt ?? 0) || 1;
      const series = curve.series.map((s, i) => ({
        data: s.data, scale: top, color: KIND_COLORS[s.name] || CURVE_COLORS[i % CURVE_COLORS.length],
      }));
      add({ type: "curve", run: curve.id, label: curve.label, color: "#9da5b4", series, lineAt: curve.lineAt,
        note: `${curve.series.map((s) => s.name).join(", ")} · threshold ${curve.threshold.toFixed(2)}`, h: CURVE_H });
    }
    const motion = this.tl.motion;
    const regions = (motion?.regions || []).filter((region) => motion.values[region]);
    if (regions.length) {
      const open = !this.folded.has("motion");
      add({ type: "group", group: "motion", label: `${open ? "▾" : "▸"} motion`, h: GROUP_H });
      for (const region of open ? regions : []) {
        const tint = REGION_COLORS[motion.regions.indexOf(region) % REGION_COLORS.length];
        const series = [{ data: motion.values[region], scale: this.tl.motionMax[region] || 1, color: tint }];
        add({ type: "motion", region, color: tint, label: region, series, lineAt: null, h: MOTION_H });
      }
    }
    const signals = lanes.filter((l) => l.series);
    return { lanes, signals, height: y + 4 };
  }

  /** Size the canvas to the lanes, or to its share of the editor with a scrollbar for the rest. */
  resize() {
    const dpr = window.devicePixelRatio || 1;
    this.layout = null;
    const { height } = this.lanes();
    const room = Math.max(MIN_VIEW_H, Math.floor(this.tl.root.clientHeight * TRACK_SHARE));
    const shown = Math.min(height, room);
    this.contentHeight = height;
    this.cssHeight = shown;
    this.canvas.style.height = `${shown}px`;
    this.scroller.hidden = height <= shown;
    this.scroller.style.height = `${shown}px`;
    this.scroller.firstElementChild.style.height = `${height}px`;
    const width = this.canvas.clientWidth || 800; // read after the scrollbar is shown or hidden
    const fitAll = !this.cssWidth;
    this.cssWidth = width;
    for (const [c, h] of [[this.canvas, shown], [this.overview, this.overview.clientHeight || 44]]) {
      c.width = Math.round(c.clientWidth * dpr);
      c.height = Math.round(h * dpr);
      c.getContext("2d").setTransform(dpr, 0, 0, dpr, 0, 0);
    }
    if (fitAll) this.fpp = this.maxFpp();
    this.scrollTo(this.scrollY); // fewer lanes may leave less to scroll
    this.setView(this.start, this.fpp);
  }

  /** Scroll the lanes to `y` (clamped, whole pixels), keeping the scrollbar in step. */
  scrollTo(y) {
    const next = Math.max(0, Math.min(this.contentHeight - this.cssHeight, Math.round(y)));
    if (this.scroller.scrollTop !== next) this.scroller.scrollTop = next;
    if (next === this.scrollY) return;
    this.scrollY = next;
    this.dirty = true;
    this.tl.requestDraw();
  }

  /** Scroll the least that shows the first lane `test` accepts whole. */
  reveal(test) {
    const lane = this.lanes().lanes.find(test);
    if (!lane) return;
    if (lane.y - RULER_H < this.scrollY) this.scrollTo(lane.y - RULER_H);
    else if (lane.y + lane.h - this.cssHeight > this.scrollY) this.scrollTo(lane.y + lane.h - this.cssHeight);
  }

  /** Bring the lane of a selected interval (its kind) or prediction (its run) into view. */
  revealItem(type, item) {
    if (type === "interval") this.reveal((l) => l.type === "kind" && l.kind === item.kind);
    else this.reveal((l) => l.type === "run" && l.run === item.run);
  }

  toggleGroup(group) {
    if (!this.folded.delete(group)) this.folded.add(group);
    this.resize();
  }

  maxFpp() {
    return this.frameCount / this.plotWidth;
  }

  setView(start, fpp) {
    this.fpp = Math.max(MIN_FPP, Math.min(this.maxFpp(), fpp));
    const span = this.plotWidth * this.fpp;
    this.start = Math.max(0, Math.min(this.frameCount - span, start));
    this.layerCache = null;
    this.dirty = true;
    this.tl.requestDraw();
  }

  zoom(factor, aroundFrame) {
    const pivotX = this.x(aroundFrame);
    const fpp = this.fpp / factor;
    this.setView(aroundFrame - (pivotX - LABEL_W) * Math.max(MIN_FPP, Math.min(this.maxFpp(), fpp)), fpp);
  }

  /** Keep the playhead in view: page forward while playing, centre after a jump. */
  follow(cursor, playing) {
    const span = this.plotWidth * this.fpp;
    if (cursor >= this.start && cursor + 1 <= this.start + span) return;
    this.setView(playing ? cursor - span * 0.05 : cursor - span / 2, this.fpp);
  }

  draw() {
    const t = performance.now();
    this.drawTrack();
    this.drawOverview();
    this.drawTimes[this.draws++ % DRAW_SAMPLES] = performance.now() - t;
    this.dirty = false;
  }

  /** Lanes scrolled by scrollY and clipped under the ruler; the ruler and curves come from the layer. */
  drawTrack() {
    const ctx = this.canvas.getContext("2d");
    const { lanes, height } = this.lanes();
    if (height !== this.contentHeight) return this.resize();
    const W = this.cssWidth;
    const H = this.cssHeight;
    const top = this.scrollY + RULER_H; // content y at the ruler's lower edge
    const bottom = this.scrollY + H;
    const layer = this.layer();
    const dpr = layer.width / W;
    ctx.fillStyle = "#1b1e23";
    ctx.fillRect(0, 0, W, H);
    ctx.drawImage(layer, 0, 0, layer.width, RULER_H * dpr, 0, 0, W, RULER_H);
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, RULER_H, W, H - RULER_H);
    ctx.clip();
    ctx.translate(0, -this.scrollY);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[i];
      if (lane.y + lane.h <= top || lane.y >= bottom) continue;
      ctx.fillStyle = lane.type === "group" ? "#16181c" : i % 2 ? "#1f232a" : "#23272e";
      ctx.fillRect(LABEL_W, lane.y, W - LABEL_W, lane.h);
      ctx.fillStyle = lane.type === "kind" ? color(lane.kind) : lane.type === "motion" ? lane.color : "#9da5b4";
      ctx.fillText(lane.text, 6, lane.y + lane.h / 2);
    }
    ctx.beginPath();
    ctx.rect(LABEL_W, top, W - LABEL_W, H - RULER_H);
    ctx.clip();
    ctx.drawImage(layer, 0, top * dpr, layer.width, (H - RULER_H) * dpr, 0, top, W, H - RULER_H);
    for (const lane of lanes) {
      if (lane.y + lane.h <= top || lane.y >= bottom) continue;
      if (lane.type === "kind") this.drawItems(ctx, lane, this.tl.intervalsIn(lane.kind), false);
      else if (lane.type === "run") this.drawItems(ctx, lane, this.tl.predictionsIn(lane.run), true);
      else if (lane.type === "compare") this.drawComparison(ctx, lane);
      else if (lane.type === "notes") this.drawNotes(ctx, lane);
    }
    ctx.restore();
    ctx.save();
    ctx.beginPath();
    ctx.rect(LABEL_W, 0, W - LABEL_W, H);
    ctx.clip();
    this.drawPlayhead(ctx, H);
    ctx.restore();
  }

  drawRuler(ctx) {
    const W = this.cssWidth;
    const first = this.tl.config.video.first_frame_number;
    ctx.fillStyle = "#14161a";
    ctx.fillRect(0, 0, W, RULER_H);
    const pxPerFrame = 1 / this.fpp;
    const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
    const step = steps.find((s) => s * pxPerFrame >= 70) || steps.at(-1);
    ctx.strokeStyle = "#4a505a";
    ctx.fillStyle = "#9da5b4";
    ctx.font = "10px system-ui, sans-serif";
    ctx.textBaseline = "top";
    ctx.beginPath();
    if (pxPerFrame >= 5) {
      for (let f = Math.floor(this.start); f <= this.start + this.plotWidth * this.fpp; f++) {
        const x = Math.round(this.x(f)) + 0.5;
        ctx.moveTo(x, RULER_H - 4);
        ctx.lineTo(x, RULER_H);
      }
    }
    for (let f = Math.ceil(this.start / step) * step; f <= this.start + this.plotWidth * this.fpp; f += step) {
      const x = Math.round(this.x(f)) + 0.5;
      if (x < LABEL_W) continue;
      ctx.moveTo(x, RULER_H - 9);
      ctx.lineTo(x, RULER_H);
      ctx.fillText(String(f + first), x + 3, 2);
    }
    ctx.stroke();
    ctx.fillText(this.fpp < 1 ? `${(1 / this.fpp).toFixed(1)} px/frame` : `${this.fpp.toFixed(1)} frames/px`, 4, 4);
  }

  drawItems(ctx, lane, items, isPrediction) {
    const sel = this.tl.selected;
    for (const item of items) {
      const dragged = this.drag?.kind === "handle" && this.drag.item.key === item.key;
      const shown = dragged ? { ...item, [this.drag.field]: this.drag.value } : item;
      const x0 = this.x(shown.onset);
      const x1 = Math.max(this.x((shown.offset ?? shown.onset) + 1), x0 + 2);
      if (x1 < LABEL_W || x0 > this.cssWidth) continue;
      const selected = sel && sel.type === (isPrediction ? "prediction" : "interval") && sel.key === item.key;
      const y = lane.y + 3;
      const h = lane.h - 6;
      ctx.globalAlpha = isPrediction ? (item.status === "rejected" ? 0.25 : 0.35 + 0.5 * (item.score ?? 1)) : 0.85;
      ctx.fillStyle = color(shown.kind);
      ctx.fillRect(x0, y, x1 - x0, h);
      ctx.globalAlpha = 1;
      if (shown.apex !== null && shown.apex !== undefined) {
        ctx.fillStyle = "#fff";
        ctx.fillRect(this.x(shown.apex + 0.5) - 1, y, 2, h);
      }
      const state = item.status;
      const outline = STATE_COLORS[state];
      if (outline || selected) {
        ctx.strokeStyle = selected ? "#ffffff" : outline;
        ctx.lineWidth = selected ? 2 : 1.5;
        ctx.setLineDash(state === "saving" || state === "offline" ? [3, 2] : []);
        ctx.strokeRect(x0 + 0.5, y + 0.5, x1 - x0 - 1, h - 1);
        ctx.setLineDash([]);
      }
      if (selected) this.drawHandles(ctx, shown, lane);
    }
  }

  handleXs(item) {
    const xs = { onset: this.x(item.onset) };
    if (item.apex !== null && item.apex !== undefined) xs.apex = this.x(item.apex + 0.5);
    if (item.offset !== null && item.offset !== undefined) xs.offset = this.x(item.offset + 1);
    return xs;
  }

  drawHandles(ctx, item, lane) {
    ctx.fillStyle = "#ffffff";
    for (const [field, x] of Object.entries(this.handleXs(item))) {
      const y = lane.y + lane.h / 2;
      ctx.beginPath();
      if (field === "apex") {
        ctx.moveTo(x, y - 6);
        ctx.lineTo(x + 5, y);
        ctx.lineTo(x, y + 6);
        ctx.lineTo(x - 5, y);
      } else {
        const dir = field === "onset" ? 1 : -1;
        ctx.rect(field === "onset" ? x - 1 : x - 3, lane.y, 4, lane.h);
        ctx.moveTo(x, y - 4);
        ctx.lineTo(x + 5 * dir, y);
        ctx.lineTo(x, y + 4);
      }
      ctx.fill();
    }
  }

  drawPlayhead(ctx, height) {
    const cursor = this.tl.viewer.cursor;
    const x0 = this.x(cursor);
    const w = 1 / this.fpp;
    if (w >= 3) {
      ctx.fillStyle = "rgba(255,80,80,0.18)";
      ctx.fillRect(x0, 0, w, height);
    }
    ctx.fillStyle = "#ff5050";
    ctx.fillRect(Math.round(x0 + Math.min(w, 3) / 2) - 1, 0, 2, height);
  }

  /** Human intervals (upper half) against the other side (lower half), coloured match / miss / extra. */
  drawComparison(ctx, lane) {
    const review = this.tl.review;
    const { items } = review.comparison;
    const current = review.currentItem();
    const half = (lane.h - 4) / 2;
    ctx.font = "10px system-ui, sans-serif";
    ctx.textAlign = "center";
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const a = item.human || item.other;
      const b = item.other || item.human;
      const x0 = this.x(Math.min(a.onset, b.onset));
      const x1 = Math.max(this.x(Math.max(a.offset ?? a.onset, b.offset ?? b.onset) + 1), x0 + 2);
      if (x1 < LABEL_W || x0 > this.cssWidth) continue;
      ctx.fillStyle = item.colour;
      if (item.human) this.fillSpan(ctx, item.human, lane.y + 2, half - 1);
      if (item.other) this.fillSpan(ctx, item.other, lane.y + 3 + half, half - 1);
      if (item === current) {
        ctx.strokeStyle = "#ffffff";
        ctx.lineWidth = 2;
        ctx.strokeRect(x0 - 1, lane.y + 1, x1 - x0 + 2, lane.h - 2);
      }
      if (x1 - x0 >= 30) {
        ctx.fillStyle = "#111317";
        ctx.fillText(item.iouText, (x0 + x1) / 2, item.human ? lane.y + 2 + half / 2 : lane.y + 3 + half * 1.5);
      }
    }
    ctx.textAlign = "start";
  }

  fillSpan(ctx, span, y, h) {
    const x0 = this.x(span.onset);
    ctx.fillRect(x0, y, Math.max(this.x((span.offset ?? span.onset) + 1), x0 + 2) - x0, h);
  }

  /** Weak-label windows as a strip at the bottom, comments as flags (dimmed once resolved). */
  drawNotes(ctx, lane) {
    const review = this.tl.review;
    for (const label of review.weakLabels) {
      const kind = label.contains_me ? (label.contains_mae ? "both" : "me") : label.contains_mae ? "mae" : "none";
      ctx.fillStyle = WEAK_COLORS[kind];
      const x0 = label.start === null ? LABEL_W : this.x(label.start);
      const x1 = label.start === null ? this.cssWidth : this.x(label.end + 1);
      ctx.fillRect(x0, lane.y + lane.h - 3, Math.max(2, x1 - x0), 2);
    }
    for (const comment of review.comments) {
      const x = this.x(comment.frame + 0.5);
      if (x < LABEL_W - 6 || x > this.cssWidth + 6) continue;
      const anchored = comment.key && this.tl.sync.get(comment.key)?.local;
      ctx.globalAlpha = comment.resolved ? 0.35 : 1;
      if (anchored) {
        ctx.fillStyle = "rgba(255,214,10,0.25)";
        ctx.fillRect(this.x(anchored.onset), lane.y + 3, this.x((anchored.offset ?? anchored.onset) + 1) - this.x(anchored.onset), lane.h - 7);
      }
      ctx.fillStyle = "#ffd60a";
      ctx.beginPath();
      ctx.moveTo(x - 5, lane.y + 1);
      ctx.lineTo(x + 5, lane.y + 1);
      ctx.lineTo(x, lane.y + lane.h - 4);
      ctx.fill();
      ctx.globalAlpha = 1;
    }
  }

  /** The ruler (at the top) and the min/max of each signal (score curves, motion) per pixel column in
   * its lane (at the lanes' unscrolled y), drawn once per view. */
  layer() {
    if (this.layerCache) return this.layerCache;
    const dpr = window.devicePixelRatio || 1;
    const layer = document.createElement("canvas");
    layer.width = Math.round(this.cssWidth * dpr);
    layer.height = Math.round(this.contentHeight * dpr);
    const ctx = layer.getContext("2d");
    ctx.scale(dpr, dpr);
    this.drawRuler(ctx);
    const yOf = (lane, v, scale) => lane.y + lane.h - 2 - (Math.min(v, scale) / scale) * (lane.h - 4);
    for (const lane of this.lanes().signals) {
      for (const series of lane.series) this.drawSeries(ctx, lane, series, yOf);
      if (lane.lineAt !== null) {
        const y = Math.round(yOf(lane, lane.lineAt, lane.series[0].scale)) + 0.5;
        ctx.strokeStyle = "#ffffff";
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(LABEL_W, y);
        ctx.lineTo(this.cssWidth, y);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      if (lane.note) {
        ctx.font = "10px system-ui, sans-serif";
        ctx.textBaseline = "top";
        ctx.textAlign = "end";
        ctx.fillStyle = "#9da5b4";
        ctx.fillText(lane.note, this.cssWidth - 4, lane.y + 1);
        ctx.textAlign = "start";
      }
    }
    this.layerCache = layer;
    return layer;
  }

  drawSeries(ctx, lane, { data, scale, color: tint }, yOf) {
    ctx.strokeStyle = tint;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let px = 0; px < this.plotWidth; px++) {
      const f0 = Math.floor(this.frameAt(LABEL_W + px));
      const f1 = Math.max(f0 + 1, Math.floor(this.frameAt(LABEL_W + px + 1)));
      let lo = Infinity;
      let hi = -Infinity;
      for (let f = Math.max(0, f0 - 1); f < Math.min(f1, data.length); f++) { // f0 - 1 joins the columns
        if (data[f] < lo) lo = data[f];
        if (data[f] > hi) hi = data[f];
      }
      if (hi === -Infinity) continue;
      const x = LABEL_W + px + 0.5;
      const top = Math.floor(yOf(lane, hi, scale)); // whole pixel rows: a flat stretch stays crisp
      ctx.moveTo(x, Math.max(top + 1, Math.ceil(yOf(lane, lo, scale))));
      ctx.lineTo(x, top);
    }
    ctx.stroke();
  }

  drawOverview() {
    const c = this.overview;
    const ctx = c.getContext("2d");
    const W = c.clientWidth;
    const H = c.clientHeight || 44;
    const n = this.frameCount;
    const xOf = (f) => LABEL_W + (f / n) * (W - LABEL_W);
    ctx.fillStyle = "#111317";
    ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = "#9da5b4";
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.fillText("overview", 6, H / 2);
    const img = this.overviewImage;
    const marks = this.tl.config.frames.overview_frames || [];
    if (img && marks.length) {
      const tw = img.naturalWidth / marks.length;
      for (let i = 0; i < marks.length; i++) {
        const x0 = xOf(marks[i]);
        const x1 = i + 1 < marks.length ? xOf(marks[i + 1]) : W;
        ctx.drawImage(img, i * tw, 0, tw, img.naturalHeight, x0, 0, Math.max(1, x1 - x0), H - 6);
      }
    }
    for (const item of this.tl.intervalList()) {
      ctx.fillStyle = color(item.kind);
      ctx.fillRect(xOf(item.onset), H - 6, Math.max(2, xOf((item.offset ?? item.onset) + 1) - xOf(item.onset)), 6);
    }
    const vx0 = xOf(this.start);
    const vx1 = xOf(this.start + this.plotWidth * this.fpp);
    ctx.fillStyle = "rgba(0,0,0,0.45)";
    ctx.fillRect(LABEL_W, 0, vx0 - LABEL_W, H);
    ctx.fillRect(vx1, 0, W - vx1, H);
    ctx.strokeStyle = "#ffd60a";
    ctx.lineWidth = 1.5;
    ctx.strokeRect(vx0 + 0.75, 0.75, Math.max(2, vx1 - vx0 - 1.5), H - 1.5);
    ctx.fillStyle = "#ff5050";
    ctx.fillRect(Math.round(xOf(this.tl.viewer.cursor)) - 1, 0, 2, H);
  }

  /** The lane at canvas y (scrolled), or null over the ruler. */
  laneAt(y) {
    if (y < RULER_H) return null;
    const at = y + this.scrollY;
    return this.lanes().lanes.find((l) => at >= l.y && at < l.y + l.h) || null;
  }

  /** Which handle or item is under (x, y): the selected item's handles win, then items in the lane. */
  hit(x, y) {
    const lane = this.laneAt(y);
    const sel = this.tl.selectedItem();
    const own = sel && lane && (lane.type === "kind" ? sel.type === "interval" && sel.item.kind === lane.kind
      : lane.type === "run" && sel.type === "prediction" && sel.item.run === lane.run);
    if (own) {
      for (const [field, hx] of Object.entries(this.handleXs(sel.item))) {
        if (Math.abs(x - hx) <= HANDLE_PX) return { item: sel.item, type: sel.type, field };
      }
    }
    if (!lane || (lane.type !== "kind" && lane.type !== "run")) return null;
    const items = lane.type === "kind" ? this.tl.intervalsIn(lane.kind) : this.tl.predictionsIn(lane.run);
    const type = lane.type === "kind" ? "interval" : "prediction";
    for (const item of items) {
      const x0 = this.x(item.onset);
      const x1 = Math.max(this.x((item.offset ?? item.onset) + 1), x0 + 2);
      if (x >= x0 - 2 && x <= x1 + 2) return { item, type, field: null };
    }
    return null;
  }

  commentNear(x) {
    return this.tl.review.comments.find((c) => Math.abs(this.x(c.frame + 0.5) - x) <= HANDLE_PX) || null;
  }

  bindMouse() {
    const pos = (e, el) => {
      const r = el.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    this.canvas.addEventListener("mousedown", (e) => {
      const [x, y] = pos(e, this.canvas);
      if (x < LABEL_W) {
        const lane = this.laneAt(y);
        if (lane?.type === "group") this.toggleGroup(lane.group);
        return;
      }
      const hit = this.hit(x, y);
      if (hit?.field && this.tl.canEditItem(hit.type)) {
        this.drag = { kind: "handle", item: hit.item, type: hit.type, field: hit.field, value: hit.item[hit.field] };
      } else if (hit) {
        this.tl.select({ type: hit.type, key: hit.item.key });
      } else if (this.laneAt(y)?.type === "notes" && this.commentNear(x)) {
        this.tl.seek(this.commentNear(x).frame);
      } else {
        this.drag = { kind: "scrub" };
        this.tl.seek(Math.floor(this.frameAt(x)));
      }
      e.preventDefault();
    });
    this.overview.addEventListener("mousedown", (e) => {
      this.drag = { kind: "overview" };
      this.scrubOverview(pos(e, this.overview)[0]);
      e.preventDefault();
    });
    window.addEventListener("mousemove", (e) => {
      if (!this.drag) return;
      if (this.drag.kind === "overview") return this.scrubOverview(pos(e, this.overview)[0]);
      const f = this.frameAt(pos(e, this.canvas)[0]);
      if (this.drag.kind === "scrub") return this.tl.seek(Math.floor(f));
      const { item, field } = this.drag;
      let value = field === "apex" ? Math.floor(f) : field === "onset" ? Math.round(f) : Math.round(f) - 1;
      const lo = field === "onset" ? 0 : field === "apex" ? item.onset : (item.apex ?? item.onset);
      const last = this.frameCount - 1;
      const hi = field === "offset" ? last : field === "apex" ? (item.offset ?? last) : (item.apex ?? item.offset ?? last);
      value = Math.max(lo, Math.min(hi, value));
      if (value !== this.drag.value) {
        this.drag.value = value;
        this.tl.seek(value);
      }
    });
    window.addEventListener("mouseup", () => {
      const drag = this.drag;
      this.drag = null;
      if (drag?.kind === "handle" && drag.value !== drag.item[drag.field]) {
        this.tl.setPoint({ type: drag.type, key: drag.item.key }, drag.field, drag.value);
      }
      this.dirty = true;
      this.tl.requestDraw();
    });
    this.canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [x] = pos(e, this.canvas);
      if (x < LABEL_W) { // over the labels the wheel scrolls the lanes, as in a list
        const unit = e.deltaMode === 1 ? LANE_H : e.deltaMode === 2 ? this.cssHeight - RULER_H : 1;
        return this.scrollTo(this.scrollY + e.deltaY * unit);
      }
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        this.setView(this.start + (e.deltaX || e.deltaY) * this.fpp, this.fpp);
      } else {
        this.zoom(e.deltaY < 0 ? 1.25 : 0.8, this.frameAt(Math.max(LABEL_W, x)));
      }
    }, { passive: false });
  }

  scrubOverview(x) {
    const W = this.overview.clientWidth;
    const frame = Math.floor(((x - LABEL_W) / (W - LABEL_W)) * this.frameCount);
    this.tl.seek(Math.max(0, Math.min(this.frameCount - 1, frame)));
  }
}

// Seeing subtle motion, beside the frame: the aligned face crop, plain or enhanced on the server
// (difference to a reference frame, optical flow from it, or motion magnification), and the face
// box / 68 landmarks drawn over the frame. Crops come as strips of `enhance_window` frames, fetched
// when the cursor enters a strip and kept in a small LRU; the track comes in 1000-frame pieces.

import { fillUrl } from "./api.js";

const TRACK_PIECE = 1000;
const STRIPS_KEPT = 24;

function el(tag, attrs = {}, ...children) {
  const node = Object.assign(document.createElement(tag), attrs);
  node.append(...children);
  return node;
}

export class Lens {
  constructor({ tl, node, frameCanvas, overlay }) {
    this.tl = tl;
    this.node = node;
    this.frameCanvas = frameCanvas;
    this.overlay = overlay;
    this.window = tl.config.enhance_window;
    this.strips = new Map(); // key -> ImageBitmap | Promise | Error
    this.track = new Map(); // piece index -> {boxes, landmarks} | Promise
    this.pinned = null;
    this.shown = "";
    this.mode = el("select", { title: "what the crop shows" },
      ...[["off", "crop: off"], ["crop", "aligned crop"], ["diff", "difference to reference"],
        ["flow", "optical flow from reference"], ["magnify", "motion magnified"]]
        .map(([value, text]) => el("option", { value, textContent: text })));
    this.mode.value = "crop";
    this.factor = el("input", { type: "number", min: 1, max: 100, step: 1, value: 8, title: "amplification factor" });
    this.pin = el("button", { type: "button", textContent: "pin reference" });
    this.box = el("input", { type: "checkbox" });
    this.marks = el("input", { type: "checkbox" });
    this.canvas = el("canvas", { width: 256, height: 256 });
    this.canvas.dataset.testid = "lens-canvas";
    this.caption = el("div", { className: "mt-muted" });
    this.caption.dataset.testid = "lens-caption";
    node.append(
      this.canvas, this.caption, this.mode,
      el("label", {}, "factor ", this.factor), this.pin,
      el("label", {}, this.box, " face box"), el("label", {}, this.marks, " landmarks"),
    );
    for (const input of [this.mode, this.factor, this.box, this.marks]) input.addEventListener("change", () => this.update(true));
    this.pin.addEventListener("click", () => {
      this.pinned = this.pinned === null ? tl.viewer.cursor : null;
      this.update(true);
    });
    node.hidden = false;
  }

  /** The frame differences and flow are measured from: the pinned frame, else the selected interval's onset. */
  reference(start) {
    if (this.pinned !== null) return this.pinned;
    const sel = this.tl.selectedItem();
    return sel && Number.isInteger(sel.item.onset) ? sel.item.onset : start;
  }

  update(force = false) {
    const cursor = this.tl.viewer.cursor;
    const mode = this.mode.value;
    const start = Math.floor(cursor / this.window) * this.window;
    const ref = ["diff", "flow"].includes(mode) ? this.reference(start) : 0;
    const factor = mode === "crop" ? 1 : Math.max(1, Math.min(100, Number(this.factor.value) || 1));
    const key = `${mode}|${start}|${ref}|${factor}`;
    this.pin.textContent = this.pinned === null ? "pin reference" : `unpin #${this.tl.panel.number(this.pinned)}`;
    this.drawOverlay(cursor);
    if (!force && key === this.shown && cursor === this.shownCursor) return;
    this.shownCursor = cursor;
    if (mode === "off") {
      this.shown = key;
      this.canvas.hidden = true;
      this.caption.textContent = "";
      return;
    }
    this.canvas.hidden = false;
    const strip = this.strips.get(key);
    const refText = ["diff", "flow"].includes(mode) ? ` from #${this.tl.panel.number(ref)}` : "";
    const what = mode === "crop" ? "aligned crop" : `${mode} ×${factor}${refText}`;
    if (strip instanceof ImageBitmap) {
      const size = strip.height;
      const ctx = this.canvas.getContext("2d");
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(strip, (cursor - start) * size, 0, size, size, 0, 0, this.canvas.width, this.canvas.height);
      this.shown = key;
      this.caption.textContent = `${what} · frame #${this.tl.panel.number(cursor)}`;
      this.node.dataset.frame = String(cursor);
      return;
    }
    delete this.node.dataset.frame;
    if (strip instanceof Error) {
      this.caption.textContent = strip.message;
      return;
    }
    this.caption.textContent = `${what}: computing…`;
    if (!strip) this.fetchStrip(key, { mode, start, ref, factor });
  }

  fetchStrip(key, { mode, start, ref, factor }) {
    const url = `${fillUrl(this.tl.config.enhance_url, { mode })}?start=${start}&ref=${ref}&factor=${factor}`;
    const promise = fetch(url, { credentials: "same-origin" })
      .then(async (response) => {
        if (!response.ok) {
          const body = await response.json().catch(() => ({}));
          throw new Error(`crop unavailable (${response.status}): ${body.detail || ""}`);
        }
        return createImageBitmap(await response.blob());
      })
      .then((bitmap) => bitmap, (err) => err)
      .then((result) => {
        this.strips.set(key, result);
        while (this.strips.size > STRIPS_KEPT) {
          const [oldKey, old] = this.strips.entries().next().value;
          if (old instanceof ImageBitmap) old.close();
          this.strips.delete(oldKey);
        }
        this.update(true);
      });
    this.strips.set(key, promise);
  }

  /** Box and landmarks of the cursor's frame over the main frame, in the frame canvas's pixels. */
  drawOverlay(cursor) {
    const { overlay, frameCanvas } = this;
    const show = this.box.checked || this.marks.checked;
    overlay.hidden = !show;
    if (!show) return;
    if (overlay.width !== frameCanvas.width || overlay.height !== frameCanvas.height) {
      overlay.width = frameCanvas.width;
      overlay.height = frameCanvas.height;
    }
    const ctx = overlay.getContext("2d");
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    const piece = Math.floor(cursor / TRACK_PIECE);
    const data = this.track.get(piece);
    if (!data) return this.fetchTrack(piece);
    if (data instanceof Promise) return;
    const i = cursor - piece * TRACK_PIECE;
    const box = data.boxes[i];
    const marks = data.landmarks[i];
    if (!box) return;
    const scale = Math.max(1, overlay.width / 320);
    if (this.box.checked) {
      ctx.strokeStyle = "#4c9aff";
      ctx.lineWidth = scale;
      ctx.strokeRect(box[0], box[1], box[2] - box[0], box[3] - box[1]);
    }
    if (this.marks.checked && marks) {
      ctx.fillStyle = "#ffd60a";
      for (const [x, y] of marks) ctx.fillRect(x - scale, y - scale, 2 * scale, 2 * scale);
    }
  }

  fetchTrack(piece) {
    const start = piece * TRACK_PIECE;
    const stop = Math.min(this.tl.config.video.frame_count, start + TRACK_PIECE);
    const promise = this.tl.api.get(`${this.tl.config.face_track_url}?start=${start}&stop=${stop}`)
      .then((data) => {
        this.track.set(piece, data);
        this.drawOverlay(this.tl.viewer.cursor);
      })
      .catch((err) => {
        this.track.delete(piece);
        this.box.checked = this.marks.checked = false;
        this.tl.flash(`face track unavailable (${err.status || "network"})`);
      });
    this.track.set(piece, promise);
  }
}

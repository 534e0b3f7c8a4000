// Review tools of the timeline: the comparison of the human intervals with a prediction run or a
// second annotator (matches, misses, extras with their IoU, as the server's MEGC / agreement rule
// found them; `.` / `,` walk the disagreements), frame-anchored comments, weak labels, and the runs'
// score curves. Each is fetched once (a comparison when it is chosen) and kept as flat arrays that
// the track draws without allocating. A config without these URLs (the test harness) hides them.

import { fillUrl } from "./api.js";
import { el } from "./panel.js";

export const COMPARE_COLORS = { match: "#3ecf8e", miss: "#ff453a", extra: "#ffb020" };
const COMPARE_TEXT = { match: "match", miss: "miss (FN)", extra: "extra (FP)" };
const SCOPES = { video: "whole video", window: "window in view", selection: "selected interval" };
const TAGS = { ME: [true, false], MaE: [false, true], "ME + MaE": [true, true], nothing: [false, false] };

function weakText(label) {
  const parts = [label.contains_me && "ME", label.contains_mae && "MaE"].filter(Boolean);
  return parts.length ? parts.join(" + ") : "nothing";
}

export class Review {
  constructor({ tl, node }) {
    this.tl = tl;
    this.node = node;
    this.config = tl.config;
    this.comparison = null; // {label, items, disagreements: indices into items, counts}
    this.current = -1; // position in comparison.disagreements
    this.comments = [];
    this.weakLabels = [];
    this.curves = []; // one per run: {id, label, threshold, lineAt, series: [{name, data, max}]}
    this.commentAt = null; // {frame, interval} the open comment form is for
    this.compareSeq = 0;
    this.comparedLabels = null; // the human intervals (id:version) the comparison was asked for
    this.recompareTimer = null;
    node.hidden = !this.config.comments_url;
    if (!node.hidden) this.build();
  }

  get enabled() {
    return !this.node.hidden;
  }

  number(index) {
    return String(index + this.config.video.first_frame_number);
  }

  span(s) {
    return `#${this.number(s.onset)}–#${this.number(s.offset ?? s.onset)}`;
  }

  // ---- the side panel ----
  build() {
    const { compare_with: choices, user } = this.config;
    const option = (value, text) => el("option", { value }, text);
    const choose = (e) => {
      e.target.blur(); // the keys (`.`, `,`) work at once, not the select's type-ahead
      const [kind, name] = this.compareSelect.value.split(/:(.*)/);
      if (e.target === this.compareSelect && kind === "annotator" && [name, ""].includes(this.baseSelect.value)) {
        // one annotator against everyone would match their own intervals: compare with you, or another coder
        const others = choices.annotators.filter((a) => a !== name);
        this.baseSelect.value = others.includes(user) ? user : (others[0] ?? "");
      }
      this.compare();
    };
    this.compareSelect = el("select", { "data-testid": "compare-with", onchange: choose },
      option("", "— nothing —"),
      el("optgroup", { label: "prediction runs" }, choices.runs.map((r) => option(`run:${r.id}`, r.name))),
      choices.annotators.length
        ? el("optgroup", { label: "annotators" }, choices.annotators.map((a) => option(`annotator:${a}`, a)))
        : null);
    this.baseSelect = el("select", { "data-testid": "compare-base", onchange: choose },
      option("", "all annotators"), choices.annotators.map((a) => option(a, a)));
    this.iouInput = el("input", { type: "number", min: 0.05, max: 1, step: 0.05, value: 0.5,
      "data-testid": "compare-iou", onchange: choose });
    this.compareSummary = el("div", { class: "mt-muted", "data-testid": "compare-counts" });
    this.compareList = el("ol", { class: "mt-list", "data-testid": "compare-list" });
    this.commentText = el("textarea", { rows: 2, "data-testid": "comment-text", disabled: !this.config.can_edit,
      placeholder: "comment at the cursor (c)", onfocus: () => this.openComment(), onkeydown: (e) => this.commentKey(e) });
    this.commentTarget = el("div", { class: "mt-muted" });
    this.commentList = el("ol", { class: "mt-list", "data-testid": "comments" });
    this.commentCount = el("span");
    this.scopeSelect = el("select", { "data-testid": "weak-scope", onchange: (e) => e.target.blur() },
      Object.entries(SCOPES).map(([value, text]) => option(value, text)));
    this.weakList = el("ol", { class: "mt-list", "data-testid": "weak-labels" });
    const tagButton = ([text, [me, mae]]) => el("button", { type: "button", "data-tag": text,
      disabled: !this.config.can_edit, onclick: () => this.addWeakLabel(me, mae) }, text);
    this.node.replaceChildren(
      el("details", { open: true, "data-testid": "compare-box" }, el("summary", {}, "Compare"),
        el("label", {}, "compare with", this.compareSelect),
        el("div", { class: "mt-grid" }, el("label", {}, "human side", this.baseSelect), el("label", {}, "IoU ≥", this.iouInput)),
        el("div", { class: "mt-legend" }, Object.entries(COMPARE_COLORS).map(([type, colour]) =>
          el("span", {}, el("i", { style: `background:${colour}` }), COMPARE_TEXT[type]))),
        this.compareSummary, this.compareList),
      el("details", { open: true }, el("summary", {}, "Comments ", this.commentCount),
        el("form", { "data-testid": "comment-form", onsubmit: (e) => this.submitComment(e) },
          this.commentText, this.commentTarget,
          el("div", { class: "mt-actions" }, el("button", { type: "submit", disabled: !this.config.can_edit }, "Comment (c)"))),
        this.commentList),
      el("details", { open: true }, el("summary", {}, "Weak labels"),
        el("label", {}, "tag", this.scopeSelect),
        el("div", { class: "mt-actions" }, Object.entries(TAGS).map(tagButton)),
        this.weakList),
    );
  }

  async load() {
    if (!this.enabled) return;
    const { api, config } = this.tl;
    const [comments, weak] = await Promise.all([
      api.get(config.comments_url).catch((err) => this.tl.failed("comments", err, [])),
      api.get(config.weak_labels_url).catch((err) => this.tl.failed("weak labels", err, [])),
    ]);
    this.comments = comments.map((c) => this.commentView(c));
    this.weakLabels = weak;
    this.showComments();
    this.showWeakLabels();
  }

  /** Score curves of every run that has them on this video, asked for once after the first paint. */
  async loadCurves() {
    const runs = this.config.curve_runs || [];
    const curves = await Promise.all(runs.map((run) => this.tl.api.get(run.url).then(
      (values) => this.curveView(run, values),
      (err) => this.tl.failed(`curves of ${run.name}`, err, null),
    )));
    this.curves = curves.filter((c) => c && c.series.length);
    if (this.curves.length) this.tl.track.resize();
  }

  curveView(run, values) {
    const series = Object.entries(values || {}).filter(([, v]) => Array.isArray(v) && v.length).map(([name, v]) => {
      const data = Float32Array.from(v);
      return { name, data, max: data.reduce((m, x) => (x > m ? x : m), 0) };
    });
    return { id: run.id, label: `∿ ${run.name}`, name: run.name, threshold: run.threshold,
      lineAt: run.threshold_on_curve ?? null, series };
  }

  // ---- comparison ----
  async compare() {
    const [kind, value] = this.compareSelect.value.split(/:(.*)/);
    const seq = ++this.compareSeq;
    if (!kind) {
      this.setComparison(null);
      return;
    }
    this.comparedLabels = this.labelsSignature();
    const query = new URLSearchParams({ [kind]: value, iou: this.iouInput.value || "0.5" });
    if (this.baseSelect.value) query.set("base", this.baseSelect.value);
    this.compareSummary.textContent = "comparing…";
    try {
      const result = await this.tl.api.get(`${this.config.compare_url}?${query}`);
      if (seq !== this.compareSeq) return; // a newer choice is on its way
      const label = this.compareSelect.selectedOptions[0].textContent;
      this.setComparison({ label, ...result });
    } catch (err) {
      if (seq !== this.compareSeq) return;
      this.setComparison(null);
      const detail = err.body ? Object.values(err.body).flat().join(" ") : "";
      this.compareSummary.textContent = `comparison failed (${err.status || "network"}) ${detail}`;
    }
  }

  setComparison(result) {
    this.current = -1;
    if (!result) {
      this.comparison = null;
      this.compareSummary.textContent = "";
      this.compareList.replaceChildren();
    } else {
      const items = result.items.map((item) => ({
        ...item,
        frame: (item.human || item.other).onset,
        colour: COMPARE_COLORS[item.type],
        iouText: item.iou.toFixed(2),
      }));
      const disagreements = items.flatMap((item, i) => (item.type === "match" ? [] : [i]));
      this.comparison = { label: result.label, items, disagreements, counts: result.counts, iou: result.iou_threshold };
      const { match, miss, extra } = result.counts;
      this.compareSummary.textContent =
        `${match} match${match === 1 ? "" : "es"} · ${miss} miss${miss === 1 ? "" : "es"} (FN) · ` +
        `${extra} extra${extra === 1 ? "" : "s"} (FP) at IoU ≥ ${result.iou_threshold} — , / . walk the disagreements`;
      this.compareList.replaceChildren(...items.map((item, i) => el("li", {
        "data-type": item.type, onclick: () => this.jumpTo(i),
      }, el("i", { style: `background:${item.colour}` }), this.describe(item))));
    }
    this.tl.track.resize();
  }

  labelsSignature() {
    return this.tl.intervalList().map((i) => `${i.id}:${i.version}`).join();
  }

  /** The coder changed intervals: once the server has them all, compare again (a stale lane misleads). */
  labelsChanged() {
    if (!this.comparison || this.tl.sync.pendingCount() || this.labelsSignature() === this.comparedLabels) return;
    clearTimeout(this.recompareTimer);
    this.recompareTimer = setTimeout(() => this.compare(), 300);
  }

  describe(item) {
    const sides = [item.human && `human ${item.human.kind} ${this.span(item.human)}`,
      item.other && `other ${item.other.kind} ${this.span(item.other)}`].filter(Boolean).join(" ↔ ");
    const best = item.type === "match" ? "IoU" : "best IoU";
    return `${COMPARE_TEXT[item.type]} · ${sides} · ${best} ${item.iouText}`;
  }

  /** Next (1) or previous (-1) miss or extra from the cursor; several at one frame are taken in turn. */
  step(direction) {
    const cmp = this.comparison;
    if (!cmp) return this.tl.flash("choose a run or an annotator to compare with (side panel)");
    if (!cmp.disagreements.length) return this.tl.flash("no disagreements: every interval matches");
    const cursor = this.tl.viewer.cursor;
    const frameOf = (pos) => cmp.items[cmp.disagreements[pos]].frame;
    const n = cmp.disagreements.length;
    let pos = -1;
    if (direction > 0) {
      for (let i = 0; i < n && pos < 0; i++) if (frameOf(i) > cursor || (frameOf(i) === cursor && i > this.current)) pos = i;
    } else {
      for (let i = n - 1; i >= 0 && pos < 0; i--) if (frameOf(i) < cursor || (frameOf(i) === cursor && i < this.current)) pos = i;
    }
    if (pos < 0) return this.tl.flash(direction > 0 ? "no disagreement after the cursor" : "no disagreement before the cursor");
    this.jumpTo(cmp.disagreements[pos]);
  }

  jumpTo(index) {
    const cmp = this.comparison;
    const item = cmp.items[index];
    this.current = cmp.disagreements.indexOf(index);
    for (const [i, li] of [...this.compareList.children].entries()) li.classList.toggle("mt-current", i === index);
    this.compareList.children[index]?.scrollIntoView({ block: "nearest" });
    this.tl.flash(this.describe(item));
    this.tl.track.reveal((lane) => lane.type === "compare");
    this.tl.seek(item.frame);
    this.tl.requestDraw(true);
  }

  currentItem() {
    const cmp = this.comparison;
    return cmp && this.current >= 0 ? cmp.items[cmp.disagreements[this.current]] : null;
  }

  // ---- comments ----
  commentView(c) {
    return { ...c, key: c.interval === null ? null : `s${c.interval}` };
  }

  /** `c` or a click in the field: the comment is for the cursor's frame and the selected saved interval. */
  openComment() {
    const sel = this.tl.selectedItem();
    const interval = sel?.type === "interval" && sel.item.id ? sel.item.id : null;
    this.commentAt = { frame: this.tl.viewer.cursor, interval };
    this.commentTarget.textContent = `at frame #${this.number(this.commentAt.frame)}` +
      (interval ? ` on the selected interval (${this.span(sel.item)})` : "");
    if (document.activeElement !== this.commentText) this.commentText.focus();
  }

  commentKey(e) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      this.commentText.form.requestSubmit();
    }
  }

  async submitComment(e) {
    e.preventDefault();
    const text = this.commentText.value.trim();
    if (!text) return this.tl.flash("write the comment first");
    const at = this.commentAt ?? { frame: this.tl.viewer.cursor, interval: null };
    try {
      const body = { video: this.config.video.id, frame: at.frame, text, interval: at.interval };
      const created = await this.tl.api.request("POST", this.config.comment_create_url, body);
      this.comments.push(this.commentView(created));
      this.comments.sort((a, b) => a.frame - b.frame || a.id - b.id);
      this.commentText.value = "";
      this.commentText.blur();
      this.commentAt = null;
      this.commentTarget.textContent = "";
      this.showComments();
      this.tl.flash(`comment added at frame #${this.number(created.frame)}`);
    } catch (err) {
      this.tl.flash(`comment not saved (${err.status || "network"}): ${err.body ? JSON.stringify(err.body) : ""}`);
    }
  }

  async resolve(comment, resolved) {
    try {
      const url = fillUrl(this.config.comment_resolve_url, { id: comment.id });
      const updated = await this.tl.api.request("POST", url, { resolved });
      Object.assign(comment, updated);
      this.showComments();
    } catch (err) {
      this.tl.flash(`comment not changed (${err.status || "network"})`);
    }
  }

  showComments() {
    const open = this.comments.filter((c) => !c.resolved).length;
    this.commentCount.textContent = `(${open} open of ${this.comments.length})`;
    const canEdit = this.config.can_edit;
    this.commentList.replaceChildren(...this.comments.map((c) => el("li", {
      "data-comment": c.id, "data-resolved": String(c.resolved), class: c.resolved ? "mt-muted" : null,
    },
    el("a", { href: "#", onclick: (e) => { e.preventDefault(); this.tl.seek(c.frame); } }, `#${this.number(c.frame)}`),
    c.interval ? " (interval)" : "", ` ${c.author ?? "?"}: ${c.text} `,
    el("button", { type: "button", disabled: !canEdit, onclick: () => this.resolve(c, !c.resolved) },
      c.resolved ? "Reopen" : "Resolve"))));
    this.tl.requestDraw(true);
  }

  // ---- weak labels ----
  /** Frames of the chosen scope ([null, null] = the whole video), or a message why there are none. */
  scopeFrames() {
    const scope = this.scopeSelect.value;
    if (scope === "video") return [null, null];
    if (scope === "window") {
      const { start, fpp, plotWidth } = this.tl.track;
      const last = this.config.video.frame_count - 1;
      return [Math.max(0, Math.ceil(start)), Math.min(last, Math.ceil(start + plotWidth * fpp) - 1)];
    }
    const sel = this.tl.selectedItem();
    if (!sel) return "select an interval first";
    if (sel.item.offset === null || sel.item.offset === undefined) return "the selected interval has no offset yet";
    return [sel.item.onset, sel.item.offset];
  }

  async addWeakLabel(me, mae) {
    const frames = this.scopeFrames();
    if (typeof frames === "string") return this.tl.flash(frames);
    const [start, end] = frames;
    const body = { video: this.config.video.id, start, end, contains_me: me, contains_mae: mae };
    try {
      const created = await this.tl.api.request("POST", this.config.weak_label_create_url, body);
      this.weakLabels.push(created);
      this.showWeakLabels();
      this.tl.flash(`tagged ${this.weakScope(created)} as ${weakText(created)}`);
    } catch (err) {
      this.tl.flash(`weak label not saved (${err.status || "network"}): ${err.body ? JSON.stringify(err.body) : ""}`);
    }
  }

  async removeWeakLabel(label) {
    try {
      await this.tl.api.request("DELETE", fillUrl(this.config.weak_label_url, { id: label.id }));
      this.weakLabels = this.weakLabels.filter((l) => l !== label);
      this.showWeakLabels();
    } catch (err) {
      this.tl.flash(`weak label not removed (${err.status || "network"})`);
    }
  }

  weakScope(label) {
    return label.start === null ? "the whole video" : `#${this.number(label.start)}–#${this.number(label.end)}`;
  }

  showWeakLabels() {
    this.weakList.replaceChildren(...this.weakLabels.map((l) => el("li", { "data-weak": l.id },
      `${this.weakScope(l)}: ${weakText(l)} `, el("span", { class: "mt-muted" }, l.author ?? ""),
      el("button", { type: "button", title: "remove", disabled: !this.config.can_edit,
        onclick: () => this.removeWeakLabel(l) }, "×"))));
    this.tl.requestDraw(true);
  }

  /** Read-only state for tests. */
  publicState() {
    const cmp = this.comparison;
    return {
      comparison: cmp && {
        counts: cmp.counts,
        current: this.current,
        items: cmp.items.map(({ type, frame, iou, human, other }) => ({ type, frame, iou, human, other })),
      },
      comments: this.comments.map(({ id, frame, interval, text, resolved }) => ({ id, frame, interval, text, resolved })),
      weakLabels: this.weakLabels.map(({ id, start, end, contains_me: me, contains_mae: mae }) => ({ id, start, end, me, mae })),
      curves: this.curves.map(({ id, name, threshold, lineAt, series }) =>
        ({ id, name, threshold, lineAt, names: series.map((s) => s.name) })),
    };
  }
}

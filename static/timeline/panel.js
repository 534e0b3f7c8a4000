// The side panel: the selected interval's fields (frame numbers in the dataset's own numbering),
// AUs with a live parse and completions, emotion, notes, save state, conflicts and history.
// Inputs are built once per selection and refreshed in place so typing never loses focus.

import { completeAU, parseAUs } from "./aus.js";
import { FIELDS, pickFields } from "./sync.js";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined));
  return node;
}

const STATUS_TEXT = {
  saved: "saved", saving: "saving…", offline: "not saved: server unreachable, retrying",
  invalid: "not saved: the server refused it", conflict: "conflict: someone else changed it",
};

export class Panel {
  constructor({ tl, node }) {
    this.tl = tl;
    this.node = node;
    this.shownKey = null;
    this.history = { key: null, version: -1 };
    this.inputs = {};
  }

  frameNumber(index) {
    return index === null || index === undefined ? "" : String(index + this.tl.config.video.first_frame_number);
  }

  update() {
    const sel = this.tl.selectedItem();
    const key = sel ? `${sel.type}:${sel.item.key}` : null;
    if (key !== this.shownKey) {
      this.shownKey = key;
      if (sel?.type === "interval") this.node.replaceChildren(...this.intervalView());
    }
    if (sel?.type === "interval") this.refreshInterval(sel.item);
    const signature = JSON.stringify(sel?.item);
    if (sel?.type === "prediction" && signature !== this.shownPrediction) {
      this.node.replaceChildren(...this.predictionView(sel.item).filter(Boolean));
    }
    this.shownPrediction = sel?.type === "prediction" ? signature : null;
    if (!sel) this.node.replaceChildren(...this.emptyView());
  }

  emptyView() {
    const n = this.tl.sync.list().length;
    return [
      el("h3", {}, "No selection"),
      el("p", { class: "mt-muted" }, `${n} interval${n === 1 ? "" : "s"} on this video. `,
        "Press i to start an interval at the cursor, n / p to walk through them, ? for all keys."),
      el("p", { class: "mt-muted" }, this.tl.config.can_edit ? `Editing as ${this.tl.config.user}.` : "Read only."),
    ];
  }

  intervalView() {
    const { dataset } = this.tl.config;
    const edit = (changes) => this.tl.editSelected(changes);
    const readOnly = !this.tl.config.can_edit;
    const point = (field) => el("label", {}, field,
      (this.inputs[field] = el("input", {
        type: "number", "data-field": field, disabled: readOnly,
        onchange: (e) => {
          const raw = e.target.value.trim();
          this.tl.setPoint(this.tl.selected, field, raw === "" ? null : Number(raw) - this.tl.config.video.first_frame_number);
        },
      })));
    this.inputs.kind = el("select", { "data-field": "kind", disabled: readOnly, onchange: (e) => edit({ kind: e.target.value }) },
      dataset.kinds.map((k) => el("option", { value: k }, k)));
    this.inputs.emotion = el("select", { "data-field": "emotion", disabled: readOnly, onchange: (e) => edit({ emotion: e.target.value }) },
      el("option", { value: "" }, "—"), dataset.emotions.map((k) => el("option", { value: k }, k)));
    this.inputs.aus = el("input", {
      type: "text", "data-field": "aus", placeholder: "e.g. 4+7+L10", autocomplete: "off", disabled: readOnly,
      oninput: () => this.showAUs(), onchange: (e) => edit({ aus: e.target.value.trim() }),
    });
    this.inputs.notes = el("textarea", { "data-field": "notes", rows: 2, disabled: readOnly, onchange: (e) => edit({ notes: e.target.value }) });
    this.auParse = el("div", { class: "mt-aus" });
    this.auSuggest = el("div", { class: "mt-suggest" });
    this.status = el("div", { class: "mt-status", "data-testid": "save-status" });
    this.conflictInfo = el("div");
    this.conflictBy = el("strong");
    this.conflict = el("div", { class: "mt-conflict", "data-testid": "conflict", hidden: true }, this.conflictBy, el("br"),
      el("button", { type: "button", "data-testid": "keep-mine", onclick: () => this.tl.sync.resolve(this.tl.selected.key, "mine") }, "Keep mine"),
      el("button", { type: "button", "data-testid": "take-theirs", onclick: () => this.tl.sync.resolve(this.tl.selected.key, "theirs") }, "Take theirs"), this.conflictInfo);
    this.historyList = el("ol", { class: "mt-history" });
    return [
      el("h3", {}, "Interval"), this.conflict,
      el("div", { class: "mt-grid" }, el("label", {}, "kind", this.inputs.kind), point("onset"), point("apex"), point("offset")),
      el("label", { class: "mt-wide" }, "AUs", this.inputs.aus), this.auParse, this.auSuggest,
      el("label", { class: "mt-wide" }, "emotion", this.inputs.emotion),
      el("label", { class: "mt-wide" }, "notes", this.inputs.notes),
      this.status,
      el("h4", {}, "History"), this.historyList,
    ];
  }

  refreshInterval(item) {
    for (const field of FIELDS) {
      const input = this.inputs[field];
      if (!input || document.activeElement === input) continue;
      const value = ["onset", "apex", "offset"].includes(field) ? this.frameNumber(item[field]) : item[field] ?? "";
      if (input.value !== value) input.value = value;
    }
    this.showAUs();
    const entry = this.tl.sync.get(item.key);
    const error = entry.error?.body ? Object.entries(entry.error.body).map(([f, m]) => `${f}: ${[].concat(m).join(" ")}`).join("; ") : "";
    this.status.textContent = `${STATUS_TEXT[item.status]}${item.version ? ` · version ${item.version}` : ""}${error ? ` — ${error}` : ""}`;
    this.status.dataset.state = item.status;
    this.showConflict(entry.conflict, entry.local);
    if (entry.server && (this.history.key !== item.key || this.history.version !== entry.server.version)) {
      this.history = { key: item.key, version: entry.server.version };
      this.loadHistory(entry.server.id, item.key);
    }
  }

  showAUs() {
    const text = this.inputs.aus.value;
    const { tokens, errors } = parseAUs(text);
    this.auParse.replaceChildren(
      ...tokens.map((t) => el("span", { class: "mt-chip", title: t.name }, `${t.side}${t.au}${t.intensity}${t.uncertain ? "?" : ""} ${t.name}`)),
      ...errors.map((e) => el("span", { class: "mt-chip mt-bad", title: "not an AU" }, e)),
    );
    const focused = document.activeElement === this.inputs.aus;
    this.auSuggest.replaceChildren(...(focused ? completeAU(text) : []).map(([n, name]) => el("button", {
      type: "button", onmousedown: (e) => {
        e.preventDefault();
        const head = text.replace(/[^+,，/;\s]*$/, "");
        this.inputs.aus.value = `${head}${n}`;
        this.showAUs();
      },
    }, `AU${n} ${name}`)));
  }

  showConflict(conflict, mine) {
    this.conflict.hidden = !conflict;
    if (!conflict) return;
    const first = this.tl.config.video.first_frame_number;
    const fmt = (obj, f) => (obj === null ? "deleted" : ["onset", "apex", "offset"].includes(f) && obj[f] !== null ? obj[f] + first : obj[f] || "—");
    const theirs = pickFields(conflict.theirs);
    const changed = this.tl.sync.myChanges(this.tl.sync.get(this.tl.selected.key));
    const rows = FIELDS.filter((f) => !mine || !theirs || mine[f] !== theirs[f])
      .map((f) => el("tr", {}, el("th", {}, f), el("td", {}, `${fmt(mine, f)}${f in changed ? " ✎" : ""}`), el("td", {}, String(fmt(theirs, f)))));
    const by = conflict.theirs ? `${conflict.theirs.updated_by} (version ${conflict.theirs.version})` : "someone (deleted it)";
    this.conflictBy.textContent = `Changed by ${by} while you edited. Keep mine re-sends only your changes (✎).`;
    this.conflictInfo.replaceChildren(el("table", {}, el("tr", {}, el("th", {}), el("th", {}, "mine"), el("th", {}, "theirs")), rows));
  }

  async loadHistory(id, key) {
    let revisions;
    try {
      revisions = await this.tl.api.get(this.tl.url("revisions_url", { id }));
    } catch (err) {
      this.historyList.replaceChildren(el("li", { class: "mt-bad" }, `history unavailable (${err.status || "network"})`));
      return;
    }
    if (this.history.key !== key) return;
    const first = this.tl.config.video.first_frame_number;
    const change = (r) => {
      if (!r.before || !r.after) return "";
      return FIELDS.filter((f) => r.before[f] !== r.after[f])
        .map((f) => `${f} ${["onset", "apex", "offset"].includes(f) ? [r.before[f], r.after[f]].map((v) => (v === null ? "–" : v + first)).join("→") : `“${r.after[f] ?? ""}”`}`)
        .join(", ");
    };
    this.historyList.replaceChildren(...revisions.slice().reverse().map((r) => el("li", {},
      el("b", {}, r.action), ` ${r.by} · ${new Date(r.at).toLocaleString()} `, el("span", { class: "mt-muted" }, change(r)))));
  }

  predictionView(p) {
    const first = this.tl.config.video.first_frame_number;
    const num = (v) => (v === null || v === undefined ? "—" : v + first);
    const adjusted = this.tl.predEdits.has(p.id);
    return [
      el("h3", {}, `Prediction · ${p.run_name}`),
      el("p", { class: "mt-muted" }, `model ${p.model} · score ${Number(p.score).toFixed(2)}`),
      el("div", { class: "mt-kv" }, ...[["kind", p.kind], ["onset", num(p.onset)], ["apex", num(p.apex)], ["offset", num(p.offset)],
        ["emotion", p.emotion || "—"], ["status", p.status]].map(([k, v]) => [el("span", {}, k), el("b", { "data-field": k }, String(v))])),
      adjusted ? el("p", { class: "mt-muted" }, "Adjusted here (i / a / o / k or drag); Accept sends the adjusted values.") : null,
      el("div", { class: "mt-actions" },
        el("button", { type: "button", disabled: p.status !== "pending" || !this.tl.config.can_edit, onclick: () => this.tl.command("accept") }, "Accept (y)"),
        el("button", { type: "button", disabled: p.status !== "pending" || !this.tl.config.can_edit, onclick: () => this.tl.command("reject") }, "Reject (x)")),
    ];
  }
}

// The side panel: the selected interval's fields (frame numbers in the dataset's own numbering),
// AUs with a live parse and completions, emotion, notes, save state, conflicts and history.
// Inputs are built once per selection and refreshed in place so typing never loses focus.

import { completeAU, parseAUs } from "./aus.js";
import { FIELDS, pickFields } from "./sync.js";

const POINTS = ["onset", "apex", "offset"];
const STATUS_TEXT = {
  saved: "saved",
  saving: "saving…",
  offline: "not saved: server unreachable, retrying",
  invalid: "not saved: the server refused it",
  conflict: "conflict: someone else changed it",
};

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
  return node;
}

function errorText(error) {
  if (!error?.body) return "";
  return Object.entries(error.body).map(([field, msg]) => `${field}: ${[].concat(msg).join(" ")}`).join("; ");
}

export class Panel {
  constructor({ tl, node }) {
    this.tl = tl;
    this.node = node;
    this.shownKey = null;
    this.shownPrediction = null;
    this.history = { key: null, version: -1 };
    this.inputs = {};
  }

  /** Dataset frame number for a 0-based index ("" for none), and back. */
  number(index) {
    return index === null || index === undefined ? "" : String(index + this.tl.config.video.first_frame_number);
  }

  index(text) {
    return text.trim() === "" ? null : Number(text) - this.tl.config.video.first_frame_number;
  }

  update() {
    const sel = this.tl.selectedItem();
    const key = sel ? `${sel.type}:${sel.item.key}` : null;
    if (key !== this.shownKey && sel?.type === "interval") this.node.replaceChildren(...this.intervalView());
    this.shownKey = key;
    if (sel?.type === "interval") this.refreshInterval(sel.item);
    const signature = sel?.type === "prediction" ? JSON.stringify(sel.item) : null;
    if (signature && signature !== this.shownPrediction) this.node.replaceChildren(...this.predictionView(sel.item));
    this.shownPrediction = signature;
    if (!sel) this.node.replaceChildren(...this.emptyView());
  }

  emptyView() {
    const n = this.tl.sync.list().length;
    const who = this.tl.config.can_edit ? `Editing as ${this.tl.config.user}.` : "Read only.";
    return [
      el("h3", {}, "No selection"),
      el("p", { class: "mt-muted" }, `${n} interval${n === 1 ? "" : "s"} on this video. `,
        "Press i to start an interval at the cursor, n / p to walk through them, ? for all keys."),
      el("p", { class: "mt-muted" }, who),
    ];
  }

  intervalView() {
    const { dataset, can_edit: canEdit } = this.tl.config;
    const edit = (changes) => this.tl.editSelected(changes);
    const field = (name, tag, attrs, ...children) => {
      this.inputs[name] = el(tag, { "data-field": name, disabled: !canEdit, ...attrs }, ...children);
      return this.inputs[name];
    };
    const point = (name) => el("label", {}, name, field(name, "input", {
      type: "number",
      onchange: (e) => this.tl.setPoint(this.tl.selected, name, this.index(e.target.value)),
    }));
    const options = (values) => values.map((v) => el("option", { value: v }, v));
    const resolve = (choice) => () => this.tl.sync.resolve(this.tl.selected.key, choice);
    this.auParse = el("div", { class: "mt-aus" });
    this.auSuggest = el("div", { class: "mt-suggest" });
    this.status = el("div", { class: "mt-status", "data-testid": "save-status" });
    this.conflictBy = el("strong");
    this.conflictTable = el("div");
    this.conflict = el("div", { class: "mt-conflict", "data-testid": "conflict", hidden: true },
      this.conflictBy, el("br"),
      el("button", { type: "button", "data-testid": "keep-mine", onclick: resolve("mine") }, "Keep mine"),
      el("button", { type: "button", "data-testid": "take-theirs", onclick: resolve("theirs") }, "Take theirs"),
      this.conflictTable);
    this.historyList = el("ol", { class: "mt-history" });
    return [
      el("h3", {}, "Interval"),
      this.conflict,
      el("div", { class: "mt-grid" },
        el("label", {}, "kind", field("kind", "select", { onchange: (e) => edit({ kind: e.target.value }) },
          options(dataset.kinds))),
        point("onset"), point("apex"), point("offset")),
      el("label", { class: "mt-wide" }, "AUs", field("aus", "input", {
        type: "text", placeholder: "e.g. 4+7+L10", autocomplete: "off",
        oninput: () => this.showAUs(), onchange: (e) => edit({ aus: e.target.value.trim() }),
      })),
      this.auParse,
      this.auSuggest,
      el("label", { class: "mt-wide" }, "emotion",
        field("emotion", "select", { onchange: (e) => edit({ emotion: e.target.value }) },
          el("option", { value: "" }, "—"), options(dataset.emotions))),
      this.suggestion = el("div", { class: "mt-suggestion", "data-testid": "suggestion", hidden: true }),
      el("label", { class: "mt-wide" }, "notes",
        field("notes", "textarea", { rows: 2, onchange: (e) => edit({ notes: e.target.value }) })),
      this.status,
      el("h4", {}, "History"),
      this.historyList,
    ];
  }

  refreshInterval(item) {
    for (const name of FIELDS) {
      const input = this.inputs[name];
      if (!input || document.activeElement === input) continue;
      const value = POINTS.includes(name) ? this.number(item[name]) : (item[name] ?? "");
      if (input.value !== value) input.value = value;
    }
    this.showAUs();
    const entry = this.tl.sync.get(item.key);
    const version = item.version ? ` · version ${item.version}` : "";
    const error = errorText(entry.error);
    this.status.textContent = `${STATUS_TEXT[item.status]}${version}${error ? ` — ${error}` : ""}`;
    this.status.dataset.state = item.status;
    this.showConflict(entry);
    this.showSuggestion(entry.server, item);
    const serverVersion = entry.server?.version;
    if (entry.server && (this.history.key !== item.key || this.history.version !== serverVersion)) {
      this.history = { key: item.key, version: serverVersion };
      this.loadHistory(entry.server.id, item.key);
    }
  }

  showAUs() {
    const text = this.inputs.aus.value;
    const { tokens, errors } = parseAUs(text);
    const label = (t) => `${t.side}${t.au}${t.intensity}${t.uncertain ? "?" : ""} ${t.name}`;
    this.auParse.replaceChildren(
      ...tokens.map((t) => el("span", { class: "mt-chip", title: t.name }, label(t))),
      ...errors.map((e) => el("span", { class: "mt-chip mt-bad", title: "not an AU" }, e)),
    );
    const complete = (n) => (e) => {
      e.preventDefault(); // keep the focus in the AU field
      this.inputs.aus.value = `${text.replace(/[^+,，/;\s]*$/, "")}${n}`;
      this.showAUs();
    };
    const focused = document.activeElement === this.inputs.aus;
    this.auSuggest.replaceChildren(...(focused ? completeAU(text) : []).map(([n, name]) =>
      el("button", { type: "button", onmousedown: complete(n) }, `AU${n} ${name}`)));
  }

  /** The recognition model's emotion for this interval, with its confidence, until the coder takes it. */
  showSuggestion(server, item) {
    const suggested = server?.suggested_emotion;
    this.suggestion.hidden = !suggested;
    if (!suggested) return;
    const score = server.emotion_scores?.[suggested];
    const confidence = typeof score === "number" ? ` (confidence ${score.toFixed(2)})` : "";
    const taken = item.emotion === suggested;
    this.suggestion.textContent = `suggested: ${suggested}${confidence}${taken ? " · taken" : " · press y to take it"}`;
  }

  showConflict(entry) {
    const { conflict, local: mine } = entry;
    this.conflict.hidden = !conflict;
    if (!conflict) return;
    const show = (obj, f) => {
      if (obj === null) return "deleted";
      if (POINTS.includes(f)) return this.number(obj[f]) || "—";
      return obj[f] || "—";
    };
    const theirs = pickFields(conflict.theirs);
    const changed = this.tl.sync.myChanges(entry);
    const rows = FIELDS.filter((f) => !mine || !theirs || mine[f] !== theirs[f]).map((f) =>
      el("tr", {}, el("th", {}, f), el("td", {}, `${show(mine, f)}${f in changed ? " ✎" : ""}`), el("td", {}, show(theirs, f))));
    const by = conflict.theirs ? `${conflict.theirs.updated_by} (version ${conflict.theirs.version})` : "someone (deleted it)";
    this.conflictBy.textContent = `Changed by ${by} while you edited. Keep mine re-sends only your changes (✎).`;
    const head = el("tr", {}, el("th", {}), el("th", {}, "mine"), el("th", {}, "theirs"));
    this.conflictTable.replaceChildren(el("table", {}, head, rows));
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
    const describe = (f, r) => {
      if (POINTS.includes(f)) return `${f} ${this.number(r.before[f]) || "–"}→${this.number(r.after[f]) || "–"}`;
      return `${f} “${r.after[f] ?? ""}”`;
    };
    const changes = (r) => (r.before && r.after ? FIELDS.filter((f) => r.before[f] !== r.after[f]).map((f) => describe(f, r)) : []);
    this.historyList.replaceChildren(...revisions.slice().reverse().map((r) => el("li", {},
      el("b", {}, r.action), ` ${r.by} · ${new Date(r.at).toLocaleString()} `,
      el("span", { class: "mt-muted" }, changes(r).join(", ")))));
  }

  predictionView(p) {
    const show = (v) => this.number(v) || "—";
    const rows = [["kind", p.kind], ["onset", show(p.onset)], ["apex", show(p.apex)], ["offset", show(p.offset)],
      ["emotion", p.emotion || "—"], ["status", p.status]];
    const open = p.status === "pending" && this.tl.config.can_edit;
    const button = (label, command) =>
      el("button", { type: "button", disabled: !open, onclick: () => this.tl.command(command) }, label);
    return [
      el("h3", {}, `Prediction · ${p.run_name}`),
      el("p", { class: "mt-muted" }, `model ${p.model} · score ${Number(p.score).toFixed(2)}`),
      el("div", { class: "mt-kv" }, rows.map(([k, v]) => [el("span", {}, k), el("b", { "data-field": k }, String(v))])),
      this.tl.predEdits.has(p.id)
        ? el("p", { class: "mt-muted" }, "Adjusted here (i / a / o / k or drag); Accept sends the adjusted values.")
        : [],
      el("div", { class: "mt-actions" }, button("Accept (y)", "accept"), button("Reject (x)", "reject")),
    ].flat();
  }
}

// Human intervals and their journey to the server. Each interval is an entry holding what the server
// last confirmed (`server`) and what the coder wants (`local`, null = deleted). Any difference is sent
// at once with the server's version; edits made while a request is in flight are sent after it.
// 409 stops the entry and keeps both sides for the coder to choose; nothing is overwritten silently.
// Entries that differ from the server are mirrored to localStorage until the server has them, under a
// key per browser tab (kept across reloads by sessionStorage) so two tabs never overwrite each other;
// a tab's leftovers are taken over by the next page of the same video once that tab has gone quiet.
// A new interval carries a client id, kept with it across reloads: if a create's reply was lost, the
// re-sent create returns the interval the server already made instead of making a second one.

import { ApiError, fillUrl } from "./api.js";

export const FIELDS = ["kind", "onset", "apex", "offset", "aus", "emotion", "notes"];
const RETRY_MS = 2000;
const HEARTBEAT_MS = 5000;
const STALE_MS = 15000; // a tab silent this long is closed: its unsaved work may be taken over

function tabId() {
  let id = sessionStorage.getItem("mestudio:timeline:tab");
  if (!id) {
    id = Math.random().toString(36).slice(2, 10);
    sessionStorage.setItem("mestudio:timeline:tab", id);
  }
  return id;
}

/** 128 random bits in hex (crypto.randomUUID needs a secure context; a lab server may be plain http). */
function newClientId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function pickFields(obj) {
  if (!obj) return null;
  return Object.fromEntries(FIELDS.map((f) => [f, obj[f] ?? (["apex", "offset"].includes(f) ? null : "")]));
}

function diff(local, server) {
  return Object.fromEntries(FIELDS.filter((f) => local[f] !== server[f]).map((f) => [f, local[f]]));
}

export class IntervalSync {
  constructor({ api, config, onChange }) {
    this.api = api;
    this.config = config;
    this.onChange = onChange;
    this.entries = new Map();
    this.undoStack = [];
    this.redoStack = [];
    this.storagePrefix = `mestudio:timeline:${config.video.id}:unsaved:`;
    this.storageKey = this.storagePrefix + tabId();
    this.nextKey = 1;
    this.retryTimer = null;
  }

  /** Take the server's list, then re-apply whatever an earlier page left unsaved in localStorage. */
  load(serverList) {
    for (const obj of serverList) this.entries.set(`s${obj.id}`, this.newEntry(`s${obj.id}`, obj));
    const { saved, adopted } = this.readStorage();
    for (const { base, local, clientId } of saved) {
      if (!base) {
        const entry = this.newEntry(`n${this.nextKey++}`, null);
        entry.local = local;
        entry.clientId = clientId || newClientId();
        this.entries.set(entry.key, entry);
        continue;
      }
      const entry = this.entries.get(`s${base.id}`);
      if (entry && entry.server.version === base.version) entry.local = local;
      else if (entry) {
        entry.local = local;
        entry.conflict = { theirs: entry.server, base };
      } else {
        const gone = this.newEntry(`s${base.id}`, base);
        gone.local = local;
        gone.conflict = { theirs: null, base };
        this.entries.set(gone.key, gone);
      }
    }
    for (const key of this.entries.keys()) this.sync(key);
    this.persist();
    for (const key of adopted) localStorage.removeItem(key);
    setInterval(() => this.pendingCount() && this.persist(), HEARTBEAT_MS);
  }

  /** This tab's unsaved edits, plus those of tabs of the same video that have been closed. */
  readStorage() {
    const saved = [];
    const adopted = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (!key.startsWith(this.storagePrefix)) continue;
      let record;
      try {
        record = JSON.parse(localStorage.getItem(key));
      } catch {
        console.error(`timeline: unreadable unsaved edits in localStorage ${key}, left as they are`);
        continue;
      }
      if (key !== this.storageKey && Date.now() - record.seen < STALE_MS) continue; // a live tab's
      saved.push(...record.unsaved);
      if (key !== this.storageKey) adopted.push(key);
    }
    return { saved, adopted };
  }

  newEntry(key, server) {
    return { key, server, local: pickFields(server), sending: false, error: null, conflict: null };
  }

  /** Intervals to draw: the coder's values, with a status for each. */
  list() {
    const out = [];
    for (const e of this.entries.values()) {
      const fields = e.local || (e.conflict && e.conflict.theirs ? pickFields(e.conflict.theirs) : null);
      if (!fields) continue;
      out.push({ key: e.key, id: e.server?.id ?? null, ...fields, status: this.status(e), version: e.server?.version ?? 0 });
    }
    return out.sort((a, b) => a.onset - b.onset);
  }

  get(key) {
    return this.entries.get(key) || null;
  }

  status(e) {
    if (e.conflict) return "conflict";
    if (e.error) return e.error.status === 0 || e.error.status >= 500 ? "offline" : "invalid";
    return this.dirty(e) || e.sending ? "saving" : "saved";
  }

  dirty(e) {
    if (!e.local || !e.server) return e.local !== null || e.server !== null;
    return Object.keys(diff(e.local, e.server)).length > 0;
  }

  create(fields) {
    const entry = this.newEntry(`n${this.nextKey++}`, null);
    entry.clientId = newClientId();
    this.entries.set(entry.key, entry);
    this.apply(entry.key, { ...pickFields({}), ...fields });
    return entry.key;
  }

  edit(key, changes) {
    const entry = this.entries.get(key);
    if (!entry?.local) throw new Error(`interval ${key} cannot be edited: it does not exist or is deleted`);
    this.apply(key, { ...entry.local, ...changes });
  }

  remove(key) {
    this.apply(key, null);
  }

  /** Every user change goes through here: one undo step, then saved at once. */
  apply(key, after) {
    const entry = this.entries.get(key);
    this.undoStack.push({ key, before: entry.local, after });
    this.redoStack = [];
    this.set(entry, after);
  }

  undo() {
    return this.travel(this.undoStack, this.redoStack, "before");
  }

  redo() {
    return this.travel(this.redoStack, this.undoStack, "after");
  }

  travel(from, to, side) {
    const step = from.pop();
    if (!step) return null;
    to.push(step);
    this.set(this.entries.get(step.key), step[side]);
    return step.key;
  }

  set(entry, local) {
    entry.local = local;
    entry.error = null;
    this.persist();
    this.sync(entry.key);
    this.onChange();
  }

  /** Escape: forget what the server has not accepted. */
  revert(key) {
    const entry = this.entries.get(key);
    if (!entry) return;
    if (entry.conflict) return this.resolve(key, "theirs");
    entry.local = pickFields(entry.server);
    entry.error = null;
    entry.conflict = null;
    this.persist();
    this.onChange();
  }

  /** The coder's answer to a conflict: re-send their values on top of the server's version, or take the server's. */
  resolve(key, choice) {
    const entry = this.entries.get(key);
    const { theirs } = entry.conflict;
    const mine = this.myChanges(entry);
    entry.conflict = null;
    entry.server = theirs;
    if (choice !== "mine") entry.local = pickFields(theirs);
    else if (theirs && entry.local) entry.local = { ...pickFields(theirs), ...mine };
    this.persist();
    this.sync(key);
    this.onChange();
  }

  /** Record an interval the server created by itself (an accepted prediction). */
  adopt(obj) {
    const entry = this.newEntry(`s${obj.id}`, obj);
    this.entries.set(entry.key, entry);
    this.onChange();
    return entry.key;
  }

  async sync(key) {
    const entry = this.entries.get(key);
    if (!entry || entry.sending || entry.conflict || !this.dirty(entry)) return;
    if (entry.error && entry.error.status >= 400 && entry.error.status < 500) return; // wait for an edit
    const { local, server } = entry;
    entry.sending = true;
    this.onChange();
    try {
      if (local === null) {
        const url = fillUrl(this.config.interval_url, { id: server.id });
        await this.api.request("DELETE", `${url}?version=${server.version}`);
        entry.server = null;
      } else if (server === null) {
        const body = { video: this.config.video.id, ...local, client_id: entry.clientId };
        entry.server = await this.api.request("POST", this.config.interval_create_url, body);
        // A re-sent create answers with the interval made earlier, which the page may list already.
        const listed = this.entries.get(`s${entry.server.id}`);
        if (listed && listed !== entry) this.entries.delete(listed.key);
      } else {
        const url = fillUrl(this.config.interval_url, { id: server.id });
        entry.server = await this.api.request("PATCH", url, { ...diff(local, server), version: server.version });
      }
      entry.error = null;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 409) entry.conflict = { theirs: err.body?.current ?? null, base: server };
      else if (err.status === 404 && server) entry.conflict = { theirs: null, base: server };
      else entry.error = err;
      if (!entry.conflict && (err.status === 0 || err.status >= 500)) this.scheduleRetry();
    } finally {
      entry.sending = false;
    }
    this.persist();
    this.onChange();
    if (!entry.error) this.sync(key);
  }

  /** In a conflict, the fields this coder changed since the version they started from. */
  myChanges(entry) {
    const base = pickFields(entry.conflict?.base);
    return entry.local && base ? diff(entry.local, base) : { ...entry.local };
  }

  scheduleRetry() {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.retryAll();
    }, RETRY_MS);
  }

  /** Enter, a retry tick or the browser coming back online: send everything not yet on the server. */
  retryAll() {
    for (const entry of this.entries.values()) {
      if (entry.error && (entry.error.status === 0 || entry.error.status >= 500)) entry.error = null;
      this.sync(entry.key);
    }
  }

  persist() {
    const unsaved = [...this.entries.values()]
      .filter((e) => e.conflict || this.dirty(e))
      .map((e) => ({ base: e.server, local: e.local, clientId: e.clientId }));
    if (unsaved.length) localStorage.setItem(this.storageKey, JSON.stringify({ seen: Date.now(), unsaved }));
    else localStorage.removeItem(this.storageKey);
  }

  pendingCount() {
    return [...this.entries.values()].filter((e) => e.conflict || this.dirty(e)).length;
  }
}

// Frames by index from the frame store's chunks. Two bounded LRUs keep a 100,000-frame video cheap:
// compressed chunks (bytes) and decoded ImageBitmaps. Decoding is lazy and driven by a wanted list
// that the viewer sets around the cursor (further ahead in the playing direction).

import { fillUrl } from "./api.js";

const MAX_FETCHES = 4;
const MAX_DECODES = 6;
const CHUNK_BYTES = 48e6; // compressed frames kept in memory
const BITMAP_BYTES = 256e6; // decoded frames (RGBA) kept in memory

/** Little-endian: uint32 count, count x uint32 byte length, then the JPEGs back to back. */
export function parseChunk(buffer) {
  const view = new DataView(buffer);
  const count = view.getUint32(0, true);
  const frames = [];
  let offset = 4 + 4 * count;
  if (offset > buffer.byteLength) {
    throw new Error(`chunk header claims ${count} frames in ${buffer.byteLength} bytes`);
  }
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(4 + 4 * i, true);
    if (offset + length > buffer.byteLength) throw new Error(`chunk frame ${i} runs past the end of the chunk`);
    frames.push(new Uint8Array(buffer, offset, length));
    offset += length;
  }
  return frames;
}

/** Least-recently-used map bounded by the total `sizeOf` of its values (a count when sizeOf is 1). */
class Lru {
  constructor(capacity, { onEvict = () => {}, sizeOf = () => 1 } = {}) {
    this.capacity = capacity;
    this.onEvict = onEvict;
    this.sizeOf = sizeOf;
    this.size = 0;
    this.map = new Map();
  }
  get(key) {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  peek(key) {
    return this.map.get(key);
  }
  set(key, value) {
    if (this.map.has(key)) this.size -= this.sizeOf(this.map.get(key));
    this.map.delete(key);
    this.map.set(key, value);
    this.size += this.sizeOf(value);
    while (this.size > this.capacity && this.map.size > 1) {
      const [oldKey, oldValue] = this.map.entries().next().value;
      this.map.delete(oldKey);
      this.size -= this.sizeOf(oldValue);
      this.onEvict(oldValue, oldKey);
    }
  }
}

export class FrameCache {
  /** onDecoded(index) is called whenever a frame becomes paintable. */
  constructor({ chunkUrl, chunkSize, frameCount, width, height, onDecoded, onError }) {
    this.chunkUrl = chunkUrl;
    this.chunkSize = chunkSize;
    this.frameCount = frameCount;
    this.onDecoded = onDecoded;
    this.onError = onError;
    const pixels = Math.max(1, width * height);
    this.bitmapCapacity = Math.max(48, Math.min(600, Math.floor(BITMAP_BYTES / (pixels * 4))));
    this.chunks = new Lru(CHUNK_BYTES, { sizeOf: (frames) => frames.reduce((n, f) => n + f.byteLength, 0) });
    this.bitmaps = new Lru(this.bitmapCapacity, { onEvict: (bitmap) => bitmap.close() });
    this.fetching = new Map(); // chunk index -> Promise
    this.decoding = new Set();
    this.broken = new Set(); // frames whose JPEG does not decode: never retried
    this.failedAt = new Map(); // chunk index -> time of the last failure, so a broken chunk is not hammered
    this.wanted = [];
    this.prefetchChunks = [];
    this.stats = { chunkFetches: 0, chunkBytes: 0, decodes: 0, errors: 0 };
  }

  get(index) {
    return this.bitmaps.get(index) || null;
  }

  /** The decoded frame closest to `index` (for a greyed placeholder), or null. */
  nearest(index) {
    let best = null;
    for (const key of this.bitmaps.map.keys()) {
      if (best === null || Math.abs(key - index) < Math.abs(best - index)) best = key;
    }
    return best === null ? null : { index: best, bitmap: this.bitmaps.peek(best) };
  }

  /**
   * Frames to decode, most urgent first, and chunks to hold compressed only. The list is capped below
   * the bitmap capacity so that wanted frames never evict each other.
   */
  want(frames, chunks = []) {
    const limit = Math.floor(this.bitmapCapacity / 2);
    this.wanted = frames.filter((f) => f >= 0 && f < this.frameCount).slice(0, limit);
    this.prefetchChunks = chunks.filter((c) => c >= 0 && c * this.chunkSize < this.frameCount);
    this.pump();
  }

  pump() {
    for (const frame of this.wanted) {
      if (this.bitmaps.peek(frame) || this.decoding.has(frame) || this.broken.has(frame)) continue;
      const chunk = Math.floor(frame / this.chunkSize);
      const frames = this.chunks.peek(chunk);
      if (frames) {
        if (this.decoding.size >= MAX_DECODES) continue;
        this.decode(frame, frames[frame - chunk * this.chunkSize]);
      } else if (!this.fetching.has(chunk) && this.fetching.size < MAX_FETCHES && this.mayFetch(chunk)) {
        this.fetchChunk(chunk);
      }
    }
    for (const chunk of this.prefetchChunks) {
      if (this.fetching.size >= MAX_FETCHES) break;
      if (!this.chunks.peek(chunk) && !this.fetching.has(chunk) && this.mayFetch(chunk)) this.fetchChunk(chunk);
    }
  }

  mayFetch(chunk) {
    return !(performance.now() - (this.failedAt.get(chunk) ?? -Infinity) < 2000);
  }

  fetchChunk(chunk) {
    const promise = fetch(fillUrl(this.chunkUrl, { index: chunk }), { credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error(`chunk ${chunk}: HTTP ${response.status}`);
        return response.arrayBuffer();
      })
      .then((buffer) => {
        this.stats.chunkFetches += 1;
        this.stats.chunkBytes += buffer.byteLength;
        this.chunks.set(chunk, parseChunk(buffer));
      })
      .catch((err) => {
        this.stats.errors += 1;
        this.failedAt.set(chunk, performance.now());
        setTimeout(() => this.pump(), 2100);
        const first = chunk * this.chunkSize;
        this.onError(`frames ${first}–${first + this.chunkSize - 1} unavailable: ${err.message}`);
      })
      .finally(() => {
        this.fetching.delete(chunk);
        this.pump();
      });
    this.fetching.set(chunk, promise);
  }

  decode(frame, bytes) {
    this.decoding.add(frame);
    createImageBitmap(new Blob([bytes], { type: "image/jpeg" }))
      .then((bitmap) => {
        this.stats.decodes += 1;
        this.bitmaps.set(frame, bitmap);
        this.onDecoded(frame);
      })
      .catch((err) => {
        this.stats.errors += 1;
        this.broken.add(frame);
        this.onError(`frame ${frame} does not decode (${err.message})`);
      })
      .finally(() => {
        this.decoding.delete(frame);
        this.pump();
      });
  }

  /** Counts for tests and the benchmark: memory stays bounded whatever the video length. */
  sizes() {
    return {
      chunks: this.chunks.map.size, chunkCacheBytes: this.chunks.size, bitmaps: this.bitmaps.map.size,
      bitmapCapacity: this.bitmapCapacity,
    };
  }
}

// HTTP to the mestudio API: JSON in and out, CSRF header and same-origin credentials on every call.

export class ApiError extends Error {
  constructor(status, body, url) {
    super(`${status} from ${url}: ${JSON.stringify(body)}`);
    this.status = status; // 0 when the request never reached the server
    this.body = body;
  }
}

export function fillUrl(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => {
    if (!(key in values)) throw new Error(`URL template ${template} needs '${key}'`);
    return encodeURIComponent(values[key]);
  });
}

export class Api {
  constructor(csrfToken) {
    this.csrfToken = csrfToken;
  }

  /** Resolve with the parsed body of a 2xx answer; reject with ApiError otherwise. */
  async request(method, url, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") init.headers["X-CSRFToken"] = this.csrfToken;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      throw new ApiError(0, { detail: `network: ${err.message}` }, url);
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { detail: text.slice(0, 200) };
    }
    if (!response.ok) throw new ApiError(response.status, data, url);
    return data;
  }

  get(url) {
    return this.request("GET", url);
  }

  /** Motion signals sent as raw float32, region after region: { regions, values: {region: Float32Array} }. */
  async motion(url) {
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin" });
    } catch (err) {
      throw new ApiError(0, { detail: `network: ${err.message}` }, url);
    }
    if (!response.ok) throw new ApiError(response.status, { detail: response.statusText }, url);
    const regions = (response.headers.get("X-Motion-Regions") || "").split(",").filter(Boolean);
    const frames = Number(response.headers.get("X-Motion-Frames"));
    const buffer = await response.arrayBuffer();
    if (buffer.byteLength !== regions.length * frames * 4) {
      throw new ApiError(response.status, { detail: "motion signals arrived incomplete" }, url);
    }
    const values = Object.fromEntries(regions.map((r, i) => [r, new Float32Array(buffer, i * frames * 4, frames)]));
    return { regions, values };
  }
}

// A small client for Candor's HTTP API: the key goes in the Authorization header only.

export class ApiError extends Error {
  constructor(status, body) {
    const detail = body?.error?.message || `the server answered ${status}`;
    super(detail);
    this.status = status;
    this.code = body?.error?.code || null;
    this.requestId = body?.request_id || null;
  }
}

export class Api {
  /** ``base`` is the Candor origin ("" for the page's own); ``key`` an API key. */
  constructor({ base = "", key, extraHeaders = {} }) {
    this.base = base;
    this.key = key;
    this.extraHeaders = extraHeaders;
  }

  headers(more = {}) {
    return { Authorization: `Bearer ${this.key}`, ...this.extraHeaders, ...more };
  }

  url(path, query) {
    const url = new URL(this.base + path, location.href);
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    return url.href;
  }

  /** Sends a request and answers the parsed JSON body; throws ApiError on 4xx/5xx. */
  async call(method, path, { body, query, headers, signal } = {}) {
    const init = { method, headers: this.headers(headers), signal, cache: "no-store" };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(this.url(path, query), init);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  get(path, query, options = {}) {
    return this.call("GET", path, { ...options, query });
  }

  post(path, body, options = {}) {
    return this.call("POST", path, { ...options, body });
  }

  put(path, body, options = {}) {
    return this.call("PUT", path, { ...options, body });
  }
}

/** Creates an element: el("p", {class: "x", text: "hi"}, child, …). Text is always set as
 * text, never parsed as HTML: message content must never become markup. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

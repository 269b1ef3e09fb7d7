// The Candor chat widget: streamed AI replies, the AI disclosure before the first AI
// message, every message labelled (AI, human agent, system), a "talk to a person" button,
// an "opt out of AI" switch, agent replies live over SSE, and the conversation's
// explanation. Mount it with mountWidget(element, options); widget.js does that from one
// <script> tag.

import { Api, ApiError, el } from "../web/api.js";
import { follow, parseEvents } from "../web/sse.js";
import { stringsFor } from "./strings.js";

const PERSON_MODES = new Set(["queued", "human"]);
const HISTORY_SENT = 20; // earlier turns the backend gets as context
let mounted = 0;

/** Options: key (a chat key), base (Candor's origin, "" = this page's), customerId,
 * channel, locale, title, model (the model name sent; CANDOR_BACKEND_MODEL overrides it). */
export function mountWidget(root, options) {
  const widget = new ChatWidget(root, options);
  widget.start();
  return widget;
}

class ChatWidget {
  constructor(root, { key, base = "", customerId, channel, locale, title, model }) {
    this.id = `cw${++mounted}`;
    this.api = new Api({ base, key });
    this.customerId = customerId || rememberedCustomerId();
    this.metadata = { channel: channel || "web", locale: locale || document.documentElement.lang || navigator.language || "" };
    this.model = model || "candor-widget";
    this.t = stringsFor(this.metadata.locale);
    this.storageKey = `candor.widget.${this.customerId}`;
    this.conversationId = sessionStorage.getItem(`${this.storageKey}.conversation`) || null;
    this.optedOut = localStorage.getItem(`${this.storageKey}.optout`) === "1";
    this.mode = "bot";
    this.lastSeq = 0; // the highest transcript sequence number shown
    this.history = []; // {role, content} sent to the backend as context
    this.busy = false;
    this.feed = null; // AbortController of the live event stream
    this.held = null; // live events that arrive while a streamed turn is in flight
    this.root = root;
    this.build(title || this.t.title);
  }

  build(title) {
    const id = this.id;
    this.status = el("p", { class: "cw-status", id: `${id}-status`, "aria-live": "polite" });
    this.log = el("ol", { class: "cw-log", role: "log", "aria-live": "polite", "aria-label": this.t.log, tabindex: "0" });
    this.input = el("textarea", { id: `${id}-input`, class: "cw-input", rows: "2", maxlength: "4000", required: true, autocomplete: "off" });
    this.send = el("button", { type: "submit", class: "cw-send" }, this.t.send);
    this.form = el(
      "form",
      { class: "cw-form", onsubmit: (event) => { event.preventDefault(); this.submit(); } },
      el("label", { for: `${id}-input`, class: "cw-label" }, this.t.message),
      el("div", { class: "cw-row" }, this.input, this.send),
    );
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.personButton = el("button", { type: "button", class: "cw-person", onclick: () => this.askForPerson() }, this.t.person);
    this.optOut = el("input", { type: "checkbox", role: "switch", id: `${id}-optout`, class: "cw-optout" });
    this.optOut.checked = this.optedOut;
    this.optOut.addEventListener("change", () => this.setOptOut(this.optOut.checked));
    this.explainButton = el("button", { type: "button", class: "cw-explain", "aria-expanded": "false", "aria-controls": `${id}-explanation`, onclick: () => this.toggleExplanation() }, this.t.why);
    this.explanation = el("section", { class: "cw-explanation", id: `${id}-explanation`, hidden: true, "aria-label": this.t.explanation });
    this.error = el("p", { class: "cw-error", role: "alert", hidden: true });
    this.root.replaceChildren(
      el(
        "section",
        { class: "cw", "aria-labelledby": `${id}-title` },
        el("header", { class: "cw-header" }, el("h2", { id: `${id}-title`, class: "cw-title" }, title), this.status),
        this.log,
        this.error,
        this.form,
        el(
          "div",
          { class: "cw-actions" },
          this.personButton,
          el("span", { class: "cw-switch" }, this.optOut, el("label", { for: `${id}-optout` }, this.t.optOut)),
          this.explainButton,
        ),
        this.explanation,
      ),
    );
    this.showMode();
  }

  async start() {
    if (!this.conversationId) return;
    // A reload resumes the conversation: the transcript, then live events if a person has it.
    try {
      const page = await this.api.get(`/v1/conversations/${encodeURIComponent(this.conversationId)}/messages`);
      for (const message of page.data) this.addMessage(message);
      this.lastSeq = page.last_seq;
      this.setMode(page.mode);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) this.forgetConversation();
      else this.showError(error);
    }
  }

  // -- sending ---------------------------------------------------------------------------

  async submit() {
    const text = this.input.value.trim();
    if (!text || this.busy) return;
    this.busy = true;
    this.send.disabled = true;
    this.hideError();
    this.input.value = "";
    this.addMessage({ author_kind: "customer", content: text });
    try {
      // With a person (or opted out of AI) the reply comes over the live stream.
      if (this.optedOut || PERSON_MODES.has(this.mode)) {
        await this.sendToPerson();
      } else {
        this.held = [];
        await this.streamTurn();
        await this.catchUp();
      }
    } catch (error) {
      this.showError(error);
    } finally {
      // Events that came during the turn: whatever the turn did not already show.
      const held = this.held || [];
      this.held = null;
      for (const [event, data] of held) this.onEvent(event, data);
      this.busy = false;
      this.send.disabled = false;
      this.input.focus();
    }
  }

  body(stream) {
    return {
      model: this.model,
      stream,
      user: this.customerId,
      metadata: this.metadata,
      messages: this.history.slice(-HISTORY_SENT),
    };
  }

  chatHeaders() {
    const headers = { "Content-Type": "application/json", "X-Customer-Id": this.customerId };
    if (this.conversationId) headers["X-Conversation-Id"] = this.conversationId;
    return headers;
  }

  async sendToPerson() {
    const response = await fetch(this.api.url("/v1/chat/completions"), {
      method: "POST",
      headers: this.api.headers(this.chatHeaders()),
      body: JSON.stringify(this.body(false)),
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    this.rememberConversation(data.candor?.conversation_id || response.headers.get("X-Conversation-Id"));
    this.setMode(data.candor?.mode || this.mode); // its reply arrives with the live events
  }

  /** One streamed bot turn: the reply appears as it is written. */
  async streamTurn() {
    const controller = new AbortController();
    const response = await fetch(this.api.url("/v1/chat/completions"), {
      method: "POST",
      headers: this.api.headers(this.chatHeaders()),
      body: JSON.stringify(this.body(true)),
      signal: controller.signal,
    });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    this.rememberConversation(response.headers.get("X-Conversation-Id"));
    let bubble = null;
    let text = "";
    let candor = null;
    let disclosure = null;
    for await (const item of parseEvents(response.body, controller.signal)) {
      if (item.data === "[DONE]") break;
      const chunk = JSON.parse(item.data);
      if (chunk.candor) candor = chunk.candor;
      if (!bubble) {
        disclosure = candor?.disclosure || null;
        const kind = authorOf(candor?.answered_by);
        if (disclosure && kind === "ai") this.addDisclosure(disclosure);
        bubble = this.addMessage({ author_kind: kind, content: "" });
      }
      text += chunk.choices?.[0]?.delta?.content || "";
      // The disclosure was said above, in its own labelled line.
      const shown = disclosure && text.startsWith(disclosure) ? text.slice(disclosure.length).trimStart() : text;
      bubble.querySelector(".cw-text").textContent = shown;
      this.scrollDown();
      if (candor && PERSON_MODES.has(candor.mode)) {
        // Handed to a person: their replies come over the live events, not this stream.
        controller.abort();
        break;
      }
    }
    if (candor?.answered_by === "ai") this.history.push({ role: "assistant", content: text });
  }

  /** Learns the sequence numbers of what this turn wrote, and shows anything else new
   * (an agent who answered meanwhile), so the live stream starts at the right place. */
  async catchUp() {
    if (!this.conversationId) return;
    const page = await this.api.get(`/v1/conversations/${encodeURIComponent(this.conversationId)}/messages`, { after: this.lastSeq });
    const items = page.data;
    const lastCustomer = items.map((m) => m.author_kind).lastIndexOf("customer");
    items.forEach((message, index) => {
      // The customer's words and the streamed reply right after them are on screen already.
      const shown = message.author_kind === "customer" || (index === lastCustomer + 1 && message.author_kind !== "agent");
      if (!shown) this.addMessage(message);
    });
    this.lastSeq = Math.max(this.lastSeq, page.last_seq);
    this.setMode(page.mode);
  }

  // -- buttons ---------------------------------------------------------------------------

  async askForPerson() {
    this.hideError();
    if (!this.conversationId) {
      // Nothing to hand over yet: the request itself opens the conversation, in their name.
      this.input.value = this.t.opener;
      await this.submit();
      // The words usually suffice; where they did not, the button's request still stands.
      if (!this.conversationId || PERSON_MODES.has(this.mode)) return;
    }
    try {
      const reply = await this.api.post(`/v1/conversations/${encodeURIComponent(this.conversationId)}/handoff`, undefined, {
        headers: { "X-Customer-Id": this.customerId },
      });
      this.setMode(reply.mode);
    } catch (error) {
      this.showError(error);
    }
  }

  async setOptOut(optedOut) {
    this.hideError();
    try {
      await this.api.put(`/v1/customers/${encodeURIComponent(this.customerId)}/consent`, { ai: optedOut ? "opt_out" : "opt_in", source: "widget" });
      this.optedOut = optedOut;
      localStorage.setItem(`${this.storageKey}.optout`, optedOut ? "1" : "0");
      this.addMessage({
        author_kind: "system",
        content: optedOut
          ? this.t.optedOut
          : this.t.optedIn,
      });
    } catch (error) {
      this.optOut.checked = this.optedOut; // the choice did not stick: show the truth
      this.showError(error);
    }
  }

  async toggleExplanation() {
    const open = this.explanation.hidden;
    this.explainButton.setAttribute("aria-expanded", String(open));
    if (!open) {
      this.explanation.hidden = true;
      return;
    }
    this.explanation.hidden = false;
    if (!this.conversationId) {
      this.explanation.replaceChildren(el("p", {}, this.t.nothingYet));
      return;
    }
    this.explanation.replaceChildren(el("p", {}, this.t.loading));
    try {
      const data = await this.api.get(`/v1/conversations/${encodeURIComponent(this.conversationId)}/explanation`);
      this.explanation.replaceChildren(...renderExplanation(data, this.t));
    } catch (error) {
      this.explanation.replaceChildren(el("p", { class: "cw-error" }, `${this.t.noExplanation} ${error.message}`));
    }
  }

  // -- live events -----------------------------------------------------------------------

  setMode(mode) {
    if (!mode) return;
    this.mode = mode;
    this.showMode();
    // Once a person is involved the feed stays open: a hand-back, a reopened handoff and
    // the agent's later words all come that way.
    if (PERSON_MODES.has(mode) || this.optedOut) this.listen();
  }

  listen() {
    if (this.feed || !this.conversationId) return;
    this.feed = new AbortController();
    const url = this.api.url(`/v1/conversations/${encodeURIComponent(this.conversationId)}/events`, { after: this.lastSeq });
    follow({
      url,
      headers: this.api.headers(),
      signal: this.feed.signal,
      onEvent: ({ event, data }) => this.onEvent(event, data),
    });
  }

  /** Stops the live feed (a page that removes the widget calls this). */
  destroy() {
    this.stopListening();
    this.root.replaceChildren();
  }

  stopListening() {
    this.feed?.abort();
    this.feed = null;
  }

  onEvent(event, data) {
    if (this.held) {
      this.held.push([event, data]);
      return;
    }
    if (event === "message") {
      if (data.seq <= this.lastSeq) return; // shown already
      this.lastSeq = data.seq;
      this.addMessage(data);
    } else if (event === "mode" && data.mode !== this.mode) {
      this.mode = data.mode;
      this.showMode();
    }
  }

  // -- display ---------------------------------------------------------------------------

  addDisclosure(text) {
    const item = el("li", { class: "cw-msg cw-msg--disclosure", "data-author": "disclosure" },
      el("span", { class: "cw-author" }, this.t.disclosure),
      el("p", { class: "cw-text" }, text));
    this.log.append(item);
  }

  addMessage(message) {
    const kind = message.author_kind;
    const item = el("li", { class: `cw-msg cw-msg--${kind}`, "data-author": kind },
      el("span", { class: "cw-author" }, authorLabel(message, this.t)),
      el("p", { class: "cw-text" }, message.content || ""));
    if (message.seq) item.dataset.seq = message.seq;
    this.log.append(item);
    this.scrollDown();
    if (message.content && (kind === "ai" || kind === "customer")) {
      this.history.push({ role: kind === "ai" ? "assistant" : "user", content: message.content });
    }
    return item;
  }

  /** Keeps the newest message in view, inside the log only: the host page never jumps. */
  scrollDown() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  showMode() {
    const modes = { bot: this.t.modeBot, queued: this.t.modeQueued, human: this.t.modeHuman, resolved: this.t.modeResolved };
    const text = this.optedOut && this.mode === "bot" ? this.t.aiOff : modes[this.mode] || this.mode;
    this.status.textContent = text;
    this.root.dataset.mode = this.mode;
  }

  showError(error) {
    this.error.hidden = false;
    this.error.textContent = `${this.t.wrong} ${error.message}`;
  }

  hideError() {
    this.error.hidden = true;
  }

  rememberConversation(id) {
    if (!id || id === this.conversationId) return;
    this.conversationId = id;
    sessionStorage.setItem(`${this.storageKey}.conversation`, id);
  }

  forgetConversation() {
    this.conversationId = null;
    sessionStorage.removeItem(`${this.storageKey}.conversation`);
  }
}

function authorOf(answeredBy) {
  return { ai: "ai", agent: "agent", candor: "system" }[answeredBy] || "system";
}

function authorLabel(message, t) {
  switch (message.author_kind) {
    case "customer":
      return t.you;
    case "ai":
      return t.ai;
    case "agent":
      return `${message.author_name || t.agent} (${t.humanAgent})`;
    default:
      return t.system;
  }
}

/** The explanation: a summary in plain words, then what happened, in order. */
function renderExplanation(data, t) {
  const parts = [el("h3", {}, t.whyTitle)];
  const items = data.items || [];
  // The summary says the same as the list in one paragraph: one or the other.
  if (data.summary && !items.length) parts.push(el("p", {}, data.summary));
  if (items.length) {
    parts.push(el("ol", { class: "cw-explanation-list" }, items.map((item) =>
      el("li", { "data-kind": item.kind }, item.text, item.at ? el("span", { class: "cw-when" }, ` (${new Date(item.at).toLocaleTimeString()})`) : ""))));
  } else if (!data.summary) {
    parts.push(el("p", {}, t.noDecisions));
  }
  return parts;
}

function rememberedCustomerId() {
  const stored = localStorage.getItem("candor.customerId");
  if (stored) return stored;
  const id = `cust_${crypto.randomUUID().replaceAll("-", "")}`;
  localStorage.setItem("candor.customerId", id);
  return id;
}


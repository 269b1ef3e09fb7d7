// The agent's view: the live queue (priority, reason, ticking waiting time), a crisis
// banner, and one handoff's transcript with the actions an agent takes on it.

import { ApiError, el } from "../web/api.js";
import { follow } from "../web/sse.js";

const REASONS = {
  crisis: "Crisis",
  frustration: "Frustrated customer",
  customer_request: "Asked for a person",
  sensitive_topic: "Sensitive topic",
  loop: "Going in circles",
  bot_failure: "Bot could not help",
  opt_out: "Opted out of AI",
};
const AUTHORS = { customer: "Customer", ai: "AI assistant", agent: "Agent", system: "System" };

export class AgentView {
  constructor(root, { api, keyId, name }) {
    this.root = root;
    this.api = api;
    this.keyId = keyId;
    this.name = name || "";
    this.items = [];
    this.fetchedAt = 0;
    this.selected = null; // the handoff open on the right
    this.stream = new AbortController();
    this.build();
  }

  build() {
    this.banner = el("div", { class: "crisis-banner", role: "alert", hidden: true });
    this.counts = el("p", { class: "counts", "aria-live": "polite" });
    this.liveState = el("span", { class: "live-state" }, "connecting…");
    this.queueBody = el("tbody");
    this.detail = el("section", { class: "detail card", "aria-labelledby": "detail-title" },
      el("h2", { id: "detail-title" }, "Conversation"),
      el("p", { class: "hint" }, "Choose a handoff in the queue."));
    this.root.replaceChildren(
      this.banner,
      el("div", { class: "agent-layout" },
        el("section", { class: "queue card", "aria-labelledby": "queue-title" },
          el("h2", { id: "queue-title" }, "Queue ", this.liveState),
          this.counts,
          el("div", { class: "table-wrap" },
            el("table", { class: "queue-table" },
              el("caption", { class: "visually-hidden" }, "Open handoffs, most urgent first"),
              el("thead", {}, el("tr", {},
                el("th", { scope: "col" }, "Priority"),
                el("th", { scope: "col" }, "Reason"),
                el("th", { scope: "col" }, "Waiting"),
                el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Action")))),
              this.queueBody))),
        this.detail));
  }

  start() {
    this.refresh();
    this.ticker = setInterval(() => this.tick(), 1000);
    follow({
      url: this.api.url("/v1/handoffs/events"),
      headers: this.api.headers(),
      signal: this.stream.signal,
      onStatus: (status) => { this.liveState.textContent = status === "open" ? "live" : status === "denied" ? "offline" : "reconnecting…"; },
      onEvent: ({ event, data }) => this.onEvent(event, data),
    });
  }

  stop() {
    this.stream.abort();
    clearInterval(this.ticker);
    clearTimeout(this.pending);
  }

  onEvent(event, data) {
    // Notices carry ids only: read the queue (and the open transcript) again.
    clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.refresh();
      if (this.selected && (event === "resync" || data.handoff_id === this.selected)) this.open(this.selected, { live: true });
    }, 150);
  }

  async refresh() {
    // Reads overlap (an event's refresh, an action's refresh): only the newest may paint,
    // or a slow answer from before a transfer would put the old queue back on screen.
    const read = (this.reads = (this.reads || 0) + 1);
    try {
      const page = await this.api.get("/v1/handoffs", { limit: 200 });
      if (read !== this.reads) return;
      this.items = page.data;
      this.fetchedAt = performance.now();
      this.renderQueue(page.counts || {});
    } catch (error) {
      if (read !== this.reads) return;
      this.counts.textContent = `The queue could not be read: ${error.message}`;
    }
  }

  renderQueue(counts) {
    this.counts.textContent = `${counts.queued ?? 0} waiting · ${counts.human ?? 0} with an agent`;
    const rows = this.items.map((item) => {
      const mine = item.assigned_agent === this.keyId;
      const label = item.status === "queued" ? "Claim" : mine ? "Open" : "View";
      const button = el("button", { type: "button", class: item.status === "queued" ? "" : "secondary", "data-handoff": item.id,
        "aria-label": `${label}: ${reasonText(item)}, waiting ${duration(item.waiting_s)}`,
        onclick: () => (item.status === "queued" ? this.claim(item.id) : this.open(item.id)) }, label);
      return el("tr", { class: `queue-row severity-${item.severity}${item.id === this.selected ? " selected" : ""}`, "data-handoff": item.id },
        el("td", {}, `P${item.priority}`, el("span", { class: "sub" }, item.severity)),
        el("td", {}, reasonText(item),
          el("span", { class: "sub" }, whereIs(item, mine))),
        el("td", { class: "waiting", "data-waiting": item.waiting_s ?? "", "data-status": item.status }, duration(item.waiting_s)),
        el("td", {}, button));
    });
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "4" }, "Nobody is waiting.")));
    this.queueBody.replaceChildren(...rows);
    const crisis = this.items.filter((item) => item.status === "queued" && (item.reason_code === "crisis" || item.severity === "urgent"));
    this.banner.hidden = !crisis.length;
    if (crisis.length) {
      this.banner.replaceChildren(
        el("strong", {}, "Crisis handoff: "),
        `${crisis.length} customer${crisis.length > 1 ? "s" : ""} may be in danger. Crisis resources were given first; take it now. `,
        el("button", { type: "button", class: "danger", onclick: () => this.claim(crisis[0].id) }, "Claim the most urgent"));
    }
  }

  tick() {
    // Waiting times keep counting between reads; claimed ones stop at the claim.
    const elapsed = (performance.now() - this.fetchedAt) / 1000;
    for (const cell of this.queueBody.querySelectorAll("td.waiting[data-status=queued]")) {
      const base = Number(cell.dataset.waiting);
      if (cell.dataset.waiting !== "") cell.textContent = duration(base + elapsed);
    }
  }

  async claim(id) {
    try {
      await this.api.post(`/v1/handoffs/${id}/claim`, this.name ? { display_name: this.name } : undefined);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) return this.flash(error.message);
      this.flash("Someone else has just taken this one.");
    }
    await this.refresh();
    await this.open(id);
  }

  async open(id, { live = false } = {}) {
    this.selected = id;
    let data;
    try {
      data = await this.api.get(`/v1/handoffs/${id}`);
    } catch (error) {
      this.detail.replaceChildren(el("h2", { id: "detail-title" }, "Conversation"), el("p", { class: "error" }, error.message));
      this.detail.dataset.shape = "";
      return;
    }
    if (this.selected !== id) return;
    this.renderDetail(data.handoff, data.transcript, live);
    for (const row of this.queueBody.querySelectorAll("tr")) row.classList.toggle("selected", row.dataset.handoff === id);
  }

  renderDetail(handoff, transcript, live) {
    const mine = handoff.status === "human" && handoff.assigned_agent === this.keyId;
    const shape = `${handoff.id}:${handoff.status}:${mine}`;
    const log = el("ol", { class: "transcript", "aria-live": "polite", "aria-label": "Transcript" }, transcript.map(messageItem));
    const header = el("div", { class: "detail-head" },
      el("h2", { id: "detail-title" }, `Conversation · ${reasonText(handoff)}`),
      el("p", { class: "meta" }, `Priority P${handoff.priority} (${handoff.severity}) · ${handoff.status}` +
        (handoff.status === "human" ? ` · with ${mine ? "you" : handoff.agent_name || "another agent"}` : "")),
      el("p", { class: "meta" }, handoff.summary || ""),
      el("p", { class: "hint" }, "Personal data is shown as the customer gave it; each view of it is recorded in the audit trail."));
    if (live && this.detail.dataset.shape === shape) {
      // Same handoff, same state: new messages only; what the agent is typing stays put.
      this.detail.querySelector(".detail-head").replaceWith(header);
      // Only the new messages are added, so that screen readers announce just those.
      const shown = this.detail.querySelector(".transcript");
      shown.append(...transcript.slice(shown.childElementCount).map(messageItem));
      shown.scrollTop = shown.scrollHeight;
      return;
    }
    const parts = [header, log];
    if (handoff.status === "queued") {
      parts.push(el("button", { type: "button", id: "claim-open", onclick: () => this.claim(handoff.id) }, "Claim"));
    }
    if (mine) parts.push(...this.actionForms(handoff));
    this.detail.replaceChildren(...parts);
    this.detail.dataset.shape = shape;
    log.scrollTop = log.scrollHeight;
  }

  actionForms(handoff) {
    const text = el("textarea", { id: "reply-text", rows: "3", maxlength: "8000", required: true });
    const isPrivate = el("input", { type: "checkbox", id: "reply-private" });
    const reply = el("form", { class: "reply stack", onsubmit: (event) => { event.preventDefault(); this.reply(handoff.id, text, isPrivate); } },
      el("label", { for: "reply-text" }, "Reply to the customer"),
      text,
      el("span", { class: "inline" }, isPrivate, el("label", { for: "reply-private" }, "Private note (only agents see it)")),
      el("button", { type: "submit", id: "reply-send" }, "Send"));
    const transferTo = el("input", { id: "transfer-to", type: "text", maxlength: "32", autocomplete: "off" });
    const note = el("input", { id: "action-note", type: "text", maxlength: "4000", autocomplete: "off" });
    const act = (path, body) => this.act(handoff.id, path, body);
    const actions = el("fieldset", { class: "actions" },
      el("legend", {}, "Hand over or close"),
      el("label", { for: "action-note" }, "Note for the next agent or the bot ", el("span", { class: "hint" }, "(optional)")),
      note,
      el("label", { for: "transfer-to" }, "Transfer to agent key id ", el("span", { class: "hint" }, "(empty: back to the queue)")),
      transferTo,
      el("div", { class: "button-row" },
        el("button", { type: "button", class: "secondary", onclick: () => act("transfer", { to_agent: transferTo.value.trim() || null, note: note.value.trim() || null }) }, "Transfer"),
        el("button", { type: "button", class: "secondary", onclick: () => act("release") }, "Release"),
        el("button", { type: "button", class: "secondary", onclick: () => act("handback", { note: note.value.trim() || null }) }, "Hand back to bot"),
        el("button", { type: "button", onclick: () => act("resolve") }, "Resolve")));
    return [reply, actions];
  }

  async reply(id, text, isPrivate) {
    const content = text.value.trim();
    if (!content) return;
    try {
      await this.api.post(`/v1/handoffs/${id}/messages`, { content, private: isPrivate.checked });
      text.value = "";
      isPrivate.checked = false;
      await this.open(id, { live: true });
      this.detail.querySelector("#reply-text")?.focus();
    } catch (error) {
      this.flash(error.message);
    }
  }

  async act(id, path, body) {
    try {
      await this.api.post(`/v1/handoffs/${id}/${path}`, body);
    } catch (error) {
      return this.flash(error.message);
    }
    await this.refresh();
    await this.open(id);
  }

  flash(text) {
    let box = this.detail.querySelector(".flash");
    if (!box) {
      box = el("p", { class: "flash error", role: "alert" });
      this.detail.prepend(box);
    }
    box.textContent = text;
  }
}

function messageItem(message) {
  return el("li", { class: `msg msg--${message.author_kind}${message.private ? " msg--private" : ""}`, "data-author": message.author_kind },
    el("span", { class: "msg-author" }, authorText(message)),
    el("p", { class: "msg-text" }, message.content));
}

/** Who has it: waiting, reserved for someone (a transfer), or with an agent. */
function whereIs(item, mine) {
  if (item.status === "human") return `with ${mine ? "you" : item.agent_name || "an agent"}`;
  if (item.assigned_agent) return mine ? "waiting, transferred to you" : "waiting, transferred to another agent";
  return "waiting";
}

function reasonText(item) {
  return REASONS[item.reason_code] || item.reason_code || "handoff";
}

function authorText(message) {
  const base = message.author_kind === "agent" && message.author_name ? `${message.author_name} (agent)` : AUTHORS[message.author_kind] || message.author_kind;
  return message.private ? `${base} · private note` : base;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined || seconds === "") return "—";
  const total = Math.max(0, Math.floor(Number(seconds)));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

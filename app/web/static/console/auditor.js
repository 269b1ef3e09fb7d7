// The auditor's view: verify the trail, read the summary and fairness reports (tables and
// charts), and search and page through the audit events (keyset cursor).

import { el } from "../web/api.js";
import { barChart } from "./charts.js";

const PAGE = 50;
const SEGMENTS = ["channel", "locale", "region"];
const METRICS = ["escalation_rate", "handoff_rate", "redaction_rate", "block_rate", "wait_p50_s"];
const FILTERS = [
  ["conversation_id", "Conversation id", "text"],
  ["event_type", "Event type", "text"],
  ["guardrail", "Guardrail", "text"],
  ["action", "Action", "text"],
  ["reason_code", "Reason code", "text"],
  ["since", "Since", "datetime-local"],
  ["until", "Until", "datetime-local"],
];

export class AuditorView {
  constructor(root, { api }) {
    this.root = root;
    this.api = api;
    this.cursors = [null]; // the cursor of each page seen, for "previous"
    this.build();
  }

  build() {
    this.verifyResult = el("div", { class: "verify-result", role: "status", "aria-live": "polite" });
    this.summary = el("div", { class: "report", "aria-live": "polite" });
    this.fairness = el("div", { class: "report", "aria-live": "polite" });
    this.segment = el("select", { id: "fairness-segment" }, SEGMENTS.map((name) => el("option", { value: name }, name)));
    this.metric = el("select", { id: "fairness-metric" }, METRICS.map((name) => el("option", { value: name }, name.replaceAll("_", " "))));
    this.segment.addEventListener("change", () => this.loadFairness());
    this.metric.addEventListener("change", () => this.loadFairness());
    this.filters = el("form", { class: "filters", onsubmit: (event) => { event.preventDefault(); this.cursors = [null]; this.loadEvents(0); } },
      FILTERS.map(([name, label, type]) => el("div", { class: "field" },
        el("label", { for: `filter-${name}` }, label),
        el("input", { id: `filter-${name}`, name, type, autocomplete: "off" }))),
      el("div", { class: "field field--button" }, el("button", { type: "submit" }, "Search")));
    this.eventsBody = el("tbody");
    this.pageInfo = el("p", { class: "page-info", "aria-live": "polite" });
    this.previous = el("button", { type: "button", class: "secondary", disabled: true, onclick: () => this.loadEvents(this.page - 1) }, "Previous page");
    this.next = el("button", { type: "button", class: "secondary", disabled: true, onclick: () => this.loadEvents(this.page + 1) }, "Next page");
    this.root.replaceChildren(
      el("section", { class: "card", "aria-labelledby": "verify-title" },
        el("h2", { id: "verify-title" }, "Integrity of the audit trail"),
        el("p", {}, "Recomputes the hash chain of every event of this tenant: an edited or deleted event is found."),
        el("button", { type: "button", id: "run-verify", onclick: () => this.verify() }, "Verify the trail"),
        this.verifyResult),
      el("section", { class: "card", "aria-labelledby": "summary-title" },
        el("h2", { id: "summary-title" }, "Summary (last 30 days)"),
        this.summary),
      el("section", { class: "card", "aria-labelledby": "fairness-title" },
        el("h2", { id: "fairness-title" }, "Fairness across customer segments"),
        el("div", { class: "inline-fields" },
          el("label", { for: "fairness-segment" }, "Segment"), this.segment,
          el("label", { for: "fairness-metric" }, "Chart"), this.metric),
        this.fairness),
      el("section", { class: "card", "aria-labelledby": "events-title" },
        el("h2", { id: "events-title" }, "Audit events"),
        this.filters,
        el("div", { class: "table-wrap" },
          el("table", { class: "events-table" },
            el("caption", { class: "visually-hidden" }, "Audit events"),
            el("thead", {}, el("tr", {}, ["Time", "Event", "Guardrail", "Action", "Reason", "Conversation", "Actor"].map((name) => el("th", { scope: "col" }, name)))),
            this.eventsBody)),
        el("div", { class: "button-row" }, this.previous, this.next, this.pageInfo)));
  }

  start() {
    this.loadSummary();
    this.loadFairness();
    this.loadEvents(0);
  }

  stop() {}

  async verify() {
    this.verifyResult.className = "verify-result";
    this.verifyResult.textContent = "Verifying…";
    try {
      const result = await this.api.get("/v1/audit/verify");
      this.verifyResult.classList.add(result.ok ? "ok" : "bad");
      this.verifyResult.textContent = result.ok
        ? `Verified: ${result.checked} events, chain intact.`
        : `Tampering found: ${result.checked} events checked; first bad: ${describe(result.first_bad)}.`;
    } catch (error) {
      this.verifyResult.classList.add("bad");
      this.verifyResult.textContent = `Verification could not run: ${error.message}`;
    }
  }

  async loadSummary() {
    try {
      const report = await this.api.get("/v1/audit/reports/summary");
      const rows = report.data || [];
      const table = el("table", { class: "summary-table" },
        el("caption", { class: "visually-hidden" }, "Summary per day"),
        el("thead", {}, el("tr", {}, ["Day", "Turns", "Conversations", "Bot resolved", "Disclosures", "Escalations", "Redactions", "Wait p50 / p90"].map((name) => el("th", { scope: "col" }, name)))),
        el("tbody", {}, rows.map((row) => el("tr", {},
          el("td", {}, row.period),
          el("td", {}, row.turns),
          el("td", {}, row.conversations),
          el("td", {}, percent(row.bot_resolved_share)),
          el("td", {}, row.disclosures_shown),
          el("td", {}, pairs(row.escalations_by_reason)),
          el("td", {}, pairs(row.redactions_by_entity)),
          el("td", {}, `${seconds(row.handoff_wait_s?.p50)} / ${seconds(row.handoff_wait_s?.p90)}`)))));
      const reasons = {};
      for (const row of rows) for (const [reason, count] of Object.entries(row.escalations_by_reason || {})) reasons[reason] = (reasons[reason] || 0) + countOf(count);
      this.summary.replaceChildren(
        rows.length ? el("div", { class: "table-wrap" }, table) : el("p", {}, "No events in this window."),
        el("div", { class: "charts" },
          barChart({ title: "Turns per day", items: rows.map((row) => ({ label: row.period, value: row.turns })) }),
          barChart({ title: "Escalations by reason", items: Object.entries(reasons).map(([label, value]) => ({ label, value })) })));
    } catch (error) {
      this.summary.replaceChildren(el("p", { class: "error" }, `The summary is not available: ${error.message}`));
    }
  }

  async loadFairness() {
    const segment = this.segment.value;
    const metric = this.metric.value;
    try {
      const report = await this.api.get("/v1/audit/reports/fairness", { segment });
      const rows = report.data || [];
      const table = el("table", { class: "fairness-table" },
        el("caption", { class: "visually-hidden" }, `Fairness by ${segment}`),
        el("thead", {}, el("tr", {}, [segment, "Turns", "Conversations", ...METRICS.map((name) => name.replaceAll("_", " "))].map((name) => el("th", { scope: "col" }, name)))),
        el("tbody", {}, rows.map((row) => el("tr", {},
          el("th", { scope: "row" }, row.value ?? "unspecified"),
          el("td", {}, row.turns),
          el("td", {}, row.conversations),
          METRICS.map((name) => {
            const cell = row.metrics?.[name] || {};
            return el("td", { class: cell.flag ? "flagged" : "" }, formatMetric(name, cell.value),
              cell.disparity_ratio !== null && cell.disparity_ratio !== undefined ? ` (ratio ${cell.disparity_ratio.toFixed(2)})` : "",
              cell.flag ? el("strong", {}, " below four-fifths") : "");
          })))));
      this.fairness.replaceChildren(
        el("p", { class: "hint" }, `A segment is flagged when its favourable rate is under ${report.threshold ?? 0.8} of the best segment's, with at least ${report.min_samples ?? "?"} samples.`),
        rows.length ? el("div", { class: "table-wrap" }, table) : el("p", {}, "No events in this window."),
        this.fairnessChart(rows, segment, metric, report.threshold ?? 0.8));
    } catch (error) {
      this.fairness.replaceChildren(el("p", { class: "error" }, `The fairness report is not available: ${error.message}`));
    }
  }

  /** The disparity ratios against the four-fifths line when the report could compare
   * segments (enough samples), else the metric's values themselves. */
  fairnessChart(rows, segment, metric, threshold) {
    const name = metric.replaceAll("_", " ");
    const label = (row) => row.value ?? "unspecified";
    const cells = rows.map((row) => row.metrics?.[metric] || {});
    if (cells.some((cell) => cell.disparity_ratio !== null && cell.disparity_ratio !== undefined)) {
      return barChart({
        title: `Disparity ratio of ${name} by ${segment} (four-fifths line)`,
        items: rows.map((row, index) => ({ label: label(row), value: cells[index].disparity_ratio, flag: cells[index].flag })),
        max: 1,
        threshold,
        format: (value) => value.toFixed(2),
      });
    }
    return barChart({
      title: `${name} by ${segment} (too few samples to compare)`,
      items: rows.map((row, index) => ({ label: label(row), value: cells[index].value })),
      max: metric.endsWith("_s") ? undefined : 1,
      format: (value) => formatMetric(metric, value),
    });
  }

  async loadEvents(page) {
    const query = { limit: PAGE, cursor: this.cursors[page] };
    for (const [name, , type] of FILTERS) {
      const value = this.filters.elements[name].value.trim();
      if (value) query[name] = type === "datetime-local" ? new Date(value).toISOString() : value;
    }
    try {
      const result = await this.api.get("/v1/audit/events", query);
      this.page = page;
      this.cursors[page + 1] = result.next_cursor;
      this.cursors.length = page + 2;
      this.eventsBody.replaceChildren(...result.data.map((event) => el("tr", {},
        el("td", {}, new Date(event.occurred_at).toLocaleString()),
        el("td", {}, event.event_type),
        el("td", {}, event.guardrail || ""),
        el("td", {}, [event.action, event.mode && event.mode !== "enforce" ? `(${event.mode})` : ""].filter(Boolean).join(" ")),
        el("td", {}, event.reason || event.reason_code || ""),
        el("td", { class: "mono" }, event.conversation_id || ""),
        el("td", { class: "mono" }, event.actor || ""))));
      if (!result.data.length) this.eventsBody.replaceChildren(el("tr", {}, el("td", { colspan: "7" }, "No events match.")));
      this.previous.disabled = page === 0;
      this.next.disabled = !result.next_cursor;
      this.pageInfo.textContent = `Page ${page + 1} · ${result.data.length} events`;
    } catch (error) {
      this.pageInfo.textContent = `The events could not be read: ${error.message}`;
    }
  }
}

function describe(bad) {
  if (!bad) return "unknown";
  if (typeof bad !== "object") return String(bad);
  return Object.entries(bad).map(([key, value]) => `${key} ${value}`).join(", ");
}

function countOf(value) {
  return typeof value === "number" ? value : value?.count ?? 0;
}

function pairs(mapping) {
  const entries = Object.entries(mapping || {});
  return entries.length ? entries.map(([name, value]) => `${name} ${countOf(value)}`).join(", ") : "—";
}

function percent(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value * 100)}%`;
}

function seconds(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value)} s`;
}

function formatMetric(name, value) {
  if (value === null || value === undefined) return "—";
  return name.endsWith("_s") ? `${value.toFixed(1)} s` : `${(value * 100).toFixed(1)}%`;
}

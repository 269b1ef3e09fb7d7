// Simple inline-SVG bar charts: no library, nothing fetched, readable by screen readers
// (role="img", a title and a description that lists the values).

const SVG = "http://www.w3.org/2000/svg";

function node(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** Horizontal bars: items [{label, value}], an optional threshold line (e.g. 0.8). */
export function barChart({ title, items, max, threshold, format = (v) => String(v) }) {
  const rows = items.filter((item) => item.value !== null && item.value !== undefined);
  const top = max ?? Math.max(1e-9, ...rows.map((item) => item.value), threshold ?? 0);
  const rowHeight = 26;
  const labelWidth = 140;
  const width = 480;
  const plot = width - labelWidth - 60;
  const height = Math.max(1, rows.length) * rowHeight + 24;
  const description = rows.map((item) => `${item.label}: ${format(item.value)}`).join("; ") || "no data";
  const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart", "aria-label": `${title}. ${description}` });
  svg.append(node("title", {}, title), node("desc", {}, description));
  rows.forEach((item, index) => {
    const y = index * rowHeight + 4;
    const barWidth = Math.max(1, (item.value / top) * plot);
    svg.append(
      node("text", { x: labelWidth - 6, y: y + 15, "text-anchor": "end", class: "chart-label" }, truncate(item.label, 20)),
      node("rect", { x: labelWidth, y, width: barWidth, height: rowHeight - 8, class: item.flag ? "chart-bar flagged" : "chart-bar", rx: 3 }),
      node("text", { x: labelWidth + barWidth + 4, y: y + 15, class: "chart-value" }, format(item.value)),
    );
  });
  if (threshold !== undefined) {
    const x = labelWidth + (threshold / top) * plot;
    svg.append(
      node("line", { x1: x, x2: x, y1: 0, y2: height - 18, class: "chart-threshold" }),
      node("text", { x, y: height - 4, "text-anchor": "middle", class: "chart-value" }, format(threshold)),
    );
  }
  if (!rows.length) svg.append(node("text", { x: 8, y: 18, class: "chart-label" }, "No data yet"));
  const figure = document.createElement("figure");
  figure.className = "chart-figure";
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  figure.append(caption, svg);
  return figure;
}

function truncate(text, length) {
  const value = String(text);
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}

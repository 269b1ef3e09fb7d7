// Server-sent events over fetch(): EventSource cannot send an Authorization header, and a
// key must never travel in a URL. One parser for the widget and the console.

/** Parses a text/event-stream body into {event, data, id} objects, as the spec says:
 * fields per line, a blank line ends an event, lines starting with ":" are comments. */
export async function* parseEvents(body, signal) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = { event: "message", data: [], id: null };
  try {
    while (!signal?.aborted) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let newline;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") {
          if (event.data.length) {
            yield { event: event.event, data: event.data.join("\n"), id: event.id };
          }
          event = { event: "message", data: [], id: event.id };
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "data") event.data.push(text);
        else if (field === "event") event.event = text;
        else if (field === "id") event.id = text;
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** Follows an SSE endpoint until ``signal`` aborts: reconnects after the server ends the
 * stream (it does, every few minutes) or after a network error, sending Last-Event-ID so
 * nothing is missed. ``onEvent`` gets {event, data (parsed JSON), id}. ``onStatus`` hears
 * "open", "retrying" and "denied" (401/403/404: no point retrying). */
export async function follow({ url, headers, signal, onEvent, onStatus = () => {}, retryMs = 2000 }) {
  let lastId = null;
  while (!signal.aborted) {
    try {
      const requestHeaders = { ...headers, Accept: "text/event-stream" };
      if (lastId !== null) requestHeaders["Last-Event-ID"] = lastId;
      const response = await fetch(url, { headers: requestHeaders, signal, cache: "no-store" });
      if ([401, 403, 404].includes(response.status)) {
        onStatus("denied", response.status);
        return;
      }
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      onStatus("open");
      for await (const item of parseEvents(response.body, signal)) {
        if (item.id !== null) lastId = item.id;
        let data;
        try {
          data = JSON.parse(item.data);
        } catch {
          continue; // not ours to understand; keep reading
        }
        onEvent({ event: item.event, data, id: item.id });
      }
    } catch (error) {
      if (signal.aborted) return;
    }
    if (signal.aborted) return;
    onStatus("retrying");
    await sleep(retryMs, signal);
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });
}

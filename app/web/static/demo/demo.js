// The demo page: asks for a chat key (kept in this tab's sessionStorage), then mounts
// the same widget that widget.js embeds on other sites.

import { mountWidget } from "./widget-app.js";

const KEY = "candor.demo.chatKey";
const CUSTOMER = "candor.demo.customerId";
const form = document.getElementById("setup-form");
const setup = document.getElementById("setup");
const chat = document.getElementById("chat");
const signedIn = document.getElementById("signed-in");
let widget = null;

function start(key, customerId) {
  setup.hidden = true;
  signedIn.hidden = false;
  widget = mountWidget(chat, { key, customerId: customerId || undefined, channel: "web-demo" });
  chat.querySelector("textarea")?.focus();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const key = form.elements.key.value.trim();
  const customerId = form.elements.customer.value.trim();
  if (!key) return;
  sessionStorage.setItem(KEY, key);
  if (customerId) sessionStorage.setItem(CUSTOMER, customerId);
  form.reset();
  start(key, customerId);
});

document.getElementById("disconnect").addEventListener("click", () => {
  widget?.destroy();
  widget = null;
  sessionStorage.clear();
  signedIn.hidden = true;
  setup.hidden = false;
  form.elements.key.focus();
});

const saved = sessionStorage.getItem(KEY);
if (saved) start(saved, sessionStorage.getItem(CUSTOMER));

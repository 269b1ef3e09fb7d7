// The console shell: sign in with a key, find out what it may see (agent queue, audit
// views), and sign out, which forgets the key and everything shown.

import { Api, ApiError } from "../web/api.js";
import { AgentView } from "./agent.js";
import { AuditorView } from "./auditor.js";

const STORE = "candor.console";
const $ = (id) => document.getElementById(id);
let session = null; // {api, views: [...], keyId, name}

/** What a key may do: its role, asked once (a key has exactly one). */
async function rolesOf(api) {
  const me = await api.get("/v1/me");
  return ["agent", "auditor"].includes(me.role) ? [me.role] : [];
}

async function signIn(key, name) {
  const api = new Api({ key });
  const roles = await rolesOf(api);
  if (!roles.length) throw new Error("this key is neither an agent's nor an auditor's; the console has nothing to show it");
  const keyId = key.split("_")[1] || "";
  sessionStorage.setItem(STORE, JSON.stringify({ key, name }));
  const views = [];
  if (roles.includes("agent")) views.push(["agent", new AgentView($("agent-view"), { api, keyId, name })]);
  if (roles.includes("auditor")) views.push(["auditor", new AuditorView($("auditor-view"), { api })]);
  session = { api, views, keyId };
  $("sign-in").hidden = true;
  $("sign-out").hidden = false;
  $("who").hidden = false;
  $("who").textContent = `Signed in as ${roles.join(" and ")}${name ? ` (${name})` : ""}`;
  $("views-nav").hidden = views.length < 2;
  for (const [, view] of views) view.start();
  show(views[0][0]);
}

function show(which) {
  for (const role of ["agent", "auditor"]) {
    const active = role === which;
    $(`${role}-view`).hidden = !active;
    $(`nav-${role}`).setAttribute("aria-current", active ? "page" : "false");
  }
  $("main").focus();
}

function signOut() {
  for (const [, view] of session?.views || []) view.stop();
  session = null;
  sessionStorage.removeItem(STORE);
  // Nothing shown survives a sign-out: the next key starts from an empty page.
  for (const id of ["agent-view", "auditor-view"]) {
    $(id).replaceChildren();
    $(id).hidden = true;
  }
  $("who").textContent = "";
  $("who").hidden = true;
  $("views-nav").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-form").reset();
  $("api-key").focus();
}

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const error = $("sign-in-error");
  error.hidden = true;
  try {
    await signIn(form.elements.key.value.trim(), form.elements.name.value.trim());
    form.reset();
  } catch (problem) {
    error.textContent = problem instanceof ApiError && problem.status === 401 ? "That key is not valid." : problem.message;
    error.hidden = false;
  }
});
$("sign-out").addEventListener("click", signOut);
$("nav-agent").addEventListener("click", () => show("agent"));
$("nav-auditor").addEventListener("click", () => show("auditor"));

const saved = JSON.parse(sessionStorage.getItem(STORE) || "null");
if (saved?.key) signIn(saved.key, saved.name).catch(signOut);

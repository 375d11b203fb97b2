// The agent app: one page, no build step. This file boots it: it finds out
// who is signed in and shows either the sign-in form or the shell.
import { api, session } from "./client.js";
import { h, clear } from "./dom.js";

const root = document.getElementById("root");

async function boot() {
  try {
    const s = await api("GET", "/auth/session");
    session.csrf = s.csrf_token;
    session.user = s.user;
    shell();
  } catch (err) {
    if (err.status === 401) login();
    else fatal(err);
  }
}

function fatal(err) {
  clear(root).append(h("div", { class: "boot" }, "Parley could not start: " + err.message));
}

function login(message = "") {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true, autofocus: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const error = h("div", { class: "error", role: "alert" }, message);
  const form = h("form", { class: "card", "aria-label": "Sign in" },
    h("h1", {}, h("span", { class: "logo" }, "P"), "Sign in to Parley"),
    h("label", {}, "Email", email),
    h("label", {}, "Password", password),
    error,
    h("button", { class: "btn primary", type: "submit" }, "Sign in"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    try {
      const res = await api("POST", "/auth/login", { email: email.value, password: password.value });
      session.csrf = res.csrf_token;
      session.user = res.user;
      shell();
    } catch (err) {
      error.textContent = err.status === 401 ? "Wrong email or password." : err.message;
    }
  });
  clear(root).append(h("div", { class: "login" }, form));
  email.focus();
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
}

// Views are ES modules loaded on demand; each exports
// `mount(el, ctx)` and may return a cleanup function. ctx carries the API
// client, the session and navigation.
const views = {
  livechat: { label: "Live chat", load: () => import("./livechat.js") },
  crm: { label: "CRM", load: () => import("./crm.js") },
  playbooks: { label: "Playbooks", load: () => import("./builder.js") },
  settings: { label: "Settings", load: () => import("./settings.js") },
};

let unmount = null;

function currentView() {
  const m = location.pathname.match(/^\/app\/([a-z]+)/);
  return m && views[m[1]] ? m[1] : "livechat";
}

export function navigate(path) {
  history.pushState(null, "", path);
  render();
}

function shell() {
  const u = session.user;
  const dot = h("span", { class: "dot " + u.status });
  const status = h("select", { class: "status", "aria-label": "My status" },
    ...["online", "invisible", "offline"].map((s) => h("option", { value: s, selected: s === u.status }, s[0].toUpperCase() + s.slice(1))));
  status.addEventListener("change", async () => {
    const updated = await api("PATCH", "/users/me/status", { status: status.value });
    session.user = updated;
    dot.className = "dot " + updated.status;
    window.dispatchEvent(new CustomEvent("parley:status", { detail: updated.status }));
  });
  const logout = h("button", { class: "btn logout", type: "button" }, "Sign out");
  logout.addEventListener("click", async () => {
    if (unmount) { unmount(); unmount = null; }
    await api("POST", "/auth/logout");
    session.user = null;
    session.csrf = "";
    login();
  });
  const nav = h("nav", { "aria-label": "Main" }, ...Object.entries(views).map(([k, v]) => {
    const a = h("a", { href: "/app/" + k, "data-view": k }, v.label);
    a.addEventListener("click", (ev) => {
      if (ev.metaKey || ev.ctrlKey) return;
      ev.preventDefault();
      navigate("/app/" + k);
    });
    return a;
  }));
  const main = h("main", { id: "view" });
  clear(root).append(
    h("header", { class: "top" },
      h("span", { class: "logo" }, "P"),
      nav,
      h("div", { class: "me" }, h("span", {}, dot, status), h("span", { class: "avatar", title: u.name }, initials(u.name)),
        h("span", { class: "name", id: "whoami", title: `${u.email} (${u.role})` }, u.name), logout)),
    main);
  render();
}

async function render() {
  const main = document.getElementById("view");
  if (!main) return;
  const name = currentView();
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("on", a.dataset.view === name);
  if (unmount) { unmount(); unmount = null; }
  clear(main);
  try {
    const mod = await views[name].load();
    const cleanup = await mod.mount(main, { api, session, navigate, h });
    unmount = typeof cleanup === "function" ? cleanup : null;
  } catch (err) {
    main.append(h("div", { class: "card" }, "This view could not load: " + err.message));
  }
}

window.addEventListener("popstate", render);

boot();

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

function shell() {
  const u = session.user;
  const dot = h("span", { class: "dot " + u.status });
  const status = h("select", { class: "status", "aria-label": "My status" },
    ...["online", "invisible", "offline"].map((s) => h("option", { value: s, selected: s === u.status }, s[0].toUpperCase() + s.slice(1))));
  status.addEventListener("change", async () => {
    const updated = await api("PATCH", "/users/me/status", { status: status.value });
    session.user = updated;
    dot.className = "dot " + updated.status;
  });
  const logout = h("button", { class: "btn logout", type: "button" }, "Sign out");
  logout.addEventListener("click", async () => {
    await api("POST", "/auth/logout");
    session.user = null;
    session.csrf = "";
    login();
  });
  const main = h("main", {},
    h("div", { class: "card" },
      h("h2", {}, "Welcome, ", u.name),
      h("p", { class: "muted", id: "whoami" }, `Signed in as ${u.email} (${u.role}).`)));
  clear(root).append(
    h("header", { class: "top" },
      h("span", { class: "logo" }, "P"),
      h("nav", {}, h("a", { href: "/app", class: "on" }, "Live chat")),
      h("div", { class: "me" }, h("span", {}, dot, status), h("span", { class: "avatar", title: u.name }, initials(u.name)), h("span", { class: "name" }, u.name), logout)),
    main);
}

boot();

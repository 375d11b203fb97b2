// Shared pieces of the CRM views: formatting, a lookup cache for names,
// the detail drawer, forms that show the API's field errors under their
// inputs, tables and paged lists. Everything builds DOM with h(), so what
// a visitor typed is shown as typed.
import { h, clear } from "./dom.js";

export { h, clear };

export function initials(name) {
  return String(name || "?").split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("") || "?";
}

export function money(amount, currency) {
  if (amount === null || amount === undefined || amount === "") return "";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "USD", maximumFractionDigits: 0 }).format(amount);
  } catch {
    return `${Number(amount).toLocaleString()} ${currency || ""}`.trim();
  }
}

export function shortDate(t) {
  if (!t) return "";
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  const same = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleDateString(undefined, same ? { month: "short", day: "numeric" } : { year: "numeric", month: "short", day: "numeric" });
}

export function dateTime(t) {
  if (!t) return "";
  return new Date(t).toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function ago(t) {
  const s = Math.max(0, (Date.now() - new Date(t).getTime()) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago";
  if (s < 86400 * 7) return Math.floor(s / 86400) + " d ago";
  return shortDate(t);
}

export function primary(contacts) {
  if (!contacts || !contacts.length) return "";
  return (contacts.find((c) => c.primary) || contacts[0]).value;
}

// Readable text on a label colour (Pipedrive's names or CSS colours).
const labelColors = {
  green: "#dcfce7:#166534", blue: "#dbeafe:#1e40af", red: "#fee2e2:#991b1b", yellow: "#fef9c3:#854d0e",
  purple: "#ede9fe:#5b21b6", gray: "#f3f4f6:#374151", grey: "#f3f4f6:#374151", orange: "#ffedd5:#9a3412",
  pink: "#fce7f3:#9d174d", brown: "#f5e6d8:#6b3e1f", dark_gray: "#e5e7eb:#111827",
};

export function chip(label) {
  const [bg, fg] = (labelColors[String(label.color || "gray").toLowerCase()] || "").split(":");
  const el = h("span", { class: "crm-chip", title: label.name }, label.name);
  if (bg) { el.style.background = bg; el.style.color = fg; } else if (/^#[0-9a-f]{3,8}$/i.test(label.color || "")) {
    el.style.background = label.color; el.style.color = "#fff";
  }
  return el;
}

export function avatar(name, extra = "") {
  return h("span", { class: "crm-av " + extra + (name ? "" : " none"), title: name || "Nobody", "aria-label": name ? "Owner " + name : "No owner" }, name ? initials(name) : "–");
}

// Lookups caches persons and organizations by id, so tables can show names.
export class Lookups {
  constructor(api) {
    this.api = api;
    this.persons = new Map();
    this.orgs = new Map();
    this.users = new Map();
    this.labels = new Map();
    this.stages = new Map();
  }
  async init() {
    const [users, labels] = await Promise.all([
      this.api("GET", "/users").catch(() => []),
      this.api("GET", "/leadLabels?limit=500").catch(() => []),
    ]);
    for (const u of users || []) this.users.set(u.id, u);
    for (const l of labels || []) this.labels.set(l.id, l);
  }
  userName(id) { const u = this.users.get(id); return u ? u.name : ""; }
  remember(kind, obj) { (kind === "person" ? this.persons : this.orgs).set(obj.id, Promise.resolve(obj)); }
  person(id) { return this.one(this.persons, "/persons/", id); }
  org(id) { return this.one(this.orgs, "/organizations/", id); }
  one(cache, path, id) {
    if (id === null || id === undefined) return Promise.resolve(null);
    if (!cache.has(id)) cache.set(id, this.api("GET", path + id).catch(() => null));
    return cache.get(id);
  }
  // Preload fetches every person and organization named by rows at once.
  async preload(rows, personKey, orgKey) {
    await Promise.all(rows.flatMap((r) => [this.person(r[personKey]), this.org(r[orgKey])]));
  }
  // nameNow is a name already fetched (after preload), or "".
  async names(row, personKey, orgKey) {
    const [p, o] = await Promise.all([this.person(row[personKey]), this.org(row[orgKey])]);
    return { person: p ? p.name : "", org: o ? o.name : "" };
  }
  async all(kind) {
    const path = kind === "person" ? "/persons?limit=500&sort=name%20ASC" : "/organizations?limit=500&sort=name%20ASC";
    const list = await this.api("GET", path).catch(() => []);
    for (const x of list || []) this.remember(kind, x);
    return list || [];
  }
}

// ---- forms ----

// field is a labelled input with room for its error underneath.
let fieldSeq = 0;
export function field(label, name, { type = "text", value = "", options = null, required = false, placeholder = "", rows = 3, attrs = {} } = {}) {
  const id = "crm-f" + ++fieldSeq;
  let input;
  if (options) {
    input = h("select", { id, name, ...attrs }, ...options.map(([v, text]) => h("option", { value: v, selected: String(v) === String(value ?? "") }, text)));
  } else if (type === "textarea") {
    input = h("textarea", { id, name, rows, placeholder, ...attrs });
    input.value = value ?? "";
  } else {
    input = h("input", { id, name, type, placeholder, required, ...attrs });
    input.value = value ?? "";
  }
  const err = h("div", { class: "crm-ferr", id: id + "-err", "aria-live": "polite" });
  input.setAttribute("aria-describedby", err.id);
  return h("div", { class: "crm-field", "data-field": name }, h("label", { for: id }, label, required ? h("span", { class: "crm-req", "aria-hidden": "true" }, " *") : null), input, err);
}

export function clearErrors(form) {
  for (const e of form.querySelectorAll(".crm-ferr")) e.textContent = "";
  for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
  const g = form.querySelector(".crm-formerr");
  if (g) g.textContent = "";
}

// showErrors puts each of the API's errors[] under its input (email[0].value
// goes under "email"); what has no input goes to the form's own error line.
export function showErrors(form, err) {
  clearErrors(form);
  const rest = [];
  let first = null;
  for (const f of err.fields || []) {
    const base = String(f.field || "").split(/[.[]/)[0];
    const box = form.querySelector(`.crm-field[data-field="${CSS.escape(base)}"]`);
    if (!box) { rest.push(`${f.field}: ${f.message}`); continue; }
    const e = box.querySelector(".crm-ferr");
    e.textContent = e.textContent ? e.textContent + "; " + f.message : f.message;
    const input = box.querySelector("input, select, textarea");
    if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; }
  }
  const g = form.querySelector(".crm-formerr");
  if (g && (rest.length || !(err.fields || []).length)) g.textContent = rest.length ? rest.join(" · ") : err.message;
  else if (g && err.message && !first) g.textContent = err.message;
  if (first) first.focus();
}

export function formError() {
  return h("div", { class: "crm-formerr", role: "alert" });
}

// val reads a named input of a form ("" → null when nullable).
export function val(form, name) {
  const el = form.elements.namedItem(name);
  if (!el) return undefined;
  if (el.type === "checkbox") return el.checked;
  return el.value.trim();
}

export function numOrNull(s) {
  if (s === "" || s === undefined || s === null) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : s; // let the API say what is wrong
}

export function idOrNull(s) {
  return s ? Number(s) : null;
}

// ---- drawer ----

// Drawer is the detail panel on the right; Esc or × closes it.
export class Drawer {
  constructor(host, { onClose } = {}) {
    this.onClose = onClose;
    this.backdrop = h("div", { class: "crm-backdrop", hidden: true });
    this.backdrop.addEventListener("click", () => this.close());
    this.el = h("aside", { class: "crm-drawer", role: "dialog", "aria-modal": "false", "aria-labelledby": "crm-drawer-title", hidden: true, tabindex: -1 });
    this.onKey = (ev) => {
      if (ev.key === "Escape" && !this.el.hidden && !ev.defaultPrevented) {
        if (document.querySelector(".crm-menu")) return;
        ev.preventDefault();
        this.close();
      }
    };
    document.addEventListener("keydown", this.onKey);
    host.append(this.backdrop, this.el);
  }
  open({ title, kicker = "", actions = [], body = [] }) {
    this.lastFocus = this.el.hidden ? document.activeElement : this.lastFocus;
    const close = h("button", { class: "crm-icon", type: "button", "aria-label": "Close", title: "Close (Esc)" }, "×");
    close.addEventListener("click", () => this.close());
    this.titleEl = h("h2", { id: "crm-drawer-title" }, title);
    clear(this.el).append(
      h("div", { class: "crm-dhead" },
        h("div", { class: "crm-dtitle" }, kicker ? h("div", { class: "crm-kicker" }, kicker) : null, this.titleEl),
        h("div", { class: "crm-dactions" }, ...actions, close)),
      h("div", { class: "crm-dbody" }, ...body));
    this.el.hidden = false;
    this.backdrop.hidden = false;
    this.el.focus();
    return this.el;
  }
  setTitle(t) { if (this.titleEl) this.titleEl.textContent = t; }
  close() {
    if (this.el.hidden) return;
    this.el.hidden = true;
    this.backdrop.hidden = true;
    clear(this.el);
    if (this.onClose) this.onClose();
    if (this.lastFocus && this.lastFocus.isConnected) this.lastFocus.focus();
  }
  destroy() { document.removeEventListener("keydown", this.onKey); }
}

export function section(title, ...children) {
  return h("section", { class: "crm-sec" }, h("h3", {}, title), ...children);
}

// ---- notes and activities, shared by leads, deals, persons, organizations ----

export function notesSection(ctx, parentKey, parentId) {
  const { api } = ctx;
  const list = h("ol", { class: "crm-notes", "aria-label": "Notes" });
  const text = h("textarea", { name: "content", rows: 3, placeholder: "Write a note…", "aria-label": "New note" });
  const err = formError();
  const add = h("button", { class: "btn primary", type: "submit" }, "Add note");
  const form = h("form", { class: "crm-noteform" }, text, err, h("div", { class: "crm-row-end" }, add));
  async function load() {
    try {
      const notes = await api("GET", `/notes?${parentKey}=${encodeURIComponent(parentId)}&sort=add_time%20DESC&limit=100`);
      clear(list);
      if (!notes.length) list.append(h("li", { class: "crm-empty-sm" }, "No notes yet."));
      for (const n of notes) {
        const who = ctx.look.userName(n.user_id) || (n.user_id ? "User " + n.user_id : "Parley");
        list.append(h("li", { class: "crm-note", "data-id": n.id },
          h("div", { class: "crm-note-meta" }, h("strong", {}, who), " · ", h("time", { datetime: n.add_time, title: dateTime(n.add_time) }, ago(n.add_time))),
          h("div", { class: "crm-note-body" }, n.content)));
      }
    } catch (e) {
      clear(list).append(h("li", { class: "crm-empty-sm" }, "Notes could not load: " + e.message));
    }
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    if (!text.value.trim()) { text.focus(); return; }
    add.disabled = true;
    try {
      await api("POST", "/notes", { content: text.value, [parentKey]: parentId });
      text.value = "";
      await load();
    } catch (e) {
      err.textContent = e.message;
    } finally { add.disabled = false; }
  });
  load();
  return section("Notes", form, list);
}

const activityTypes = [["task", "Task"], ["call", "Call"], ["meeting", "Meeting"], ["email", "Email"], ["deadline", "Deadline"]];

export function activitiesSection(ctx, parentKey, parentId) {
  const { api, h: _h } = ctx; void _h;
  const list = h("ul", { class: "crm-acts", "aria-label": "Activities" });
  const form = h("form", { class: "crm-actform", "aria-label": "Add activity" },
    field("Subject", "subject", { required: true, placeholder: "Call back about pricing" }),
    field("Type", "type", { options: activityTypes, value: "call" }),
    field("Due", "due_date", { type: "date" }),
    h("div", { class: "crm-actbtn" }, h("button", { class: "btn", type: "submit" }, "Add")),
    formError());
  async function load() {
    try {
      const acts = await api("GET", `/activities?${parentKey}=${encodeURIComponent(parentId)}&limit=100`);
      clear(list);
      if (!acts.length) list.append(h("li", { class: "crm-empty-sm" }, "No activities planned."));
      acts.sort((a, b) => Number(a.done) - Number(b.done) || String(a.due_date || "9").localeCompare(String(b.due_date || "9")));
      for (const a of acts) {
        const box = h("input", { type: "checkbox", checked: a.done, "aria-label": "Done: " + a.subject });
        box.addEventListener("change", async () => {
          try { await api("PATCH", "/activities/" + a.id, { done: box.checked }); li.classList.toggle("done", box.checked); } catch { box.checked = !box.checked; }
        });
        const overdue = !a.done && a.due_date && a.due_date < new Date().toISOString().slice(0, 10);
        const li = h("li", { class: "crm-act" + (a.done ? " done" : "") },
          box,
          h("span", { class: "crm-act-type t-" + a.type }, a.type),
          h("span", { class: "crm-act-subj" }, a.subject),
          h("span", { class: "crm-act-due" + (overdue ? " overdue" : "") }, a.due_date ? shortDate(a.due_date + "T00:00:00") + (a.due_time ? " " + a.due_time : "") : ""));
        list.append(li);
      }
    } catch (e) {
      clear(list).append(h("li", { class: "crm-empty-sm" }, "Activities could not load: " + e.message));
    }
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api("POST", "/activities", { subject: val(form, "subject"), type: val(form, "type"), due_date: val(form, "due_date") || null, [parentKey]: parentId });
      form.reset();
      await load();
    } catch (e) { showErrors(form, e); }
  });
  load();
  return section("Activities", list, form);
}

// ---- tables ----

// table builds a data table; rows open on click or Enter.
export function table(columns, { caption, onOpen, empty = "Nothing here yet." } = {}) {
  const tbody = h("tbody");
  const t = h("table", { class: "crm-table" },
    caption ? h("caption", { class: "crm-sr" }, caption) : null,
    h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col", class: c.cls || "" }, c.label)))),
    tbody);
  const emptyEl = h("div", { class: "crm-empty", hidden: true }, empty);
  function row(obj, cells) {
    const tr = h("tr", { tabindex: 0, "data-id": obj.id }, ...cells.map((c, i) => h("td", { class: columns[i].cls || "" }, c)));
    tr.addEventListener("click", (ev) => { if (!ev.target.closest("a,button,input,select")) onOpen(obj, tr); });
    tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && ev.target === tr) { ev.preventDefault(); onOpen(obj, tr); } });
    return tr;
  }
  return {
    el: h("div", { class: "crm-tablewrap card" }, t, emptyEl),
    tbody,
    clear() { clear(tbody); emptyEl.hidden = true; },
    add(obj, cells) { const tr = row(obj, cells); tbody.append(tr); emptyEl.hidden = true; return tr; },
    replace(obj, cells) { const old = tbody.querySelector(`tr[data-id="${CSS.escape(String(obj.id))}"]`); const tr = row(obj, cells); if (old) old.replaceWith(tr); return tr; },
    done() { emptyEl.hidden = tbody.children.length > 0; },
  };
}

// pager pages a list through the API's cursor.
export function pager(ctx, onPage) {
  let next = null;
  const more = h("button", { class: "btn crm-more", type: "button", hidden: true }, "Load more");
  const status = h("span", { class: "muted crm-count", "aria-live": "polite" });
  let shown = 0;
  let path = "";
  async function fetchPage(reset) {
    const url = path + (path.includes("?") ? "&" : "?") + "limit=50" + (!reset && next ? "&cursor=" + encodeURIComponent(next) : "");
    more.disabled = true;
    try {
      const res = await ctx.api("GET", url, undefined, { raw: true });
      const rows = res.data || [];
      const pg = (res.additional_data && res.additional_data.pagination) || {};
      next = pg.more_items_in_collection ? pg.next_cursor || null : null;
      if (reset) shown = 0;
      shown += rows.length;
      await onPage(rows, reset);
      more.hidden = !next;
      status.textContent = shown === 1 ? "1 item" : `${shown}${next ? "+" : ""} items`;
    } finally { more.disabled = false; }
  }
  more.addEventListener("click", () => fetchPage(false));
  return {
    more, status,
    load(p) { path = p; next = null; return fetchPage(true); },
    reload() { next = null; return fetchPage(true); },
  };
}

// menu opens a small popup list of choices under an anchor button.
export function menu(anchor, items, onPick) {
  closeMenus();
  const m = h("div", { class: "crm-menu", role: "menu", "aria-label": anchor.getAttribute("aria-label") || "Menu" },
    ...items.map((it) => {
      const b = h("button", { type: "button", role: "menuitem", disabled: !!it.disabled, "data-value": it.value, ...(it.attrs || {}) }, it.label);
      b.addEventListener("click", () => { closeMenus(); onPick(it.value); });
      return b;
    }));
  m.addEventListener("keydown", (ev) => {
    const bs = [...m.querySelectorAll("button:not([disabled])")];
    const i = bs.indexOf(document.activeElement);
    if (ev.key === "ArrowDown") { ev.preventDefault(); (bs[i + 1] || bs[0]).focus(); }
    if (ev.key === "ArrowUp") { ev.preventDefault(); (bs[i - 1] || bs[bs.length - 1]).focus(); }
    if (ev.key === "Escape") { ev.preventDefault(); ev.stopPropagation(); closeMenus(); anchor.focus(); }
  });
  const r = anchor.getBoundingClientRect();
  m.style.top = `${r.bottom + window.scrollY + 4}px`;
  m.style.left = `${Math.max(8, Math.min(r.left + window.scrollX, window.innerWidth - 220))}px`;
  document.body.append(m);
  anchor.setAttribute("aria-expanded", "true");
  setTimeout(() => {
    const first = m.querySelector("button:not([disabled])");
    if (first) first.focus();
    document.addEventListener("click", outside, true);
  });
  function outside(ev) { if (!m.contains(ev.target)) closeMenus(); }
  m._cleanup = () => { document.removeEventListener("click", outside, true); anchor.removeAttribute("aria-expanded"); };
  return m;
}

export function closeMenus() {
  for (const m of document.querySelectorAll(".crm-menu")) { if (m._cleanup) m._cleanup(); m.remove(); }
}

export function toast(text, cls = "") {
  let box = document.querySelector(".crm-toasts");
  if (!box) { box = h("div", { class: "crm-toasts", role: "status", "aria-live": "polite" }); document.body.append(box); }
  const t = h("div", { class: "crm-toast " + cls }, text);
  box.append(t);
  setTimeout(() => t.remove(), 3500);
}

export function debounce(fn, ms) {
  let t;
  return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
}

// setQuery changes the URL's query string without remounting the view.
export function setQuery(params) {
  const u = new URL(location.href);
  for (const [k, v] of Object.entries(params)) { if (v === null || v === undefined || v === "") u.searchParams.delete(k); else u.searchParams.set(k, v); }
  history.replaceState(null, "", u.pathname + u.search);
}

export function ownerOptions(look, { none = true } = {}) {
  const opts = [...look.users.values()].filter((u) => u.active !== false).map((u) => [u.id, u.name]);
  return none ? [["", "— Nobody —"], ...opts] : opts;
}

export function personOptions(list) { return [["", "— None —"], ...list.map((p) => [p.id, p.name])]; }

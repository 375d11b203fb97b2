// The live chat page: folders and conversation list, the timeline with the
// composer, and the side panel (contact, deal, visitor). Everything comes
// from the REST API and the agent socket; nothing reloads the page.
//
// Safety: visitor text is only ever put in the DOM as text (h() builds text
// nodes). Bot events may carry server-rendered `html` for the widget; this
// page shows their plain `text`.
import { connectAgentSocket } from "./livechat-socket.js";

const FOLDERS = [
  { id: "unassigned", label: "Unassigned" },
  { id: "mine", label: "Mine" },
  { id: "closed", label: "Closed" },
  { id: "all", label: "All", admin: true },
];

const BOT_KINDS = new Set(["bot_message", "question", "invalid", "waiting", "offline", "end"]);

function ensureCSS() {
  if (document.getElementById("livechat-css")) return;
  const link = document.createElement("link");
  link.id = "livechat-css";
  link.rel = "stylesheet";
  link.href = "/app/static/livechat.css";
  document.head.append(link);
}

const hhmm = (t) => new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });

function ago(t) {
  const s = Math.max(0, (Date.now() - new Date(t).getTime()) / 1000);
  if (s < 60) return "now";
  if (s < 3600) return Math.floor(s / 60) + "m";
  if (s < 86400) return Math.floor(s / 3600) + "h";
  return new Date(t).toLocaleDateString([], { month: "short", day: "numeric" });
}

function initials(name) {
  return (name || "?").split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("") || "?";
}

function convName(c) {
  const p = (c.contact && c.contact.person) || {};
  return p.name || p.email || "Visitor #" + c.visitor_id;
}

function inFolder(c, folder, me) {
  switch (folder) {
    case "unassigned": return c.assignee_id == null && ["waiting", "offline", "active"].includes(c.state);
    case "mine": return c.assignee_id === me && c.state !== "closed";
    case "closed": return c.state === "closed";
    default: return true;
  }
}

// A short two-tone beep with WebAudio: no sound file to ship.
function beeper() {
  let ctx = null;
  const unlock = () => {
    if (!ctx) { try { ctx = new AudioContext(); } catch { ctx = null; } }
    if (ctx && ctx.state === "suspended") ctx.resume();
  };
  return {
    unlock,
    beep() {
      if (!ctx || ctx.state !== "running") return;
      const t = ctx.currentTime;
      for (const [i, f] of [[0, 880], [1, 1320]]) {
        const o = ctx.createOscillator();
        const g = ctx.createGain();
        o.frequency.value = f;
        g.gain.setValueAtTime(0.0001, t + i * 0.12);
        g.gain.exponentialRampToValueAtTime(0.15, t + i * 0.12 + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.12 + 0.11);
        o.connect(g).connect(ctx.destination);
        o.start(t + i * 0.12);
        o.stop(t + i * 0.12 + 0.12);
      }
    },
  };
}

export async function mount(el, { api, session, h }) {
  ensureCSS();
  el.classList.add("lc-host");
  const me = session.user.id;
  const admin = session.user.role === "admin";
  const cleanups = [];
  let mounted = true;
  cleanups.push(() => { mounted = false; });
  const on = (target, ev, fn, opts) => { target.addEventListener(ev, fn, opts); cleanups.push(() => target.removeEventListener(ev, fn, opts)); };

  const state = {
    folder: "unassigned",
    convs: new Map(),   // id → conversation view
    users: new Map(),   // id → user
    openId: null,
    open: null,         // { conv, events: Map seq→event, edits: Map seq→text, readSeq }
    replies: [],
    pendingClaim: new Set(),
    typingTimer: null,
    lastTypingSent: 0,
    editing: null,      // seq of the message being edited
    loaded: false,
    notifiedWaiting: new Set(),
  };
  const sound = beeper();
  // Notifications are also kept in a list the page's tests (and a curious
  // support engineer) can read: window.parleyNotifications.
  window.parleyNotifications = [];

  // ---- layout ----
  const folderBtns = new Map();
  const folderNav = h("nav", { class: "lc-folders", "aria-label": "Folders" },
    ...FOLDERS.filter((f) => !f.admin || admin).map((f) => {
      const badge = h("span", { class: "lc-badge", hidden: true });
      const b = h("button", { type: "button", class: "lc-folder", "data-folder": f.id }, h("span", {}, f.label), badge);
      b.addEventListener("click", () => selectFolder(f.id));
      folderBtns.set(f.id, { b, badge });
      return b;
    }));
  const list = h("ul", { class: "lc-list", role: "listbox", "aria-label": "Conversations" });
  const empty = h("div", { class: "lc-empty" }, "No conversations here.");
  const notifyBtn = h("button", { type: "button", class: "lc-link lc-notify" }, "Enable desktop notifications");
  const helpBtn = h("button", { type: "button", class: "lc-link", title: "Keyboard shortcuts (?)" }, "Shortcuts");
  const conn = h("span", { class: "lc-conn", title: "Realtime connection" }, "Connecting…");
  const left = h("aside", { class: "lc-left" },
    h("div", { class: "lc-left-head" }, h("h2", {}, "Inbox"), conn),
    folderNav, list, empty,
    h("footer", { class: "lc-left-foot" },
      h("p", { class: "muted", id: "whoami-detail" }, `Signed in as ${session.user.email} (${session.user.role}).`),
      h("div", { class: "lc-foot-actions" }, notifyBtn, helpBtn)));

  const title = h("h3", { class: "lc-title" });
  const subtitle = h("div", { class: "lc-subtitle" });
  const assignBtn = h("button", { type: "button", class: "btn primary lc-assign", title: "Assign to me (a)" }, "Assign to me");
  const closeBtn = h("button", { type: "button", class: "btn lc-close", title: "Close chat (e)" }, "Close chat");
  const transfer = h("select", { class: "lc-transfer", "aria-label": "Transfer" });
  const actions = h("div", { class: "lc-actions" }, transfer, assignBtn, closeBtn);
  const banner = h("div", { class: "lc-banner", role: "status", hidden: true });
  const timeline = h("div", { class: "lc-timeline", role: "log", "aria-live": "polite" });
  const typing = h("div", { class: "lc-typing", hidden: true }, h("span", { class: "lc-dots" }, h("i"), h("i"), h("i")), h("span", { class: "lc-typing-text" }));
  const input = h("textarea", { class: "lc-input", rows: 1, placeholder: "Write a reply…  (/ for saved replies)", "aria-label": "Message" });
  const sendBtn = h("button", { type: "submit", class: "btn primary lc-send" }, "Send");
  const replyMenu = h("ul", { class: "lc-replies", role: "listbox", hidden: true });
  const editHint = h("div", { class: "lc-edit-hint", hidden: true }, "Editing your last message · Esc to cancel");
  const composer = h("form", { class: "lc-composer" }, replyMenu, editHint,
    h("div", { class: "lc-compose-row" }, input, sendBtn),
    h("div", { class: "lc-hint" }, "Enter to send · Shift+Enter for a new line · ↑ edits your last message"));
  const lockNote = h("div", { class: "lc-lock" });
  const chatHead = h("header", { class: "lc-chat-head" }, h("div", { class: "lc-head-text" }, title, subtitle), actions);
  const placeholder = h("div", { class: "lc-placeholder" }, h("div", { class: "lc-ph-icon" }, "💬"), h("p", {}, "Select a conversation"), h("p", { class: "muted" }, "j / k to move, ? for all shortcuts"));
  const chat = h("section", { class: "lc-chat" }, placeholder);
  const chatBody = [chatHead, banner, timeline, typing, lockNote, composer];

  const side = h("aside", { class: "lc-side" });
  const help = h("div", { class: "lc-help", hidden: true, role: "dialog", "aria-label": "Keyboard shortcuts" },
    h("div", { class: "lc-help-card" }, h("h3", {}, "Keyboard shortcuts"),
      h("dl", {}, ...[["j / k", "Next / previous conversation"], ["a", "Assign to me"], ["e", "Close the chat"], ["/", "Reply, with saved replies"],
        ["Enter", "Send"], ["Shift+Enter", "New line"], ["↑", "Edit your last message"], ["Esc", "Cancel, close this list"], ["?", "Show this list"]]
        .flatMap(([k, v]) => [h("dt", {}, h("kbd", {}, k)), h("dd", {}, v)])),
      h("button", { type: "button", class: "btn", onclick: () => { help.hidden = true; } }, "Got it")));
  const root = h("div", { class: "lc" }, left, chat, side, help);
  el.append(root);

  // ---- data ----
  function upsert(c) {
    const old = state.convs.get(c.id);
    // Socket frames carry the bare conversation; keep the REST extras.
    const merged = old ? { ...old, ...c, contact: c.contact || old.contact, visitor: c.visitor || old.visitor, preview: c.preview || old.preview, assignee: c.assignee !== undefined ? c.assignee : old.assignee } : c;
    if (merged.assignee_id != null && (!merged.assignee || merged.assignee.id !== merged.assignee_id)) {
      const u = state.users.get(merged.assignee_id);
      merged.assignee = u ? { id: u.id, name: u.name } : null;
    }
    if (merged.assignee_id == null) merged.assignee = null;
    state.convs.set(c.id, merged);
    // Whichever source (socket frame or REST refresh) first sees a chat
    // enter the queue notifies, once per chat, for chats that arrive after
    // the page loaded.
    if (state.loaded && merged.state === "waiting" && !state.notifiedWaiting.has(c.id)) {
      state.notifiedWaiting.add(c.id);
      notifyWaiting(merged);
    }
    return { old, c: merged };
  }

  async function loadFolders() {
    const fs = ["unassigned", "mine", "closed"].concat(admin ? ["all"] : []);
    const lists = await Promise.all(fs.map((f) => api("GET", "/conversations?folder=" + f + "&limit=200").catch(() => [])));
    for (const l of lists) for (const c of l) upsert(c);
  }

  function visible() {
    return [...state.convs.values()].filter((c) => inFolder(c, state.folder, me))
      .sort((a, b) => (b.last_event_at || "").localeCompare(a.last_event_at || ""));
  }

  // ---- list ----
  function renderFolders() {
    for (const f of FOLDERS) {
      const x = folderBtns.get(f.id);
      if (!x) continue;
      x.b.classList.toggle("on", f.id === state.folder);
      x.b.setAttribute("aria-pressed", String(f.id === state.folder));
      const cs = [...state.convs.values()].filter((c) => inFolder(c, f.id, me));
      let n = 0;
      if (f.id === "unassigned") n = cs.filter((c) => c.state === "waiting" || c.unread > 0).length || cs.length;
      else if (f.id === "mine") n = cs.reduce((s, c) => s + (c.unread || 0), 0);
      x.badge.hidden = n === 0 || f.id === "closed";
      x.badge.textContent = String(n);
      x.badge.classList.toggle("hot", f.id !== "unassigned" || cs.some((c) => c.state === "waiting"));
    }
  }

  function previewText(c) {
    if (!c.preview) return c.state === "waiting" ? "Waiting for an agent" : "";
    const who = c.preview.author === "visitor" ? "" : c.preview.author === "bot" ? "Bot: " : "You: ";
    return who + (c.preview.text || "");
  }

  function renderList() {
    renderFolders();
    const cs = visible();
    list.replaceChildren(...cs.map((c) => {
      const li = h("li", { class: "lc-item" + (c.id === state.openId ? " on" : "") + (c.unread > 0 ? " unread" : ""), role: "option", "data-id": c.id, "aria-selected": String(c.id === state.openId), tabindex: -1 },
        h("span", { class: "lc-avatar s-" + c.state }, initials(convName(c))),
        h("div", { class: "lc-item-main" },
          h("div", { class: "lc-item-top" }, h("span", { class: "lc-item-name" }, convName(c)), h("time", { class: "lc-item-time" }, ago(c.last_event_at))),
          h("div", { class: "lc-item-bottom" },
            h("span", { class: "lc-item-preview" }, previewText(c)),
            c.unread > 0 ? h("span", { class: "lc-unread" }, String(c.unread)) : null,
            h("span", { class: "lc-pill s-" + c.state }, c.state === "active" && c.assignee ? c.assignee.name : c.state))));
      li.addEventListener("click", () => openConversation(c.id));
      return li;
    }));
    empty.hidden = cs.length > 0;
  }

  function selectFolder(f) {
    state.folder = f;
    renderList();
  }

  // ---- timeline ----
  function sys(text, cls = "") {
    return h("div", { class: "lc-sys " + cls }, h("span", {}, text));
  }

  function evText(e) {
    const d = e.data || {};
    if (e.kind === "answer") return d.label || (d.value == null ? "" : String(d.value));
    return d.text == null ? "" : String(d.text);
  }

  function renderEvent(e, o) {
    const d = e.data || {};
    const at = hhmm(e.at);
    if (BOT_KINDS.has(e.kind)) {
      const extra = e.kind === "question" && Array.isArray(d.options)
        ? h("div", { class: "lc-options" }, ...d.options.map((op) => h("span", { class: "lc-chip" }, op.label || "")))
        : null;
      const tag = e.kind === "waiting" ? "Asked for a human" : e.kind === "offline" ? "Nobody answered in time" : null;
      return h("div", { class: "lc-msg bot", "data-seq": e.seq },
        h("div", { class: "lc-bubble" }, evText(e), extra),
        h("div", { class: "lc-meta" }, "Bot · " + at, tag ? h("span", { class: "lc-tag" }, tag) : null));
    }
    switch (e.kind) {
      case "visitor_message":
      case "answer":
        return h("div", { class: "lc-msg visitor", "data-seq": e.seq },
          h("div", { class: "lc-bubble" }, evText(e)),
          h("div", { class: "lc-meta" }, convName(o.conv) + " · " + at));
      case "agent_message": {
        const edited = o.edits.get(e.seq);
        const mine = e.author === "agent:" + me;
        const seen = o.readSeq >= e.seq;
        return h("div", { class: "lc-msg agent" + (mine ? " own" : ""), "data-seq": e.seq },
          h("div", { class: "lc-bubble" }, edited != null ? edited : evText(e)),
          h("div", { class: "lc-meta" }, ((d.agent && d.agent.name) || "Agent") + " · " + at, edited != null ? " · edited" : "",
            h("span", { class: "lc-receipt" + (seen ? " seen" : "") }, seen ? " · Seen" : " · Sent")));
      }
      case "agent_joined": return sys(((d.agent && d.agent.name) || "An agent") + " joined · " + at);
      case "agent_left": return sys(((d.agent && d.agent.name) || "The agent") + " left · " + at);
      case "closed": return sys("Chat closed · " + at);
      case "captured": {
        const what = d.create === "deal" ? "Deal" : "Lead";
        return sys(what + " created · " + at, "lc-sys-crm");
      }
      case "log": return sys(String(d.message || "") + " · " + at, "lc-sys-log");
      case "prechat": return sys("Pre-chat form: " + Object.values(d.fields || {}).join(" · ") + " · " + at);
      default: return null; // read, message_edited: folded into others
    }
  }

  function renderTimeline({ keepScroll = false } = {}) {
    const o = state.open;
    if (!o) return;
    const atBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 40;
    const nodes = [];
    let day = "";
    for (const e of [...o.events.values()].sort((a, b) => a.seq - b.seq)) {
      const dd = new Date(e.at).toDateString();
      if (dd !== day) { day = dd; nodes.push(h("div", { class: "lc-day" }, new Date(e.at).toLocaleDateString([], { weekday: "long", month: "long", day: "numeric" }))); }
      const n = renderEvent(e, o);
      if (n) nodes.push(n);
    }
    timeline.replaceChildren(...nodes);
    if (!keepScroll || atBottom) timeline.scrollTop = timeline.scrollHeight;
  }

  function addEvent(e) {
    const o = state.open;
    if (!o || e.conversation_id !== o.conv.id || o.events.has(e.seq)) return false;
    o.events.set(e.seq, e);
    if (e.kind === "message_edited") o.edits.set(e.data.seq, e.data.text);
    if (e.kind === "read") o.readSeq = Math.max(o.readSeq, e.data.seq || 0);
    return true;
  }

  // ---- header, composer, side panel ----
  function myChat(c) { return c.assignee_id === me && c.state !== "closed"; }

  function renderHead() {
    const o = state.open;
    if (!o) return;
    const c = o.conv;
    title.textContent = convName(c);
    const bits = [c.state === "active" && c.assignee ? "With " + c.assignee.name : { waiting: "Waiting for an agent", offline: "Offline — nobody answered yet", bot: "Talking to the bot", closed: "Closed", active: "Unassigned" }[c.state]];
    if (c.group) bits.push("Group " + c.group);
    if (c.visitor && c.visitor.current_title) bits.push("on " + c.visitor.current_title);
    subtitle.replaceChildren(h("span", { class: "lc-pill s-" + c.state }, c.state), " ", bits.filter(Boolean).join(" · "));
    const claimable = c.assignee_id == null && c.state !== "closed";
    assignBtn.hidden = !claimable;
    closeBtn.hidden = c.state === "closed" || (!admin && c.assignee_id != null && c.assignee_id !== me);
    const canMove = c.state === "active" && (admin || c.assignee_id === me);
    transfer.hidden = !canMove;
    if (canMove) {
      transfer.replaceChildren(h("option", { value: "" }, "Transfer…"),
        h("option", { value: "queue" }, "Back to the queue"),
        ...[...state.users.values()].filter((u) => u.id !== c.assignee_id && u.active)
          .sort((a, b) => (a.status === "online" ? 0 : 1) - (b.status === "online" ? 0 : 1) || a.name.localeCompare(b.name))
          .map((u) => h("option", { value: String(u.id) }, u.name + (u.status === "online" ? " · online" : ""))));
    }
    const mine = myChat(c);
    composer.hidden = !mine;
    lockNote.hidden = mine;
    lockNote.textContent = c.state === "closed" ? "This chat is closed. You can still create a lead or deal from it." :
      claimable ? "Assign this chat to yourself to reply." : c.assignee ? "Assigned to " + c.assignee.name + "." : "";
  }

  function field(label, name, value, attrs = {}) {
    const inp = h(attrs.tag || "input", { name, "aria-label": label, ...attrs, tag: null });
    inp.value = value == null ? "" : String(value);
    return h("label", { class: "lc-field" }, h("span", {}, label), inp);
  }

  function detail(label, value) {
    return value ? h("div", { class: "lc-detail" }, h("dt", {}, label), h("dd", {}, value)) : null;
  }

  function localTime(tz) {
    if (!tz) return "";
    try { return new Date().toLocaleTimeString([], { timeZone: tz, hour: "2-digit", minute: "2-digit", hour12: false }) + " (" + tz + ")"; } catch { return tz; }
  }

  function renderSide() {
    const o = state.open;
    if (!o) { side.replaceChildren(); return; }
    const c = o.conv;
    const p = (c.contact && c.contact.person) || {};
    const org = (c.contact && c.contact.organization) || {};
    const deal = (c.contact && c.contact.deal) || {};
    const pv = o.person || {};
    // What the agent typed wins over what the bot collected, and survives
    // the re-renders live events cause.
    const dr = (o.draft ||= {});
    const val = (k, def) => (k in dr ? dr[k] : def);
    const form = h("form", { class: "lc-panel", "aria-label": "Contact" },
      h("h4", {}, "Person"),
      field("Name", "person_name", val("person_name", pv.name || p.name)),
      field("Email", "email", val("email", (pv.email && pv.email[0] && pv.email[0].value) || p.email), { type: "email" }),
      field("Phone", "phone", val("phone", (pv.phone && pv.phone[0] && pv.phone[0].value) || p.phone), { type: "tel" }),
      h("h4", {}, "Organization"),
      field("Name", "org_name", val("org_name", org.name)),
      field("Address", "org_address", val("org_address", org.address)),
      h("h4", {}, "Deal"),
      h("div", { class: "lc-row2" },
        field("Value", "value", val("value", deal.value), { type: "number", min: "0", step: "any", inputmode: "decimal" }),
        field("Expected close", "expected_close_date", val("expected_close_date", deal.expected_close_date), { type: "date" })),
      field("Notes", "note", val("note", ""), { tag: "textarea", rows: 3 }),
      h("div", { class: "lc-panel-actions" },
        h("button", { type: "button", class: "btn lc-create-lead", "data-create": "lead" }, "Create lead"),
        h("button", { type: "button", class: "btn primary lc-create-deal", "data-create": "deal" }, "Create deal")),
      h("div", { class: "lc-panel-msg", role: "status" }));
    const links = h("div", { class: "lc-links" },
      c.lead_id ? h("a", { class: "lc-crm-link lead", href: "/app/crm?lead=" + encodeURIComponent(c.lead_id) }, "Lead in CRM →") : null,
      c.deal_id ? h("a", { class: "lc-crm-link deal", href: "/app/crm?deal=" + encodeURIComponent(c.deal_id) }, "Deal #" + c.deal_id + " in CRM →") : null);
    for (const b of form.querySelectorAll("button[data-create]")) b.addEventListener("click", () => createFromPanel(form, b.dataset.create));
    form.addEventListener("input", (ev) => { if (ev.target.name) dr[ev.target.name] = ev.target.value; });
    form.addEventListener("submit", (ev) => ev.preventDefault());
    const v = c.visitor || {};
    const pages = (v.pages || []).slice(-6).reverse();
    const vis = h("section", { class: "lc-visitor" }, h("h4", {}, "Visitor"),
      h("dl", {},
        detail("Current page", v.current_url ? h("a", { href: v.current_url, target: "_blank", rel: "noopener noreferrer" }, v.current_title || v.current_url) : null),
        detail("Referrer", v.referrer),
        detail("Browser", [v.browser, v.os].filter(Boolean).join(" on ") + (v.device ? " · " + v.device : "")),
        detail("Local time", localTime(v.timezone)),
        detail("Language", v.language),
        detail("Visits", v.visits ? String(v.visits) : "")),
      pages.length ? h("div", { class: "lc-pages" }, h("h5", {}, "Pages visited"),
        h("ol", {}, ...pages.map((pg) => h("li", {}, h("span", { class: "lc-page-title" }, pg.title || pg.url), h("time", {}, hhmm(pg.at)))))) : null);
    side.replaceChildren(h("div", { class: "lc-side-scroll" }, h("section", {}, h("h3", {}, "Details"), form, links), vis));
  }

  async function createFromPanel(form, create) {
    const o = state.open;
    if (!o) return;
    const msg = form.querySelector(".lc-panel-msg");
    const fd = new FormData(form);
    const body = {};
    for (const k of ["person_name", "email", "phone", "org_name", "org_address", "expected_close_date", "note"]) body[k] = String(fd.get(k) || "").trim();
    const v = String(fd.get("value") || "").trim();
    if (v !== "") body.value = Number(v);
    if (!body.expected_close_date) delete body.expected_close_date;
    msg.textContent = "Creating…";
    msg.className = "lc-panel-msg";
    try {
      const res = await api("POST", `/conversations/${o.conv.id}/${create}`, body);
      if (res.lead_id) o.conv.lead_id = res.lead_id;
      if (res.deal_id) o.conv.deal_id = res.deal_id;
      upsert(o.conv);
      if (res.event) { addEvent(res.event); renderTimeline({ keepScroll: true }); }
      renderSide();
      const m = side.querySelector(".lc-panel-msg");
      m.textContent = res.existing ? `This chat already has a ${create}.` : `${create === "deal" ? "Deal" : "Lead"} created.`;
      m.className = "lc-panel-msg ok";
    } catch (err) {
      msg.textContent = err.fields && err.fields.length ? err.fields.map((f) => f.field + " " + f.message).join("; ") : err.message;
      msg.className = "lc-panel-msg bad";
    }
  }

  // ---- opening a conversation ----
  // The folder that shows a conversation to this agent: Mine, Unassigned or
  // Closed (All for an admin when none does).
  function folderOf(c) {
    return ["mine", "unassigned", "closed"].find((f) => inFolder(c, f, me)) || (admin ? "all" : state.folder);
  }
  function reveal(c) {
    if (c && !inFolder(c, state.folder, me)) state.folder = folderOf(c);
  }
  // The open chat is in the URL (?c=ID, as the CRM links to it), so that a
  // reload or a shared link opens it again.
  function syncURL(id) {
    if (!mounted) return;
    const u = new URL(location.href);
    if (u.searchParams.get("c") === id) return;
    u.searchParams.set("c", id);
    history.replaceState(history.state, "", u.pathname + u.search + u.hash);
  }

  // openConversation shows a chat. With reveal (a link to it), the folder
  // switches to the one that holds it, fetched first when the page does not
  // know it yet.
  async function openConversation(id, opts = {}) {
    if (!id) return;
    state.openId = id;
    state.editing = null;
    banner.hidden = true;
    syncURL(id);
    if (opts.reveal) reveal(state.convs.get(id));
    renderList();
    let conv, events;
    try {
      [conv, events] = await Promise.all([api("GET", "/conversations/" + id), api("GET", `/conversations/${id}/events`)]);
    } catch (err) {
      if (state.openId !== id) return;
      chat.replaceChildren(placeholder);
      placeholder.querySelector("p").textContent = err.status === 404 ? "This conversation is not yours to see any more." : err.message;
      return;
    }
    if (state.openId !== id) return;
    upsert(conv);
    if (opts.reveal) reveal(state.convs.get(id));
    const o = { conv: state.convs.get(id), events: new Map(), edits: new Map(), readSeq: conv.visitor_read_seq || 0, person: null };
    state.open = o;
    for (const e of events) addEvent(e);
    chat.replaceChildren(...chatBody);
    typing.hidden = true;
    renderHead();
    renderTimeline();
    renderSide();
    renderList();
    markRead();
    if (conv.person_id) api("GET", "/persons/" + conv.person_id).then((p) => { if (state.open === o) { o.person = p; renderSide(); } }).catch(() => {});
    if (myChat(o.conv)) input.focus();
  }

  let readTimer = null;
  function markRead() {
    const o = state.open;
    if (!o || !(o.conv.unread > 0) || document.hidden) return;
    if (!(o.conv.assignee_id === me || admin)) return;
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      api("POST", `/conversations/${o.conv.id}/read`).then(() => { o.conv.unread = 0; upsert(o.conv); renderList(); }).catch(() => {});
    }, 300);
  }

  function showBanner(text, cls = "") {
    banner.textContent = text;
    banner.className = "lc-banner " + cls;
    banner.hidden = false;
  }

  function userName(id) {
    const u = state.users.get(id);
    return u ? u.name : "another agent";
  }

  // ---- commands ----
  async function assignToMe() {
    const o = state.open;
    if (!o || o.conv.assignee_id != null || o.conv.state === "closed") return;
    state.pendingClaim.add(o.conv.id);
    assignBtn.disabled = true;
    try {
      const c = await api("POST", `/conversations/${o.conv.id}/assign`, { user_id: me });
      upsert(c);
      o.conv = state.convs.get(c.id);
      state.folder = "mine";
      renderHead();
      renderList();
      input.focus();
    } catch (err) {
      if (err.status === 409) {
        const m = /assigned to (.+?)(: conflict)?$/.exec(err.message);
        showBanner("Taken by " + (m ? m[1] : "another agent"), "taken");
      } else showBanner(err.message, "bad");
    } finally {
      assignBtn.disabled = false;
      state.pendingClaim.delete(o.conv.id);
    }
  }

  async function closeChat() {
    const o = state.open;
    if (!o || o.conv.state === "closed" || closeBtn.hidden) return;
    try {
      const c = await api("POST", `/conversations/${o.conv.id}/close`);
      upsert(c);
      o.conv = state.convs.get(c.id);
      renderHead();
      renderList();
    } catch (err) { showBanner(err.message, "bad"); }
  }

  transfer.addEventListener("change", async () => {
    const o = state.open;
    const v = transfer.value;
    if (!o || !v) return;
    try {
      const c = await api("POST", `/conversations/${o.conv.id}/assign`, { user_id: v === "queue" ? null : Number(v) });
      upsert(c);
      o.conv = state.convs.get(c.id);
      renderHead();
      renderList();
      showBanner(v === "queue" ? "Back in the queue." : "Transferred to " + userName(Number(v)) + ".");
    } catch (err) { showBanner(err.message, "bad"); }
  });
  assignBtn.addEventListener("click", assignToMe);
  closeBtn.addEventListener("click", closeChat);

  function lastOwnMessage() {
    const o = state.open;
    if (!o) return null;
    const own = [...o.events.values()].filter((e) => e.kind === "agent_message" && e.author === "agent:" + me).sort((a, b) => b.seq - a.seq);
    return own[0] || null;
  }

  async function send() {
    const o = state.open;
    const text = input.value.trim();
    if (!o || !text) return;
    input.value = "";
    autosize();
    try {
      if (state.editing) {
        const seq = state.editing;
        stopEditing();
        const e = await api("PATCH", `/conversations/${o.conv.id}/messages/${seq}`, { text });
        addEvent(e);
      } else {
        await api("POST", `/conversations/${o.conv.id}/messages`, { client_id: crypto.randomUUID(), text });
        // The event itself arrives on the socket; fetch in case it is down.
        const evs = await api("GET", `/conversations/${o.conv.id}/events?after_seq=${Math.max(0, ...o.events.keys())}`);
        for (const e of evs) addEvent(e);
      }
      renderTimeline();
    } catch (err) {
      input.value = text;
      showBanner(err.message, "bad");
    }
  }

  function stopEditing() {
    state.editing = null;
    editHint.hidden = true;
    composer.classList.remove("editing");
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(160, input.scrollHeight) + "px";
  }

  // Saved replies: `/keyword` at the start of the composer.
  let replyIndex = 0;
  function replyMatches() {
    const m = /^\/(\S*)$/.exec(input.value);
    if (!m) return null;
    const q = m[1].toLowerCase();
    return state.replies.filter((r) => r.shortcut.toLowerCase().includes(q) || r.text.toLowerCase().includes(q)).slice(0, 8);
  }
  function renderReplies() {
    const ms = replyMatches();
    if (!ms) { replyMenu.hidden = true; return; }
    replyIndex = Math.min(replyIndex, Math.max(0, ms.length - 1));
    replyMenu.replaceChildren(...(ms.length ? ms.map((r, i) => {
      const li = h("li", { class: "lc-reply" + (i === replyIndex ? " on" : ""), role: "option" }, h("b", {}, "/" + r.shortcut), h("span", {}, r.text));
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); pickReply(r); });
      return li;
    }) : [h("li", { class: "lc-reply none" }, state.replies.length ? "No saved reply matches." : "No saved replies yet.")]));
    replyMenu.hidden = false;
  }
  function pickReply(r) {
    input.value = r.text;
    replyMenu.hidden = true;
    autosize();
    input.focus();
  }

  input.addEventListener("keydown", (ev) => {
    const ms = replyMenu.hidden ? null : replyMatches();
    if (ms && ms.length) {
      if (ev.key === "ArrowDown") { ev.preventDefault(); replyIndex = (replyIndex + 1) % ms.length; renderReplies(); return; }
      if (ev.key === "ArrowUp") { ev.preventDefault(); replyIndex = (replyIndex - 1 + ms.length) % ms.length; renderReplies(); return; }
      if (ev.key === "Enter" || ev.key === "Tab") { ev.preventDefault(); pickReply(ms[replyIndex]); return; }
    }
    if (ev.key === "Escape") {
      if (!replyMenu.hidden) { replyMenu.hidden = true; return; }
      if (state.editing) { stopEditing(); input.value = ""; autosize(); return; }
      input.blur();
      return;
    }
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); send(); return; }
    if (ev.key === "ArrowUp" && input.value.trim() === "") {
      const last = lastOwnMessage();
      if (!last) return;
      ev.preventDefault();
      state.editing = last.seq;
      input.value = state.open.edits.get(last.seq) ?? last.data.text;
      editHint.hidden = false;
      composer.classList.add("editing");
      autosize();
    }
  });
  input.addEventListener("input", () => {
    autosize();
    replyIndex = input.value === "/" ? 0 : replyIndex;
    renderReplies();
    const o = state.open;
    if (o && myChat(o.conv) && input.value && Date.now() - state.lastTypingSent > 2500) {
      state.lastTypingSent = Date.now();
      api("POST", `/conversations/${o.conv.id}/typing`).catch(() => {});
    }
  });
  input.addEventListener("blur", () => { setTimeout(() => { replyMenu.hidden = true; }, 100); });
  composer.addEventListener("submit", (ev) => { ev.preventDefault(); send(); });

  // ---- notifications ----
  function notify(title, body, convId) {
    window.parleyNotifications.push({ title, body, conversation: convId, at: Date.now() });
    sound.beep();
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (!document.hidden && state.openId === convId) return;
    try {
      const n = new Notification(title, { body, tag: convId, icon: "/app/static/icon.svg" });
      n.onclick = () => { window.focus(); openConversation(convId); n.close(); };
    } catch { /* some browsers only allow notifications from a service worker */ }
  }
  function renderNotifyBtn() {
    const p = "Notification" in window ? Notification.permission : "unsupported";
    notifyBtn.hidden = p === "granted" || p === "unsupported";
    notifyBtn.textContent = p === "denied" ? "Notifications are blocked" : "Enable desktop notifications";
  }
  notifyBtn.addEventListener("click", async () => {
    sound.unlock();
    if ("Notification" in window) await Notification.requestPermission();
    renderNotifyBtn();
  });
  helpBtn.addEventListener("click", () => { help.hidden = !help.hidden; });
  // Browsers only start audio after a user gesture.
  on(document, "pointerdown", sound.unlock, { passive: true });
  on(document, "keydown", sound.unlock);

  // New chats notify online agents, of the card's group when it names one.
  function notifyWaiting(c) {
    if (session.user.status !== "online") return;
    const g = c.group;
    const mine = myGroups();
    if (!g || admin || mine.size === 0 || [...mine].some((id) => groupNames.get(id) === g)) notify("New chat waiting", convName(c) + " asked for a human", c.id);
  }

  function myGroups() {
    return new Set([...state.users.values()].filter((u) => u.id === me).flatMap((u) => u.groups || []));
  }
  const groupNames = new Map();

  // ---- socket ----
  // Socket frames carry the bare conversation; the REST view adds the
  // visitor, the contact the bot collected and the preview. Fetch it when a
  // chat is new to the page or changes state (one request at a time per chat).
  const refreshing = new Set();
  function refresh(id) {
    if (refreshing.has(id)) return;
    refreshing.add(id);
    api("GET", "/conversations/" + id).then((cv) => {
      upsert(cv);
      if (state.open && state.open.conv.id === id) { state.open.conv = state.convs.get(id); renderHead(); }
      renderList();
    }).catch(() => {}).finally(() => refreshing.delete(id));
  }

  function onConversation(name, data) {
    if (data.gone) {
      const c = state.convs.get(data.id);
      state.convs.delete(data.id);
      if (state.openId === data.id && !state.pendingClaim.has(data.id)) {
        showBanner("Taken by " + (data.assignee_id ? userName(data.assignee_id) : "another agent"), "taken");
        assignBtn.hidden = true;
        composer.hidden = true;
      }
      if (c) renderList();
      return;
    }
    const { old, c } = upsert(data);
    if (!old || !old.contact || old.state !== c.state) refresh(c.id);
    if (state.open && state.open.conv.id === c.id) {
      state.open.conv = c;
      renderHead();
      if (name === "conversation.assigned" || (old && old.state !== c.state)) renderSide();
    }
    renderList();
    if (name === "conversation.assigned" && c.assignee_id === me && !state.pendingClaim.has(c.id) && !(old && old.assignee_id === me)) {
      notify("Chat assigned to you", convName(c), c.id);
    }
  }

  function onMessage(name, ev) {
    const c = state.convs.get(ev.conversation_id);
    if (c) {
      if (["visitor_message", "answer", "agent_message", "bot_message", "question", "waiting", "offline", "end"].includes(ev.kind)) {
        c.preview = { kind: ev.kind, text: evText(ev), author: ev.author, at: ev.at };
      }
      c.last_event_at = ev.at;
      if (ev.kind === "prechat") { // the answers go into the person fields, as the bot's do (contact)
        const ct = (c.contact ||= {});
        for (const [k, v] of Object.entries(ev.data.fields || {})) {
          const [obj, key] = k.split(".");
          ((ct[obj] ||= {}))[key] = v;
        }
      }
      if (ev.kind === "captured") {
        if (ev.data.lead_id) c.lead_id = ev.data.lead_id;
        if (ev.data.deal_id) c.deal_id = ev.data.deal_id;
      }
    } else if (ev.kind !== "read") {
      // A chat this page has not listed yet (e.g. one that just came back).
      api("GET", "/conversations/" + ev.conversation_id).then((cv) => { upsert(cv); renderList(); }).catch(() => {});
    }
    if (addEvent(ev)) {
      if (ev.kind === "visitor_message" || ev.kind === "answer") typing.hidden = true;
      renderTimeline({ keepScroll: true });
      if (ev.kind === "captured" || ev.kind === "prechat") renderSide();
      markRead();
    }
    renderList();
    if (ev.kind === "visitor_message" && c && c.assignee_id === me) notify("New message from " + convName(c), evText(ev), c.id);
  }

  function onTyping(d) {
    const o = state.open;
    if (!o || d.conversation_id !== o.conv.id) return;
    typing.querySelector(".lc-typing-text").textContent = convName(o.conv) + " is typing" + (d.text ? ": " + d.text : "…");
    typing.hidden = false;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => { typing.hidden = true; }, 5000);
  }

  function onStatus(d) {
    const u = state.users.get(d.user_id);
    if (u) u.status = d.status;
    if (d.user_id === me && session.user.status !== d.status) {
      session.user.status = d.status;
      const sel = document.querySelector("select.status");
      if (sel) sel.value = d.status;
      const dot = document.querySelector(".me .dot");
      if (dot) dot.className = "dot " + d.status;
    }
    if (state.open) renderHead();
  }

  const socket = connectAgentSocket({
    onState(s) { conn.textContent = { open: "Live", connecting: "Connecting…", closed: "Reconnecting…" }[s] || s; conn.className = "lc-conn " + s; },
    async onReset() { await loadFolders(); renderList(); if (state.openId) openConversation(state.openId); },
    onEvent(name, data) {
      switch (name) {
        case "conversation.created": case "conversation.updated": case "conversation.assigned": case "conversation.closed":
          onConversation(name, data); break;
        case "message.created": case "lead.created": case "deal.created":
          onMessage(name, data); break;
        case "visitor.typing": onTyping(data); break;
        case "visitor.page": {
          const o = state.open;
          if (o && data.conversation_id === o.conv.id && o.conv.visitor) {
            o.conv.visitor.current_url = data.page.url;
            o.conv.visitor.current_title = data.page.title;
            (o.conv.visitor.pages ||= []).push({ url: data.page.url, title: data.page.title, at: new Date().toISOString() });
            renderSide();
            renderHead();
          }
          break;
        }
        case "agent.status": onStatus(data); break;
      }
    },
  });
  cleanups.push(() => socket.close());

  const statusListener = (ev) => { session.user.status = ev.detail; onStatus({ user_id: me, status: ev.detail }); };
  on(window, "parley:status", statusListener);
  on(document, "visibilitychange", markRead);

  // ---- keyboard ----
  on(document, "keydown", (ev) => {
    const t = ev.target;
    if (ev.metaKey || ev.ctrlKey || ev.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
    if (ev.key === "Escape") { help.hidden = true; return; }
    if (ev.key === "?") { ev.preventDefault(); help.hidden = !help.hidden; return; }
    if (ev.key === "j" || ev.key === "k") {
      const cs = visible();
      if (!cs.length) return;
      const i = cs.findIndex((c) => c.id === state.openId);
      const n = ev.key === "j" ? Math.min(cs.length - 1, i + 1) : Math.max(0, i < 0 ? 0 : i - 1);
      openConversation(cs[n].id);
      ev.preventDefault();
      return;
    }
    if (ev.key === "a") { ev.preventDefault(); assignToMe(); return; }
    if (ev.key === "e") { ev.preventDefault(); closeChat(); return; }
    if (ev.key === "/" && state.open && !composer.hidden) {
      ev.preventDefault();
      input.focus();
      if (!input.value) { input.value = "/"; replyIndex = 0; renderReplies(); }
    }
  });

  // ---- start ----
  const tick = setInterval(() => { for (const el of list.querySelectorAll(".lc-item")) { const c = state.convs.get(el.dataset.id); const tm = el.querySelector(".lc-item-time"); if (c && tm) tm.textContent = ago(c.last_event_at); } }, 30000);
  cleanups.push(() => clearInterval(tick));
  renderNotifyBtn();
  try {
    const [users, replies, groups] = await Promise.all([api("GET", "/users"), api("GET", "/savedReplies").catch(() => []), api("GET", "/groups").catch(() => [])]);
    for (const u of users) state.users.set(u.id, u);
    state.replies = replies;
    for (const g of groups) groupNames.set(g.id, g.name);
  } catch { /* the page still works without names */ }
  await loadFolders();
  for (const c of state.convs.values()) if (c.state === "waiting") state.notifiedWaiting.add(c.id);
  state.loaded = true;
  if (!visible().length && [...state.convs.values()].some((c) => inFolder(c, "mine", me))) state.folder = "mine";
  renderList();
  const linked = new URLSearchParams(location.search).get("c");
  if (linked) openConversation(linked, { reveal: true });

  return () => {
    for (const f of cleanups) f();
    clearTimeout(readTimer);
    clearTimeout(state.typingTimer);
    el.classList.remove("lc-host");
  };
}

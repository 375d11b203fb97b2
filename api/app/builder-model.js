// The builder's document model: the JSON form of a playbook, exactly the
// shape of its YAML (spec/playbook.md), plus the order of its cards kept
// apart (a JavaScript object puts integer-like keys first). Everything here
// is pure data manipulation; the server parses, validates and exports.

export const LANGS = ["en", "fr", "es", "pt"];
export const INPUTS = ["text", "email", "phone", "number", "url", "date", "name", "organization"];
export const BUILTIN_SAVES = ["person.name", "person.email", "person.phone", "organization.name", "organization.address", "deal.value", "deal.expected_close_date"];
export const FIELD_TYPES = ["text", "number", "date", "bool"];

// The card types, the keys each takes (in the canonical order of the
// export) and what a new card of the type starts with.
export const TYPES = {
  message: { label: "Message", icon: "💬", color: "#6366f1", keys: ["text", "next"], init: () => ({ text: "New message" }) },
  question: { label: "Question", icon: "❓", color: "#0ea5e9", keys: ["text", "options", "input", "save", "required", "invalid", "next"], init: () => ({ text: "New question?", options: [{ label: "Yes" }, { label: "No" }] }) },
  form: { label: "Form", icon: "📝", color: "#14b8a6", keys: ["text", "fields", "next"], init: () => ({ text: "Tell us about yourself.", fields: [{ save: "person.name", label: "Your name", input: "name" }] }) },
  livechat: { label: "Live chat", icon: "🎧", color: "#f59e0b", keys: ["online_message", "wait", "offline_message", "offline", "group"], init: () => ({ online_message: "Connecting you with our team…", wait: "60s", offline_message: "We're away right now." }) },
  capture: { label: "Capture", icon: "🎯", color: "#22c55e", keys: ["text", "create", "qualified", "title", "value", "currency", "owner", "group", "pipeline", "stage", "labels", "note", "activity", "next"], init: () => ({ create: "lead" }) },
  end: { label: "End", icon: "🏁", color: "#64748b", keys: ["text", "restart"], init: () => ({ text: "Thanks!" }) },
};

// Text is a string or a map language → string.
export function textIn(t, lang, def) {
  if (t === undefined || t === null) return "";
  if (typeof t === "string") return !lang || lang === def ? t : "";
  return t[lang] ?? "";
}

export function textAny(t, lang) {
  if (t === undefined || t === null) return "";
  if (typeof t === "string") return t;
  return t[lang] ?? Object.values(t)[0] ?? "";
}

// setText writes one language of a text. A plain string stays a plain
// string while only the default language is written.
export function setText(t, lang, def, value) {
  if (typeof t !== "object" || t === null) {
    if (lang === def || !lang) return value;
    const m = {};
    if (t) m[def] = t;
    if (value) m[lang] = value;
    return m;
  }
  const m = { ...t };
  if (value || lang === def) m[lang] = value; else delete m[lang];
  return m;
}

// nextTargets lists the card ids a `next` value leads to.
function nextList(nx) {
  if (nx === undefined || nx === null) return [];
  if (typeof nx === "string") return [{ to: nx, cond: null }];
  return nx.map((b) => ({ to: b.goto, cond: b.if ?? null }));
}

// outs lists the outgoing connections of a card: one per row the card
// shows. slot says where the target is written, for connecting by drag.
export function outs(card, lang) {
  const rows = [];
  const labelOf = (o) => textAny(o.label, lang);
  const addNext = (nx, base, prefix) => {
    if (Array.isArray(nx)) {
      nx.forEach((b, i) => rows.push({ label: (prefix ? prefix + " · " : "") + (b.if ? "if " + b.if : "otherwise"), to: b.goto || null, slot: `${base}[${i}].goto`, kind: b.if ? "cond" : "else" }));
    } else {
      rows.push({ label: prefix || "next", to: nx || null, slot: base, kind: prefix ? "option" : "next" });
    }
  };
  switch (card.type) {
    case "question":
      if (Array.isArray(card.options)) {
        const fallthrough = [];
        card.options.forEach((o, i) => {
          if (o.next !== undefined) addNext(o.next, `options[${i}].next`, labelOf(o));
          else fallthrough.push(labelOf(o));
        });
        if (fallthrough.length || card.next !== undefined) {
          if (Array.isArray(card.next)) addNext(card.next, "next", "");
          else rows.push({ label: fallthrough.length ? fallthrough.join(" · ") : "next", to: card.next || null, slot: "next", kind: fallthrough.length ? "option" : "next" });
        }
      } else addNext(card.next, "next", "");
      break;
    case "livechat":
      rows.push({ label: "offline", to: card.offline || null, slot: "offline", kind: "offline" });
      break;
    case "end":
      break;
    default:
      addNext(card.next, "next", "");
  }
  return rows;
}

// edges of the whole document, for the layout.
export function edges(doc, order) {
  const out = [];
  for (const id of order) {
    const c = doc.cards[id];
    outs(c, doc.language).forEach((r, i) => { if (r.to && doc.cards[r.to]) out.push({ from: id, to: r.to, row: i, label: r.label, kind: r.kind }); });
  }
  return out;
}

// slot paths: "next", "offline", "next[1].goto", "options[0].next",
// "options[0].next[1].goto".
export function setSlot(card, slot, to) {
  const m = slot.match(/^(options\[(\d+)\]\.)?(next|offline)(\[(\d+)\]\.goto)?$/);
  if (!m) return;
  const holder = m[1] ? card.options[Number(m[2])] : card;
  const key = m[3];
  if (m[4]) holder[key][Number(m[5])].goto = to;
  else if (to) holder[key] = to;
  else delete holder[key];
}

function mapTargets(card, fn) {
  const mapNext = (nx) => {
    if (typeof nx === "string") return fn(nx);
    if (Array.isArray(nx)) return nx.map((b) => ({ ...b, goto: fn(b.goto) }));
    return nx;
  };
  if (card.next !== undefined) card.next = mapNext(card.next);
  if (card.offline !== undefined) card.offline = fn(card.offline);
  if (Array.isArray(card.options)) for (const o of card.options) if (o.next !== undefined) o.next = mapNext(o.next);
  for (const k of ["next", "offline"]) if (card[k] === undefined || card[k] === null) delete card[k];
  if (Array.isArray(card.options)) for (const o of card.options) if (o.next === undefined || o.next === null) delete o.next;
}

export const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;

export function slugify(s) {
  return s.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64) || "card";
}

export function freshID(doc, base) {
  let id = slugify(base), n = 2;
  while (doc.cards[id]) id = `${slugify(base)}-${n++}`;
  return id;
}

// renameCard changes a card's id and every reference to it.
export function renameCard(m, from, to) {
  if (from === to || m.doc.cards[to]) return false;
  const cards = {};
  for (const id of m.order) cards[id === from ? to : id] = m.doc.cards[id];
  m.doc.cards = cards;
  m.order = m.order.map((id) => (id === from ? to : id));
  for (const id of m.order) mapTargets(cards[id], (t) => (t === from ? to : t));
  if (m.doc.start === from) m.doc.start = to;
  return true;
}

// deleteCard removes a card and the connections to it; a branch that led
// to it is removed too (the validator then says if a default is missing).
export function deleteCard(m, id) {
  delete m.doc.cards[id];
  m.order = m.order.filter((x) => x !== id);
  for (const cid of m.order) {
    const c = m.doc.cards[cid];
    const strip = (nx) => {
      if (Array.isArray(nx)) { const l = nx.filter((b) => b.goto !== id); return l.length ? l : undefined; }
      return nx === id ? undefined : nx;
    };
    if (c.next !== undefined) { c.next = strip(c.next); if (c.next === undefined) delete c.next; }
    if (c.offline === id) delete c.offline;
    if (Array.isArray(c.options)) for (const o of c.options) if (o.next !== undefined) { o.next = strip(o.next); if (o.next === undefined) delete o.next; }
  }
  if (m.doc.start === id) m.doc.start = m.order[0] || "";
}

// addCard adds a card of a type after `after` (or at the end).
export function addCard(m, type, after) {
  const id = freshID(m.doc, type === "livechat" ? "handover" : type);
  m.doc.cards[id] = { type, ...TYPES[type].init() };
  const i = after ? m.order.indexOf(after) : -1;
  if (i >= 0) m.order.splice(i + 1, 0, id); else m.order.push(id);
  if (!m.doc.start) m.doc.start = id;
  return id;
}

// retype keeps what the new type takes, in its key order.
export function retype(card, type) {
  const keys = TYPES[type].keys;
  const out = { type };
  for (const k of keys) if (card[k] !== undefined) out[k] = card[k];
  if (type === "question" && out.options === undefined && out.input === undefined) out.options = [{ label: "Yes" }, { label: "No" }];
  if (type === "form" && !out.fields) out.fields = TYPES.form.init().fields;
  if (type === "livechat") Object.assign(out, { ...TYPES.livechat.init(), ...out });
  if (type === "capture" && !out.create) out.create = "lead";
  return out;
}

// ordered writes the keys of a card in the canonical order, so a card
// edited in the builder reads like an exported one.
export function ordered(card) {
  const t = TYPES[card.type];
  if (!t) return card;
  const out = { type: card.type };
  for (const k of t.keys) if (card[k] !== undefined) out[k] = card[k];
  for (const k of Object.keys(card)) if (!(k in out)) out[k] = card[k]; // unknown keys stay, for the validator to name
  return out;
}

// serialize writes the document as JSON with the cards in order.
export function serialize(m) {
  const { cards, ...rest } = m.doc;
  const head = JSON.stringify(rest);
  const body = m.order.map((id) => JSON.stringify(id) + ":" + JSON.stringify(ordered(cards[id]))).join(",");
  return (head === "{}" ? "{" : head.slice(0, -1) + ",") + '"cards":{' + body + "}}";
}

export function clone(v) { return v === undefined ? v : JSON.parse(JSON.stringify(v)); }

export function cloneModel(m) {
  const doc = clone({ ...m.doc, cards: {} });
  doc.cards = {};
  for (const id of m.order) doc.cards[id] = clone(m.doc.cards[id]);
  return { doc, order: [...m.order] };
}

// fromConvert builds a model from the convert endpoint's answer.
export function fromConvert(res) {
  const doc = res.document;
  if (!doc.cards) doc.cards = {};
  const order = res.order && res.order.length ? res.order : Object.keys(doc.cards);
  return { doc, order };
}

// The text keys of a card, for the per-language editor.
export function textSlots(card) {
  const out = [];
  for (const k of ["text", "invalid", "online_message", "offline_message"]) {
    if (TYPES[card.type] && TYPES[card.type].keys.includes(k) && card[k] !== undefined) out.push({ path: k, get: () => card[k], set: (v) => { card[k] = v; } });
  }
  (card.options || []).forEach((o, i) => out.push({ path: `options[${i}].label`, get: () => o.label, set: (v) => { o.label = v; } }));
  (card.fields || []).forEach((f, i) => out.push({ path: `fields[${i}].label`, get: () => f.label, set: (v) => { f.label = v; } }));
  return out;
}

export function summary(card, lang) {
  switch (card.type) {
    case "livechat": return textAny(card.online_message, lang) || "Hand over to a person";
    case "capture": {
      const parts = [card.create === "deal" ? "Create a deal" : "Create a lead"];
      if (card.qualified === false) parts.push("unqualified");
      if (card.stage) parts.push("→ " + card.stage);
      return parts.join(" · ");
    }
    case "question": {
      const t = textAny(card.text, lang);
      return card.input ? `${t} [${card.input}${card.save ? " → " + card.save : ""}]` : t;
    }
    case "form": return textAny(card.text, lang) || (card.fields || []).map((f) => textAny(f.label, lang)).join(", ");
    default: return textAny(card.text, lang);
  }
}

// The inspector's forms: a card's form offers only the keys its type takes;
// the playbook settings, the trigger and the per-language texts. Every
// control carries data-path (the problem path it edits) and an error slot,
// so the server's problems show under the control they concern.
import { h } from "./dom.js";
import { TYPES, INPUTS, BUILTIN_SAVES, FIELD_TYPES, LANGS, textIn, setText, retype, renameCard, deleteCard, SLUG, textSlots, textAny } from "./builder-model.js";

// ctx: { m, users, pipelines, stages, edit(fn, {inspector}), select(id), addCard(type, from, slot) }

function errSlot(path) { return h("div", { class: "bf-err", "data-err": path }); }

function field(label, control, path, hint) {
  return h("label", { class: "bf-field" }, h("span", { class: "bf-label" }, label), control, hint ? h("span", { class: "bf-hint" }, hint) : null, errSlot(path));
}

function input(path, value, on, attrs = {}) {
  const el = h("input", { type: "text", "data-path": path, value: value ?? "", ...attrs });
  el.addEventListener("input", () => on(el.value));
  return el;
}

function area(path, value, on, attrs = {}) {
  const el = h("textarea", { "data-path": path, rows: 2, ...attrs });
  el.value = value ?? "";
  el.addEventListener("input", () => on(el.value));
  return el;
}

function select(path, value, choices, on, attrs = {}) {
  const el = h("select", { "data-path": path, ...attrs },
    ...choices.map((c) => { const [v, l] = Array.isArray(c) ? c : [c, c]; return h("option", { value: v, selected: v === (value ?? "") }, l); }));
  if (value && !choices.some((c) => (Array.isArray(c) ? c[0] : c) === value)) el.append(h("option", { value, selected: true }, value + " (unknown)"));
  el.addEventListener("change", () => on(el.value));
  return el;
}

function check(path, value, on) {
  const el = h("input", { type: "checkbox", "data-path": path, checked: value });
  el.addEventListener("change", () => on(el.checked));
  return el;
}

function miniBtn(label, title, on, cls = "") {
  const b = h("button", { type: "button", class: "bf-mini " + cls, title, "aria-label": title }, label);
  b.addEventListener("click", (ev) => { ev.preventDefault(); on(); });
  return b;
}

function section(title, ...children) { return h("div", { class: "bf-section" }, h("h4", {}, title), ...children); }

function move(list, i, d) { const j = i + d; if (j < 0 || j >= list.length) return; [list[i], list[j]] = [list[j], list[i]]; }

// A text in the default language (the Texts tab edits the others).
function textField(ctx, card, key, label, path, { rows = 2, hint } = {}) {
  const doc = ctx.m.doc, def = doc.language || "en";
  const t = card[key];
  const others = t && typeof t === "object" ? Object.keys(t).filter((l) => l !== def) : [];
  const el = area(path || key, textIn(t, def, def), (v) => ctx.edit(() => {
    const nt = setText(card[key], def, def, v);
    if (nt === "" && typeof card[key] !== "object") delete card[key]; else card[key] = nt;
  }), { rows });
  return field(label, el, path || key, others.length ? `Also in ${others.join(", ")} — see Texts` : hint);
}

function cardChoices(ctx, self, { none = "— end of flow —" } = {}) {
  return [["", none], ...ctx.m.order.filter((id) => id !== self).map((id) => [id, `${id} (${TYPES[ctx.m.doc.cards[id].type]?.label || "?"})`]), ["+new", "+ New card…"]];
}

// target is a select of cards; "+ New card…" creates a message card.
function target(ctx, card, path, value, set) {
  return select(path, value || "", cardChoices(ctx, card.__id), (v) => {
    if (v === "+new") { ctx.addCard("message", card.__id, set); return; }
    ctx.edit(() => set(v || undefined), { inspector: true });
  });
}

function saveChoices(ctx, allowNone = true) {
  const fields = (ctx.m.doc.fields && Object.keys(ctx.m.doc.fields)) || [];
  return [...(allowNone ? [["", "— don't save —"]] : []), ...BUILTIN_SAVES, ...fields.map((f) => "field." + f)];
}

// nextEditor edits a `next`: a card, guarded branches, or nothing.
export function nextEditor(ctx, card, holder, base, label = "Then") {
  const nx = holder.next;
  const mode = Array.isArray(nx) ? "branch" : "goto";
  const modeSel = select(base + ".mode", mode, [["goto", "Go to a card"], ["branch", "Branch on conditions"]], (v) => ctx.edit(() => {
    if (v === "branch") holder.next = [{ if: "", goto: typeof nx === "string" ? nx : "" }, { goto: typeof nx === "string" ? nx : "" }];
    else { const d = Array.isArray(nx) ? nx[nx.length - 1].goto : undefined; if (d) holder.next = d; else delete holder.next; }
  }, { inspector: true }), { "aria-label": label + " mode" });
  const box = h("div", { class: "bf-next" }, h("div", { class: "bf-row" }, h("span", { class: "bf-label" }, label), modeSel));
  if (mode === "goto") {
    box.append(field("Next card", target(ctx, card, base, nx, (v) => { if (v) holder.next = v; else delete holder.next; }), base));
    return box;
  }
  nx.forEach((b, i) => {
    const p = `${base}[${i}]`;
    const isDefault = b.if === undefined && i === nx.length - 1;
    const row = h("div", { class: "bf-branch" });
    if (!isDefault) {
      row.append(field(`If (condition ${i + 1})`, input(p + ".if", b.if, (v) => ctx.edit(() => { b.if = v; }), { class: "mono", spellcheck: "false", placeholder: 'field.team_size >= 10' }), p + ".if"));
    } else row.append(h("div", { class: "bf-label" }, "Otherwise"));
    row.append(field("Go to", target(ctx, card, p + ".goto", b.goto, (v) => { b.goto = v || ""; }), p + ".goto"));
    row.append(h("div", { class: "bf-tools" },
      !isDefault ? miniBtn("↑", "Move condition up", () => ctx.edit(() => move(nx, i, -1), { inspector: true })) : null,
      !isDefault && i < nx.length - 2 ? miniBtn("↓", "Move condition down", () => ctx.edit(() => move(nx, i, 1), { inspector: true })) : null,
      !isDefault ? miniBtn("✕", "Remove condition", () => ctx.edit(() => { nx.splice(i, 1); }, { inspector: true }), "danger") : null));
    row.append(errSlot(p));
    box.append(row);
  });
  box.append(miniBtn("+ Add condition", "Add a condition", () => ctx.edit(() => {
    const at = nx.length && nx[nx.length - 1].if === undefined ? nx.length - 1 : nx.length;
    nx.splice(at, 0, { if: "", goto: "" });
  }, { inspector: true }), "wide"));
  return box;
}

function questionForm(ctx, card) {
  const out = [];
  out.push(textField(ctx, card, "text", "Question", "text"));
  const mode = card.input !== undefined && card.options === undefined ? "input" : "options";
  out.push(field("Answered with", select("answer-mode", mode, [["options", "Buttons"], ["input", "A typed answer"]], (v) => ctx.edit(() => {
    if (v === "input") { delete card.options; card.input = card.input || "text"; }
    else { delete card.input; delete card.invalid; card.options = card.options || [{ label: "Yes" }, { label: "No" }]; }
  }, { inspector: true })), "answer-mode"));
  if (mode === "options") {
    const list = h("div", { class: "bf-list" });
    const def = ctx.m.doc.language || "en";
    card.options.forEach((o, i) => {
      const p = `options[${i}]`;
      list.append(h("div", { class: "bf-item" },
        h("div", { class: "bf-item-head" }, h("strong", {}, `Button ${i + 1}`), h("div", { class: "bf-tools" },
          miniBtn("↑", "Move button up", () => ctx.edit(() => move(card.options, i, -1), { inspector: true })),
          miniBtn("↓", "Move button down", () => ctx.edit(() => move(card.options, i, 1), { inspector: true })),
          miniBtn("✕", "Remove button", () => ctx.edit(() => { card.options.splice(i, 1); }, { inspector: true }), "danger"))),
        field("Label", input(p + ".label", textIn(o.label, def, def), (v) => ctx.edit(() => { o.label = setText(o.label, def, def, v); })), p + ".label"),
        field("Value", input(p + ".value", o.value === undefined ? "" : String(o.value), (v) => ctx.edit(() => { if (v === "") delete o.value; else o.value = v; }), { placeholder: "the label" }), p + ".value", "What answers." + (card.__id || "") + " holds"),
        field("Goes to", select(p + ".next", typeof o.next === "string" ? o.next : "", [["", "— the card's next —"], ...cardChoices(ctx, card.__id).slice(1)], (v) => {
          if (v === "+new") { ctx.addCard("message", card.__id, (id) => { o.next = id; }); return; }
          ctx.edit(() => { if (v) o.next = v; else delete o.next; }, { inspector: true });
        }), p + ".next"),
        errSlot(p)));
    });
    if (card.options.length < 10) list.append(miniBtn("+ Add button", "Add a button", () => ctx.edit(() => card.options.push({ label: `Option ${card.options.length + 1}` }), { inspector: true }), "wide"));
    out.push(section("Buttons", list, errSlot("options")));
    out.push(field("Save the answer to", select("save", card.save, saveChoices(ctx), (v) => ctx.edit(() => { if (v) card.save = v; else delete card.save; })), "save"));
  } else {
    out.push(field("Input kind", select("input", card.input, INPUTS, (v) => ctx.edit(() => { card.input = v; })), "input"));
    out.push(field("Save the answer to", select("save", card.save, saveChoices(ctx), (v) => ctx.edit(() => { if (v) card.save = v; else delete card.save; })), "save"));
    out.push(field("Required", check("required", card.required !== false, (v) => ctx.edit(() => { if (v) delete card.required; else card.required = false; })), "required"));
    out.push(textField(ctx, card, "invalid", "Retry text (invalid answer)", "invalid"));
  }
  out.push(nextEditor(ctx, card, card, "next", mode === "options" ? "Buttons without a target go" : "Then"));
  return out;
}

function formForm(ctx, card) {
  const def = ctx.m.doc.language || "en";
  const list = h("div", { class: "bf-list" });
  (card.fields || []).forEach((f, i) => {
    const p = `fields[${i}]`;
    list.append(h("div", { class: "bf-item" },
      h("div", { class: "bf-item-head" }, h("strong", {}, `Field ${i + 1}`), h("div", { class: "bf-tools" },
        miniBtn("↑", "Move field up", () => ctx.edit(() => move(card.fields, i, -1), { inspector: true })),
        miniBtn("↓", "Move field down", () => ctx.edit(() => move(card.fields, i, 1), { inspector: true })),
        miniBtn("✕", "Remove field", () => ctx.edit(() => { card.fields.splice(i, 1); }, { inspector: true }), "danger"))),
      field("Label", input(p + ".label", textIn(f.label, def, def), (v) => ctx.edit(() => { f.label = setText(f.label, def, def, v); })), p + ".label"),
      field("Save to", select(p + ".save", f.save, saveChoices(ctx, false), (v) => ctx.edit(() => { f.save = v; })), p + ".save"),
      field("Input kind", select(p + ".input", f.input || "", [["", "— from the target —"], ...INPUTS], (v) => ctx.edit(() => { if (v) f.input = v; else delete f.input; })), p + ".input"),
      field("Required", check(p + ".required", f.required !== false, (v) => ctx.edit(() => { if (v) delete f.required; else f.required = false; })), p + ".required"),
      errSlot(p)));
  });
  if ((card.fields || []).length < 8) list.append(miniBtn("+ Add field", "Add a field", () => ctx.edit(() => { card.fields = card.fields || []; card.fields.push({ save: "person.email", label: "Email", input: "email" }); }, { inspector: true }), "wide"));
  return [textField(ctx, card, "text", "Intro text", "text"), section("Fields", list, errSlot("fields")), nextEditor(ctx, card, card, "next")];
}

function livechatForm(ctx, card) {
  return [
    textField(ctx, card, "online_message", "While waiting for an agent", "online_message"),
    field("Wait at most", input("wait", card.wait, (v) => ctx.edit(() => { if (v) card.wait = v; else delete card.wait; }), { placeholder: "60s" }), "wait", "5s to 30m, e.g. 90s or 2m"),
    textField(ctx, card, "offline_message", "When nobody answers", "offline_message"),
    field("Then, when offline", target(ctx, card, "offline", card.offline, (v) => { if (v) card.offline = v; else delete card.offline; }), "offline"),
    field("Agent group", input("group", card.group, (v) => ctx.edit(() => { if (v) card.group = v; else delete card.group; }), { placeholder: "any agent" }), "group"),
  ];
}

function captureForm(ctx, card) {
  const set = (k) => (v) => ctx.edit(() => { if (v === "" || v === undefined) delete card[k]; else card[k] = v; });
  const users = ctx.users.filter((u) => u.active !== false).map((u) => [u.email, `${u.name} <${u.email}>`]);
  const pipelines = ctx.pipelines.map((p) => p.name);
  const pipe = ctx.pipelines.find((p) => p.name === card.pipeline) || ctx.pipelines[0];
  const stages = ctx.stages.filter((st) => !pipe || st.pipeline_id === pipe.id).sort((a, b) => a.order_nr - b.order_nr).map((st) => st.name);
  const out = [
    field("Create", select("create", card.create || "lead", [["lead", "A lead"], ["deal", "A deal"]], (v) => ctx.edit(() => { card.create = v; if (v === "lead") { delete card.value; delete card.currency; delete card.pipeline; delete card.stage; } }, { inspector: true })), "create"),
    field("Qualified", check("qualified", card.qualified !== false, (v) => ctx.edit(() => { if (v) delete card.qualified; else card.qualified = false; })), "qualified", "Unqualified leads are kept, labelled unqualified"),
    field("Title", input("title", card.title, set("title"), { placeholder: "{{ person.name ?? 'Visitor' }} – {{ playbook.name }}" }), "title"),
  ];
  if (card.create === "deal") {
    out.push(field("Value (expression)", input("value", card.value, set("value"), { class: "mono", spellcheck: "false", placeholder: "field.team_size * 49" }), "value"));
    out.push(field("Currency", input("currency", card.currency, set("currency"), { placeholder: "EUR", maxlength: 3 }), "currency"));
    out.push(field("Pipeline", select("pipeline", card.pipeline || "", [["", "— the first pipeline —"], ...pipelines], (v) => ctx.edit(() => { if (v) card.pipeline = v; else delete card.pipeline; }, { inspector: true })), "pipeline"));
    out.push(field("Stage", select("stage", card.stage || "", [["", "— its first stage —"], ...stages], set("stage")), "stage"));
  }
  out.push(field("Owner", select("owner", card.owner || "", [["", "Round robin (default)"], ["round_robin", "Round robin"], ["assignee", "The agent in the chat"], ...users], set("owner")), "owner"));
  out.push(field("Agent group", input("group", card.group, set("group"), { placeholder: "all agents" }), "group"));
  out.push(field("Labels", input("labels", (card.labels || []).join(", "), (v) => ctx.edit(() => { const l = v.split(",").map((x) => x.trim()).filter(Boolean); if (l.length) card.labels = l; else delete card.labels; }), { placeholder: "comma, separated" }), "labels"));
  out.push(field("Note", area("note", card.note, set("note"), { placeholder: "the chat transcript" }), "note"));
  const act = card.activity;
  const actBox = h("div", { class: "bf-item" });
  actBox.append(field("Schedule a follow-up", check("activity.on", !!act, (v) => ctx.edit(() => { if (v) card.activity = { type: "call", subject: "Follow up", due: "+1d" }; else delete card.activity; }, { inspector: true })), "activity"));
  if (act) {
    actBox.append(field("Type", select("activity.type", act.type, ["call", "meeting", "task", "email"], (v) => ctx.edit(() => { act.type = v; })), "activity.type"));
    actBox.append(field("Subject", input("activity.subject", act.subject, (v) => ctx.edit(() => { act.subject = v; })), "activity.subject"));
    actBox.append(field("Due", input("activity.due", act.due, (v) => ctx.edit(() => { act.due = v; }), { placeholder: "+1d" }), "activity.due", "+30m, +2h, +1d"));
  }
  out.push(section("Follow-up", actBox));
  out.push(textField(ctx, card, "text", "Message shown (optional)", "text"));
  out.push(nextEditor(ctx, card, card, "next"));
  return out;
}

// cardForm is the inspector for one card.
export function cardForm(ctx, id) {
  const { m } = ctx;
  const card = m.doc.cards[id];
  Object.defineProperty(card, "__id", { value: id, enumerable: false, configurable: true });
  const idIn = h("input", { type: "text", "data-path": "card-id", value: id, spellcheck: "false" });
  const idErr = errSlot("card-id");
  idIn.addEventListener("change", () => {
    const v = idIn.value.trim();
    if (v === id) return;
    if (!SLUG.test(v)) { idErr.textContent = "Use lowercase letters, digits and dashes."; return; }
    if (m.doc.cards[v]) { idErr.textContent = `A card "${v}" exists.`; return; }
    ctx.edit(() => renameCard(m, id, v), { select: v });
  });
  const typeSel = select("card-type", card.type, Object.entries(TYPES).map(([k, t]) => [k, t.label]), (v) => ctx.edit(() => { m.doc.cards[id] = retype(card, v); }, { inspector: true }));
  const i = m.order.indexOf(id);
  const tools = h("div", { class: "bf-cardtools" },
    miniBtn("↑ Move up", "Move the card up in the document", () => ctx.edit(() => move(m.order, i, -1), { inspector: true })),
    miniBtn("↓ Move down", "Move the card down in the document", () => ctx.edit(() => move(m.order, i, 1), { inspector: true })),
    m.doc.start === id ? h("span", { class: "bf-pill" }, "Start card") : miniBtn("Set as start", "Start the playbook here", () => ctx.edit(() => { m.doc.start = id; }, { inspector: true })),
    miniBtn("Delete card", "Delete the card", () => { if (confirm(`Delete card "${id}"?`)) ctx.edit(() => deleteCard(m, id), { select: null }); }, "danger"));
  let body;
  switch (card.type) {
    case "message": body = [textField(ctx, card, "text", "Message", "text", { rows: 3 }), nextEditor(ctx, card, card, "next")]; break;
    case "question": body = questionForm(ctx, card); break;
    case "form": body = formForm(ctx, card); break;
    case "livechat": body = livechatForm(ctx, card); break;
    case "capture": body = captureForm(ctx, card); break;
    case "end": body = [textField(ctx, card, "text", "Closing message", "text", { rows: 3 }), field("Offer a restart button", check("restart", card.restart !== false, (v) => ctx.edit(() => { if (v) delete card.restart; else card.restart = false; })), "restart")]; break;
    default: body = [h("p", { class: "muted" }, `Unknown card type "${card.type}": edit it in the YAML view.`)];
  }
  return h("form", { class: "bf-form", "data-card": id, onsubmit: (ev) => ev.preventDefault() },
    h("div", { class: "bf-cardhead", style: `--c:${TYPES[card.type]?.color || "#999"}` }, h("span", { class: "bf-dot" }), h("strong", {}, TYPES[card.type]?.label || card.type), h("code", {}, id)),
    h("div", { class: "bf-problems", "data-card-problems": id }),
    h("div", { class: "bf-grid2" }, h("label", { class: "bf-field" }, h("span", { class: "bf-label" }, "Card id"), idIn, idErr), field("Type", typeSel, "type")),
    tools, ...body);
}

// docForm edits the playbook's settings and declared fields.
export function docForm(ctx) {
  const { doc } = ctx.m;
  const set = (k) => (v) => ctx.edit(() => { if (v === "") delete doc[k]; else doc[k] = v; });
  const fields = h("div", { class: "bf-list" });
  const names = Object.keys(doc.fields || {});
  names.forEach((name, i) => {
    const nameIn = h("input", { type: "text", value: name, "data-path": `fields.${name}`, class: "mono", "aria-label": "Field name" });
    nameIn.addEventListener("change", () => ctx.edit(() => {
      const nf = {};
      for (const n of Object.keys(doc.fields)) nf[n === name ? nameIn.value.trim() : n] = doc.fields[n];
      doc.fields = nf;
    }, { inspector: true }));
    fields.append(h("div", { class: "bf-row" }, nameIn,
      select(`fields.${name}.type`, doc.fields[name], FIELD_TYPES, (v) => ctx.edit(() => { doc.fields[name] = v; }), { "aria-label": `Type of ${name}` }),
      miniBtn("✕", `Remove field ${name}`, () => ctx.edit(() => { delete doc.fields[name]; if (!Object.keys(doc.fields).length) delete doc.fields; }, { inspector: true }), "danger")));
    fields.append(errSlot(`fields.${name}`));
    void i;
  });
  const newName = h("input", { type: "text", placeholder: "new_field", class: "mono", "aria-label": "New field name", name: "new-field" });
  const newType = select("new-field-type", "text", FIELD_TYPES, () => {}, { "aria-label": "New field type", name: "new-field-type" });
  fields.append(h("div", { class: "bf-row" }, newName, newType, miniBtn("+ Add", "Add the field", () => {
    const n = newName.value.trim();
    if (!/^[a-z_][a-z0-9_]*$/.test(n)) { newName.setCustomValidity("lowercase letters, digits and _"); newName.reportValidity(); return; }
    ctx.edit(() => { doc.fields = doc.fields || {}; doc.fields[n] = newType.value; }, { inspector: true });
  }, "add-field")));
  const bot = doc.bot || {};
  const setBot = (k) => (v) => ctx.edit(() => { const b = { ...(doc.bot || {}) }; if (v) b[k] = v; else delete b[k]; if (Object.keys(b).length) doc.bot = b; else delete doc.bot; });
  return h("form", { class: "bf-form", onsubmit: (ev) => ev.preventDefault() },
    h("div", { class: "bf-problems", "data-card-problems": "" }),
    field("Name", input("name", doc.name, set("name")), "name"),
    field("Id", input("id", doc.id, set("id"), { class: "mono", spellcheck: "false" }), "id", "lowercase letters, digits and dashes; unique"),
    field("Default language", select("language", doc.language || "", [["", "—"], ...LANGS], set("language")), "language"),
    h("div", { class: "bf-grid2" }, field("Bot name", input("bot.name", bot.name, setBot("name")), "bot.name"), field("Bot avatar URL", input("bot.avatar", bot.avatar, setBot("avatar")), "bot.avatar")),
    field("Start card", select("start", doc.start || "", [["", "—"], ...ctx.m.order], (v) => ctx.edit(() => { doc.start = v; })), "start"),
    section("Custom fields (captured from answers)", fields, errSlot("fields")));
}

// triggerForm edits when the widget starts the playbook.
export function triggerForm(ctx) {
  const { doc } = ctx.m;
  const t = () => (doc.trigger = doc.trigger || {});
  const tidy = () => {
    const tr = doc.trigger;
    if (!tr) return;
    if (tr.pages && !tr.pages.include && !tr.pages.exclude) delete tr.pages;
    if (!Object.keys(tr).length) delete doc.trigger;
  };
  const set = (k) => (v) => ctx.edit(() => { if (v === "" || v === undefined) delete t()[k]; else t()[k] = v; tidy(); });
  const tr = doc.trigger || {};
  const pages = (k) => area(`trigger.pages.${k}`, ((tr.pages || {})[k] || []).join("\n"), (v) => ctx.edit(() => {
    const l = v.split("\n").map((x) => x.trim()).filter(Boolean);
    const p = { ...(t().pages || {}) };
    if (l.length) p[k] = l; else delete p[k];
    const ordered = {};
    if (p.include) ordered.include = p.include;
    if (p.exclude) ordered.exclude = p.exclude;
    t().pages = ordered; tidy();
  }), { rows: 3, class: "mono", placeholder: k === "include" ? "/pricing*\n/demo" : "/careers*" });
  const on = tr.on || "";
  return h("form", { class: "bf-form", onsubmit: (ev) => ev.preventDefault() },
    h("div", { class: "bf-problems", "data-card-problems": "trigger" }),
    field("Start the playbook", select("trigger.on", on, [["", "When the visitor opens the chat (default)"], ["open", "When the visitor opens the chat"], ["load", "When the page loads"], ["delay", "After a delay on the page"]], (v) => { set("on")(v); ctx.rerender(); }), "trigger.on"),
    on === "load" || on === "delay" ? field("After", input("trigger.after", tr.after, set("after"), { placeholder: "10s" }), "trigger.after", "e.g. 10s, 1m") : null,
    field("Only on pages", pages("include"), "trigger.pages.include", "One pattern a line, * is a wildcard; empty: every page"),
    field("Never on pages", pages("exclude"), "trigger.pages.exclude"),
    field("Only when (expression)", input("trigger.when", tr.when, set("when"), { class: "mono", spellcheck: "false", placeholder: "visitor.visits >= 2" }), "trigger.when", "visitor, page, in_hours, agents_online…"),
    field("Priority", input("trigger.priority", tr.priority ?? "", (v) => set("priority")(v === "" ? undefined : Number.isFinite(Number(v)) ? Number(v) : v), { type: "number", step: "1" }), "trigger.priority", "The highest matching playbook wins"));
}

// textsForm edits every text of every card in one language.
export function textsForm(ctx, lang, setLang) {
  const { doc } = ctx.m;
  const def = doc.language || "en";
  const tabs = h("div", { class: "bf-tabs", role: "tablist" }, ...LANGS.map((l) => {
    const b = h("button", { type: "button", role: "tab", class: "bf-tab" + (l === lang ? " on" : ""), "aria-selected": l === lang ? "true" : "false", "data-lang": l }, l.toUpperCase() + (l === def ? " (default)" : ""));
    b.addEventListener("click", () => setLang(l));
    return b;
  }));
  const rows = h("div", { class: "bf-texts" });
  for (const id of ctx.m.order) {
    const card = doc.cards[id];
    const slots = textSlots(card);
    if (!slots.length) continue;
    rows.append(h("h4", { class: "bf-texts-card" }, id));
    for (const sl of slots) {
      const defText = textAny(sl.get(), def);
      const el = area(`${sl.path}.${lang}`, textIn(sl.get(), lang, def), (v) => ctx.edit(() => { sl.set(setText(sl.get(), lang, def, v)); }), { rows: 1, placeholder: lang === def ? "" : defText, "data-card": id });
      rows.append(h("label", { class: "bf-field" }, h("span", { class: "bf-label" }, sl.path), lang !== def ? h("span", { class: "bf-hint" }, def + ": " + defText) : null, el, errSlot(`${id}:${sl.path}`)));
    }
  }
  return h("div", { class: "bf-form" }, tabs, rows);
}

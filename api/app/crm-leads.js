// Leads inbox: a filtered, paged table and a detail drawer with the lead's
// fields, labels, notes (a chat capture's transcript is one), activities,
// its conversation, "Convert to deal" and archive.
import {
  h, clear, chip, avatar, money, shortDate, dateTime, Drawer, section, field, formError, showErrors, clearErrors,
  val, numOrNull, idOrNull, ownerOptions, personOptions, notesSection, activitiesSection, table, pager, toast, debounce, setQuery,
} from "./crm-ui.js";
import { newLead, labelPicker } from "./crm-forms.js";

const sourceClass = { "Chatbot": "bot", "Live chat": "chat", "API": "api", "Manually created": "manual" };

export async function mount(el, ctx) {
  const { api, look, me, navigate } = ctx;
  const params = new URLSearchParams(location.search);
  const state = { archived: params.get("archived") || "not_archived", mine: params.get("owner") === "me", term: params.get("q") || "", rows: new Map() };

  const search = h("input", { type: "search", class: "crm-search", placeholder: "Search leads", "aria-label": "Search leads", value: state.term });
  const archived = h("select", { "aria-label": "Archived status", name: "archived_status" },
    h("option", { value: "not_archived", selected: state.archived === "not_archived" }, "Not archived"),
    h("option", { value: "archived", selected: state.archived === "archived" }, "Archived"),
    h("option", { value: "all", selected: state.archived === "all" }, "All leads"));
  const mine = h("input", { type: "checkbox", checked: state.mine, name: "mine" });
  const refresh = h("button", { class: "btn", type: "button", title: "Refresh" }, "↻ Refresh");
  const add = h("button", { class: "btn primary", type: "button", id: "crm-add-lead" }, "+ Lead");

  const tbl = table([
    { label: "Title", cls: "c-title" }, { label: "Person / Organization" }, { label: "Value", cls: "num" },
    { label: "Labels" }, { label: "Source" }, { label: "Owner", cls: "c-owner" }, { label: "Added", cls: "c-date" },
  ], { caption: "Leads", onOpen: (l) => open(l.id), empty: "No leads match. Leads appear here when a chat captures a visitor, or add one with “+ Lead”." });

  const pg = pager(ctx, async (rows, reset) => {
    if (reset) { tbl.clear(); state.rows.clear(); }
    await look.preload(rows, "person_id", "organization_id");
    for (const l of rows) { state.rows.set(l.id, l); const c = await cells(l); if (matches(l)) tbl.add(l, c); }
    tbl.done();
  });

  el.append(
    h("div", { class: "crm-toolbar" },
      h("h1", {}, "Leads inbox"), pg.status,
      h("div", { class: "crm-spacer" }),
      search, archived,
      h("label", { class: "crm-toggle" }, mine, "Owned by me"),
      refresh, add),
    tbl.el,
    h("div", { class: "crm-pager" }, pg.more));

  const drawer = new Drawer(el, { onClose: () => setQuery({ id: null }) });

  function matches(l) {
    if (!state.term) return true;
    const t = state.term.toLowerCase();
    return [l.title, l.source_name, l._person, l._org].some((s) => String(s || "").toLowerCase().includes(t));
  }

  async function cells(l) {
    const n = await look.names(l, "person_id", "organization_id");
    l._person = n.person; l._org = n.org;
    const titleBtn = h("button", { type: "button", class: "crm-link", tabindex: -1 }, l.title);
    titleBtn.addEventListener("click", () => open(l.id));
    return [
      h("div", { class: "crm-titlecell" }, l.was_seen ? null : h("span", { class: "crm-unseen", title: "Not seen yet", "aria-label": "New" }), titleBtn,
        l.is_archived ? h("span", { class: "crm-badge" }, "Archived") : null),
      h("div", { class: "crm-who" }, n.person ? h("span", {}, n.person) : null, n.org ? h("span", { class: "muted" }, n.org) : null),
      l.value ? money(l.value.amount, l.value.currency) : h("span", { class: "muted" }, "—"),
      h("div", { class: "crm-chips" }, ...(l.label_ids || []).map((id) => look.labels.get(id)).filter(Boolean).map(chip)),
      h("span", { class: "crm-src s-" + (sourceClass[l.source_name] || "other") }, l.source_name || "—"),
      h("div", { class: "crm-owner" }, avatar(look.userName(l.owner_id)), h("span", {}, look.userName(l.owner_id) || "—")),
      h("time", { datetime: l.add_time, title: dateTime(l.add_time) }, shortDate(l.add_time)),
    ];
  }

  function path() {
    const q = new URLSearchParams({ archived_status: state.archived, sort: "add_time DESC" });
    if (state.mine) q.set("owner_id", me);
    return "/leads?" + q.toString();
  }

  async function reload() {
    try { await pg.load(path()); } catch (e) { toast("Leads could not load: " + e.message, "bad"); }
  }

  async function rerenderRows() {
    tbl.clear();
    for (const l of state.rows.values()) { const c = await cells(l); if (matches(l)) tbl.add(l, c); }
    tbl.done();
  }

  archived.addEventListener("change", () => { state.archived = archived.value; setQuery({ archived: state.archived === "not_archived" ? null : state.archived }); reload(); });
  mine.addEventListener("change", () => { state.mine = mine.checked; setQuery({ owner: state.mine ? "me" : null }); reload(); });
  search.addEventListener("input", debounce(() => { state.term = search.value.trim(); setQuery({ q: state.term }); rerenderRows(); }, 150));
  refresh.addEventListener("click", reload);
  add.addEventListener("click", () => newLead(ctx, drawer, (l) => { reload(); open(l.id); }));

  async function open(id) {
    let l;
    try { l = await api("GET", "/leads/" + id); } catch (e) { toast("Lead could not load: " + e.message, "bad"); return; }
    setQuery({ id });
    if (!l.was_seen) {
      api("PATCH", "/leads/" + id, { was_seen: true }).then((u) => { state.rows.set(u.id, u); updateRow(u); }).catch(() => {});
    }
    renderDrawer(l);
  }

  async function updateRow(l) {
    if (!state.rows.has(l.id)) return;
    state.rows.set(l.id, l);
    tbl.replace(l, await cells(l));
  }

  async function renderDrawer(l) {
    const [persons, orgs] = await Promise.all([look.all("person"), look.all("org")]);
    const n = await look.names(l, "person_id", "organization_id");
    const convert = h("button", { class: "btn primary", type: "button", id: "crm-convert" }, "Convert to deal");
    const archive = h("button", { class: "btn", type: "button", id: "crm-archive" }, l.is_archived ? "Unarchive" : "Archive");
    convert.disabled = !!l.deal_id;
    convert.addEventListener("click", async () => {
      convert.disabled = true;
      try {
        const d = await api("POST", `/leads/${l.id}/convert`);
        toast("Converted to a deal");
        drawer.close();
        navigate("/app/crm/deals?deal=" + d.id);
      } catch (e) { toast("Could not convert: " + e.message, "bad"); convert.disabled = false; }
    });
    archive.addEventListener("click", async () => {
      try {
        const u = await api("PATCH", "/leads/" + l.id, { is_archived: !l.is_archived });
        toast(u.is_archived ? "Lead archived" : "Lead restored");
        if (state.archived !== "all" && state.rows.has(u.id)) {
          state.rows.delete(u.id);
          const tr = tbl.tbody.querySelector(`tr[data-id="${CSS.escape(u.id)}"]`);
          if (tr) tr.remove();
          tbl.done();
        }
        drawer.close();
      } catch (e) { toast(e.message, "bad"); }
    });

    const labels = labelPicker(look, l.label_ids || []);
    const form = h("form", { class: "crm-form", "aria-label": "Lead details", novalidate: true },
      field("Title", "title", { value: l.title, required: true }),
      h("div", { class: "crm-grid2" },
        field("Value", "value", { type: "number", value: l.value ? l.value.amount : "", attrs: { min: 0, step: "any" } }),
        field("Currency", "currency", { value: l.value ? l.value.currency : "USD", attrs: { maxlength: 3 } })),
      h("div", { class: "crm-grid2" },
        field("Person", "person_id", { options: personOptions(persons), value: l.person_id || "" }),
        field("Organization", "organization_id", { options: personOptions(orgs), value: l.organization_id || "" })),
      h("div", { class: "crm-grid2" },
        field("Expected close date", "expected_close_date", { type: "date", value: l.expected_close_date || "" }),
        field("Owner", "owner_id", { options: ownerOptions(look), value: l.owner_id || "" })),
      labels.el,
      h("label", { class: "crm-toggle" }, h("input", { type: "checkbox", name: "qualified", checked: l.qualified }), "Qualified"),
      formError(),
      h("div", { class: "crm-formbtns" }, h("span", { class: "crm-saved muted", "aria-live": "polite" }), h("button", { class: "btn primary", type: "submit" }, "Save changes")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const amount = numOrNull(val(form, "value"));
      try {
        const u = await api("PATCH", "/leads/" + l.id, {
          title: val(form, "title"), value: amount === null ? null : { amount, currency: val(form, "currency") || "USD" },
          person_id: idOrNull(val(form, "person_id")), organization_id: idOrNull(val(form, "organization_id")),
          expected_close_date: val(form, "expected_close_date") || null, owner_id: idOrNull(val(form, "owner_id")),
          label_ids: labels.value(), qualified: val(form, "qualified"),
        });
        Object.assign(l, u);
        drawer.setTitle(u.title);
        form.querySelector(".crm-saved").textContent = "Saved ✓";
        updateRow(u);
      } catch (e) { showErrors(form, e); }
    });

    const facts = h("dl", { class: "crm-facts" },
      h("dt", {}, "Source"), h("dd", {}, h("span", { class: "crm-src s-" + (sourceClass[l.source_name] || "other") }, l.source_name || "—")),
      h("dt", {}, "Person"), h("dd", {}, n.person ? link(n.person, "/app/crm/people?id=" + l.person_id) : "—"),
      h("dt", {}, "Organization"), h("dd", {}, n.org ? link(n.org, "/app/crm/organizations?id=" + l.organization_id) : "—"),
      h("dt", {}, "Added"), h("dd", {}, dateTime(l.add_time)),
      l.conversation_id ? h("dt", {}, "Conversation") : null,
      l.conversation_id ? h("dd", {}, link("Open the chat", "/app/livechat?c=" + encodeURIComponent(l.conversation_id), "crm-convlink")) : null,
      l.deal_id ? h("dt", {}, "Deal") : null,
      l.deal_id ? h("dd", {}, link("Open the deal", "/app/crm/deals?deal=" + l.deal_id)) : null);

    drawer.open({
      kicker: "Lead" + (l.is_archived ? " · archived" : ""), title: l.title, actions: [archive, convert],
      body: [
        h("div", { class: "crm-chips crm-dchips" }, ...(l.label_ids || []).map((id) => look.labels.get(id)).filter(Boolean).map(chip),
          l.value ? h("span", { class: "crm-bigvalue" }, money(l.value.amount, l.value.currency)) : null),
        facts,
        notesSection(ctx, "lead_id", l.id),
        activitiesSection(ctx, "lead_id", l.id),
        section("Details", form),
      ],
    });
  }

  function link(text, href, cls = "") {
    const a = h("a", { href, class: "crm-a " + cls }, text);
    a.addEventListener("click", (ev) => { if (ev.metaKey || ev.ctrlKey) return; ev.preventDefault(); drawer.close(); navigate(href); });
    return a;
  }

  const onVis = () => { if (document.visibilityState === "visible" && drawer.el.hidden) reload(); };
  document.addEventListener("visibilitychange", onVis);
  await reload();
  if (params.get("id")) open(params.get("id"));
  return () => { document.removeEventListener("visibilitychange", onVis); drawer.destroy(); };
}

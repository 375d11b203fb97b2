// People and Organizations: searchable, paged tables and a drawer with the
// contact's details, leads, deals and notes. ctx.kind is "person" or "org".
import {
  h, clear, avatar, money, shortDate, dateTime, Drawer, section, field, formError, showErrors, clearErrors,
  val, idOrNull, ownerOptions, personOptions, primary, notesSection, table, pager, toast, debounce, setQuery, chip,
} from "./crm-ui.js";
import { newPerson, newOrg, newLead, newDeal } from "./crm-forms.js";

export async function mount(el, ctx) {
  const { api, look, navigate } = ctx;
  const isPerson = ctx.kind === "person";
  const params = new URLSearchParams(location.search);
  const state = { term: params.get("q") || "", rows: new Map() };

  const search = h("input", { type: "search", class: "crm-search", placeholder: isPerson ? "Search name, email, phone" : "Search organizations", "aria-label": isPerson ? "Search people" : "Search organizations", value: state.term });
  const refresh = h("button", { class: "btn", type: "button" }, "↻ Refresh");
  const add = h("button", { class: "btn primary", type: "button", id: isPerson ? "crm-add-person" : "crm-add-org" }, isPerson ? "+ Person" : "+ Organization");

  const cols = isPerson
    ? [{ label: "Name", cls: "c-title" }, { label: "Email" }, { label: "Phone" }, { label: "Organization" }, { label: "Owner", cls: "c-owner" }, { label: "Added", cls: "c-date" }]
    : [{ label: "Name", cls: "c-title" }, { label: "Address" }, { label: "Owner", cls: "c-owner" }, { label: "Added", cls: "c-date" }];
  const tbl = table(cols, { caption: isPerson ? "People" : "Organizations", onOpen: (x) => open(x.id), empty: isPerson ? "No people found." : "No organizations found." });

  const pg = pager(ctx, async (rows, reset) => {
    if (reset) { tbl.clear(); state.rows.clear(); }
    if (isPerson) await Promise.all(rows.map((p) => look.org(p.org_id)));
    for (const x of rows) {
      look.remember(ctx.kind, x);
      state.rows.set(x.id, x);
      if (isPerson || matches(x)) tbl.add(x, await cells(x));
    }
    tbl.done();
  });

  el.append(
    h("div", { class: "crm-toolbar" }, h("h1", {}, isPerson ? "People" : "Organizations"), pg.status, h("div", { class: "crm-spacer" }), search, refresh, add),
    tbl.el, h("div", { class: "crm-pager" }, pg.more));
  const drawer = new Drawer(el, { onClose: () => setQuery({ id: null }) });

  function matches(o) {
    if (!state.term) return true;
    const t = state.term.toLowerCase();
    return [o.name, o.address].some((s) => String(s || "").toLowerCase().includes(t));
  }

  async function cells(x) {
    const owner = look.userName(x.owner_id);
    const name = h("div", { class: "crm-titlecell" }, avatar(x.name, "sm contact"), h("span", { class: "crm-link" }, x.name));
    const ownerCell = h("div", { class: "crm-owner" }, avatar(owner), h("span", {}, owner || "—"));
    const added = h("time", { datetime: x.add_time, title: dateTime(x.add_time) }, shortDate(x.add_time));
    if (!isPerson) return [name, x.address || h("span", { class: "muted" }, "—"), ownerCell, added];
    const o = await look.org(x.org_id);
    const mail = primary(x.email);
    return [name, mail ? h("a", { href: "mailto:" + mail, class: "crm-a" }, mail) : h("span", { class: "muted" }, "—"),
      primary(x.phone) || h("span", { class: "muted" }, "—"), o ? o.name : h("span", { class: "muted" }, "—"), ownerCell, added];
  }

  async function reload() {
    try {
      if (isPerson && state.term.length >= 2) await pg.load("/persons/search?term=" + encodeURIComponent(state.term));
      else await pg.load((isPerson ? "/persons" : "/organizations") + "?sort=name%20ASC");
    } catch (e) { toast("Could not load: " + e.message, "bad"); }
  }

  async function rerender() {
    tbl.clear();
    for (const x of state.rows.values()) if (matches(x)) tbl.add(x, await cells(x));
    tbl.done();
  }

  search.addEventListener("input", debounce(() => {
    state.term = search.value.trim();
    setQuery({ q: state.term });
    if (isPerson) reload(); else rerender();
  }, 200));
  refresh.addEventListener("click", reload);
  add.addEventListener("click", () => {
    const done = (x) => { reload(); open(x.id); };
    if (isPerson) newPerson(ctx, drawer, done); else newOrg(ctx, drawer, done);
  });

  async function open(id) {
    let x;
    try { x = await api("GET", (isPerson ? "/persons/" : "/organizations/") + id); } catch (e) { toast("Could not load: " + e.message, "bad"); return; }
    look.remember(ctx.kind, x);
    setQuery({ id });
    const orgs = isPerson ? await look.all("org") : [];
    const form = isPerson
      ? h("form", { class: "crm-form", "aria-label": "Person details", novalidate: true },
        field("Name", "name", { value: x.name, required: true }),
        h("div", { class: "crm-grid2" },
          field("Email", "email", { type: "email", value: primary(x.email) }),
          field("Phone", "phone", { type: "tel", value: primary(x.phone) })),
        h("div", { class: "crm-grid2" },
          field("Organization", "org_id", { options: personOptions(orgs), value: x.org_id || "" }),
          field("Owner", "owner_id", { options: ownerOptions(look), value: x.owner_id || "" })),
        formError(), saveRow())
      : h("form", { class: "crm-form", "aria-label": "Organization details", novalidate: true },
        field("Name", "name", { value: x.name, required: true }),
        field("Address", "address", { type: "textarea", rows: 2, value: x.address }),
        field("Owner", "owner_id", { options: ownerOptions(look), value: x.owner_id || "" }),
        formError(), saveRow());
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      let body;
      if (isPerson) {
        // Keep other addresses; replace the primary one.
        const swap = (list, v) => {
          const rest = (list || []).filter((c) => !c.primary).map((c) => ({ value: c.value, label: c.label, primary: false }));
          return v ? [{ value: v, primary: true, label: ((list || []).find((c) => c.primary) || {}).label || "work" }, ...rest] : rest;
        };
        body = { name: val(form, "name"), email: swap(x.email, val(form, "email")), phone: swap(x.phone, val(form, "phone")), org_id: idOrNull(val(form, "org_id")), owner_id: idOrNull(val(form, "owner_id")) };
      } else {
        body = { name: val(form, "name"), address: val(form, "address"), owner_id: idOrNull(val(form, "owner_id")) };
      }
      try {
        const u = await api("PATCH", (isPerson ? "/persons/" : "/organizations/") + x.id, body);
        Object.assign(x, u);
        look.remember(ctx.kind, u);
        drawer.setTitle(u.name);
        form.querySelector(".crm-saved").textContent = "Saved ✓";
        if (state.rows.has(u.id)) { state.rows.set(u.id, u); tbl.replace(u, await cells(u)); }
      } catch (e) { showErrors(form, e); }
    });

    const key = isPerson ? "person_id" : "org_id";
    const leadKey = isPerson ? "person_id" : "organization_id";
    const leadsList = h("ul", { class: "crm-rel" });
    const dealsList = h("ul", { class: "crm-rel" });
    const peopleList = h("ul", { class: "crm-rel" });
    const addLead = h("button", { class: "btn sm", type: "button" }, "+ Lead");
    const addDeal = h("button", { class: "btn sm", type: "button" }, "+ Deal");
    addLead.addEventListener("click", () => newLead(ctx, drawer, (l) => navigate("/app/crm/leads?id=" + l.id), { [leadKey]: x.id, ...(isPerson && x.org_id ? { organization_id: x.org_id } : {}) }));
    addDeal.addEventListener("click", () => newDeal(ctx, drawer, (d) => navigate("/app/crm/deals?deal=" + d.id), { preset: { [key]: x.id, ...(isPerson && x.org_id ? { org_id: x.org_id } : {}) } }));

    (async () => {
      try {
        const [leads, deals, people] = await Promise.all([
          api("GET", `/leads?${leadKey}=${x.id}&archived_status=not_archived&limit=100`),
          api("GET", `/deals?${key}=${x.id}&limit=100`),
          isPerson ? Promise.resolve([]) : api("GET", `/persons?org_id=${x.id}&limit=100`),
        ]);
        fill(leadsList, leads, "No open leads.", (l) => [h("span", {}, l.title), h("span", { class: "crm-chips" }, ...(l.label_ids || []).map((i) => look.labels.get(i)).filter(Boolean).map(chip)),
          h("span", { class: "muted" }, l.value ? money(l.value.amount, l.value.currency) : "")], (l) => "/app/crm/leads?id=" + l.id);
        fill(dealsList, deals, "No deals.", (d) => [h("span", {}, d.title), h("span", { class: "crm-status st-" + d.status }, d.status), h("span", { class: "muted" }, money(d.value, d.currency))], (d) => "/app/crm/deals?deal=" + d.id);
        if (!isPerson) fill(peopleList, people, "No people.", (p) => [h("span", {}, p.name), h("span", { class: "muted" }, primary(p.email))], (p) => "/app/crm/people?id=" + p.id);
      } catch (e) { toast(e.message, "bad"); }
    })();

    const o = isPerson ? await look.org(x.org_id) : null;
    drawer.open({
      kicker: isPerson ? "Person" + (o ? " · " + o.name : "") : "Organization", title: x.name, actions: [addLead, addDeal],
      body: [
        h("div", { class: "crm-contacthead" }, avatar(x.name, "lg contact"),
          h("div", {}, isPerson && primary(x.email) ? h("div", {}, h("a", { class: "crm-a", href: "mailto:" + primary(x.email) }, primary(x.email))) : null,
            isPerson && primary(x.phone) ? h("div", { class: "muted" }, primary(x.phone)) : null,
            !isPerson && x.address ? h("div", { class: "muted crm-pre" }, x.address) : null,
            h("div", { class: "muted" }, "Owner: ", look.userName(x.owner_id) || "—"))),
        isPerson ? null : section("People", peopleList),
        section("Leads", leadsList),
        section("Deals", dealsList),
        notesSection(ctx, key, x.id),
        section("Details", form),
      ],
    });
  }

  function saveRow() {
    return h("div", { class: "crm-formbtns" }, h("span", { class: "crm-saved muted", "aria-live": "polite" }), h("button", { class: "btn primary", type: "submit" }, "Save changes"));
  }

  function fill(list, rows, empty, cellsFn, hrefFn) {
    clear(list);
    if (!rows.length) { list.append(h("li", { class: "crm-empty-sm" }, empty)); return; }
    for (const r of rows) {
      const href = hrefFn(r);
      const a = h("a", { href, class: "crm-relrow" }, ...cellsFn(r));
      a.addEventListener("click", (ev) => { if (ev.metaKey || ev.ctrlKey) return; ev.preventDefault(); drawer.close(); navigate(href); });
      list.append(h("li", {}, a));
    }
  }

  const onVis = () => { if (document.visibilityState === "visible" && drawer.el.hidden) reload(); };
  document.addEventListener("visibilitychange", onVis);
  await reload();
  if (params.get("id")) open(Number(params.get("id")));
  return () => { document.removeEventListener("visibilitychange", onVis); drawer.destroy(); };
}

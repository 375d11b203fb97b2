// Deals: the pipeline board (a column per stage; drag a card, or use its
// "Move to…" menu, or Alt+←/→, to change its stage), a list view, and the
// deal drawer with won/lost.
import {
  h, clear, avatar, money, shortDate, dateTime, Drawer, section, field, formError, showErrors, clearErrors,
  val, numOrNull, idOrNull, ownerOptions, personOptions, notesSection, activitiesSection, table, toast, menu, setQuery, initials,
} from "./crm-ui.js";
import { newDeal } from "./crm-forms.js";

export async function mount(el, ctx) {
  const { api, look, navigate } = ctx;
  const params = new URLSearchParams(location.search);
  const state = {
    view: params.get("view") === "list" ? "list" : "board",
    status: params.get("status") || "open",
    pipelines: [], pipelineId: null, stages: [], deals: new Map(),
  };

  try {
    state.pipelines = await api("GET", "/pipelines?limit=500");
  } catch (e) {
    el.append(h("div", { class: "card" }, "Pipelines could not load: " + e.message));
    return;
  }
  state.pipelines.sort((a, b) => a.order_nr - b.order_nr || a.id - b.id);
  state.pipelineId = Number(params.get("pipeline")) || (state.pipelines[0] && state.pipelines[0].id);

  const pipeSel = h("select", { "aria-label": "Pipeline", name: "pipeline" }, ...state.pipelines.map((p) => h("option", { value: p.id, selected: p.id === state.pipelineId }, p.name)));
  const viewBtns = h("div", { class: "crm-seg", role: "group", "aria-label": "View" },
    ...[["board", "▦ Board"], ["list", "☰ List"]].map(([v, t]) => {
      const b = h("button", { type: "button", class: "btn", "data-view": v, "aria-pressed": String(state.view === v) }, t);
      b.addEventListener("click", () => { state.view = v; setQuery({ view: v === "board" ? null : v }); syncView(); load(); });
      return b;
    }));
  const statusSel = h("select", { "aria-label": "Status", name: "status" },
    ...[["open", "Open"], ["won", "Won"], ["lost", "Lost"], ["all_not_deleted", "All"]].map(([v, t]) => h("option", { value: v, selected: v === state.status }, t)));
  const totals = h("span", { class: "muted crm-count", "aria-live": "polite" });
  const refresh = h("button", { class: "btn", type: "button" }, "↻ Refresh");
  const add = h("button", { class: "btn primary", type: "button", id: "crm-add-deal" }, "+ Deal");
  const board = h("div", { class: "crm-board", role: "list", "aria-label": "Pipeline board" });
  const listWrap = h("div", { class: "crm-dealslist" });
  el.append(
    h("div", { class: "crm-toolbar" }, h("h1", {}, "Deals"), totals, h("div", { class: "crm-spacer" }),
      state.pipelines.length > 1 ? pipeSel : null, statusSel, viewBtns, refresh, add),
    board, listWrap);
  const drawer = new Drawer(el, { onClose: () => setQuery({ deal: null }) });

  function syncView() {
    for (const b of viewBtns.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.view === state.view));
    board.hidden = state.view !== "board";
    listWrap.hidden = state.view !== "list";
    statusSel.hidden = state.view === "board";
  }

  async function load() {
    try {
      const stages = await api("GET", `/stages?pipeline_id=${state.pipelineId}&limit=500`);
      state.stages = stages.sort((a, b) => a.order_nr - b.order_nr || a.id - b.id);
      for (const s of state.stages) look.stages.set(s.id, s);
      const status = state.view === "board" ? "open" : state.status;
      const deals = await fetchAll(`/deals?pipeline_id=${state.pipelineId}&status=${status}&sort=update_time%20DESC`);
      state.deals = new Map(deals.map((d) => [d.id, d]));
      await look.preload(deals, "person_id", "org_id");
      await render();
    } catch (e) { toast("Deals could not load: " + e.message, "bad"); }
  }

  async function fetchAll(path) {
    const out = [];
    let cursor = "";
    for (let i = 0; i < 20; i++) {
      const res = await api("GET", path + "&limit=500" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""), undefined, { raw: true });
      out.push(...(res.data || []));
      const pg = (res.additional_data && res.additional_data.pagination) || {};
      if (!pg.more_items_in_collection || !pg.next_cursor) break;
      cursor = pg.next_cursor;
    }
    return out;
  }

  async function render() {
    if (state.view === "board") await renderBoard(); else await renderList();
  }

  function sumText(deals) {
    const byCur = new Map();
    for (const d of deals) byCur.set(d.currency, (byCur.get(d.currency) || 0) + (d.value || 0));
    if (!byCur.size) return money(0, "USD");
    return [...byCur].map(([c, v]) => money(v, c)).join(" + ");
  }

  async function renderBoard() {
    clear(board);
    const all = [...state.deals.values()];
    totals.textContent = `${all.length} open deal${all.length === 1 ? "" : "s"} · ${sumText(all)}`;
    for (const s of state.stages) {
      const deals = all.filter((d) => d.stage_id === s.id);
      const cards = h("div", { class: "crm-cards" });
      const col = h("section", { class: "crm-col", role: "listitem", "data-stage": s.id, "aria-label": `${s.name}, ${deals.length} deals` },
        h("header", {}, h("h2", {}, s.name),
          h("div", { class: "crm-colmeta" }, h("span", { class: "crm-colsum" }, sumText(deals)), " · ", h("span", { class: "crm-colcount" }, `${deals.length} deal${deals.length === 1 ? "" : "s"}`))),
        cards);
      for (const d of deals) cards.append(await card(d));
      if (!deals.length) cards.append(h("div", { class: "crm-colempty" }, "Drop deals here"));
      col.addEventListener("dragover", (ev) => { if (dragging) { ev.preventDefault(); ev.dataTransfer.dropEffect = "move"; col.classList.add("over"); } });
      col.addEventListener("dragleave", (ev) => { if (!col.contains(ev.relatedTarget)) col.classList.remove("over"); });
      col.addEventListener("drop", (ev) => {
        ev.preventDefault();
        col.classList.remove("over");
        const id = Number(ev.dataTransfer.getData("text/plain") || dragging);
        dragging = null;
        if (id) move(id, s.id);
      });
      board.append(col);
    }
  }

  let dragging = null;

  async function card(d) {
    const n = await look.names(d, "person_id", "org_id");
    const owner = look.userName(d.owner_id);
    const moveBtn = h("button", { type: "button", class: "crm-icon crm-move", "aria-label": `Move ${d.title} to…`, "aria-haspopup": "menu", title: "Move to…" }, "⋯");
    const title = h("button", { type: "button", class: "crm-cardtitle crm-link" }, d.title);
    const c = h("article", { class: "crm-card", draggable: "true", "data-id": d.id, tabindex: 0, "aria-label": `${d.title}, ${money(d.value, d.currency)}. Alt+arrow keys move it between stages.` },
      h("div", { class: "crm-cardtop" }, title, moveBtn),
      n.org || n.person ? h("div", { class: "crm-cardwho muted" }, [n.org, n.person].filter(Boolean).join(" · ")) : null,
      h("div", { class: "crm-cardfoot" }, h("span", { class: "crm-cardvalue" }, money(d.value, d.currency)),
        d.expected_close_date ? h("span", { class: "muted crm-carddate", title: "Expected close" }, shortDate(d.expected_close_date + "T00:00:00")) : null,
        h("span", { class: "crm-av sm", title: owner || "No owner" }, owner ? initials(owner) : "–")));
    title.addEventListener("click", () => open(d.id));
    c.addEventListener("dblclick", () => open(d.id));
    c.addEventListener("keydown", (ev) => {
      if (ev.target !== c) return;
      if (ev.key === "Enter") { ev.preventDefault(); open(d.id); }
      if (ev.altKey && (ev.key === "ArrowRight" || ev.key === "ArrowLeft")) {
        ev.preventDefault();
        const i = state.stages.findIndex((s) => s.id === d.stage_id) + (ev.key === "ArrowRight" ? 1 : -1);
        if (state.stages[i]) move(d.id, state.stages[i].id, { focus: true });
      }
    });
    moveBtn.addEventListener("click", (ev) => {
      ev.stopPropagation();
      menu(moveBtn, state.stages.map((s) => ({ value: s.id, label: (s.id === d.stage_id ? "✓ " : "") + s.name, disabled: s.id === d.stage_id, attrs: { "data-stage": s.id } })),
        (sid) => move(d.id, sid, { focus: true }));
    });
    c.addEventListener("dragstart", (ev) => {
      dragging = d.id;
      ev.dataTransfer.setData("text/plain", String(d.id));
      ev.dataTransfer.effectAllowed = "move";
      c.classList.add("dragging");
    });
    c.addEventListener("dragend", () => { c.classList.remove("dragging"); dragging = null; for (const x of board.querySelectorAll(".over")) x.classList.remove("over"); });
    return c;
  }

  // move changes a deal's stage: at once on the board, then through the API
  // (put back if the API refuses).
  async function move(id, stageId, { focus = false } = {}) {
    const d = state.deals.get(id);
    if (!d || d.stage_id === stageId) return;
    const before = d.stage_id;
    d.stage_id = stageId;
    await render();
    try {
      const u = await api("PATCH", "/deals/" + id, { stage_id: stageId });
      state.deals.set(id, u);
      const s = look.stages.get(stageId);
      toast(`Moved “${u.title}” to ${s ? s.name : "another stage"}`);
    } catch (e) {
      d.stage_id = before;
      await render();
      toast("Could not move the deal: " + e.message, "bad");
    }
    if (focus) { const c = board.querySelector(`.crm-card[data-id="${id}"]`); if (c) c.focus(); }
  }

  async function renderList() {
    const all = [...state.deals.values()];
    totals.textContent = `${all.length} deal${all.length === 1 ? "" : "s"} · ${sumText(all)}`;
    const tbl = table([
      { label: "Title", cls: "c-title" }, { label: "Person / Organization" }, { label: "Stage" }, { label: "Value", cls: "num" },
      { label: "Status" }, { label: "Owner", cls: "c-owner" }, { label: "Expected close", cls: "c-date" },
    ], { caption: "Deals", onOpen: (d) => open(d.id), empty: "No deals here." });
    for (const d of all) {
      const n = await look.names(d, "person_id", "org_id");
      const s = look.stages.get(d.stage_id);
      tbl.add(d, [
        h("span", { class: "crm-link" }, d.title),
        h("div", { class: "crm-who" }, n.person ? h("span", {}, n.person) : null, n.org ? h("span", { class: "muted" }, n.org) : null),
        s ? s.name : "—", money(d.value, d.currency),
        h("span", { class: "crm-status st-" + d.status }, d.status),
        h("div", { class: "crm-owner" }, avatar(look.userName(d.owner_id)), h("span", {}, look.userName(d.owner_id) || "—")),
        d.expected_close_date ? shortDate(d.expected_close_date + "T00:00:00") : "—",
      ]);
    }
    tbl.done();
    clear(listWrap).append(tbl.el);
  }

  async function open(id) {
    let d;
    try { d = await api("GET", "/deals/" + id); } catch (e) { toast("Deal could not load: " + e.message, "bad"); return; }
    setQuery({ deal: id });
    if (d.pipeline_id !== state.pipelineId) {
      const st = await api("GET", `/stages?pipeline_id=${d.pipeline_id}&limit=500`).catch(() => []);
      for (const s of st) look.stages.set(s.id, s);
    }
    const stages = [...look.stages.values()].filter((s) => s.pipeline_id === d.pipeline_id).sort((a, b) => a.order_nr - b.order_nr);
    const [persons, orgs] = await Promise.all([look.all("person"), look.all("org")]);
    const n = await look.names(d, "person_id", "org_id");

    const won = h("button", { class: "btn crm-won", type: "button", id: "crm-won" }, "Won");
    const lost = h("button", { class: "btn crm-lost", type: "button", id: "crm-lost" }, "Lost");
    const reopen = h("button", { class: "btn", type: "button", id: "crm-reopen" }, "Reopen");
    const actions = d.status === "open" ? [won, lost] : [reopen];
    const lostForm = h("form", { class: "crm-lostform", hidden: true, "aria-label": "Mark as lost" },
      field("Lost reason", "lost_reason", { placeholder: "Went with a competitor" }), formError(),
      h("div", { class: "crm-formbtns" }, h("button", { class: "btn", type: "button", "data-cancel": "" }, "Cancel"), h("button", { class: "btn crm-lost", type: "submit" }, "Mark as lost")));
    async function setStatus(body) {
      try {
        const u = await api("PATCH", "/deals/" + d.id, body);
        toast(u.status === "won" ? "🎉 Deal won" : u.status === "lost" ? "Deal marked as lost" : "Deal reopened");
        await load();
        open(u.id);
      } catch (e) { showErrors(lostForm, e); toast(e.message, "bad"); }
    }
    won.addEventListener("click", () => setStatus({ status: "won" }));
    reopen.addEventListener("click", () => setStatus({ status: "open" }));
    lost.addEventListener("click", () => { lostForm.hidden = false; lostForm.elements.namedItem("lost_reason").focus(); });
    lostForm.querySelector("[data-cancel]").addEventListener("click", () => { lostForm.hidden = true; });
    lostForm.addEventListener("submit", (ev) => { ev.preventDefault(); setStatus({ status: "lost", lost_reason: val(lostForm, "lost_reason") }); });

    const form = h("form", { class: "crm-form", "aria-label": "Deal details", novalidate: true },
      field("Title", "title", { value: d.title, required: true }),
      h("div", { class: "crm-grid2" },
        field("Value", "value", { type: "number", value: d.value, attrs: { min: 0, step: "any" } }),
        field("Currency", "currency", { value: d.currency, attrs: { maxlength: 3 } })),
      h("div", { class: "crm-grid2" },
        field("Stage", "stage_id", { options: stages.map((s) => [s.id, s.name]), value: d.stage_id }),
        field("Owner", "owner_id", { options: ownerOptions(look), value: d.owner_id || "" })),
      h("div", { class: "crm-grid2" },
        field("Person", "person_id", { options: personOptions(persons), value: d.person_id || "" }),
        field("Organization", "org_id", { options: personOptions(orgs), value: d.org_id || "" })),
      field("Expected close date", "expected_close_date", { type: "date", value: d.expected_close_date || "" }),
      formError(),
      h("div", { class: "crm-formbtns" }, h("span", { class: "crm-saved muted", "aria-live": "polite" }), h("button", { class: "btn primary", type: "submit" }, "Save changes")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      try {
        const u = await api("PATCH", "/deals/" + d.id, {
          title: val(form, "title"), value: numOrNull(val(form, "value")) ?? 0, currency: val(form, "currency"),
          stage_id: idOrNull(val(form, "stage_id")), owner_id: idOrNull(val(form, "owner_id")),
          person_id: idOrNull(val(form, "person_id")), org_id: idOrNull(val(form, "org_id")),
          expected_close_date: val(form, "expected_close_date") || null,
        });
        drawer.setTitle(u.title);
        form.querySelector(".crm-saved").textContent = "Saved ✓";
        if (state.deals.has(u.id)) { state.deals.set(u.id, u); render(); }
      } catch (e) { showErrors(form, e); }
    });

    // Stage progress, as in Pipedrive: click a step to move there.
    const progress = h("ol", { class: "crm-progress", "aria-label": "Stage" }, ...stages.map((s) => {
      const i = stages.findIndex((x) => x.id === d.stage_id);
      const j = stages.indexOf(s);
      const b = h("button", { type: "button", class: j < i ? "past" : j === i ? "cur" : "", "aria-current": j === i ? "step" : false, title: s.name, disabled: d.status !== "open" }, s.name);
      b.addEventListener("click", async () => {
        if (s.id === d.stage_id) return;
        if (state.deals.has(d.id)) await move(d.id, s.id); else await api("PATCH", "/deals/" + d.id, { stage_id: s.id }).catch((e) => toast(e.message, "bad"));
        open(d.id);
      });
      return h("li", {}, b);
    }));

    const statusLine = d.status === "won" ? h("div", { class: "crm-banner won" }, "Won ", d.won_time ? dateTime(d.won_time) : "")
      : d.status === "lost" ? h("div", { class: "crm-banner lost" }, "Lost", d.lost_reason ? ": " + d.lost_reason : "", d.lost_time ? " · " + dateTime(d.lost_time) : "") : null;

    drawer.open({
      kicker: "Deal · " + (state.pipelines.find((p) => p.id === d.pipeline_id) || { name: "" }).name, title: d.title, actions,
      body: [
        statusLine, progress, lostForm,
        h("div", { class: "crm-chips crm-dchips" }, h("span", { class: "crm-bigvalue" }, money(d.value, d.currency)), h("span", { class: "crm-status st-" + d.status }, d.status)),
        h("dl", { class: "crm-facts" },
          h("dt", {}, "Person"), h("dd", {}, n.person ? link(n.person, "/app/crm/people?id=" + d.person_id) : "—"),
          h("dt", {}, "Organization"), h("dd", {}, n.org ? link(n.org, "/app/crm/organizations?id=" + d.org_id) : "—"),
          h("dt", {}, "Owner"), h("dd", {}, look.userName(d.owner_id) || "—"),
          h("dt", {}, "Added"), h("dd", {}, dateTime(d.add_time)),
          d.conversation_id ? h("dt", {}, "Conversation") : null,
          d.conversation_id ? h("dd", {}, link("Open the chat", "/app/livechat?c=" + encodeURIComponent(d.conversation_id), "crm-convlink")) : null),
        notesSection(ctx, "deal_id", d.id),
        activitiesSection(ctx, "deal_id", d.id),
        section("Details", form),
      ],
    });
  }

  function link(text, href, cls = "") {
    const a = h("a", { href, class: "crm-a " + cls }, text);
    a.addEventListener("click", (ev) => { if (ev.metaKey || ev.ctrlKey) return; ev.preventDefault(); drawer.close(); navigate(href); });
    return a;
  }

  pipeSel.addEventListener("change", () => { state.pipelineId = Number(pipeSel.value); setQuery({ pipeline: state.pipelineId }); load(); });
  statusSel.addEventListener("change", () => { state.status = statusSel.value; setQuery({ status: state.status === "open" ? null : state.status }); load(); });
  refresh.addEventListener("click", load);
  add.addEventListener("click", () => newDeal(ctx, drawer, async (d) => { await load(); open(d.id); }, { stages: state.stages }));
  const onVis = () => { if (document.visibilityState === "visible" && drawer.el.hidden) load(); };
  document.addEventListener("visibilitychange", onVis);

  syncView();
  if (!state.pipelines.length) {
    board.append(h("div", { class: "crm-empty card" }, "No pipeline yet: an admin creates one through /pipelines."));
  } else {
    await load();
  }
  if (params.get("deal")) open(Number(params.get("deal")));
  return () => { document.removeEventListener("visibilitychange", onVis); drawer.destroy(); };
}

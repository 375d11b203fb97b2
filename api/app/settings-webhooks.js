// Settings › Webhooks (admins): the URLs Parley tells about CRM changes.
// A new webhook's secret is shown once, with how a receiver checks the
// X-Parley-Signature header; each webhook's recent deliveries (its outbox)
// can be looked at, with the outcome of the last attempt.
import { h } from "./dom.js";
import { ensureTeamCSS, secretBox, field, formError, clearErrors, showErrors, fmtTime } from "./settings-team.js";

const OBJECTS = [
  ["*", "Everything"], ["lead", "Leads"], ["deal", "Deals"], ["person", "Persons"],
  ["organization", "Organizations"], ["activity", "Activities"], ["note", "Notes"],
];
const ACTIONS = [["*", "Any change"], ["create", "Created"], ["change", "Changed"], ["delete", "Deleted"]];
const label = (list, v) => (list.find(([k]) => k === v) || [v, v])[1];

const VERIFY = `// Node.js: check a delivery before trusting it
const crypto = require("crypto");
const want = "sha256=" + crypto.createHmac("sha256", SECRET).update(rawBody).digest("hex");
const got = req.headers["x-parley-signature"] || "";
const ok = got.length === want.length && crypto.timingSafeEqual(Buffer.from(got), Buffer.from(want));`;

function select(name, options, value) {
  return h("select", { name }, ...options.map(([v, l]) => h("option", { value: v, selected: v === value }, l)));
}

export async function mount(el, { api }) {
  ensureTeamCSS();
  let gone = false;
  let shownID = null; // the webhook whose secret is on screen
  let openID = null; // the webhook whose deliveries are open

  const onceSlot = h("div", { class: "stt-once-slot" });
  const listBody = h("div", {});
  const listErr = h("div", { class: "st-err", role: "alert" });
  const deliveriesSlot = h("div", {});

  const url = h("input", { type: "text", inputmode: "url", autocomplete: "off", maxlength: 2000, placeholder: "https://example.com/parley-hook" });
  const add = h("button", { type: "submit", class: "btn primary", name: "add-webhook" }, "Add webhook");
  const form = h("form", { class: "stt-form", "aria-label": "Add webhook", novalidate: true },
    h("h3", {}, "Add a webhook"),
    field("URL", "subscription_url", url, "Parley POSTs a JSON body to it for every matching change."),
    field("Object", "event_object", select("event_object", OBJECTS, "*")),
    field("Action", "event_action", select("event_action", ACTIONS, "*")),
    formError(),
    h("div", { class: "st-actions" }, add));

  el.append(
    h("section", { class: "st-card", "aria-label": "Webhooks" },
      h("h2", {}, "Webhooks"),
      h("p", { class: "hint" }, "A webhook tells another system about changes to leads, deals, persons, organizations, activities and notes, within seconds. " +
        "Deliveries are retried for 24 hours while the receiver is down, in order for each record; a 2xx answer counts as delivered."),
      form, onceSlot, listBody, listErr),
    deliveriesSlot);

  async function load() {
    try {
      const ws = await api("GET", "/webhooks");
      if (gone) return;
      listErr.textContent = "";
      render(ws || []);
    } catch (err) {
      if (!gone) listErr.textContent = "The webhooks could not load: " + err.message;
    }
  }

  function render(ws) {
    if (openID !== null && !ws.some((w) => w.id === openID)) closeDeliveries();
    if (!ws.length) {
      listBody.replaceChildren(h("p", { class: "stt-empty" }, "No webhooks yet."));
      return;
    }
    const tbody = h("tbody", {});
    for (const w of ws) {
      const toggle = w.active
        ? h("button", { type: "button", class: "btn stt-sm", name: "deactivate" }, "Deactivate")
        : h("button", { type: "button", class: "btn stt-sm", name: "activate" }, "Activate");
      const deliveries = h("button", { type: "button", class: "btn stt-sm", name: "deliveries", "aria-pressed": String(openID === w.id) }, "Deliveries");
      const del = h("button", { type: "button", class: "btn stt-sm stt-danger", name: "delete" }, "Delete");
      toggle.addEventListener("click", () => setActive(w, !w.active, toggle));
      deliveries.addEventListener("click", () => openDeliveries(w));
      del.addEventListener("click", () => remove(w, del));
      tbody.append(h("tr", { "data-webhook": w.id, class: w.active ? "" : "off" },
        h("td", { class: "c-url", style: "word-break: break-all" }, w.subscription_url),
        h("td", { class: "c-object", "data-value": w.event_object }, label(OBJECTS, w.event_object)),
        h("td", { class: "c-action", "data-value": w.event_action }, label(ACTIONS, w.event_action)),
        h("td", { class: "c-active" }, w.active ? h("span", { class: "stt-badge" }, "Active") : h("span", { class: "stt-badge off" }, "Inactive")),
        h("td", { class: "stt-actions" }, deliveries, toggle, del)));
    }
    listBody.replaceChildren(h("table", { class: "st-table stt-table", "aria-label": "Webhooks list" },
      h("thead", {}, h("tr", {}, ...["URL", "Object", "Action", "Active", ""].map((c) => h("th", {}, c)))),
      tbody));
  }

  async function setActive(w, active, btn) {
    btn.disabled = true;
    try {
      await api("PATCH", `/webhooks/${w.id}`, { active });
      await load();
    } catch (err) {
      btn.disabled = false;
      listErr.textContent = `Could not ${active ? "activate" : "deactivate"} the webhook: ${err.message}`;
    }
  }

  async function remove(w, btn) {
    if (!confirm(`Delete the webhook to ${w.subscription_url}? Its pending deliveries are dropped and it gets no more.`)) return;
    btn.disabled = true;
    try {
      await api("DELETE", `/webhooks/${w.id}`);
      if (shownID === w.id) { onceSlot.replaceChildren(); shownID = null; }
      await load();
    } catch (err) {
      btn.disabled = false;
      listErr.textContent = "Could not delete the webhook: " + err.message;
    }
  }

  // ---- deliveries ----

  function closeDeliveries() {
    openID = null;
    deliveriesSlot.replaceChildren();
    for (const b of listBody.querySelectorAll("button[name=deliveries]")) b.setAttribute("aria-pressed", "false");
  }

  function openDeliveries(w) {
    openID = w.id;
    for (const b of listBody.querySelectorAll("button[name=deliveries]")) {
      b.setAttribute("aria-pressed", String(b.closest("tr").dataset.webhook === String(w.id)));
    }
    const body = h("div", {});
    const err = h("div", { class: "st-err", role: "alert" });
    const more = h("div", { class: "st-actions" });
    const refresh = h("button", { type: "button", class: "btn stt-sm", name: "refresh" }, "Refresh");
    const close = h("button", { type: "button", class: "btn stt-sm", name: "close" }, "Close");
    close.addEventListener("click", closeDeliveries);
    const card = h("section", { class: "st-card", "aria-label": "Deliveries", "data-deliveries": w.id },
      h("div", { class: "stt-head" },
        h("div", {}, h("h2", {}, "Deliveries"),
          h("p", { class: "hint" }, `Recent deliveries to ${w.subscription_url}, newest first.`)),
        refresh, close),
      body, more, err);
    deliveriesSlot.replaceChildren(card);
    let tbody = null;

    async function page(before) {
      try {
        const q = before ? `?limit=50&before=${encodeURIComponent(before)}` : "?limit=50";
        const res = await api("GET", `/webhooks/${w.id}/deliveries${q}`, undefined, { raw: true });
        if (gone || openID !== w.id || !card.isConnected) return;
        err.textContent = "";
        const ds = res.data || [];
        if (!before) {
          if (!ds.length) {
            body.replaceChildren(h("p", { class: "stt-empty", "data-empty": "" }, "No deliveries yet: they appear here when a matching record changes."));
            more.replaceChildren();
            return;
          }
          tbody = h("tbody", {});
          body.replaceChildren(h("table", { class: "st-table stt-table", "aria-label": "Deliveries list" },
            h("thead", {}, h("tr", {}, ...["Time", "Event", "Status", "Attempts", "Last HTTP status", "Last error"].map((c) => h("th", {}, c)))),
            tbody));
        }
        for (const d of ds) tbody.append(deliveryRow(d));
        const pg = (res.additional_data && res.additional_data.pagination) || {};
        more.replaceChildren();
        if (pg.more_items_in_collection && pg.next_cursor) {
          const older = h("button", { type: "button", class: "btn stt-sm", name: "older" }, "Older");
          older.addEventListener("click", () => { older.disabled = true; page(pg.next_cursor); });
          more.append(older);
        }
      } catch (e) {
        if (!gone) err.textContent = "The deliveries could not load: " + e.message;
      }
    }
    refresh.addEventListener("click", () => page(null));
    page(null);
    card.scrollIntoView({ block: "nearest" });
  }

  function deliveryRow(d) {
    let status = d.status;
    if (d.status === "pending" && d.attempts > 0) status += ", next try " + fmtTime(d.next_attempt_at);
    if (d.status === "delivered" && d.done_at) status += " " + fmtTime(d.done_at);
    return h("tr", { "data-delivery": d.id, "data-status": d.status },
      h("td", { class: "c-time" }, fmtTime(d.add_time)),
      h("td", { class: "c-event" }, `${d.object} ${d.action} #${d.entity_id}`),
      h("td", { class: "c-status" }, h("span", { class: "stt-badge" + (d.status === "failed" ? " off" : "") }, status)),
      h("td", { class: "c-attempts" }, String(d.attempts)),
      h("td", { class: "c-http" }, d.response_status == null ? "—" : String(d.response_status)),
      h("td", { class: "c-error", style: "word-break: break-word" }, d.last_error || ""));
  }

  // ---- add ----

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    add.disabled = true;
    try {
      const w = await api("POST", "/webhooks", {
        subscription_url: url.value.trim(),
        event_object: form.elements.namedItem("event_object").value,
        event_action: form.elements.namedItem("event_action").value,
      });
      url.value = "";
      shownID = w.id;
      onceSlot.replaceChildren(secretBox({
        title: "Secret of the webhook to " + w.subscription_url, secret: w.secret, what: "this secret",
        attrs: { "data-once": "webhook", "data-webhook": w.id },
        extra: [
          h("p", { "data-hint": "signature" }, "Every delivery carries an ", h("code", {}, "X-Parley-Signature"), " header: ",
            h("code", {}, "sha256="), " followed by the hex HMAC-SHA256 of the raw request body, keyed with this secret. " +
            "Compute it over the body exactly as received (before parsing the JSON) and compare in constant time; refuse the delivery when they differ."),
          h("pre", { class: "st-snippet", "data-snippet": "verify" }, VERIFY),
        ],
      }));
      await load();
    } catch (err) {
      if (!gone) showErrors(form, err);
    } finally {
      add.disabled = false;
    }
  });

  await load();
  return () => { gone = true; };
}

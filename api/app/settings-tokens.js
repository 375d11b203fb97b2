// Settings › API tokens (everyone): the signed-in user's own tokens. A new
// token's secret is shown once, with a curl line to try it; the list shows
// only the prefix the server keeps.
import { h } from "./dom.js";
import { ensureTeamCSS, secretBox, field, formError, clearErrors, showErrors, fmtTime } from "./settings-team.js";

export async function mount(el, { api, session }) {
  ensureTeamCSS();
  let gone = false;
  let shownID = null; // the token whose secret is on screen

  const onceSlot = h("div", { class: "stt-once-slot" });
  const listBody = h("div", {});
  const listErr = h("div", { class: "st-err", role: "alert" });
  const name = h("input", { type: "text", maxlength: 100, autocomplete: "off", placeholder: "e.g. Zapier, reporting script" });
  const create = h("button", { type: "submit", class: "btn primary", name: "create-token" }, "Create token");
  const form = h("form", { class: "stt-form", "aria-label": "Create token", novalidate: true },
    field("Name", "name", name, "What the token is for, so you know which one to revoke later."),
    formError(),
    h("div", { class: "st-actions" }, create));

  const u = session.user || {};
  el.append(h("section", { class: "st-card", "aria-label": "API tokens" },
    h("h2", {}, "API tokens"),
    h("p", { class: "hint" }, `A token acts as you (${u.name || ""}, ${u.role || ""}) on the REST API at ${location.origin}/api/v1. Send it in the x-api-token header. Revoke a token you no longer use or that may have leaked.`),
    form, onceSlot, listBody, listErr));

  async function load() {
    try {
      const ts = await api("GET", "/users/me/tokens");
      if (gone) return;
      listErr.textContent = "";
      render(ts || []);
    } catch (err) {
      if (!gone) listErr.textContent = "Your tokens could not load: " + err.message;
    }
  }

  function render(ts) {
    if (!ts.length) {
      listBody.replaceChildren(h("p", { class: "stt-empty" }, "You have no API tokens."));
      return;
    }
    const tbody = h("tbody", {});
    for (const t of ts) {
      const revoke = h("button", { type: "button", class: "btn stt-sm stt-danger", name: "revoke" }, "Revoke");
      revoke.addEventListener("click", async () => {
        if (!confirm(`Revoke the token "${t.name || t.prefix}"? Anything using it stops working at once.`)) return;
        revoke.disabled = true;
        try {
          await api("DELETE", `/users/me/tokens/${t.id}`);
          if (shownID === t.id) { onceSlot.replaceChildren(); shownID = null; }
          await load();
        } catch (err) {
          revoke.disabled = false;
          listErr.textContent = "Could not revoke the token: " + err.message;
        }
      });
      tbody.append(h("tr", { "data-token": t.id },
        h("td", { class: "c-name" }, t.name || h("span", { class: "muted" }, "(no name)")),
        h("td", { class: "c-prefix" }, h("code", {}, t.prefix + "…")),
        h("td", { class: "c-created" }, fmtTime(t.add_time)),
        h("td", { class: "c-used" }, t.last_used_at ? fmtTime(t.last_used_at) : h("span", { class: "muted" }, "Never")),
        h("td", { class: "stt-actions" }, revoke)));
    }
    listBody.replaceChildren(h("table", { class: "st-table stt-table", "aria-label": "My API tokens" },
      h("thead", {}, h("tr", {}, ...["Name", "Token", "Created", "Last used", ""].map((c) => h("th", {}, c)))),
      tbody));
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!name.value.trim()) {
      form.querySelector('[data-err="name"]').textContent = "is required";
      name.focus();
      return;
    }
    create.disabled = true;
    try {
      const t = await api("POST", "/users/me/tokens", { name: name.value.trim() });
      name.value = "";
      shownID = t.id;
      const curl = `curl -H "x-api-token: ${t.token}" ${location.origin}/api/v1/users/me`;
      onceSlot.replaceChildren(secretBox({
        title: `Token ${t.name}`, secret: t.token, what: "this token", attrs: { "data-once": "token", "data-token": t.id },
        extra: [h("p", {}, "Try it:"), h("pre", { class: "st-snippet", "data-snippet": "curl" }, curl)],
      }));
      await load();
    } catch (err) {
      if (!gone) showErrors(form, err);
    } finally {
      create.disabled = false;
    }
  });

  await load();
  return () => { gone = true; };
}

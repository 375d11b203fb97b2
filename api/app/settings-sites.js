// Settings › Sites & widget (admins): the websites that show the widget.
// The list of sites, a form to add one (name and allowed origins), and for
// the selected site (?site=ID, so a reload or a link keeps it) the install
// snippet and an editor for everything SiteInput takes: name, allowed
// origins, appearance, the widget's texts per language, business hours and
// what happens outside them, the pre-chat form and the page rules. Save
// sends one PATCH with every section; a failed save keeps what was typed and
// shows each of the server's field errors next to its field.
//
// Everything shown comes from admins (site names, texts) and goes through
// h(), which makes text nodes: nothing here is parsed as HTML.

const LANGS = [["en", "English"], ["fr", "Français"], ["es", "Español"], ["pt", "Português"]];

const TEXT_KEYS = [
  ["launcher", "Launcher button"],
  ["header", "Chat header"],
  ["offline_message", "Offline message"],
  ["placeholder", "Message box placeholder"],
  ["agent_joined", "Agent joined (%s is the agent's name)"],
  ["restart", "Start over button"],
];

// The built-in texts (GET /widgetTexts), shown as placeholders: an empty
// box means the widget uses them. Read when the tab mounts.
let DEFAULT_TEXTS = { en: {}, fr: {}, es: {}, pt: {} };

const DAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"], ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];

const PRECHAT_FIELDS = [["person.name", "Name"], ["person.email", "Email"], ["person.phone", "Phone"], ["organization.name", "Company"]];

const RANGE_RE = /^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])$/;
const COLOR_RE = /^#[0-9a-fA-F]{6}$/;

function ensureCSS() {
  if (document.getElementById("settings-sites-css")) return;
  const link = document.createElement("link");
  link.id = "settings-sites-css";
  link.rel = "stylesheet";
  link.href = "/app/static/settings-sites.css";
  document.head.append(link);
}

// checkOrigin returns the origin as a browser sends it in the Origin header
// (lower case, punycode, no default port), or throws a message saying what
// is wrong. The server accepts exactly scheme://host[:port].
export function checkOrigin(text) {
  const s = text.trim().replace(/\/+$/, "");
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) throw new Error("must start with https:// or http://");
  if (!/^https?:\/\//i.test(s)) throw new Error("must use https:// or http://");
  if (!/^https?:\/\/[^/?#@\s\\]+$/i.test(s)) throw new Error("must be only scheme://host[:port], without a path, query or user");
  let u;
  try { u = new URL(s); } catch { throw new Error("is not a valid address"); }
  if (!u.hostname) throw new Error("has no host");
  if (u.port === "0") throw new Error("has an invalid port");
  return u.protocol + "//" + u.host;
}

// snippet is the install tag for a site (README.md, widget/static/loader.js
// reads data-site and its own src's origin).
export function snippet(siteKey) {
  return `<script src="${location.origin}/widget/v1/static/loader.js" data-site="${siteKey}" async></script>`;
}

function siteIDFromURL() {
  const v = new URLSearchParams(location.search).get("site");
  return v && /^\d+$/.test(v) ? Number(v) : null;
}

let seq = 0;
const uid = (p) => `sts-${p}-${++seq}`;

// errorSlots maps API field names to the element showing their errors: a
// field error goes to the most specific registered slot (pre_chat.fields[1].label,
// then pre_chat.fields[1], pre_chat.fields, pre_chat), else to the form's own.
class ErrorSlots {
  constructor(general) { this.general = general; this.slots = new Map(); }
  add(key, el, control) { this.slots.set(key, { el, control }); return el; }
  clear() {
    this.general.textContent = "";
    for (const { el, control } of this.slots.values()) {
      el.replaceChildren();
      if (control) control.removeAttribute("aria-invalid");
    }
  }
  find(field) {
    let f = field;
    for (;;) {
      if (this.slots.has(f)) return this.slots.get(f);
      const cut = Math.max(f.lastIndexOf("."), f.lastIndexOf("["));
      if (cut <= 0) return null;
      f = f.slice(0, cut);
    }
  }
  // show displays errors ({field, message, text?}); it returns the first
  // control to focus.
  show(errors, h) {
    let first = null;
    for (const e of errors) {
      const slot = this.find(e.field || "");
      if (!slot) {
        this.general.append(h("div", {}, e.text || (e.field ? `${e.field}: ${e.message}` : e.message)));
        continue;
      }
      slot.el.append(h("div", {}, e.text || e.message));
      if (slot.control) {
        slot.control.setAttribute("aria-invalid", "true");
        first ||= slot.control;
      }
    }
    return first;
  }
}

export async function mount(el, { api, h }) {
  ensureCSS();
  try { DEFAULT_TEXTS = { ...DEFAULT_TEXTS, ...(await api("GET", "/widgetTexts")) }; } catch { /* placeholders stay empty */ }
  let sites = [];
  let dirty = false;
  const onBeforeUnload = (ev) => { if (dirty) { ev.preventDefault(); ev.returnValue = ""; } };
  window.addEventListener("beforeunload", onBeforeUnload);

  const listBody = h("tbody");
  const listNote = h("p", { class: "hint", role: "status" });
  const newBtn = h("button", { type: "button", class: "btn primary", name: "new-site" }, "+ New site");
  const newSlot = h("div");
  const listCard = h("section", { class: "st-card", "aria-labelledby": "sts-list-h" },
    h("div", { class: "sts-head" },
      h("div", {}, h("h2", { id: "sts-list-h" }, "Sites"),
        h("p", { class: "hint" }, "Each website that shows the chat widget. The widget only loads on pages whose origin is listed in the site's allowed origins.")),
      newBtn),
    newSlot,
    h("table", { class: "st-table sts-list" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Site key"), h("th", { scope: "col" }, "Allowed origins"))),
      listBody),
    listNote);
  const detail = h("div", { class: "sts-detail" });
  el.append(listCard, detail);

  const discardOK = () => !dirty || confirm("Discard the unsaved changes to this site?");

  function renderList() {
    const current = siteIDFromURL();
    listBody.replaceChildren(...sites.map((s) => {
      const a = h("a", { href: "/app/settings/sites?site=" + s.id, class: "sts-pick", "data-site-id": String(s.id), "aria-current": s.id === current ? "true" : false }, s.name);
      a.addEventListener("click", (ev) => {
        if (ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
        ev.preventDefault();
        if (s.id === siteIDFromURL() || !discardOK()) return;
        select(s.id, true);
      });
      const origins = s.allowed_origins.length ? s.allowed_origins.join(", ") : h("span", { class: "sts-warn" }, "none: the widget loads nowhere");
      return h("tr", { class: s.id === current ? "on" : "", "data-site-id": String(s.id) },
        h("td", {}, a), h("td", {}, h("code", {}, s.site_key)), h("td", {}, origins));
    }));
    listNote.textContent = sites.length ? "" : "No sites yet. Add one to get the widget's install snippet.";
  }

  async function loadList() {
    sites = await api("GET", "/sites") || [];
    renderList();
  }

  function select(id, push) {
    const url = id ? "/app/settings/sites?site=" + id : "/app/settings/sites";
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
    dirty = false;
    renderList();
    renderDetail();
  }

  function renderDetail(message) {
    const id = siteIDFromURL();
    const site = sites.find((s) => s.id === id);
    detail.replaceChildren();
    if (id && !site) {
      detail.append(h("div", { class: "st-card", role: "alert" }, "This site does not exist (it may have been deleted)."));
      return;
    }
    if (site) detail.append(...editor(site, message));
  }

  // --- adding a site -------------------------------------------------------------
  newBtn.addEventListener("click", () => {
    if (newSlot.firstChild) { newSlot.querySelector("input").focus(); return; }
    const name = h("input", { type: "text", id: "sts-new-name", name: "new-name", maxlength: "200", required: true, autocomplete: "off", "aria-describedby": "sts-new-name-err" });
    const origins = h("textarea", { id: "sts-new-origins", name: "new-origins", rows: "3", required: true, spellcheck: "false", placeholder: "https://www.example.com", "aria-describedby": "sts-new-origins-hint sts-new-origins-err" });
    const general = h("div", { class: "st-err", role: "alert" });
    const errs = new ErrorSlots(general);
    const nameErr = errs.add("name", h("div", { class: "st-err", id: "sts-new-name-err", role: "alert" }), name);
    const originsErr = errs.add("allowed_origins", h("div", { class: "st-err", id: "sts-new-origins-err", role: "alert" }), origins);
    const create = h("button", { type: "submit", class: "btn primary", name: "create-site" }, "Create site");
    const cancel = h("button", { type: "button", class: "btn", name: "cancel-new-site" }, "Cancel");
    const form = h("form", { class: "sts-new", "aria-label": "New site", novalidate: true },
      h("h3", {}, "New site"),
      h("div", { class: "st-row" }, h("label", { for: name.id }, "Name"), h("div", {}, name, nameErr)),
      h("div", { class: "st-row" }, h("label", { for: origins.id }, "Allowed origins"),
        h("div", {}, origins, h("p", { class: "hint", id: "sts-new-origins-hint" }, "One per line: the scheme, host and port of the pages that show the widget, e.g. https://www.example.com."), originsErr)),
      general,
      h("div", { class: "st-actions" }, cancel, create));
    cancel.addEventListener("click", () => newSlot.replaceChildren());
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      errs.clear();
      const problems = [];
      const n = name.value.trim();
      if (!n) problems.push({ field: "name", text: "A name is required." });
      const lines = origins.value.split("\n").map((l) => l.trim()).filter(Boolean);
      const list = [];
      if (!lines.length) problems.push({ field: "allowed_origins", text: "At least one origin is required, or the widget shows nowhere." });
      for (const l of lines) {
        try { list.push(checkOrigin(l)); } catch (e) { problems.push({ field: "allowed_origins", text: `${l}: ${e.message}` }); }
      }
      if (problems.length) { (errs.show(problems, h) || name).focus(); return; }
      if (!discardOK()) return;
      create.disabled = true;
      try {
        const s = await api("POST", "/sites", { name: n, allowed_origins: list });
        newSlot.replaceChildren();
        sites.push(s);
        select(s.id, true);
        renderDetail("Site created. Paste the snippet below into your pages.");
      } catch (e) {
        const f = errs.show(originErrors(e.fields || [], list), h);
        if (!(e.fields || []).length) general.textContent = e.message;
        if (f) f.focus();
      } finally { create.disabled = false; }
    });
    newSlot.append(form);
    name.focus();
  });

  // originErrors words the server's allowed_origins[i] errors with the origin.
  function originErrors(fields, sent) {
    return fields.map((f) => {
      const m = /^allowed_origins\[(\d+)\]$/.exec(f.field || "");
      if (m && sent[Number(m[1])] !== undefined) return { field: "allowed_origins", text: `${sent[Number(m[1])]}: ${f.message}` };
      return f;
    });
  }

  // --- the selected site -----------------------------------------------------------
  function installCard(site) {
    const code = h("pre", { class: "st-snippet", id: "sts-snippet", tabindex: "0", "aria-label": "Install snippet" }, snippet(site.site_key));
    const status = h("span", { class: "st-ok", role: "status" });
    const copy = h("button", { type: "button", class: "btn", name: "copy-snippet" }, "Copy");
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(code.textContent);
        status.textContent = "Copied";
      } catch {
        const r = document.createRange();
        r.selectNodeContents(code);
        const sel = getSelection();
        sel.removeAllRanges();
        sel.addRange(r);
        code.focus();
        status.textContent = "Selected: press Ctrl+C (⌘C) to copy";
      }
    });
    return h("section", { class: "st-card", "aria-labelledby": "sts-install-h" },
      h("h2", { id: "sts-install-h" }, "Install the widget on ", site.name),
      h("p", { class: "hint" }, "Paste this tag into every page that should show the chat, just before </body>. Site key: ", h("code", { class: "sts-key" }, site.site_key)),
      code,
      site.allowed_origins.length ? null : h("p", { class: "sts-warn" }, "This site has no allowed origins yet: add your website's origin below, or the widget will not load."),
      h("div", { class: "st-actions" }, status, copy));
  }

  function editor(site, message) {
    const general = h("div", { class: "st-err", role: "alert" });
    const errs = new ErrorSlots(general);
    const errFor = (key, control) => {
      const e = errs.add(key, h("div", { class: "st-err", id: uid("err"), role: "alert" }), control);
      if (control) control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), e.id].filter(Boolean).join(" "));
      return e;
    };
    const row = (label, control, ...rest) => h("div", { class: "st-row" }, h("label", { for: control.id }, label), h("div", {}, control, ...rest));
    const textarea = (attrs, value) => { const t = h("textarea", attrs); t.value = value; return t; };

    // General
    const name = h("input", { type: "text", id: uid("name"), name: "name", maxlength: "200", value: site.name, autocomplete: "off" });
    const origins = textarea({ id: uid("origins"), name: "allowed-origins", rows: "3", spellcheck: "false", placeholder: "https://www.example.com" }, site.allowed_origins.join("\n"));
    const general1 = h("section", { class: "st-card", "aria-labelledby": "sts-gen-h" },
      h("h2", { id: "sts-gen-h" }, "Site"),
      row("Name", name, errFor("name", name)),
      row("Allowed origins", origins, h("p", { class: "hint" }, "One per line, e.g. https://www.example.com or http://localhost:3000. Pages elsewhere cannot load the widget."), errFor("allowed_origins", origins)));

    // Appearance
    const ap = site.appearance || {};
    const startColor = COLOR_RE.test(ap.color || "") ? ap.color.toLowerCase() : "#2563eb";
    const color = h("input", { type: "color", id: uid("color"), name: "color", value: startColor });
    const hex = h("input", { type: "text", id: uid("hex"), name: "color-hex", value: startColor, maxlength: "7", size: "8", spellcheck: "false", "aria-label": "Color as #RRGGBB" });
    const position = h("select", { id: uid("position"), name: "position" },
      h("option", { value: "right", selected: ap.position !== "left" }, "Bottom right"),
      h("option", { value: "left", selected: ap.position === "left" }, "Bottom left"));
    const offset = h("input", { type: "number", id: uid("offset"), name: "offset", min: "0", max: "400", step: "1", value: String(ap.offset_px ?? 25) });
    const launcherText = (site.texts && site.texts.en && site.texts.en.launcher) || DEFAULT_TEXTS.en.launcher;
    const pill = h("span", { class: "sts-pill" }, launcherText);
    const preview = h("div", { class: "sts-preview", "aria-hidden": "true" }, pill);
    const drawPreview = () => {
      const c = COLOR_RE.test(hex.value) ? hex.value : color.value;
      const off = Math.max(0, Math.min(400, Number(offset.value) || 0));
      pill.style.background = c;
      pill.style.left = position.value === "left" ? off / 4 + "px" : "";
      pill.style.right = position.value === "left" ? "" : off / 4 + "px";
      pill.style.bottom = off / 4 + "px";
    };
    color.addEventListener("input", () => { hex.value = color.value; drawPreview(); });
    hex.addEventListener("input", () => { if (COLOR_RE.test(hex.value)) color.value = hex.value.toLowerCase(); drawPreview(); });
    position.addEventListener("change", drawPreview);
    offset.addEventListener("input", drawPreview);
    drawPreview();
    const appearance = h("section", { class: "st-card", "aria-labelledby": "sts-ap-h" },
      h("h2", { id: "sts-ap-h" }, "Appearance"),
      h("div", { class: "sts-ap" },
        h("div", {},
          row("Color", color, " ", hex, errFor("appearance.color", hex)),
          row("Position", position, errFor("appearance.position", position)),
          row("Distance from the corner (px)", offset, errFor("appearance.offset_px", offset))),
        preview));

    // Texts
    const texts = site.texts || {};
    const textInputs = {};
    const tabs = [];
    const panels = [];
    for (const [lang, label] of LANGS) {
      textInputs[lang] = {};
      const tabID = uid("tab"), panelID = uid("panel");
      const rows = TEXT_KEYS.map(([k, klabel]) => {
        const v = (texts[lang] && texts[lang][k]) || "";
        const attrs = { id: uid("t"), name: `texts.${lang}.${k}`, lang, maxlength: "500", placeholder: DEFAULT_TEXTS[lang][k] };
        const inp = k === "offline_message" ? textarea({ ...attrs, rows: "2" }, v) : h("input", { type: "text", ...attrs, value: v });
        textInputs[lang][k] = inp;
        return row(klabel, inp);
      });
      const tab = h("button", { type: "button", role: "tab", id: tabID, "aria-controls": panelID, "data-lang": lang, "aria-selected": lang === "en" ? "true" : "false", tabindex: lang === "en" ? "0" : "-1", class: "sts-tab" }, label);
      const panel = h("div", { role: "tabpanel", id: panelID, "aria-labelledby": tabID, "data-lang": lang, hidden: lang !== "en" }, rows);
      tabs.push(tab);
      panels.push(panel);
    }
    const pickTab = (i, focus) => {
      tabs.forEach((t, j) => { t.setAttribute("aria-selected", String(i === j)); t.tabIndex = i === j ? 0 : -1; panels[j].hidden = i !== j; });
      if (focus) tabs[i].focus();
    };
    tabs.forEach((t, i) => {
      t.addEventListener("click", () => pickTab(i));
      t.addEventListener("keydown", (ev) => {
        const n = ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0;
        if (n) { ev.preventDefault(); pickTab((i + n + tabs.length) % tabs.length, true); }
      });
    });
    const otherLangs = Object.keys(texts).filter((l) => !LANGS.some(([x]) => x === l));
    const textsCard = h("section", { class: "st-card", "aria-labelledby": "sts-tx-h" },
      h("h2", { id: "sts-tx-h" }, "Widget texts"),
      h("p", { class: "hint" }, "The widget speaks the visitor's browser language. Leave a box empty to use the built-in text shown in grey.",
        otherLangs.length ? ` Texts in ${otherLangs.join(", ")} set through the API are kept.` : ""),
      h("div", { role: "tablist", "aria-label": "Language", class: "sts-tabs" }, tabs),
      panels,
      errFor("texts"));

    // Business hours
    const bh = site.business_hours || {};
    const tz = h("input", { type: "text", id: uid("tz"), name: "timezone", value: bh.timezone || "UTC", list: "sts-tz-list", spellcheck: "false", autocomplete: "off" });
    let zones = [];
    try { zones = Intl.supportedValuesOf("timeZone"); } catch { /* older browsers: free text */ }
    const tzList = h("datalist", { id: "sts-tz-list" }, ["UTC", ...zones.filter((z) => z !== "UTC")].map((z) => h("option", { value: z })));
    const dayInputs = {};
    const dayRows = DAYS.map(([d, label]) => {
      const inp = h("input", { type: "text", id: uid("day"), name: "hours-" + d, value: ((bh.days || {})[d] || []).join(", "), placeholder: "closed", spellcheck: "false", autocomplete: "off" });
      dayInputs[d] = inp;
      return row(label, inp, errFor("business_hours.days." + d, inp));
    });
    const copyMon = h("button", { type: "button", class: "btn", name: "copy-monday" }, "Use Monday's hours for Tuesday to Friday");
    copyMon.addEventListener("click", () => {
      for (const d of ["tue", "wed", "thu", "fri"]) dayInputs[d].value = dayInputs.mon.value;
      dirty = true;
    });
    const outside = h("select", { id: uid("outside"), name: "outside-hours" },
      h("option", { value: "message", selected: site.outside_hours !== "hide" }, "Show the widget in messenger mode, with the offline message"),
      h("option", { value: "hide", selected: site.outside_hours === "hide" }, "Hide the launcher"));
    const hoursCard = h("section", { class: "st-card", "aria-labelledby": "sts-bh-h" },
      h("h2", { id: "sts-bh-h" }, "Business hours"),
      h("p", { class: "hint" }, "Ranges as HH:MM-HH:MM, separated by commas (e.g. 09:00-12:30, 14:00-18:00). An empty day is closed; with every day empty the site is always open."),
      row("Time zone", tz, tzList, errFor("business_hours.timezone", tz)),
      dayRows,
      h("div", { class: "st-actions sts-left" }, copyMon),
      errFor("business_hours"),
      row("Outside business hours", outside, errFor("outside_hours", outside)));

    // Pre-chat form
    const pc = site.pre_chat || {};
    const pcOn = h("input", { type: "checkbox", id: uid("pc"), name: "prechat-enabled", checked: !!pc.enabled });
    const pcReq = h("input", { type: "checkbox", id: uid("pcr"), name: "prechat-require", checked: !!pc.require_before_messages });
    const fieldRows = [];
    const pcBody = h("tbody");
    const addFieldRow = (f, included) => {
      const label = (PRECHAT_FIELDS.find(([n]) => n === f.name) || [f.name, f.name])[1];
      const inc = h("input", { type: "checkbox", id: uid("pf"), name: "prechat-field", value: f.name, checked: included });
      const lab = h("input", { type: "text", id: uid("pfl"), name: "prechat-label", maxlength: "200", value: f.label || label, "aria-label": `Label shown for ${label}` });
      const req = h("input", { type: "checkbox", id: uid("pfr"), name: "prechat-required", checked: !!f.required, "aria-label": `${label} is required` });
      const up = h("button", { type: "button", class: "btn sts-sm", "aria-label": `Move ${label} up` }, "↑");
      const err = h("div", { class: "st-err", role: "alert" });
      const tr = h("tr", { "data-field": f.name },
        h("td", {}, inc, " ", h("label", { for: inc.id }, label)), h("td", {}, lab, err), h("td", {}, req), h("td", {}, up));
      const r = { tr, inc, lab, req, err, name: f.name };
      up.addEventListener("click", () => {
        const prev = tr.previousElementSibling;
        if (prev) { pcBody.insertBefore(tr, prev); dirty = true; up.focus(); }
      });
      fieldRows.push(r);
      pcBody.append(tr);
    };
    for (const f of pc.fields || []) addFieldRow(f, true);
    for (const [n, label] of PRECHAT_FIELDS) if (!(pc.fields || []).some((f) => f.name === n)) addFieldRow({ name: n, label, required: false }, false);
    const pcCard = h("section", { class: "st-card", "aria-labelledby": "sts-pc-h" },
      h("h2", { id: "sts-pc-h" }, "Pre-chat form"),
      h("p", { class: "hint" }, "Ask visitors who they are before the chat starts; the answers fill the lead's person and organization."),
      h("div", { class: "st-row" }, h("label", { for: pcOn.id }, "Show the form"), h("span", {}, pcOn)),
      h("div", { class: "st-row" }, h("label", { for: pcReq.id }, "Require it before messages"), h("span", {}, pcReq, h("span", { class: "hint sts-inline" }, " otherwise visitors may skip it"))),
      h("table", { class: "st-table sts-fields" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Ask for"), h("th", { scope: "col" }, "Label"), h("th", { scope: "col" }, "Required"), h("th", { scope: "col" }, h("span", { class: "sts-sr" }, "Order")))),
        pcBody),
      errFor("pre_chat", pcOn));

    // Pages
    const pg = site.pages || {};
    const include = textarea({ id: uid("inc"), name: "pages-include", rows: "2", spellcheck: "false", placeholder: "every page" }, (pg.include || []).join("\n"));
    const exclude = textarea({ id: uid("exc"), name: "pages-exclude", rows: "2", spellcheck: "false", placeholder: "none" }, (pg.exclude || []).join("\n"));
    const pagesCard = h("section", { class: "st-card", "aria-labelledby": "sts-pg-h" },
      h("h2", { id: "sts-pg-h" }, "Pages"),
      h("p", { class: "hint" }, "Path globs, one per line, with * as a wildcard (e.g. /pricing*). With include rules the widget shows only on matching pages; exclude rules hide it."),
      row("Show only on", include),
      row("Never show on", exclude),
      errFor("pages", include));

    // Actions
    const saved = h("span", { class: "st-ok", role: "status" }, message || "");
    const save = h("button", { type: "submit", class: "btn primary", name: "save" }, "Save");
    const del = h("button", { type: "button", class: "btn sts-danger", name: "delete-site" }, "Delete site");
    const actions = h("div", { class: "st-card sts-bar" }, general, h("div", { class: "st-actions" }, del, h("span", { class: "sts-grow" }), saved, save));

    const form = h("form", { class: "sts-editor", name: "site-editor", "aria-label": "Edit site", "data-site-id": String(site.id), novalidate: true },
      general1, appearance, textsCard, hoursCard, pcCard, pagesCard, actions);
    form.addEventListener("input", () => { dirty = true; saved.textContent = ""; });
    form.addEventListener("change", () => { dirty = true; saved.textContent = ""; });

    // read collects the form into a SiteInput, with the problems found here.
    const read = () => {
      const problems = [];
      const input = {};
      input.name = name.value.trim();
      if (!input.name) problems.push({ field: "name", text: "A name is required." });
      input.allowed_origins = [];
      for (const l of origins.value.split("\n").map((x) => x.trim()).filter(Boolean)) {
        try { input.allowed_origins.push(checkOrigin(l)); } catch (e) { problems.push({ field: "allowed_origins", text: `${l}: ${e.message}` }); }
      }
      const c = hex.value.trim();
      if (!COLOR_RE.test(c)) problems.push({ field: "appearance.color", text: "A color as #RRGGBB, e.g. #2563eb." });
      const off = Number(offset.value);
      if (offset.value === "" || !Number.isInteger(off) || off < 0 || off > 400) problems.push({ field: "appearance.offset_px", text: "A whole number of pixels from 0 to 400." });
      input.appearance = { color: c.toLowerCase(), position: position.value, offset_px: off };
      const t = {};
      for (const [l, v] of Object.entries(texts)) if (!textInputs[l]) t[l] = v; // other languages: kept
      for (const [lang] of LANGS) {
        const one = {};
        for (const [k] of TEXT_KEYS) {
          const v = textInputs[lang][k].value.trim();
          if (v) one[k] = v;
        }
        if (Object.keys(one).length) t[lang] = one;
      }
      input.texts = t;
      const days = {};
      for (const [d, label] of DAYS) {
        const ranges = dayInputs[d].value.split(/[,;]/).map((x) => x.replace(/\s+/g, "")).filter(Boolean);
        for (const r of ranges) {
          const m = RANGE_RE.exec(r);
          if (!m || Number(m[1]) * 60 + Number(m[2]) >= Number(m[3]) * 60 + Number(m[4]) || (m[3] === "24" && m[4] !== "00")) {
            problems.push({ field: "business_hours.days." + d, text: `${label}: "${r}" must be HH:MM-HH:MM with the start before the end.` });
          }
        }
        if (ranges.length) days[d] = ranges;
      }
      input.business_hours = { timezone: tz.value.trim() || "UTC", days };
      input.outside_hours = outside.value;
      const fields = [];
      const sentRows = [];
      for (const tr of pcBody.children) {
        const r = fieldRows.find((x) => x.tr === tr);
        if (!r.inc.checked) continue;
        const lab = r.lab.value.trim();
        if (!lab) problems.push({ field: `pre_chat.fields[${fields.length}]`, text: "A label is required." });
        sentRows.push(r);
        fields.push({ name: r.name, label: lab, required: r.req.checked });
      }
      if (pcOn.checked && !fields.length) problems.push({ field: "pre_chat", text: "Tick at least one field to ask for, or switch the form off." });
      input.pre_chat = { enabled: pcOn.checked, require_before_messages: pcReq.checked, fields };
      const lines = (ta) => ta.value.split("\n").map((x) => x.trim()).filter(Boolean);
      input.pages = { include: lines(include), exclude: lines(exclude) };
      return { input, problems, sentRows };
    };

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      errs.clear();
      saved.textContent = "";
      const { input, problems, sentRows } = read();
      sentRows.forEach((r, i) => errs.add(`pre_chat.fields[${i}]`, r.err, r.lab));
      if (problems.length) {
        const f = errs.show(problems, h);
        general.prepend(h("div", {}, "Not saved: please correct the fields marked below."));
        (f || save).focus();
        return;
      }
      save.disabled = true;
      try {
        const s = await api("PATCH", "/sites/" + site.id, input);
        sites = sites.map((x) => (x.id === s.id ? s : x));
        dirty = false;
        renderList();
        renderDetail("Saved");
      } catch (e) {
        const fields = e.fields || [];
        const f = errs.show(originErrors(fields, input.allowed_origins), h);
        general.prepend(h("div", {}, fields.length ? "Not saved: please correct the fields marked below." : "Not saved: " + e.message));
        (f || save).focus();
      } finally { save.disabled = false; }
    });

    del.addEventListener("click", async () => {
      if (!confirm(`Delete the site "${site.name}"? Its visitors and conversations are deleted too, and the widget stops loading on its pages.`)) return;
      del.disabled = true;
      try {
        await api("DELETE", "/sites/" + site.id);
        sites = sites.filter((x) => x.id !== site.id);
        const next = sites[0];
        select(next ? next.id : null, false);
        listNote.textContent = `Deleted "${site.name}".`;
      } catch (e) {
        general.textContent = "Not deleted: " + e.message;
        del.disabled = false;
      }
    });

    return [installCard(site), form];
  }

  try {
    await loadList();
  } catch (e) {
    listNote.textContent = "The sites could not load: " + e.message;
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }
  const wanted = siteIDFromURL();
  if (!wanted && sites.length) select(sites[0].id, false);
  else renderDetail();
  return () => window.removeEventListener("beforeunload", onBeforeUnload);
}

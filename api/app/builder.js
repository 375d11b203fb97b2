// The playbook builder: a list of playbooks, the graph of the selected one,
// an inspector for the selected card, the trigger, the texts per language,
// a live preview, the versions — and a YAML view of the same document. The
// browser edits the JSON model of the document; the server converts it to
// and from YAML, validates it and stores it, so both views always agree.
import { h, clear } from "./dom.js";
import { session as sess } from "./client.js";
import * as M from "./builder-model.js";
import { Graph } from "./builder-graph.js";
import { cardForm, docForm, triggerForm, textsForm } from "./builder-forms.js";
import { previewTab } from "./builder-live.js";

// raw sends a body as written (the API client would re-encode it, which
// loses the order of numeric card ids).
async function raw(method, path, body, type) {
  const headers = { "Content-Type": type };
  if (sess.csrf) headers["X-CSRF-Token"] = sess.csrf;
  const res = await fetch("/api/v1" + path, { method, headers, credentials: "same-origin", body });
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  if (!res.ok || !json || json.success === false) {
    const err = new Error((json && json.error) || `HTTP ${res.status}`);
    err.status = res.status;
    err.fields = (json && json.errors) || [];
    throw err;
  }
  return json.data;
}

const convertDoc = (m) => raw("POST", "/playbooks/convert", '{"document":' + M.serialize(m) + "}", "application/json");
const convertYAML = (y) => raw("POST", "/playbooks/convert", JSON.stringify({ yaml: y }), "application/json");

// fieldProblems turns a 422's "line:col" fields into problems.
function fieldProblems(err) {
  return (err.fields || []).map((f) => {
    const [line, col] = String(f.field).split(":").map(Number);
    const m = String(f.message).match(/^(?:card (\S+): )?(?:([^:\s]+): )?(.*)$/s);
    return { line: line || 0, col: col || 0, card: (m && m[1]) || "", path: (m && m[2]) || "", message: m ? m[3] : f.message, warning: false };
  });
}

// bestSlot finds the error slot whose path is the longest prefix of p.
function bestSlot(container, p) {
  let best = null, len = -1;
  for (const el of container.querySelectorAll("[data-err]")) {
    const s = el.dataset.err;
    if ((p === s || p.startsWith(s + ".") || p.startsWith(s + "[")) && s.length > len) { best = el; len = s.length; }
  }
  return best;
}

function fmtDate(s) { try { return new Date(s).toLocaleString(); } catch { return s; } }

export async function mount(el, { api }) {
  const css = h("link", { rel: "stylesheet", href: "/app/static/builder.css" });
  document.head.append(css);
  el.classList.add("builder-host");
  const timers = new Set();
  const later = (fn, ms) => { const t = setTimeout(() => { timers.delete(t); fn(); }, ms); timers.add(t); return t; };

  const st = {
    list: [], templates: [], users: [], pipelines: [], stages: [],
    pb: null, m: null, problems: [], valid: true, yaml: "", yamlText: null, yamlBroken: false,
    view: "graph", tab: "card", selected: null, dirty: false, rev: 0, live: null, saving: false, note: "", seq: 0, textLang: "en", versions: [],
  };
  let syncTimer = null, syncing = null, graphTimer = null;

  // ---- layout ----
  const listEl = h("ul", { class: "b-list", "aria-label": "Playbooks" });
  const newBtn = h("button", { type: "button", class: "btn primary b-new", name: "new-playbook" }, "+ New playbook");
  const side = h("aside", { class: "b-side" }, h("div", { class: "b-side-head" }, h("h2", {}, "Playbooks"), newBtn), listEl);
  const title = h("h1", { class: "b-title" });
  const status = h("span", { class: "b-status", role: "status" });
  const viewGraph = h("button", { type: "button", class: "b-seg on", name: "view-graph" }, "Graph");
  const viewYAML = h("button", { type: "button", class: "b-seg", name: "view-yaml" }, "YAML");
  const probBtn = h("button", { type: "button", class: "b-probbtn", name: "problems" });
  const publishBtn = h("button", { type: "button", class: "btn primary", name: "publish" }, "Publish");
  const undoBtn = h("button", { type: "button", class: "btn b-hist", name: "undo", title: "Undo (Ctrl+Z)", "aria-label": "Undo" }, "↶");
  const redoBtn = h("button", { type: "button", class: "btn b-hist", name: "redo", title: "Redo (Ctrl+Shift+Z)", "aria-label": "Redo" }, "↷");
  const bar = h("div", { class: "b-bar" }, title, status, h("div", { class: "b-spacer" }), undoBtn, redoBtn, h("div", { class: "b-segs", role: "tablist", "aria-label": "View" }, viewGraph, viewYAML), probBtn, publishBtn);
  const canvas = h("div", { class: "b-canvas" });
  const zoomIn = h("button", { type: "button", title: "Zoom in", "aria-label": "Zoom in" }, "+");
  const zoomOut = h("button", { type: "button", title: "Zoom out", "aria-label": "Zoom out" }, "−");
  const fitBtn = h("button", { type: "button", title: "Fit to screen", "aria-label": "Fit to screen", name: "fit" }, "⤢");
  const addBar = h("div", { class: "b-add", role: "toolbar", "aria-label": "Add a card" }, h("span", { class: "muted" }, "Add"),
    ...Object.entries(M.TYPES).map(([k, t]) => { const b = h("button", { type: "button", "data-add": k, title: `Add a ${t.label} card`, style: `--c:${t.color}` }, h("span", { class: "bf-dot" }), t.label); b.addEventListener("click", () => addCard(k, st.selected)); return b; }));
  const graphPane = h("div", { class: "b-graph" }, canvas, addBar, h("div", { class: "b-zoom" }, zoomIn, zoomOut, fitBtn));
  const yamlArea = h("textarea", { class: "b-yamltext mono", spellcheck: "false", "aria-label": "YAML", name: "yaml" });
  const yamlErrs = h("ul", { class: "b-yamlerrs" });
  const yamlPane = h("div", { class: "b-yaml", hidden: true }, yamlArea, yamlErrs);
  const probList = h("div", { class: "b-problist", hidden: true });
  const toast = h("div", { class: "b-toast", role: "status", hidden: true });
  const main = h("section", { class: "b-main" }, bar, h("div", { class: "b-stage" }, graphPane, yamlPane, probList), toast);
  const tabs = ["card", "playbook", "trigger", "texts", "preview", "versions"];
  const tabLabels = { card: "Card", playbook: "Playbook", trigger: "Trigger", texts: "Texts", preview: "Preview", versions: "Versions" };
  const tabBtns = Object.fromEntries(tabs.map((t) => { const b = h("button", { type: "button", role: "tab", class: "b-tab", "data-tab": t }, tabLabels[t]); b.addEventListener("click", () => { st.tab = t; renderInspector(); }); return [t, b]; }));
  const inspBody = h("div", { class: "b-insp-body" });
  const insp = h("aside", { class: "b-insp" }, h("div", { class: "b-tabs", role: "tablist" }, ...Object.values(tabBtns)), inspBody);
  const empty = h("div", { class: "b-empty" });
  const root = h("div", { class: "b-root" }, side, main, insp, empty);
  el.append(root);

  const graph = new Graph(canvas, {
    onSelect: (id) => { st.selected = id; if (id) st.tab = "card"; redrawGraph(); renderInspector(); },
    onConnect: (from, slot, to) => edit(() => M.setSlot(st.m.doc.cards[from], slot, to), { inspector: st.selected === from }),
  });
  zoomIn.addEventListener("click", () => graph.zoom(1.2));
  zoomOut.addEventListener("click", () => graph.zoom(1 / 1.2));
  fitBtn.addEventListener("click", () => graph.fit());

  const say = (text, bad = false) => {
    toast.textContent = text; toast.hidden = false; toast.classList.toggle("bad", bad);
    later(() => { toast.hidden = true; }, 3500);
  };

  // ---- editing ----
  const fctx = {
    get m() { return st.m; },
    get users() { return st.users; }, get pipelines() { return st.pipelines; }, get stages() { return st.stages; },
    edit: (fn, o) => edit(fn, o),
    addCard: (type, from, set) => addCard(type, from, set),
    rerender: () => later(renderInspector, 0),
  };

  // ---- undo ----
  // Every change to the document from the graph and the inspector goes
  // through edit(), which first keeps the document as it was: Undo (Ctrl+Z)
  // and Redo (Ctrl+Shift+Z, Ctrl+Y) step through those. Typing in one field
  // is one step, not one per key: an edit from the same field within a
  // second of the previous one joins it. A document replaced from the YAML
  // view starts a new history (the textarea has its own undo).
  const hist = { undo: [], redo: [], at: 0, field: null };
  const snap = () => ({ m: structuredClone({ doc: st.m.doc, order: st.m.order }), selected: st.selected });
  function remember() {
    const a = document.activeElement;
    const field = a && a.matches && a.matches("input, textarea, select") ? a : null;
    const now = Date.now();
    if (field && field === hist.field && now - hist.at < 1000) { hist.at = now; return; }
    hist.undo.push(snap());
    if (hist.undo.length > 200) hist.undo.shift();
    hist.redo = [];
    hist.at = now; hist.field = field;
  }
  function forget() { hist.undo = []; hist.redo = []; hist.field = null; }
  function restore(from, to) {
    if (!st.m || !from.length) return;
    to.push(snap());
    const s = from.pop();
    st.m = s.m;
    st.selected = s.selected && st.m.doc.cards[s.selected] ? s.selected : null;
    hist.field = null;
    st.dirty = true; st.rev++; st.yamlText = null;
    renderInspector(); redrawGraph(); scheduleSync(); renderBar();
  }
  const undo = () => restore(hist.undo, hist.redo);
  const redo = () => restore(hist.redo, hist.undo);
  undoBtn.addEventListener("click", undo);
  redoBtn.addEventListener("click", redo);

  function edit(fn, opts = {}) {
    if (!st.m) return;
    remember();
    fn();
    st.dirty = true;
    st.rev++;
    st.yamlText = null; // the YAML is now the export of the model
    if (opts.select !== undefined) st.selected = opts.select;
    if (opts.inspector || opts.select !== undefined) renderInspector();
    clearTimeout(graphTimer);
    graphTimer = later(redrawGraph, 120);
    scheduleSync();
    renderBar();
  }

  function addCard(type, after, set) {
    edit(() => {
      const id = M.addCard(st.m, type, after);
      if (set) set(id);
      else if (after && st.m.doc.cards[after]) {
        const open = M.outs(st.m.doc.cards[after], st.m.doc.language).find((r) => !r.to);
        if (open) M.setSlot(st.m.doc.cards[after], open.slot, id);
      }
      st.selected = id;
      st.tab = "card";
    }, { inspector: true });
    redrawGraph();
    graph.reveal(st.selected);
  }

  function scheduleSync() {
    clearTimeout(syncTimer);
    syncTimer = later(sync, 350);
  }

  // sync converts the current document: problems, the YAML, and a save
  // when it is valid.
  async function sync() {
    clearTimeout(syncTimer);
    syncTimer = null;
    if (!st.m) return;
    const prev = syncing;
    const run = (async () => {
      if (prev) await prev; // one conversion and save at a time, in order
      if (!st.pb) return;
      const seq = ++st.seq;
      const pbID = st.pb.id;
      let res;
      try {
        res = st.yamlText !== null ? await convertYAML(st.yamlText) : await convertDoc(st.m);
      } catch (err) {
        if (seq !== st.seq || pbID !== st.pb.id) return;
        if (err.status === 422) {
          st.problems = fieldProblems(err); st.valid = false;
          st.yamlBroken = st.yamlText !== null;
        } else st.note = err.message;
        paintProblems(); renderBar();
        return;
      }
      if (seq !== st.seq || pbID !== st.pb.id) return;
      st.yamlBroken = false;
      if (st.yamlText !== null) { st.m = M.fromConvert(res); forget(); }
      st.yaml = res.yaml;
      if (st.view === "yaml" && st.yamlText === null && document.activeElement !== yamlArea) yamlArea.value = res.yaml;
      st.problems = res.problems;
      st.valid = res.valid;
      paintProblems();
      if (st.view === "graph") redrawGraph();
      if (st.valid && st.dirty) await save();
      renderBar();
    })();
    syncing = run;
    await run;
  }

  async function flush() {
    if (syncing) await syncing;
    if (syncTimer !== null) { clearTimeout(syncTimer); syncTimer = null; await sync(); }
  }

  async function save() {
    const source = st.yamlText !== null ? st.yamlText : st.yaml;
    const rev = st.rev;
    st.saving = true; renderBar();
    try {
      const pb = await raw("PATCH", `/playbooks/${st.pb.id}`, source, "application/yaml");
      st.pb = pb; st.note = "";
      if (st.rev === rev) st.dirty = false; // else edits arrived meanwhile: the next sync saves them
      const i = st.list.findIndex((p) => p.id === pb.id);
      if (i >= 0) st.list[i] = pb;
      renderList();
    } catch (err) {
      st.note = err.status === 409 ? err.message : "Not saved: " + err.message;
    } finally { st.saving = false; renderBar(); }
  }

  // ---- rendering ----
  function byCard() {
    const out = {};
    for (const p of st.problems) if (p.card) (out[p.card] = out[p.card] || []).push(p);
    return out;
  }

  function redrawGraph() {
    if (!st.m || st.view !== "graph") return;
    graph.draw(st.m, { selected: st.selected, problems: byCard() });
  }

  function renderBar() {
    if (!st.pb) return;
    title.textContent = (st.m && st.m.doc.name) || st.pb.name;
    const errs = st.problems.filter((p) => !p.warning), warns = st.problems.length - errs.length;
    status.className = "b-status";
    if (st.saving) status.textContent = "Saving…";
    else if (st.note) { status.textContent = st.note; status.classList.add("bad"); }
    else if (!st.valid) { status.textContent = "Draft not saved: fix the problems"; status.classList.add("bad"); }
    else if (st.dirty) status.textContent = "Unsaved changes…";
    else status.textContent = st.pb.published_version ? `Draft saved · live: v${st.pb.published_version}` : "Draft saved · not published";
    probBtn.textContent = errs.length ? `⛔ ${errs.length} problem${errs.length > 1 ? "s" : ""}` : warns ? `⚠ ${warns} warning${warns > 1 ? "s" : ""}` : "✓ No problems";
    probBtn.className = "b-probbtn" + (errs.length ? " bad" : warns ? " warn" : " good");
    const upToDate = !st.dirty && st.live !== null && st.live === st.pb.draft;
    publishBtn.disabled = !st.valid || st.yamlBroken || st.saving || upToDate;
    publishBtn.textContent = upToDate ? "Published ✓" : "Publish";
    undoBtn.disabled = !hist.undo.length || st.view !== "graph";
    redoBtn.disabled = !hist.redo.length || st.view !== "graph";
    publishBtn.title = upToDate ? "The live version is this draft" : publishBtn.disabled ? "Fix the problems to publish" : "Publish the draft as a new version";
    viewGraph.disabled = st.yamlBroken && st.view === "yaml";
    viewGraph.title = viewGraph.disabled ? "Fix the YAML errors to see the graph" : "";
    viewGraph.classList.toggle("on", st.view === "graph");
    viewYAML.classList.toggle("on", st.view === "yaml");
    renderProbList();
  }

  function renderProbList() {
    clear(probList);
    if (!st.problems.length) { probList.append(h("p", { class: "muted" }, "No problems.")); return; }
    for (const p of st.problems) {
      const li = h("button", { type: "button", class: "b-prob" + (p.warning ? " warn" : "") },
        h("span", { class: "b-prob-where" }, p.card ? `card ${p.card}` : p.path.startsWith("trigger") ? "trigger" : "playbook", p.line ? ` · ${p.line}:${p.col}` : ""),
        h("span", {}, (p.path ? p.path + ": " : "") + p.message));
      li.addEventListener("click", () => {
        probList.hidden = true;
        if (p.card && st.m.doc.cards[p.card]) { st.selected = p.card; st.tab = "card"; if (st.view === "yaml") setView("graph"); redrawGraph(); graph.reveal(p.card); }
        else st.tab = p.path.startsWith("trigger") ? "trigger" : "playbook";
        renderInspector();
        if (st.view === "yaml" && p.line) gotoLine(p.line);
      });
      probList.append(li);
    }
  }

  function gotoLine(line) {
    const lines = yamlArea.value.split("\n");
    let off = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
    yamlArea.focus();
    yamlArea.setSelectionRange(off, off + (lines[line - 1] || "").length);
  }

  // paintProblems pins problems on the controls they concern.
  function paintProblems() {
    for (const e of inspBody.querySelectorAll("[data-err]")) e.textContent = "";
    for (const e of inspBody.querySelectorAll(".bad-input")) e.classList.remove("bad-input");
    for (const e of inspBody.querySelectorAll("[data-card-problems]")) clear(e);
    const put = (p, slot) => {
      slot.append(h("div", { class: p.warning ? "warn" : "" }, p.message));
      const ctl = slot.parentElement && slot.parentElement.querySelector("[data-path]");
      if (ctl && !p.warning) ctl.classList.add("bad-input");
    };
    for (const p of st.problems) {
      let scope = null;
      if (st.tab === "card" && p.card && p.card === st.selected) scope = p.card;
      else if (st.tab === "trigger" && !p.card && p.path.startsWith("trigger")) scope = "trigger";
      else if (st.tab === "playbook" && !p.card && !p.path.startsWith("trigger")) scope = "";
      else if (st.tab === "texts" && p.card) {
        const slot = inspBody.querySelector(`[data-err="${CSS.escape(p.card + ":" + p.path.replace(/\.[a-z]{2}$/, ""))}"]`);
        if (slot) put(p, slot);
        continue;
      } else continue;
      const slot = p.path ? bestSlot(inspBody, p.path) : null;
      if (slot) put(p, slot);
      else {
        const box = inspBody.querySelector(`[data-card-problems="${CSS.escape(scope)}"]`);
        if (box) box.append(h("div", { class: "bf-problem" + (p.warning ? " warn" : "") }, (p.path ? p.path + ": " : "") + p.message));
      }
    }
    for (const e of inspBody.querySelectorAll("[data-err]")) e.classList.toggle("on", e.textContent !== "");
    if (st.view === "yaml") renderYAMLErrors();
    redrawGraphIfProblemsChanged();
    renderBar();
  }

  let lastBadges = "";
  function redrawGraphIfProblemsChanged() {
    const key = JSON.stringify(byCard());
    if (key !== lastBadges) { lastBadges = key; redrawGraph(); }
  }

  let pv = null;
  function renderInspector() {
    for (const [t, b] of Object.entries(tabBtns)) { b.classList.toggle("on", t === st.tab); b.setAttribute("aria-selected", t === st.tab ? "true" : "false"); }
    clear(inspBody);
    if (!st.m) return;
    if (st.yamlBroken && st.tab !== "versions") { inspBody.append(h("div", { class: "b-hint" }, h("p", {}, "The YAML cannot be read: fix the errors listed under it to edit the playbook here again."))); return; }
    switch (st.tab) {
      case "card":
        if (st.selected && st.m.doc.cards[st.selected]) inspBody.append(cardForm(fctx, st.selected));
        else inspBody.append(h("div", { class: "b-hint" }, h("p", {}, "Select a card in the graph to edit it, or add one with the toolbar."), h("p", { class: "muted" }, "Drag from a card's right-hand dot to another card to connect them. Drag the background to pan; scroll to zoom.")));
        break;
      case "playbook": {
        inspBody.append(docForm(fctx));
        const del = h("button", { type: "button", class: "btn danger", name: "delete-playbook" }, "Delete this playbook");
        del.addEventListener("click", deletePlaybook);
        inspBody.append(h("div", { class: "bf-section" }, del));
        break;
      }
      case "trigger": inspBody.append(triggerForm(fctx)); break;
      case "texts": inspBody.append(textsForm(fctx, st.textLang, (l) => { st.textLang = l; renderInspector(); })); break;
      case "preview":
        pv = previewTab({ api, body: () => (st.valid && !st.yamlBroken ? (st.yamlText !== null ? { yaml: st.yamlText } : { document: JSON.parse(M.serialize(st.m)) }) : null), playbookId: () => (st.pb ? st.pb.id : null), botName: () => (st.m.doc.bot && st.m.doc.bot.name) || "Bot" });
        inspBody.append(pv.el);
        flush().then(() => pv.start());
        break;
      case "versions": renderVersions(); break;
    }
    paintProblems();
  }

  async function renderVersions() {
    const box = h("div", { class: "b-versions" }, h("p", { class: "muted" }, "Loading versions…"));
    inspBody.append(box);
    try {
      st.versions = await api("GET", `/playbooks/${st.pb.id}/versions`);
    } catch (err) { box.replaceChildren(h("p", { class: "bf-problem" }, err.message)); return; }
    box.replaceChildren();
    if (!st.versions.length) { box.append(h("p", { class: "muted" }, "Not published yet. Publish the draft to create version 1.")); return; }
    for (const v of st.versions) {
      const b = h("button", { type: "button", class: "b-version", "data-version": v.version },
        h("strong", {}, `Version ${v.version}`), v.version === st.pb.published_version ? h("span", { class: "bf-pill live" }, "Live") : null,
        h("span", { class: "muted" }, fmtDate(v.add_time)));
      b.addEventListener("click", () => showVersion(v.version));
      box.append(b);
    }
  }

  async function showVersion(n) {
    const v = await api("GET", `/playbooks/${st.pb.id}/versions/${n}`);
    const g = h("div", { class: "b-vgraph" });
    const pre = h("pre", { class: "b-vyaml mono" }, v.document);
    const restore = h("button", { type: "button", class: "btn" }, "Restore as draft");
    const close = h("button", { type: "button", class: "btn", name: "close-version" }, "Close");
    const dlg = h("div", { class: "b-modal", role: "dialog", "aria-label": `Version ${n}` },
      h("div", { class: "b-modal-box wide" }, h("div", { class: "b-modal-head" }, h("h3", {}, `Version ${n} · ${fmtDate(v.add_time)}`), restore, close), h("div", { class: "b-vbody" }, g, pre)));
    close.addEventListener("click", () => dlg.remove());
    restore.addEventListener("click", async () => {
      dlg.remove();
      try { await convertYAML(v.document); } catch { return; }
      st.yamlText = v.document; st.dirty = true;
      await sync();
      say(`Version ${n} restored as the draft.`);
      renderInspector();
    });
    root.append(dlg);
    try {
      const res = await convertYAML(v.document);
      const vg = new Graph(g, { readOnly: true });
      vg.draw(M.fromConvert(res));
      vg.fit();
    } catch { g.append(h("p", { class: "muted" }, "This version cannot be drawn.")); }
  }

  function renderYAMLErrors() {
    clear(yamlErrs);
    for (const p of st.problems) {
      const li = h("li", { class: p.warning ? "warn" : "" }, h("a", { href: "#" }, `${p.line}:${p.col}`), " ", p.card ? `card ${p.card}: ` : "", p.path ? p.path + ": " : "", p.message);
      li.querySelector("a").addEventListener("click", (ev) => { ev.preventDefault(); gotoLine(p.line); });
      yamlErrs.append(li);
    }
  }

  async function setView(v) {
    if (v === st.view) return;
    if (v === "yaml") {
      await flush();
      yamlArea.value = st.yamlText !== null ? st.yamlText : st.yaml;
      st.view = "yaml";
      graphPane.hidden = true; yamlPane.hidden = false;
      renderYAMLErrors();
    } else {
      await flush();
      if (st.yamlBroken) { renderBar(); return; }
      st.view = "graph";
      yamlPane.hidden = true; graphPane.hidden = false;
      if (st.selected && !st.m.doc.cards[st.selected]) st.selected = null;
      redrawGraph();
      renderInspector();
    }
    renderBar();
  }
  viewGraph.addEventListener("click", () => setView("graph"));
  viewYAML.addEventListener("click", () => setView("yaml"));
  yamlArea.addEventListener("input", () => { st.yamlText = yamlArea.value; st.dirty = true; st.rev++; scheduleSync(); renderBar(); });
  probBtn.addEventListener("click", () => { probList.hidden = !probList.hidden; });

  publishBtn.addEventListener("click", async () => {
    await flush();
    if (!st.valid) { say("Fix the problems first.", true); return; }
    if (st.dirty) await save();
    if (st.dirty) return;
    try {
      const v = await api("POST", `/playbooks/${st.pb.id}/publish`);
      st.pb = await api("GET", `/playbooks/${st.pb.id}`);
      st.live = v.document;
      const i = st.list.findIndex((p) => p.id === st.pb.id);
      if (i >= 0) st.list[i] = st.pb;
      renderList(); renderBar();
      say(`Published version ${v.version}.`);
      if (st.tab === "versions") renderInspector();
    } catch (err) { say("Not published: " + err.message, true); }
  });

  // ---- playbooks ----
  function renderList() {
    clear(listEl);
    for (const p of st.list) {
      const a = h("a", { href: `/app/playbooks/${p.id}`, class: "b-item" + (st.pb && st.pb.id === p.id ? " on" : ""), "data-id": p.id },
        h("span", { class: "b-item-name" }, p.name), h("span", { class: "b-item-meta" },
          p.published_version ? h("span", { class: "bf-pill live" }, `Live v${p.published_version}`) : h("span", { class: "bf-pill" }, "Draft"),
          h("span", { class: "muted" }, p.slug)));
      a.addEventListener("click", (ev) => { ev.preventDefault(); open(p.id); });
      listEl.append(h("li", {}, a));
    }
    empty.hidden = st.list.length > 0;
    root.classList.toggle("none", st.list.length === 0);
  }

  async function open(id) {
    if (st.pb && st.dirty) await flush();
    let pb;
    try { pb = await api("GET", `/playbooks/${id}`); } catch (err) { say(err.message, true); return; }
    history.replaceState(null, "", `/app/playbooks/${pb.id}`);
    forget();
    Object.assign(st, { pb, selected: null, dirty: false, note: "", problems: [], valid: true, yamlBroken: false, yamlText: null, tab: st.tab === "versions" || st.tab === "preview" ? st.tab : "card" });
    st.seq++;
    st.live = null;
    if (pb.published_version) api("GET", `/playbooks/${pb.id}/versions/${pb.published_version}`).then((v) => { if (st.pb && st.pb.id === pb.id) { st.live = v.document; renderBar(); } }, () => {});
    try {
      const res = await convertYAML(pb.draft);
      st.m = M.fromConvert(res);
      st.yaml = res.yaml; st.problems = res.problems; st.valid = res.valid;
      st.yamlText = pb.format === "yaml" ? pb.draft : null;
      if (st.view === "yaml") yamlArea.value = st.yamlText !== null ? st.yamlText : st.yaml;
    } catch (err) {
      st.m = { doc: { cards: {} }, order: [] };
      st.yamlText = pb.draft; st.yamlBroken = true; st.problems = fieldProblems(err); st.valid = false;
      st.view = "graph"; await setView("yaml");
    }
    st.textLang = st.m.doc.language || "en";
    renderList(); renderBar();
    redrawGraph(); graph.home();
    renderInspector();
  }

  async function deletePlaybook() {
    if (!confirm(`Delete the playbook "${st.pb.name}" and its versions?`)) return;
    try { await api("DELETE", `/playbooks/${st.pb.id}`); } catch (err) { say(err.message, true); return; }
    st.list = st.list.filter((p) => p.id !== st.pb.id);
    st.pb = null; st.m = null;
    renderList();
    if (st.list.length) open(st.list[0].id); else { history.replaceState(null, "", "/app/playbooks"); clear(inspBody); }
  }

  function newDialog() {
    const name = h("input", { type: "text", name: "new-name", placeholder: "e.g. Pricing page qualifier", required: true });
    const choices = [{ name: "", title: "Blank", description: "Start from a single message card." }, ...st.templates];
    let pick = "";
    const grid = h("div", { class: "b-tpls", role: "radiogroup", "aria-label": "Template" });
    const err = h("div", { class: "bf-problem", role: "alert" });
    const cards = choices.map((c) => {
      const b = h("button", { type: "button", class: "b-tpl" + (c.name === pick ? " on" : ""), role: "radio", "data-template": c.name || "blank", "aria-checked": c.name === pick ? "true" : "false" },
        h("strong", {}, c.title), h("span", { class: "muted" }, c.description));
      b.addEventListener("click", () => { pick = c.name; for (const x of cards) { x.classList.toggle("on", x === b); x.setAttribute("aria-checked", x === b ? "true" : "false"); } if (!name.value || name.dataset.auto) { name.value = c.name ? c.title : ""; name.dataset.auto = "1"; } });
      return b;
    });
    name.addEventListener("input", () => { delete name.dataset.auto; });
    grid.append(...cards);
    const create = h("button", { type: "submit", class: "btn primary", name: "create" }, "Create playbook");
    const cancel = h("button", { type: "button", class: "btn" }, "Cancel");
    const form = h("form", { class: "b-modal-box" }, h("h3", {}, "New playbook"), h("label", { class: "bf-field" }, h("span", { class: "bf-label" }, "Name"), name), h("span", { class: "bf-label" }, "Start from"), grid, err, h("div", { class: "b-modal-foot" }, cancel, create));
    const dlg = h("div", { class: "b-modal", role: "dialog", "aria-label": "New playbook" }, form);
    cancel.addEventListener("click", () => dlg.remove());
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const nm = name.value.trim() || "Untitled playbook";
      const taken = new Set(st.list.map((p) => p.slug));
      let slug = M.slugify(nm), n = 2;
      while (taken.has(slug)) slug = `${M.slugify(nm)}-${n++}`;
      try {
        let source;
        const tpl = st.templates.find((t) => t.name === pick);
        if (tpl) {
          const res = await convertYAML(tpl.document);
          if (res.document.id === slug && res.document.name === nm) source = tpl.document; // as shipped, comments and all
          else { const m = M.fromConvert(res); m.doc.id = slug; m.doc.name = nm; source = (await convertDoc(m)).yaml; }
        } else {
          source = (await convertDoc({ doc: { id: slug, name: nm, language: "en", start: "welcome", cards: { welcome: { type: "message", text: "Hi 👋 How can we help?" } } }, order: ["welcome"] })).yaml;
        }
        const pb = await raw("POST", "/playbooks", source, "application/yaml");
        dlg.remove();
        st.list.push(pb);
        renderList();
        await open(pb.id);
      } catch (e) { err.textContent = e.message; }
    });
    root.append(dlg);
    name.focus();
  }
  newBtn.addEventListener("click", newDialog);

  // ---- boot ----
  empty.append(h("div", { class: "b-empty-box" }, h("h2", {}, "Build your first playbook"), h("p", { class: "muted" }, "Greet visitors, ask qualifying questions, hand over to your team and capture leads — start from a template."), (() => { const b = h("button", { type: "button", class: "btn primary", name: "new-playbook-empty" }, "+ New playbook"); b.addEventListener("click", newDialog); return b; })()));
  const [list, tpls, users, pipelines, stages] = await Promise.all([
    api("GET", "/playbooks").catch(() => []), api("GET", "/playbooks/templates").catch(() => []),
    api("GET", "/users").catch(() => []), api("GET", "/pipelines").catch(() => []), api("GET", "/stages").catch(() => []),
  ]);
  Object.assign(st, { list, templates: tpls, users, pipelines, stages });
  renderList();
  const want = Number((location.pathname.match(/^\/app\/playbooks\/(\d+)/) || [])[1]);
  if (st.list.length) await open(st.list.some((p) => p.id === want) ? want : st.list[0].id);

  const onKey = (ev) => {
    if (st.view !== "graph") return;
    const inField = ev.target.closest && ev.target.closest("input, textarea, select");
    const k = ev.key.toLowerCase();
    if ((ev.ctrlKey || ev.metaKey) && (k === "z" || k === "y") && !inField) { // in a field, the browser undoes the typing
      ev.preventDefault();
      if (k === "y" || ev.shiftKey) redo(); else undo();
      return;
    }
    if (!st.selected || inField) return;
    if (ev.key === "Delete" || ev.key === "Backspace") { const id = st.selected; if (confirm(`Delete card "${id}"?`)) edit(() => M.deleteCard(st.m, id), { select: null }); }
  };
  document.addEventListener("keydown", onKey);
  const onResize = () => { if (st.view === "graph") graph.apply(); };
  window.addEventListener("resize", onResize);
  window.__builder = { state: st, flush }; // for tests and debugging

  return () => {
    for (const t of timers) clearTimeout(t);
    document.removeEventListener("keydown", onKey);
    window.removeEventListener("resize", onResize);
    delete window.__builder;
    css.remove();
    el.classList.remove("builder-host");
  };
}

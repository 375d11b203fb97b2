// Parley loader: the one <script> a website embeds. It stays tiny because it
// runs on every page view of the customer's site: it reads the site's config,
// decides whether the launcher shows here (page rules, business hours), draws
// the bubble, and only loads widget.js when the visitor opens the chat, a
// load/delay trigger fires, or a conversation is already in progress.
(() => {
  const P = performance, D = document, W = window;
  P.mark("parley:loader");
  const me = D.currentScript || D.querySelector("script[data-site]");
  if (!me || W.__parley) return; // one widget per page, even if the snippet is pasted twice
  const site = me.dataset.site, base = new URL(me.src).origin;
  // A preview (the builder's /widget/v1/preview page) keeps its state for the tab only, per token.
  const preview = me.dataset.preview;
  const key = "parley:" + site + (preview ? ":" + preview : ""), store = preview ? sessionStorage : localStorage;
  const state = () => { try { return JSON.parse(store.getItem(key)) || {}; } catch { return {}; } };
  // Same glob as the server (livechat.Glob): `*` matches anything, slashes too.
  const glob = (g, s) => new RegExp("^" + g.split("*").map(x => x.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$").test(s);
  const match = (r, path) => !(r.exclude || []).some(g => glob(g, path)) &&
    (!(r.include || []).length || r.include.some(g => glob(g, path)));
  const api = W.__parley = { site, base, key, state, match, store, preview };

  fetch(base + "/widget/v1/config?site=" + encodeURIComponent(site)).then(r => r.ok ? r.json() : Promise.reject(r.status)).then(cfg => {
    api.cfg = cfg;
    const st = state();
    if (!cfg.in_hours && cfg.outside_hours == "hide" && !st.conv) return;
    const host = D.createElement("div");
    host.id = "parley-widget";
    const root = api.root = host.attachShadow({ mode: "open" });
    // The server validates these, but they go into CSS text: never trust them blindly.
    const a = cfg.appearance || {}, side = a.position == "left" ? "left" : "right";
    const color = /^#[0-9a-f]{6}$/i.test(a.color) ? a.color : "#2563eb", off = +a.offset_px >= 0 ? +a.offset_px : 25;
    const lang = (navigator.language || "en").slice(0, 2).toLowerCase();
    const t = (cfg.texts || {})[lang] || (cfg.texts || {}).en || {};
    // Inline styles only for the bubble; widget.js brings the rest.
    root.innerHTML = `<style>:host{all:initial}.l{position:fixed;${side}:20px;bottom:${off}px;z-index:2147483000;width:60px;height:60px;border:0;border-radius:50%;background:${color};color:#fff;cursor:pointer;box-shadow:0 6px 20px rgba(15,23,42,.25);display:grid;place-items:center;transition:transform .2s}.l:hover{transform:scale(1.06)}.l:focus-visible{outline:3px solid #93c5fd;outline-offset:3px}.l svg{width:28px;height:28px}</style><button class="l" part="launcher" aria-haspopup="dialog" aria-expanded="false"><svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M12 3C6.5 3 2 6.8 2 11.5c0 2.4 1.2 4.6 3.1 6.1L4.5 21l3.9-2c1.1.3 2.3.5 3.6.5 5.5 0 10-3.8 10-8.5S17.5 3 12 3z"/></svg></button>`;
    const btn = api.launcher = root.querySelector("button");
    btn.setAttribute("aria-label", t.launcher || "Chat");
    btn.title = t.launcher || "";
    let loading, mod;
    // Fetches widget.js once (on intent: hover, focus, touch) and mounts it once.
    const fetchMod = () => mod ||= import(base + cfg.widget);
    const load = () => loading ||= fetchMod().then(m => m.mount(api));
    for (const ev of ["pointerenter", "focus", "touchstart"]) btn.addEventListener(ev, fetchMod, { once: true, passive: true });
    api.open = o => load().then(w => w.open(o));
    btn.onclick = () => api.open({ focus: true });
    const show = () => { host.hidden = !match(cfg.pages || {}, location.pathname); };
    show();
    // An async snippet in <head> may run before <body> exists.
    if (D.body) D.body.appendChild(host); else D.addEventListener("DOMContentLoaded", () => D.body.appendChild(host));
    P.mark("parley:launcher");
    // SPA navigation: re-check page rules and tell the server about the page.
    for (const f of ["pushState", "replaceState"]) {
      const orig = history[f];
      history[f] = function () { const r = orig.apply(this, arguments); nav(); return r; };
    }
    const nav = () => { show(); api.onpage && api.onpage(); };
    W.addEventListener("popstate", nav);
    // A preview opens at once and starts the draft; no trigger applies.
    if (preview) return api.open({});
    // Resume a conversation in progress (a reload mid-flow continues where it stopped).
    if (st.conv) return load().then(w => st.open && w.open({}));
    // First visit: get the visitor token now, so opening the chat later
    // only has to connect.
    if (!st.token) fetch(base + "/widget/v1/visitors", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ site }) })
      .then(r => r.ok && r.json()).then(j => { const s = state(); if (j && !s.token) store.setItem(key, JSON.stringify({ ...s, token: j.visitor_token })); }, () => {});
    // Load and delay triggers: the server still checks `when` and the visit rules on start.
    for (const tr of cfg.triggers || []) {
      if ((tr.on == "load" || tr.on == "delay") && match(tr, location.pathname)) {
        setTimeout(() => load().then(w => w.trigger(tr)), tr.after_ms || 0);
        break; // triggers are sorted by priority: the best match wins
      }
    }
  }).catch(e => console.warn("parley: widget unavailable", e));
})();

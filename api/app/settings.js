// The Settings tab (admins): the workspace's sites and widget install,
// the team (users, groups), API tokens, live chat behaviour and webhooks. The
// shell routes every /app/settings* path here; the sub-view is the second
// path segment, and each sub-view is its own module with mount(el, ctx).

const subviews = {
  sites: { label: "Sites & widget", load: () => import("./settings-sites.js") },
  team: { label: "Team", load: () => import("./settings-team.js") },
  tokens: { label: "API tokens", load: () => import("./settings-tokens.js") },
  livechat: { label: "Live chat", load: () => import("./settings-livechat.js") },
  webhooks: { label: "Webhooks", load: () => import("./settings-webhooks.js") },
};

function ensureCSS() {
  if (document.getElementById("settings-css")) return;
  const link = document.createElement("link");
  link.id = "settings-css";
  link.rel = "stylesheet";
  link.href = "/app/static/settings.css";
  document.head.append(link);
}

export function currentSub() {
  const m = location.pathname.match(/^\/app\/settings\/([a-z]+)/);
  return m && subviews[m[1]] ? m[1] : "sites";
}

export async function mount(el, { api, session, navigate, h }) {
  ensureCSS();
  el.classList.add("st-host");
  const sub = currentSub();
  const tabs = h("nav", { class: "st-tabs", "aria-label": "Settings" }, ...Object.entries(subviews).map(([k, v]) => {
    const a = h("a", { href: "/app/settings/" + k, "data-sub": k, class: k === sub ? "on" : "", "aria-current": k === sub ? "page" : false }, v.label);
    a.addEventListener("click", (ev) => {
      if (ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
      ev.preventDefault();
      if (k !== currentSub() || location.search) navigate("/app/settings/" + k);
    });
    return a;
  }));
  const body = h("div", { class: "st-body" });
  el.append(tabs, body);
  if (session.user.role !== "admin" && sub !== "tokens") {
    body.append(h("div", { class: "card st-note" }, "Only admins can change these settings. Your own API tokens are under API tokens."));
    return () => el.classList.remove("st-host");
  }
  let cleanup = null;
  try {
    const mod = await subviews[sub].load();
    const c = await mod.mount(body, { api, session, navigate, h });
    if (typeof c === "function") cleanup = c;
  } catch (err) {
    body.append(h("div", { class: "card" }, "Settings could not load: " + err.message));
  }
  return () => {
    if (cleanup) cleanup();
    el.classList.remove("st-host");
  };
}

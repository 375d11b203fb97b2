// The CRM tab: Leads, Deals, People and Organizations. The shell routes
// every /app/crm* path here; the sub-view is the second path segment.
import { Lookups, closeMenus } from "./crm-ui.js";

const subviews = {
  leads: { label: "Leads", load: () => import("./crm-leads.js") },
  deals: { label: "Deals", load: () => import("./crm-deals.js") },
  people: { label: "People", load: () => import("./crm-contacts.js"), kind: "person" },
  organizations: { label: "Organizations", load: () => import("./crm-contacts.js"), kind: "org" },
};

function ensureCSS() {
  if (document.getElementById("crm-css")) return;
  const link = document.createElement("link");
  link.id = "crm-css";
  link.rel = "stylesheet";
  link.href = "/app/static/crm.css";
  document.head.append(link);
}

export function currentSub() {
  const m = location.pathname.match(/^\/app\/crm\/([a-z]+)/);
  return m && subviews[m[1]] ? m[1] : "leads";
}

export async function mount(el, { api, session, navigate, h }) {
  ensureCSS();
  el.classList.add("crm-host");
  const sub = currentSub();
  const tabs = h("nav", { class: "crm-tabs", "aria-label": "CRM" }, ...Object.entries(subviews).map(([k, v]) => {
    const a = h("a", { href: "/app/crm/" + k, "data-sub": k, class: k === sub ? "on" : "", "aria-current": k === sub ? "page" : false }, v.label);
    a.addEventListener("click", (ev) => {
      if (ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
      ev.preventDefault();
      if (k !== currentSub() || location.search) navigate("/app/crm/" + k);
    });
    return a;
  }));
  const body = h("div", { class: "crm-body" });
  el.append(tabs, body);
  const look = new Lookups(api);
  const cleanups = [];
  try {
    await look.init();
    const mod = await subviews[sub].load();
    const ctx = { api, session, navigate, h, look, me: session.user.id, kind: subviews[sub].kind };
    const c = await mod.mount(body, ctx);
    if (typeof c === "function") cleanups.push(c);
  } catch (err) {
    body.append(h("div", { class: "card" }, "The CRM could not load: " + err.message));
  }
  return () => {
    for (const f of cleanups) f();
    closeMenus();
    el.classList.remove("crm-host");
  };
}

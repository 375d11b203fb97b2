// The live preview: the real widget (the same loader, widget and socket a
// website gets) in an iframe, running the draft as it stands, saved or not.
// The server issues a short-lived preview token for the draft and serves
// /widget/v1/preview?token=…; captures there create nothing, and no agent
// sees the chat. "Restart preview" asks for a new token for the current
// draft. The step-by-step simulator stays beside it for what a real widget
// cannot show on demand: an agent claiming the chat, the wait running out,
// another language or page.
import { h } from "./dom.js";
import { preview } from "./builder-preview.js";

export function previewTab(ctx) {
  // ctx: { api, body() → {yaml}|{document} | null (invalid), playbookId() → id | null, botName() }
  let mode = "live", sim = null, seq = 0;
  const frame = h("iframe", { class: "pv-frame", title: "Live preview of the draft in the real widget", name: "pv-frame" });
  const note = h("div", { class: "pv-note muted", "aria-live": "polite" });
  const restart = h("button", { type: "button", class: "btn", name: "pv-live-restart" }, "↻ Restart preview");
  const liveBtn = h("button", { type: "button", class: "btn", name: "pv-mode-live", "aria-pressed": "true" }, "Live widget");
  const simBtn = h("button", { type: "button", class: "btn", name: "pv-mode-sim", "aria-pressed": "false" }, "Simulator");
  const live = h("div", { class: "pv-live" },
    h("div", { class: "pv-controls" }, restart),
    h("p", { class: "muted pv-hint" }, "The real widget runs the draft: answers create nothing in the CRM and no agent sees this chat."),
    frame);
  const simBox = h("div", { class: "pv-sim", hidden: true });
  const el = h("div", { class: "pv" }, h("div", { class: "pv-controls pv-modes", role: "group", "aria-label": "Preview mode" }, liveBtn, simBtn), live, simBox, note);

  async function startLive() {
    const my = ++seq;
    const body = ctx.body();
    if (!body) { note.textContent = "Fix the problems of the draft to preview it."; frame.removeAttribute("src"); return; }
    note.textContent = "";
    const id = ctx.playbookId();
    try {
      const res = await ctx.api("POST", id ? `/playbooks/${id}/preview-token` : "/playbooks/preview-token", body);
      if (my !== seq) return; // a newer restart won
      frame.src = res.url;
    } catch (err) {
      if (my !== seq) return;
      note.textContent = err.status === 422 ? "Fix the problems of the draft to preview it." : err.message;
    }
  }

  function setMode(m) {
    mode = m;
    live.hidden = m !== "live";
    simBox.hidden = m !== "sim";
    liveBtn.setAttribute("aria-pressed", String(m === "live"));
    simBtn.setAttribute("aria-pressed", String(m === "sim"));
    if (m === "sim" && !sim) {
      sim = preview(ctx);
      simBox.append(sim.el);
      sim.start();
    }
  }
  restart.addEventListener("click", startLive);
  liveBtn.addEventListener("click", () => setMode("live"));
  simBtn.addEventListener("click", () => setMode("sim"));
  return {
    el,
    start() { if (mode === "live") startLive(); else if (sim) sim.start(); },
    get waiting() { return sim ? sim.waiting : null; },
  };
}

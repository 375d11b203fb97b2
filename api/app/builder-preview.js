// The preview: the draft as it stands (saved or not) run by the real
// interpreter on the server, one step per visitor action, shown the way
// the widget shows it. Nothing is stored; captures are only described.
import { h } from "./dom.js";
import { LANGS } from "./builder-model.js";

const PLACEHOLDERS = { email: "you@company.com", phone: "+1 555 0100", number: "12", url: "https://", date: "2026-12-31", name: "Your name", organization: "Company", text: "Type your answer…" };

// md renders the markdown subset's bold and italic with text nodes only.
function md(text) {
  const out = [];
  const re = /\*\*([^*]+)\*\*|\*([^*]+)\*|_([^_]+)_/g;
  let last = 0, m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(m[1] ? h("strong", {}, m[1]) : h("em", {}, m[2] || m[3]));
    last = re.lastIndex;
  }
  out.push(text.slice(last));
  return out;
}

export function preview(ctx) {
  // ctx: { api, body() → {document} | null (invalid), botName() }
  let state = {}, waiting = null, busy = false;
  const env = { agents_online: 1, language: "en", visits: 2, path: "/pricing" };
  const log = h("div", { class: "pv-log", "aria-live": "polite" });
  const inputRow = h("div", { class: "pv-input" });
  const agents = h("select", { "aria-label": "Agents online", name: "pv-agents" }, h("option", { value: "1", selected: true }, "Agents online"), h("option", { value: "0" }, "Nobody online"));
  const lang = h("select", { "aria-label": "Visitor language", name: "pv-lang" }, ...LANGS.map((l) => h("option", { value: l }, l.toUpperCase())));
  const path = h("input", { type: "text", value: env.path, "aria-label": "Page path", class: "mono pv-path" });
  const restart = h("button", { type: "button", class: "btn", name: "pv-restart" }, "↻ Restart");
  const note = h("div", { class: "pv-note muted" });
  const head = h("div", { class: "pv-head" }, h("span", { class: "pv-avatar" }, "🤖"), h("strong", { class: "pv-bot" }, ctx.botName()), h("span", { class: "pv-status" }, "Preview of the draft"));
  const el = h("div", { class: "pv" },
    h("div", { class: "pv-controls" }, agents, lang, path, restart),
    h("div", { class: "pv-phone" }, head, log, inputRow), note);

  const bubble = (who, ...kids) => { const b = h("div", { class: "pv-msg " + who }, ...kids); log.append(b); log.scrollTop = log.scrollHeight; return b; };
  const sys = (text, cls = "") => bubble("sys " + cls, text);

  async function step(event, shown) {
    if (busy) return;
    const body = ctx.body();
    if (!body) { note.textContent = "Fix the problems of the draft to preview it."; return; }
    busy = true;
    inputRow.replaceChildren();
    if (shown) bubble("me", shown);
    env.agents_online = Number(agents.value);
    env.language = lang.value;
    env.path = path.value || "/";
    try {
      const res = await ctx.api("POST", "/playbooks/preview", { ...body, state, event, env });
      state = res.state;
      render(res.effects);
      note.textContent = "";
    } catch (err) {
      note.textContent = err.status === 422 ? "Fix the problems of the draft to preview it." : err.message;
    } finally { busy = false; }
  }

  function ask(ef) {
    if (ef.options && ef.options.length) {
      inputRow.append(h("div", { class: "pv-opts" }, ...ef.options.map((o, i) => {
        const b = h("button", { type: "button", class: "pv-opt" }, o.label);
        b.addEventListener("click", () => step({ kind: "answer", card: ef.card, option: i }, o.label));
        return b;
      })));
      return;
    }
    const type = { email: "email", number: "text", url: "url", date: "text", phone: "tel" }[ef.input] || "text";
    const box = h("input", { type, placeholder: PLACEHOLDERS[ef.input] || "Type…", "aria-label": "Your answer", name: "pv-answer", value: ef.value || "" });
    const send = h("button", { type: "submit", class: "btn primary" }, "Send");
    const form = h("form", { class: "pv-form" }, box, send, ef.required === false ? h("button", { type: "button", class: "btn", name: "pv-skip" }, "Skip") : null);
    form.addEventListener("submit", (ev) => { ev.preventDefault(); const v = box.value; step({ kind: "answer", card: ef.card, field: ef.field >= 0 ? ef.field : 0, value: v }, v || "(skipped)"); });
    const skip = form.querySelector("[name=pv-skip]");
    if (skip) skip.addEventListener("click", () => step({ kind: "answer", card: ef.card, field: ef.field >= 0 ? ef.field : 0, value: "" }, "(skipped)"));
    inputRow.append(form);
    box.focus();
  }

  function render(effects) {
    waiting = null;
    for (const ef of effects) {
      switch (ef.kind) {
        case "bot_message": bubble("bot", ...md(ef.text)); break;
        case "question": if (ef.text) bubble("bot", ...md(ef.text)); ask(ef); break;
        case "invalid": bubble("bot invalid", ...md(ef.text)); break;
        case "offline": bubble("bot", ...md(ef.text)); break;
        case "waiting": {
          if (ef.online_message) bubble("bot", ...md(ef.online_message));
          sys(`Waiting for an agent (up to ${Math.round(ef.wait / 1e9)}s)…`);
          waiting = ef;
          const claim = h("button", { type: "button", class: "btn", name: "pv-claim" }, "An agent claims the chat");
          const off = h("button", { type: "button", class: "btn", name: "pv-timeout" }, "Nobody answers in time");
          claim.addEventListener("click", () => step({ kind: "livechat_claimed" }, null).then(() => sys("An agent joined: the bot's part is over.")));
          off.addEventListener("click", () => step({ kind: "livechat_offline" }, null));
          inputRow.append(h("div", { class: "pv-opts" }, claim, off));
          break;
        }
        case "captured": {
          const parts = [`Would create a ${ef.create} “${ef.title}”`];
          if (ef.value !== undefined) parts.push(`value ${ef.value}${ef.currency ? " " + ef.currency : ""}`);
          if (ef.stage || ef.pipeline) parts.push(`in ${[ef.pipeline, ef.stage].filter(Boolean).join(" / ")}`);
          parts.push(`owner ${ef.owner || "round_robin"}`);
          if (!ef.qualified) parts.push("unqualified");
          if (ef.labels && ef.labels.length) parts.push("labels " + ef.labels.join(", "));
          if (ef.activity) parts.push(`${ef.activity.type} “${ef.activity.subject}”`);
          sys("🎯 " + parts.join(" · "), "capture");
          break;
        }
        case "end": {
          if (ef.text) bubble("bot", ...md(ef.text));
          sys("The conversation ended.");
          if (ef.restart) { const b = h("button", { type: "button", class: "btn", name: "pv-again" }, "Start again"); b.addEventListener("click", () => step({ kind: "restart" }, null)); inputRow.append(b); }
          break;
        }
        case "log": sys("⚠ " + (ef.message || ef.text || JSON.stringify(ef)), "warn"); break;
      }
    }
  }

  function start() {
    state = {}; waiting = null;
    log.replaceChildren();
    inputRow.replaceChildren();
    head.querySelector(".pv-bot").textContent = ctx.botName();
    step({ kind: "start" }, null);
  }
  restart.addEventListener("click", start);
  agents.addEventListener("change", start);
  lang.addEventListener("change", start);
  path.addEventListener("change", start);
  return { el, start, get waiting() { return waiting; } };
}

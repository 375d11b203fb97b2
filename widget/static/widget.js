// Parley visitor widget. loader.js imports this module when the visitor opens
// the chat (or a trigger fires, or a conversation is in progress) and calls
// mount with what it already knows: the site, the server, the config and the
// shadow root holding the launcher. Everything renders inside that shadow
// root so the customer's CSS cannot break the widget, nor ours their page.
//
// Text safety: the server renders bot texts (the markdown subset) to `html`
// after escaping; we still pass it through a whitelist sanitiser. Anything a
// person typed (visitor or agent) is only ever set with textContent.

const STYLE = `
:host{all:initial}
*{box-sizing:border-box}
.w{--c:#2563eb;--on:#fff;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#0f172a;-webkit-font-smoothing:antialiased}
.p{position:fixed;bottom:calc(var(--off) + 76px);width:384px;height:min(640px,calc(100vh - var(--off) - 100px));z-index:2147483001;background:#fff;border-radius:18px;box-shadow:0 24px 64px rgba(15,23,42,.22),0 2px 8px rgba(15,23,42,.08);display:flex;flex-direction:column;overflow:hidden;opacity:0;transform:translateY(12px) scale(.98);transform-origin:bottom right;transition:opacity .18s ease,transform .18s ease;pointer-events:none;visibility:hidden}
.p{right:20px}
.p.left{transform-origin:bottom left;left:20px;right:auto}
.p.open{opacity:1;transform:none;pointer-events:auto;visibility:visible}
.hd{background:var(--c);color:var(--on);padding:16px 16px 18px;display:flex;align-items:center;gap:12px}
.av{width:40px;height:40px;border-radius:50%;flex:none;background:rgba(255,255,255,.22);display:grid;place-items:center;font-weight:600;font-size:16px;overflow:hidden;box-shadow:0 0 0 2px rgba(255,255,255,.55)}
.av img{width:100%;height:100%;object-fit:cover}
.ti{flex:1;min-width:0}
.nm{font-weight:650;font-size:15.5px;letter-spacing:-.01em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.st{font-size:12.5px;opacity:.88;display:flex;align-items:center;gap:6px;margin-top:1px}
.dot{width:8px;height:8px;border-radius:50%;background:#cbd5e1}
.on .dot{background:#22c55e;box-shadow:0 0 0 2px rgba(34,197,94,.3)}
.x{background:transparent;border:0;color:inherit;width:34px;height:34px;border-radius:10px;cursor:pointer;display:grid;place-items:center;opacity:.85}
.x:hover{background:rgba(255,255,255,.16);opacity:1}
.x svg{width:18px;height:18px}
.ban{background:#fffbeb;color:#92400e;border-bottom:1px solid #fde68a;padding:9px 16px;font-size:13px}
.ban:empty,.rc:empty{display:none}
.rc{background:#f1f5f9;color:#475569;font-size:12.5px;padding:6px 16px;text-align:center}
.ls{flex:1;overflow-y:auto;padding:18px 14px 8px;display:flex;flex-direction:column;gap:6px;scroll-behavior:smooth;background:linear-gradient(#fff,#fafbfc)}
.m{display:flex;gap:8px;align-items:flex-end;max-width:86%;animation:in .2s ease}
@keyframes in{from{opacity:0;transform:translateY(4px)}}
.m .b{padding:9px 13px;border-radius:18px;background:#f1f5f9;word-wrap:break-word;overflow-wrap:anywhere;white-space:pre-wrap}
.m .b :first-child{margin-top:0}.m .b :last-child{margin-bottom:0}
.m .b p{margin:.4em 0;white-space:normal}
.m .b ul,.m .b ol{margin:.4em 0;padding-left:1.2em;white-space:normal}
.m .b a{color:inherit;text-decoration:underline;text-underline-offset:2px}
.m .b img{max-width:100%;border-radius:10px;display:block}
.m.bot .b{border-bottom-left-radius:6px}
.m.me{align-self:flex-end;flex-direction:column;align-items:flex-end}
.m.me .b{background:var(--c);color:var(--on);border-bottom-right-radius:6px}
.m.me.pend .b{opacity:.6}
.m.me.nok .b{opacity:.55;text-decoration:line-through}
.mini{width:26px;height:26px;border-radius:50%;flex:none;background:var(--c);color:var(--on);display:grid;place-items:center;font-size:11px;font-weight:600;overflow:hidden}
.mini img{width:100%;height:100%;object-fit:cover}
.gap{width:26px;flex:none}
.rd{font-size:11px;color:#94a3b8;margin:2px 4px 0}
.sys{align-self:center;font-size:12px;color:#64748b;padding:6px 0;text-align:center}
.ops{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 6px 34px}
.op{font:inherit;font-weight:550;background:#fff;color:var(--c);border:1.5px solid var(--c);border-radius:999px;padding:7px 14px;cursor:pointer;transition:background .15s,color .15s}
.op:hover,.op:focus-visible{background:var(--c);color:var(--on);outline:0}
.op:disabled{cursor:default;opacity:.45;background:#fff;color:var(--c)}
.op.sel{opacity:1;background:var(--c);color:var(--on)}
.card{margin:4px 0 6px 34px;background:#fff;border:1px solid #e2e8f0;border-radius:16px;box-shadow:0 1px 3px rgba(15,23,42,.06);padding:6px 14px;max-width:calc(100% - 34px)}
.row{padding:9px 0;border-bottom:1px solid #f1f5f9}
.row:last-child{border-bottom:0}
.lb{font-size:12px;font-weight:600;color:#64748b;text-transform:none;margin-bottom:3px}
.val{display:flex;justify-content:space-between;gap:8px;align-items:center}
.val span{overflow-wrap:anywhere}
.val span:empty::before{content:"—";color:#94a3b8}
.ed{font:inherit;font-size:12px;background:none;border:0;color:var(--c);cursor:pointer;padding:2px 4px;border-radius:6px}
.ed:hover{background:#f1f5f9}
.card.done .ed{display:none}
.fi{display:flex;gap:6px}
.fi input{flex:1;min-width:0;font:inherit;border:1.5px solid #cbd5e1;border-radius:10px;padding:7px 10px;outline:0;background:#fff;color:inherit}
.fi input:focus{border-color:var(--c);box-shadow:0 0 0 3px color-mix(in srgb,var(--c) 18%,transparent)}
.err{color:#dc2626;font-size:12px;margin-top:4px}
.err:empty{display:none}
.sm{font:inherit;font-size:13px;font-weight:600;border:0;border-radius:10px;padding:7px 12px;background:var(--c);color:var(--on);cursor:pointer}
.sm.alt{background:#f1f5f9;color:#334155}
.end{align-self:stretch;text-align:center;margin:10px 0 4px;padding:14px;border-radius:16px;background:#f8fafc;border:1px solid #eef2f7}
.end .b{background:none;padding:0;margin-bottom:10px;white-space:normal}
.end .acts{display:flex;justify-content:center;gap:8px;flex-wrap:wrap}
.rate{margin-top:10px;font-size:13px;color:#475569}
.rate button{font-size:20px;background:#fff;border:1px solid #e2e8f0;border-radius:12px;width:46px;height:40px;margin:6px 4px 0;cursor:pointer}
.rate button:hover{border-color:var(--c)}
.ty .b{display:flex;gap:4px;padding:12px 14px}
.ty i{width:7px;height:7px;border-radius:50%;background:#94a3b8;animation:bl 1.2s infinite}
.ty i:nth-child(2){animation-delay:.2s}.ty i:nth-child(3){animation-delay:.4s}
@keyframes bl{0%,60%,100%{opacity:.3;transform:none}30%{opacity:1;transform:translateY(-3px)}}
.cp{border-top:1px solid #eef2f7;padding:10px 12px 8px;background:#fff}
.cf{display:flex;gap:8px;align-items:center;background:#f8fafc;border:1.5px solid #e2e8f0;border-radius:24px;padding:4px 4px 4px 14px;transition:border-color .15s,box-shadow .15s}
.cf:focus-within{border-color:var(--c);box-shadow:0 0 0 3px color-mix(in srgb,var(--c) 15%,transparent);background:#fff}
.cf input{flex:1;min-width:0;border:0;background:transparent;font:inherit;font-size:14.5px;padding:8px 0;outline:0;color:inherit}
.cf input:disabled{cursor:not-allowed}
.snd{width:38px;height:38px;border-radius:50%;border:0;background:var(--c);color:var(--on);display:grid;place-items:center;cursor:pointer;flex:none;transition:opacity .15s}
.snd:disabled{opacity:.35;cursor:default}
.snd svg{width:18px;height:18px}
.cp .err{margin:4px 14px 0}
.ft{display:flex;justify-content:space-between;align-items:center;margin-top:6px;padding:0 6px;font-size:11px;color:#94a3b8}
.skip{font:inherit;font-size:12px;background:none;border:0;color:var(--c);cursor:pointer;padding:0}
.pc{margin:4px 0 6px;max-width:100%;padding:8px 14px}
.pc .lb{display:block}
.pc input{width:100%;font:inherit;border:1.5px solid #cbd5e1;border-radius:10px;padding:7px 10px;outline:0;color:inherit}
.pc input:focus{border-color:var(--c)}
.pc input[aria-invalid]{border-color:#dc2626}
.pc .acts{display:flex;justify-content:flex-end;gap:8px;padding:6px 0 4px}
.l.o svg.c,.l:not(.o) svg.x2{display:none}
.bd{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#ef4444;color:#fff;font:600 11px/20px system-ui,sans-serif;text-align:center;padding:0 5px;box-shadow:0 0 0 2px #fff}
.bd:empty{display:none}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){.p,.p.left{inset:0;width:auto;height:auto;border-radius:0}.p.open~.l{display:none}}
@media (prefers-reduced-motion:reduce){.p,.m{transition:none;animation:none}}
`;

// The widget's own strings; site texts (launcher, header, placeholder,
// offline message, "%s joined", restart) come from the config.
const I18N = {
  en: { send: "Send", close: "Close chat", online: "Online", away: "Away · we'll get back to you", typing: "%s is typing…", seen: "Seen", edit: "Edit", skip: "Skip", required: "This field is required", email: "Please enter a valid email address", phone: "Please enter a valid phone number", number: "Please enter a number", url: "Please enter a valid web address", date: "Please enter a date", choose: "Choose an option above", form: "Fill in the form above", rate: "How was your chat?", thanks: "Thanks for your feedback!", ended: "The chat has ended", newchat: "New chat", reconnecting: "Reconnecting…", left: "%s left the chat", you: "You", good: "Good", bad: "Bad", answer: "Your answer…" },
  fr: { send: "Envoyer", close: "Fermer la discussion", online: "En ligne", away: "Absents · nous vous répondrons", typing: "%s écrit…", seen: "Vu", edit: "Modifier", skip: "Passer", required: "Ce champ est obligatoire", email: "Saisissez une adresse e-mail valide", phone: "Saisissez un numéro de téléphone valide", number: "Saisissez un nombre", url: "Saisissez une adresse web valide", date: "Saisissez une date", choose: "Choisissez une option ci-dessus", form: "Remplissez le formulaire ci-dessus", rate: "Comment s'est passée la discussion ?", thanks: "Merci pour votre avis !", ended: "La discussion est terminée", newchat: "Nouvelle discussion", reconnecting: "Reconnexion…", left: "%s a quitté la discussion", you: "Vous", good: "Bien", bad: "Pas bien", answer: "Votre réponse…" },
  es: { send: "Enviar", close: "Cerrar el chat", online: "En línea", away: "Ausentes · te responderemos", typing: "%s está escribiendo…", seen: "Visto", edit: "Editar", skip: "Omitir", required: "Este campo es obligatorio", email: "Introduce un correo electrónico válido", phone: "Introduce un teléfono válido", number: "Introduce un número", url: "Introduce una dirección web válida", date: "Introduce una fecha", choose: "Elige una opción", form: "Completa el formulario", rate: "¿Qué tal la conversación?", thanks: "¡Gracias por tu opinión!", ended: "La conversación ha terminado", newchat: "Nueva conversación", reconnecting: "Reconectando…", left: "%s salió del chat", you: "Tú", good: "Bien", bad: "Mal", answer: "Tu respuesta…" },
  pt: { send: "Enviar", close: "Fechar a conversa", online: "Online", away: "Ausentes · responderemos em breve", typing: "%s está digitando…", seen: "Visto", edit: "Editar", skip: "Pular", required: "Este campo é obrigatório", email: "Digite um e-mail válido", phone: "Digite um telefone válido", number: "Digite um número", url: "Digite um endereço web válido", date: "Digite uma data", choose: "Escolha uma opção acima", form: "Preencha o formulário acima", rate: "Como foi a conversa?", thanks: "Obrigado pela avaliação!", ended: "A conversa terminou", newchat: "Nova conversa", reconnecting: "Reconectando…", left: "%s saiu da conversa", you: "Você", good: "Bom", bad: "Ruim", answer: "Sua resposta…" },
};

const SEND_ICON = '<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z"/></svg>';
const CLOSE_ICON = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6 6 18"/></svg>';

// Input kinds → the HTML input that fits, and the check done before sending
// (the server validates again and answers `invalid` when it disagrees).
const KINDS = {
  text: ["text", ""], name: ["text", "name"], organization: ["text", "organization"],
  email: ["email", "email", v => /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/.test(v)],
  phone: ["tel", "tel", v => /^\+?[0-9 ().\/-]{6,24}$/.test(v) && /\d{6}/.test(v.replace(/\D/g, ""))], // the server's separators: space . - ( ) /
  number: ["text", "off", v => /^-?\d+([.,]\d+)?$/.test(v.trim())],
  url: ["url", "url", v => { try { return /^https?:$/.test(new URL(/^[a-z]+:/i.test(v) ? v : "https://" + v).protocol); } catch { return false; } }],
  date: ["date", "off", v => !isNaN(Date.parse(v))],
};

// The pre-chat form's fields → their input kind above.
const PRE = { "person.name": "name", "person.email": "email", "person.phone": "phone", "organization.name": "organization" };

// h builds an element. Children that are strings become text nodes, so
// nothing passed here is ever parsed as HTML.
function h(tag, props, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k == "class") e.className = v;
    else if (k == "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of kids.flat()) if (c != null) e.append(c);
  return e;
}

// safeHTML turns server-rendered markdown into nodes, keeping only the tags
// the markdown subset produces and only http(s)/mailto/relative URLs.
const TAGS = { P: [], BR: [], STRONG: [], B: [], EM: [], I: [], UL: [], OL: [], LI: [], CODE: [], A: ["href"], IMG: ["src", "alt"] };
function safeHTML(html) {
  const t = document.createElement("template");
  t.innerHTML = html || ""; // template content is inert: no scripts run, no images load
  const clean = n => {
    const out = document.createDocumentFragment();
    for (const c of n.childNodes) {
      if (c.nodeType == 3) { out.append(c.textContent); continue; }
      if (c.nodeType != 1) continue;
      const ok = TAGS[c.tagName];
      if (!ok) { out.append(clean(c)); continue; }
      const e = document.createElement(c.tagName);
      for (const a of ok) {
        const v = c.getAttribute(a);
        if (v == null) continue;
        if ((a == "href" || a == "src") && !/^(https?:|mailto:|\/(?!\/))/i.test(v.trim())) continue;
        e.setAttribute(a, v);
      }
      if (e.tagName == "A") { e.target = "_blank"; e.rel = "noopener noreferrer nofollow"; }
      e.append(clean(c));
      out.append(e);
    }
    return out;
  };
  return clean(t.content);
}

const uuid = () => crypto.randomUUID ? crypto.randomUUID() : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, c => (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16));

// onColor picks white or near-black text for the site colour (WCAG luminance).
function onColor(hex) {
  const n = parseInt(hex.slice(1), 16), ch = [n >> 16, (n >> 8) & 255, n & 255].map(v => { v /= 255; return v <= .03928 ? v / 12.92 : ((v + .055) / 1.055) ** 2.4; });
  return .2126 * ch[0] + .7152 * ch[1] + .0722 * ch[2] > .45 ? "#0f172a" : "#fff";
}

const initial = s => (s || "?").trim().charAt(0).toUpperCase();
const avatar = (who, cls) => h("div", { class: cls, "aria-hidden": "true" }, who && who.avatar ? h("img", { src: who.avatar, alt: "" }) : initial(who && who.name));

export async function mount(api) {
  const w = new Widget(api);
  await w.init();
  return w;
}

class Widget {
  constructor(api) {
    this.api = api;
    this.cfg = api.cfg;
    const lang = (navigator.language || "en").toLowerCase();
    this.lang = lang.slice(0, 2);
    this.t = I18N[this.lang] || I18N.en;
    this.st = (this.cfg.texts || {})[this.lang] || (this.cfg.texts || {}).en || {};
    this.s = api.state();             // persisted: token, conv, open, pending, rated
    this.s.pending ||= [];
    this.seq = 0;                      // last event seq shown (this page load)
    this.backoff = 0;
    this.unread = 0;
    this.liveFrom = 0;
    this.online = !!this.cfg.online;
    this.pc = this.cfg.pre_chat || {};  // the site's pre-chat form settings
    this.agent = null;                 // the agent who joined, shown instead of the bot
    this.bot = null;
    this.waiting = null;               // the question waiting for an answer
    this.forms = {};                   // card id → {el, rows[field]}
    this.mine = {};                    // client_id → optimistic bubble
    this.bySeq = {};                   // seq → rendered visitor bubble (read receipts)
    this.said = {};                    // seq → an agent message's bubble (message_edited)
  }

  save() { (this.api.store || localStorage).setItem(this.api.key, JSON.stringify(this.s)); }
  tr(k, a) { return (this.t[k] || I18N.en[k] || "").replace("%s", a || ""); }

  async init() {
    await this.register();
    this.build();
    this.api.onpage = () => this.send({ type: "page", page: this.page() });
    document.addEventListener("visibilitychange", () => this.markRead());
    // Back on the network: no need to sit out the backoff.
    addEventListener("online", () => { if (!this.ws) { clearTimeout(this.retry); this.connect(); } });
    this.connect();
  }

  // register gets a visitor token on the first visit; it is the visitor's
  // only key to its conversations, so it lives in localStorage.
  async register() {
    this.s.token ||= this.api.state().token; // the loader may have registered meanwhile
    if (!this.s.token) {
      const r = await fetch(this.api.base + "/widget/v1/visitors", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ site: this.api.site }),
      });
      if (!r.ok) throw new Error("parley: visitor registration failed: " + r.status);
      this.s.token = (await r.json()).visitor_token;
      this.save();
    }
  }

  build() {
    const root = this.api.root, a = this.cfg.appearance || {}, left = a.position == "left";
    const color = /^#[0-9a-f]{6}$/i.test(a.color) ? a.color : "#2563eb";
    root.prepend(h("style", { text: STYLE }));
    const host = this.wrap = h("div", { class: "w" });
    host.style.setProperty("--c", color);
    host.style.setProperty("--on", onColor(color));
    host.style.setProperty("--off", (+a.offset_px >= 0 ? +a.offset_px : 25) + "px");
    const panel = this.panel = h("div", { class: "p" + (left ? " left" : ""), role: "dialog", "aria-modal": "false", "aria-labelledby": "pw-nm" });
    this.avEl = h("div", { class: "av", "aria-hidden": "true" });
    this.nameEl = h("div", { class: "nm", id: "pw-nm" });
    this.stEl = h("div", { class: "st" }, h("span", { class: "dot" }), h("span"));
    const x = h("button", { class: "x", "aria-label": this.tr("close"), title: this.tr("close"), onclick: () => this.close() });
    x.innerHTML = CLOSE_ICON; // our own constant markup
    this.banner = h("div", { class: "ban", role: "status" });
    this.recon = h("div", { class: "rc", role: "status" });
    this.list = h("div", { class: "ls", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0", "aria-label": this.st.header || "Chat" });
    this.input = h("input", { "aria-label": this.st.placeholder || "Message", maxlength: "4000", autocomplete: "off",
      oninput: () => { this.err.textContent = ""; this.sendBtn.disabled = !this.input.value.trim() && !this.skipOK(); this.typing(); } });
    this.sendBtn = h("button", { class: "snd", type: "submit", "aria-label": this.tr("send"), title: this.tr("send"), disabled: true });
    this.sendBtn.innerHTML = SEND_ICON;
    this.err = h("div", { class: "err", role: "alert", id: "pw-err" });
    this.skipBtn = h("button", { class: "skip", type: "button", hidden: true, onclick: () => this.submit(true) }, this.tr("skip"));
    const form = h("form", { class: "cf", novalidate: true, onsubmit: e => { e.preventDefault(); this.submit(); } }, this.input, this.sendBtn);
    panel.append(
      h("div", { class: "hd" }, this.avEl, h("div", { class: "ti" }, this.nameEl, this.stEl), x),
      this.banner, this.recon, this.list,
      h("div", { class: "cp" }, form, this.err, h("div", { class: "ft" }, this.skipBtn, h("span", {}, "Powered by Parley"))));
    host.append(panel);
    const launcher = this.api.launcher;
    // The bubble turns into a close button while the panel is open, and
    // counts messages that arrived while it was closed.
    launcher.querySelector("svg").classList.add("c");
    launcher.insertAdjacentHTML("beforeend", CLOSE_ICON.replace("<svg", '<svg class="x2"'));
    this.badge = h("span", { class: "bd", "aria-hidden": "true" });
    launcher.append(this.badge);
    root.append(host);
    host.append(launcher); // after the panel, so the mobile rule `.p.open~.l` can hide it
    launcher.onclick = () => this.isOpen ? this.close() : this.open({ focus: true });
    panel.addEventListener("keydown", e => { if (e.key == "Escape") { e.stopPropagation(); this.close(); } });
    this.header();
    this.composer();
  }

  header() {
    const who = this.agent || this.bot || { name: this.st.header || "Chat" };
    this.nameEl.textContent = who.name;
    this.avEl.replaceChildren(avatar(who, "x").firstChild || "");
    const on = this.online && (this.cfg.in_hours !== false);
    this.stEl.className = "st" + (on ? " on" : "");
    this.stEl.lastChild.textContent = on ? this.tr("online") : this.tr("away");
    // Messenger mode (outside hours, or nobody online and no bot to talk
    // to): the visitor can still write and is told when to expect answers.
    const messenger = this.cfg.in_hours === false || (this.noPlaybook && !this.s.conv);
    this.banner.textContent = on || this.agent || !messenger ? "" : (this.st.offline_message || "");
  }

  // --- opening and closing ---------------------------------------------------
  get isOpen() { return this.panel.classList.contains("open"); }

  open(o = {}) {
    this.panel.classList.add("open");
    this.api.launcher.classList.add("o");
    this.unread = 0;
    this.badge.textContent = "";
    this.api.launcher.setAttribute("aria-expanded", "true");
    if (!this.s.open) { this.s.open = true; this.save(); }
    if (this.welcomed) this.begin();
    this.markRead();
    this.scroll();
    if (o.focus) setTimeout(() => this.focus(), 60);
  }

  close() {
    this.panel.classList.remove("open");
    this.api.launcher.classList.remove("o");
    this.api.launcher.setAttribute("aria-expanded", "false");
    this.s.open = false;
    this.save();
    this.api.launcher.focus();
  }

  focus() {
    const b = this.list.querySelector(".ops:last-child .op:not(:disabled), .card .fi input");
    (b || (this.input.disabled ? this.list : this.input)).focus();
  }

  // A load/delay trigger fired: start its playbook unless a chat is running.
  trigger(tr) {
    this.pendingTrigger = tr;
    if (this.welcomed) this.fireTrigger();
  }

  fireTrigger() {
    const tr = this.pendingTrigger;
    this.pendingTrigger = null;
    if (!tr || this.s.conv) return;
    this.start({ playbook: tr.playbook, on: tr.on }, true);
  }

  start(f, openAfter) {
    if (!this.welcomed) return; // the welcome starts it when the panel is open
    this.starting = true;
    this.openAfterStart = openAfter && innerWidth > 480; // never cover a phone screen unasked
    this.send({ type: "start", ...f, ...(this.api.preview && { preview: this.api.preview }) });
  }

  // --- the socket ----------------------------------------------------------------
  page() { return { url: location.href, title: document.title, referrer: document.referrer }; }

  connect() {
    const u = this.api.base.replace(/^http/, "ws") + "/widget/v1/ws?site=" + encodeURIComponent(this.api.site) + "&token=" + encodeURIComponent(this.s.token);
    const ws = this.ws = new WebSocket(u);
    this.welcomed = false;
    ws.onopen = () => {
      ws.send(JSON.stringify({
        type: "hello", last_seq: this.seq, conversation: this.s.conv || "", page: this.page(), language: navigator.language || "",
        timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "", device: matchMedia("(pointer:coarse)").matches ? (innerWidth < 768 ? "mobile" : "tablet") : "desktop",
      }));
    };
    ws.onmessage = e => { try { this.frame(JSON.parse(e.data)); } catch (err) { console.error("parley:", err); } };
    ws.onclose = e => {
      if (this.ws != ws) return;
      this.ws = null;
      this.welcomed = this.starting = false; // a start in flight is asked again after the next welcome
      if (e.code == 4001) { // the server does not know the token (site reset, storage copied): start afresh
        this.s = { pending: [], open: this.s.open };
        this.save();
        this.reset("");
        return this.register().then(() => this.connect(), () => setTimeout(() => this.connect(), 5000));
      }
      this.recon.textContent = this.tr("reconnecting");
      // Exponential backoff with jitter, so a server restart is not stampeded.
      const d = Math.min(30000, 500 * 2 ** this.backoff++) * (0.75 + Math.random() / 2);
      this.retry = setTimeout(() => this.connect(), d);
    };
  }

  send(f) {
    if (this.ws && this.welcomed) this.ws.send(JSON.stringify(f));
  }

  // sendKept sends a frame that must not be lost: it stays in localStorage
  // until acked and is resent, with the same client_id, after a reconnect or
  // a reload; the server makes the resend idempotent.
  sendKept(f) {
    f.client_id = uuid();
    this.s.pending.push(f);
    this.save();
    this.send(f);
    return f.client_id;
  }

  frame(f) {
    switch (f.type) {
      case "welcome":
        if (!this.everWelcomed) { this.everWelcomed = true; performance.mark("parley:ready"); }
        this.welcomed = true;
        this.backoff = 0;
        this.recon.textContent = "";
        this.online = f.online;
        // A page load replays what was seen before; a reconnect, what is new.
        this.liveFrom = this.seq || f.seq;
        if (f.bot) this.bot = f.bot;
        if ((f.conversation || "") != (this.s.conv || "")) this.reset(f.conversation);
        for (const p of this.s.pending) this.ws.send(JSON.stringify(p));
        this.header();
        if (this.pendingTrigger) this.fireTrigger();
        else if (this.isOpen) this.begin();
        break;
      case "started":
        this.starting = false;
        if (f.bot) this.bot = f.bot;
        if (f.conversation != this.s.conv) this.reset(f.conversation);
        this.header();
        if (this.openAfterStart && !this.isOpen) this.open({});
        break;
      case "event": this.event(f); break;
      case "ack": this.acked(f.client_id, f.seq); break;
      case "typing": this.showTyping(f.from); break;
      case "presence": this.online = f.online; this.header(); break;
      case "error":
        if (f.client_id && f.client_id == this.s.preId) return this.preRefused(f);
        if (f.code == "prechat_required") { // the site takes messages once the form is filled: show it, keep the text
          const p = this.s.pending.find(p => p.client_id == f.client_id);
          if (p && p.text && !this.input.value) this.input.value = p.text;
          this.mine[f.client_id]?.remove();
          delete this.s.pre;
        }
        if (f.client_id) {
          this.s.pending = this.s.pending.filter(p => p.client_id != f.client_id);
          this.save();
          const b = this.mine[f.client_id];
          if (b) b.className = "m me nok";
        }
        if (f.code == "no_playbook") { this.starting = false; this.noPlaybook = true; this.header(); } // nothing targets this page: messenger mode
        // Receipts, typing and ratings racing a closed conversation: nothing the visitor can act on.
        else if (f.code == "prechat_required") this.preForm();
        else if (f.code != "no_conversation") this.err.textContent = f.message || f.code;
        break;
    }
  }

  // reset forgets what the list shows: a different conversation is current.
  reset(conv) {
    this.s.conv = conv || "";
    this.save();
    this.seq = this.liveFrom = this.readSent = 0;
    this.list.replaceChildren(...(this.pre ? [this.pre.form] : []));
    this.forms = {}; this.bySeq = {}; this.said = {}; this.waiting = null; this.agent = null; this.agentTook = false;
    this.composer();
  }

  acked(id, seq) {
    if (id == this.s.preId) this.preDone();
    this.s.pending = this.s.pending.filter(p => p.client_id != id);
    this.save();
    const b = this.mine[id];
    if (!b) return;
    delete this.mine[id];
    if (this.bySeq[seq]) b.remove(); // the stored event already rendered it
    else { b.classList.remove("pend"); b.dataset.seq = seq; this.bySeq[seq] = b; }
  }

  // --- events ----------------------------------------------------------------------
  event(ev) {
    if (ev.seq <= this.seq) return; // the server never repeats; this guards a buggy replay
    this.seq = ev.seq;
    this.hideTyping();
    const k = ev.kind;
    if (!this.isOpen && ev.seq > this.liveFrom && /^(bot_message|question|agent_message|waiting|offline|end)$/.test(k)) {
      this.badge.textContent = ++this.unread > 9 ? "9+" : this.unread;
    }
    if (k == "bot_message" || k == "waiting" || k == "offline") this.botSay(ev.html ?? ev.online_html, ev.text);
    else if (k == "question") this.question(ev);
    else if (k == "invalid") this.invalid(ev);
    else if (k == "answer") this.answered(ev);
    else if (k == "visitor_message") this.mineSay(ev.text, ev.seq);
    else if (k == "agent_joined") { this.agent = ev.agent; this.agentTook = true; this.sys((this.st.agent_joined || "%s joined").replace("%s", ev.agent.name)); this.header(); this.composer(); }
    else if (k == "agent_message") { this.agent ||= ev.agent; this.said[ev.seq] = this.say(ev.agent || this.agent, null, ev.text).querySelector(".b"); }
    else if (k == "message_edited") { const b = ev.edits != null ? this.said[ev.edits] : Object.values(this.said).pop(); if (b) b.textContent = ev.text || ""; } // the agent corrected its last message: text only, in place
    else if (k == "agent_left") { this.sys(this.tr("left", (ev.agent || this.agent || {}).name)); this.agent = null; this.header(); }
    else if (k == "read") return this.seen(ev.up_to); // an agent read up to up_to (ev.seq is the receipt's own); no receipt for a receipt
    else if (k == "end") this.ended(ev.html, ev.text, ev.restart !== false);
    else if (k == "closed") this.ended(null, this.tr("ended"), false, true);
    // A form stays editable while it is the card waiting for answers.
    for (const [card, f] of Object.entries(this.forms)) f.el.classList.toggle("done", !(this.waiting && this.waiting.card == card));
    this.composer();
    this.scroll();
    this.markRead();
  }

  botSay(html, text) { this.say(this.bot || { name: this.st.header }, html, text); }

  // say adds a message from the bot or an agent. html is server-rendered
  // markdown (sanitised again here); text is plain and set as text.
  say(who, html, text) {
    const last = this.list.lastElementChild;
    const same = last && last.classList.contains("bot") && last.dataset.who == (who && who.name);
    if (same) last.querySelector(".mini")?.replaceWith(h("div", { class: "gap" }));
    const b = h("div", { class: "b" });
    if (html != null) b.append(safeHTML(html)); else b.textContent = text || "";
    const m = h("div", { class: "m bot", "data-who": who && who.name }, avatar(who, "mini"), b);
    m.prepend(h("span", { class: "sr" }, (who && who.name || "") + ": "));
    this.list.append(m);
    return m;
  }

  mineSay(text, seq, pend) {
    if (seq && this.bySeq[seq]) return this.bySeq[seq];
    const m = h("div", { class: "m me" + (pend ? " pend" : "") }, h("span", { class: "sr" }, this.tr("you") + ": "), h("div", { class: "b", text }));
    if (seq) { m.dataset.seq = seq; this.bySeq[seq] = m; }
    this.list.append(m);
    return m;
  }

  sys(text) { this.list.append(h("div", { class: "sys", text })); }

  question(ev) {
    const form = ev.field != null && ev.field >= 0;
    const w = this.waiting;
    const again = w && w.card == ev.card && w.field == (form ? ev.field : -1);
    this.waiting = { card: ev.card, field: form ? ev.field : -1, input: ev.input, required: ev.required !== false, options: ev.options };
    if (form) return this.formRow(ev);
    if (!again) this.botSay(ev.html, ev.text);
    if (ev.options && ev.options.length) {
      this.list.querySelector(".ops.live")?.remove();
      const ops = h("div", { class: "ops live", role: "group", "aria-label": ev.text || "" }, ev.options.map((o, i) =>
        h("button", { class: "op", type: "button", onclick: e => this.choose(ev.card, i, o.label, e.target) }, o.label)));
      ops.dataset.card = ev.card;
      this.list.append(ops);
      if (this.isOpen) setTimeout(() => ops.querySelector("button")?.focus(), 30);
    }
  }

  choose(card, i, label, btn) {
    const ops = btn.parentNode;
    for (const b of ops.children) b.disabled = true;
    btn.classList.add("sel");
    this.sendKept({ type: "answer", card, option: i });
  }

  // formRow shows one field of a form card; the card holds every field
  // asked so far, answered ones with an edit button.
  formRow(ev) {
    let f = this.forms[ev.card];
    if (!f) {
      f = this.forms[ev.card] = { el: h("div", { class: "card", role: "group", "aria-label": ev.text || "" }), rows: [] };
      this.list.append(f.el);
    }
    let r = f.rows[ev.field];
    if (!r) {
      r = f.rows[ev.field] = { el: h("div", { class: "row" }) };
      f.el.append(r.el);
    }
    r.q = ev;
    r.el.replaceChildren(h("div", { class: "lb" }, safeHTML(ev.html ?? ev.text)));
    const kind = KINDS[ev.input] || KINDS.text;
    const inp = h("input", { type: kind[0], autocomplete: kind[1], "aria-label": ev.text || "", required: ev.required !== false, "aria-describedby": "pw-fe-" + ev.card + ev.field });
    if (ev.value) inp.value = ev.value;
    // A refused answer is followed by the same question again: keep its message.
    const err = h("div", { class: "err", role: "alert", id: "pw-fe-" + ev.card + ev.field, text: r.invalid || "" });
    r.err = err;
    const go = skip => {
      const v = skip ? "" : inp.value.trim();
      const msg = this.check(ev, v);
      if (msg) { err.textContent = msg; inp.setAttribute("aria-invalid", "true"); inp.focus(); return; }
      err.textContent = "";
      r.el.querySelectorAll("input,button").forEach(e => e.disabled = true);
      r.sent = v;
      this.sendKept({ type: "answer", card: ev.card, field: ev.field, value: v });
    };
    // A real form, so Enter submits natively (keyboards, screen readers, IMEs).
    r.el.append(h("form", { class: "fi", novalidate: true, onsubmit: e => { e.preventDefault(); go(); } }, inp,
      ev.required === false ? h("button", { class: "sm alt", type: "button", onclick: () => go(true) }, this.tr("skip")) : null,
      h("button", { class: "sm", type: "submit" }, "OK")), err);
    if (this.isOpen && document.activeElement != inp) setTimeout(() => inp.focus(), 30);
  }

  formAnswered(ev) {
    const f = this.forms[ev.card], r = f && f.rows[ev.field];
    if (!r) return;
    r.invalid = "";
    const val = h("span", { text: ev.label ?? ev.value ?? "" });
    r.el.replaceChildren(h("div", { class: "lb" }, safeHTML(r.q.html ?? r.q.text)), h("div", { class: "val" }, val,
      h("button", { class: "ed", type: "button", "aria-label": this.tr("edit") + ": " + (r.q.text || ""), onclick: () => this.formRow({ ...r.q, value: ev.value }) }, this.tr("edit"))));
  }

  answered(ev) {
    if (ev.field != null && ev.field >= 0 && this.forms[ev.card]) this.formAnswered(ev);
    else {
      const ops = this.list.querySelector(`.ops.live[data-card="${CSS_ESC(ev.card)}"]`);
      if (ops) ops.remove(); // the chosen label shows as the visitor's bubble instead
      this.mineSay(ev.label ?? ev.value ?? "", ev.seq);
    }
    if (this.waiting && this.waiting.card == ev.card) this.waiting = null;
    this.err.textContent = "";
  }

  invalid(ev) {
    const f = this.forms[ev.card], r = f && f.rows[ev.field];
    if (r) { r.invalid = r.err.textContent = ev.text; r.el.querySelectorAll("input,button").forEach(e => e.disabled = false); }
    else this.err.textContent = ev.text;
  }

  ended(html, text, restart, closed) {
    this.waiting = null;
    this.list.querySelector(".ops.live")?.remove();
    const acts = h("div", { class: "acts" });
    if (restart) acts.append(h("button", { class: "sm", type: "button", onclick: () => { this.send({ type: "restart" }); acts.remove(); } }, this.st.restart || "Start over"));
    if (closed) acts.append(h("button", { class: "sm", type: "button", onclick: () => this.start({}) }, this.tr("newchat")));
    const card = h("div", { class: "end" }, h("div", { class: "b" }, html != null ? safeHTML(html) : text || ""), acts);
    if (this.agentTook && !(this.s.rated || {})[this.s.conv]) {
      const rate = h("div", { class: "rate" }, this.tr("rate"), h("div", {},
        ["up", "down"].map(v => h("button", { type: "button", "aria-label": this.tr(v == "up" ? "good" : "bad"), onclick: () => {
          this.send({ type: "rate", value: v });
          (this.s.rated ||= {})[this.s.conv] = v;
          this.save();
          rate.textContent = this.tr("thanks");
        } }, v == "up" ? "👍" : "👎"))));
      card.append(rate);
    }
    this.list.append(card);
  }

  seen(upTo) {
    this.list.querySelectorAll(".rd").forEach(e => e.remove());
    let last = null;
    for (const [s, el] of Object.entries(this.bySeq)) if (+s <= upTo && el.isConnected) last = el;
    if (last) last.append(h("div", { class: "rd", text: this.tr("seen") }));
  }

  showTyping(from) {
    this.hideTyping();
    const who = from || this.agent || this.bot || {};
    this.typingEl = h("div", { class: "m bot ty" }, avatar(who, "mini"), h("div", { class: "b" }, h("i"), h("i"), h("i"), h("span", { class: "sr" }, this.tr("typing", who.name))));
    this.list.append(this.typingEl);
    this.scroll();
    this.typingTimer = setTimeout(() => this.hideTyping(), 5000);
  }

  hideTyping() { clearTimeout(this.typingTimer); this.typingEl?.remove(); this.typingEl = null; }

  // --- the pre-chat form ---------------------------------------------------------
  // Opening the chat without a conversation: the site's pre-chat form first,
  // when it has one this visitor has neither filled nor skipped (kept with
  // the visitor's token), then the playbook that starts on open. With
  // require_before_messages the form cannot be skipped and the composer waits
  // for it; otherwise it has a Skip button. The answers are sent as a
  // `prechat` frame; the chat starts once it is acked.
  begin() {
    const p = this.pc;
    if (p.enabled && (p.fields || []).length && !this.s.pre) return this.preForm();
    if (!this.s.conv && !this.starting && !this.noPlaybook) this.start({});
  }

  preForm() {
    if (this.pre) return;
    const req = this.pc.require_before_messages;
    const rows = this.pc.fields.map(f => {
      const k = PRE[f.name] || "text", kind = KINDS[k], id = "pw-pc-" + f.name.replace(".", "-");
      const inp = h("input", { id, type: kind[0], autocomplete: kind[1], maxlength: "200", required: f.required, "aria-describedby": id + "-e" });
      const err = h("div", { class: "err", role: "alert", id: id + "-e" });
      return { f, k, inp, err, el: h("div", { class: "row" }, h("label", { class: "lb", for: id }, f.label, f.required ? h("span", { "aria-hidden": "true" }, " *") : null), inp, err) };
    });
    const ok = h("button", { class: "sm", type: "submit" }, this.tr("send"));
    const go = () => {
      const fields = {};
      let bad = null;
      for (const r of rows) {
        const v = r.inp.value.trim(), msg = this.check({ input: r.k, required: r.f.required }, v);
        r.err.textContent = msg;
        if (msg) { r.inp.setAttribute("aria-invalid", "true"); bad ||= r.inp; } else r.inp.removeAttribute("aria-invalid");
        if (v) fields[r.f.name] = v;
      }
      if (bad) return bad.focus();
      ok.disabled = true;
      this.s.preId = this.sendKept({ type: "prechat", fields });
      this.save();
    };
    const form = h("form", { class: "card pc", novalidate: true, onsubmit: e => { e.preventDefault(); go(); } }, rows.map(r => r.el),
      h("div", { class: "acts" }, req ? null : h("button", { class: "sm alt", type: "button", onclick: () => { this.s.pre = "skip"; this.preDone(); } }, this.tr("skip")), ok));
    this.pre = { form, rows, ok };
    this.list.append(form);
    this.composer();
    this.scroll();
    if (this.isOpen) setTimeout(() => rows[0].inp.focus(), 30);
  }

  preRefused(f) {
    this.s.pending = this.s.pending.filter(p => p.client_id != f.client_id);
    delete this.s.preId;
    this.save();
    if (!this.pre) return;
    this.pre.ok.disabled = false;
    const r = this.pre.rows.find(r => r.f.name == f.field);
    if (!r) { this.err.textContent = f.message || f.code; return; }
    r.err.textContent = this.check({ input: r.k, required: true }, r.inp.value.trim()) || f.message;
    r.inp.setAttribute("aria-invalid", "true");
    r.inp.focus();
  }

  preDone() {
    this.s.pre ||= 1;
    delete this.s.preId;
    this.save();
    this.pre?.form.remove();
    this.pre = null;
    this.composer();
    if (this.welcomed) this.begin();
    if (this.isOpen) this.focus();
  }

  // --- composer ---------------------------------------------------------------------
  // composer adapts the input to what the conversation waits for: a typed
  // answer (with its input kind), nothing (buttons or a form are waiting),
  // or free text to the agent or the inbox.
  composer() {
    const w = this.waiting, i = this.input;
    const blocked = (w && (w.field >= 0 || (w.options && w.options.length))) || (this.pre && this.pc.require_before_messages);
    const kind = w && !blocked ? KINDS[w.input] || KINDS.text : KINDS.text;
    i.type = kind[0]; i.autocomplete = kind[1] || "off";
    i.disabled = !!blocked;
    i.placeholder = blocked ? this.tr(!w || w.field >= 0 ? "form" : "choose") : w ? this.tr("answer") : this.st.placeholder || "";
    if (w && w.input == "number") i.inputMode = "decimal"; else i.removeAttribute("inputmode");
    this.skipBtn.hidden = !(w && !blocked && !w.required);
    this.sendBtn.disabled = blocked || !i.value.trim();
  }

  skipOK() { const w = this.waiting; return w && !w.required && !(w.options && w.options.length); }

  check(q, v) {
    if (!v) return q.required !== false ? this.tr("required") : "";
    const test = (KINDS[q.input] || [])[2];
    return test && !test(v) ? this.tr(q.input) : "";
  }

  submit(skip) {
    const w = this.waiting, v = skip ? "" : this.input.value.trim();
    if (w && w.field < 0 && !(w.options && w.options.length)) {
      const msg = this.check(w, v);
      if (msg) { this.err.textContent = msg; this.input.setAttribute("aria-invalid", "true"); return; }
      this.input.removeAttribute("aria-invalid");
      const id = this.sendKept({ type: "answer", card: w.card, value: v });
      if (v) this.mine[id] = this.mineSay(v, 0, true);
    } else {
      if (!v || this.input.disabled) return;
      const id = this.sendKept({ type: "message", text: v });
      this.mine[id] = this.mineSay(v, 0, true);
    }
    this.input.value = "";
    this.err.textContent = "";
    this.composer();
    this.scroll();
  }

  // typing tells the server (for agents) at most every 2 s, with a preview.
  typing() {
    if (this.waiting || !this.s.conv || Date.now() - (this.lastTyping || 0) < 2000 || !this.input.value) return;
    this.lastTyping = Date.now();
    this.send({ type: "typing", text: this.input.value.slice(0, 200) });
  }

  // markRead sends a `read` receipt when the visitor can actually see the list.
  markRead() {
    if (!this.isOpen || document.hidden || !this.s.conv || this.seq <= (this.readSent || 0) || !this.welcomed) return;
    this.readSent = this.seq;
    this.send({ type: "read", seq: this.seq });
  }

  scroll() { requestAnimationFrame(() => { this.list.scrollTop = this.list.scrollHeight; }); }
}

const CSS_ESC = s => (window.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/["\\]/g, "\\$&"));

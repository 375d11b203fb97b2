// Settings → Live chat: the auto-return delay. Every server reads it each
// round (livechat/autoreturn.go), so a change applies within seconds, with
// no restart.

export async function mount(el, { api, h }) {
  const st = await api("GET", "/livechat/settings");
  const on = h("input", { type: "checkbox", id: "st-ar-on", name: "auto-return-on", checked: st.auto_return_seconds > 0 });
  const mins = h("input", { type: "number", id: "st-ar-min", name: "auto-return-minutes", min: "1", max: "1440", step: "1",
    value: st.auto_return_seconds > 0 ? String(Math.round(st.auto_return_seconds / 60)) : "3", "aria-describedby": "st-ar-err" });
  const err = h("div", { class: "st-err", id: "st-ar-err", role: "alert" });
  const done = h("span", { class: "st-ok", role: "status" });
  const save = h("button", { type: "submit", class: "btn primary", name: "save" }, "Save");
  const sync = () => { mins.disabled = !on.checked; };
  on.addEventListener("change", sync);
  sync();
  const form = h("form", { class: "st-card", "aria-labelledby": "st-ar-h", novalidate: true },
    h("h2", { id: "st-ar-h" }, "Auto-return"),
    h("p", { class: "hint" }, "Give a chat back to the unassigned queue when its agent has not answered the visitor for a while, so nobody waits on an agent who stepped away."),
    h("div", { class: "st-row" }, h("label", { for: "st-ar-on" }, "Return unanswered chats"), h("span", {}, on)),
    h("div", { class: "st-row" }, h("label", { for: "st-ar-min" }, "After (minutes)"), h("span", {}, mins, err)),
    h("div", { class: "st-actions" }, done, save));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = ""; done.textContent = "";
    let seconds = 0;
    if (on.checked) {
      const n = Number(mins.value);
      if (!Number.isInteger(n) || n < 1 || n > 1440) { err.textContent = "A whole number of minutes, from 1 to 1440 (a day)."; mins.focus(); return; }
      seconds = n * 60;
    }
    save.disabled = true;
    try {
      const got = await api("PATCH", "/livechat/settings", { auto_return_seconds: seconds });
      done.textContent = got.auto_return_seconds ? `Saved: chats return after ${got.auto_return_seconds / 60} min without an answer.` : "Saved: chats stay with their agent.";
    } catch (e) {
      const f = (e.fields || []).find((x) => x.field === "auto_return_seconds");
      err.textContent = f ? f.message : e.message;
    } finally { save.disabled = false; }
  });
  el.append(form);
}

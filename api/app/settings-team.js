// Settings › Team (admins): the workspace's users and groups. Adding a user
// without typing a password generates a strong one here (the API would
// otherwise create an account that cannot sign in) and shows it once.
// Admins cannot change their own role or deactivate themselves from this
// page, so the workspace always keeps the admin who is using it.
//
// The helpers below (one-time secret box, field errors, password generator)
// are also used by settings-tokens.js.
import { h } from "./dom.js";

export function ensureTeamCSS() {
  if (document.getElementById("settings-team-css")) return;
  const link = document.createElement("link");
  link.id = "settings-team-css";
  link.rel = "stylesheet";
  link.href = "/app/static/settings-team.css";
  document.head.append(link);
}

// strongPassword draws from 55 unambiguous letters and digits with
// crypto.getRandomValues, rejecting bytes that would bias the choice:
// 20 characters is about 115 bits.
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
export function strongPassword(length = 20) {
  const limit = 256 - (256 % ALPHABET.length);
  let out = "";
  const buf = new Uint8Array(length * 2);
  while (out.length < length) {
    crypto.getRandomValues(buf);
    for (const b of buf) {
      if (b < limit && out.length < length) out += ALPHABET[b % ALPHABET.length];
    }
  }
  return out;
}

export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return isNaN(d) ? String(iso) : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

async function copyText(text, codeEl) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (plain HTTP on a LAN address): select and copy.
    const r = document.createRange();
    r.selectNodeContents(codeEl);
    const sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(r);
    try { return document.execCommand("copy"); } catch { return false; }
  }
}

// secretBox shows a secret once, with a copy button and a Done button that
// removes it. extra is appended under the secret (e.g. a curl example).
export function secretBox({ title, secret, what = "it", extra = [], attrs = {} }) {
  const code = h("code", { class: "st-secret", "data-secret": "" }, secret);
  const copied = h("span", { class: "st-ok", role: "status" });
  const copy = h("button", { type: "button", class: "btn stt-sm", name: "copy" }, "Copy");
  copy.addEventListener("click", async () => {
    copied.textContent = (await copyText(secret, code)) ? "Copied" : "Select and copy it by hand";
  });
  const done = h("button", { type: "button", class: "btn stt-sm", name: "done" }, "Done");
  const box = h("div", { class: "stt-once", role: "region", "aria-label": title, ...attrs },
    h("h3", {}, title),
    h("p", {}, `Copy ${what} now: it will not be shown again.`),
    h("div", { class: "stt-secretline" }, code, copy, copied),
    ...extra,
    h("div", { class: "st-actions" }, done));
  done.addEventListener("click", () => box.remove());
  return box;
}

// field is a labelled row with a slot for the API's error about it.
let seq = 0;
export function field(label, name, control, hint) {
  const id = "stt-" + name + "-" + ++seq;
  control.id = id;
  if (!control.name) control.name = name;
  return h("div", { class: "st-row stt-field", "data-field": name },
    h("label", { for: id }, label),
    h("div", {}, control,
      hint ? h("p", { class: "hint" }, hint) : null,
      h("div", { class: "st-err", "data-err": name, role: "alert" })));
}

export function formError() {
  return h("div", { class: "st-err", "data-err": "_form", role: "alert" });
}

export function clearErrors(form) {
  for (const e of form.querySelectorAll("[data-err]")) e.textContent = "";
  for (const e of form.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
}

// showErrors puts each field error next to its field and the rest (or the
// message, when there are no field errors) at the bottom of the form.
export function showErrors(form, err) {
  clearErrors(form);
  const rest = [];
  for (const f of (err && err.fields) || []) {
    const slot = form.querySelector(`[data-err="${CSS.escape(f.field)}"]`);
    if (slot) {
      slot.textContent = (slot.textContent ? slot.textContent + "; " : "") + f.message;
      const ctl = form.querySelector(`[name="${CSS.escape(f.field)}"]`);
      if (ctl) ctl.setAttribute("aria-invalid", "true");
    } else rest.push(`${f.field} ${f.message}`);
  }
  if (!((err && err.fields) || []).length) rest.push((err && err.message) || String(err));
  form.querySelector('[data-err="_form"]').textContent = rest.join("; ");
}

function roleSelect(value, disabled) {
  return h("select", { name: "role", disabled },
    h("option", { value: "agent", selected: value !== "admin" }, "Agent"),
    h("option", { value: "admin", selected: value === "admin" }, "Admin"));
}

export async function mount(el, { api, session }) {
  ensureTeamCSS();
  let gone = false;
  let users = [];
  let groups = [];
  const meID = () => session.user && session.user.id;

  const onceSlot = h("div", { class: "stt-once-slot" });
  const addSlot = h("div", {});
  const usersBody = h("div", {});
  const groupSlot = h("div", {});
  const groupsBody = h("div", {});
  const loadErr = h("div", { class: "st-err", role: "alert" });

  const addUserBtn = h("button", { type: "button", class: "btn primary", name: "add-user" }, "+ Add user");
  const addGroupBtn = h("button", { type: "button", class: "btn primary", name: "add-group" }, "+ New group");

  el.append(
    h("section", { class: "st-card", "aria-label": "Users" },
      h("div", { class: "stt-head" },
        h("div", {}, h("h2", {}, "Users"),
          h("p", { class: "hint" }, "Agents answer chats and work in the CRM; admins also change settings, playbooks and the team. Deactivated users cannot sign in or use their API tokens.")),
        addUserBtn),
      onceSlot, addSlot, usersBody),
    h("section", { class: "st-card", "aria-label": "Groups" },
      h("div", { class: "stt-head" },
        h("div", {}, h("h2", {}, "Groups"),
          h("p", { class: "hint" }, "A live chat card or a page rule can route chats to a group, e.g. Sales or Support.")),
        addGroupBtn),
      groupSlot, groupsBody),
    loadErr);

  const userName = (id) => {
    const u = users.find((x) => x.id === id);
    return u ? u.name : "#" + id;
  };

  async function load() {
    try {
      const [us, gs] = await Promise.all([api("GET", "/users"), api("GET", "/groups")]);
      if (gone) return;
      users = us || [];
      groups = gs || [];
      loadErr.textContent = "";
      renderUsers();
      renderGroups();
    } catch (err) {
      if (!gone) loadErr.textContent = "The team could not load: " + err.message;
    }
  }

  function showOnce(box) {
    onceSlot.replaceChildren(box);
    box.scrollIntoView({ block: "nearest" });
  }

  // ---- users ----

  function renderUsers() {
    if (!users.length) {
      usersBody.replaceChildren(h("p", { class: "stt-empty" }, "No users yet."));
      return;
    }
    const groupNames = new Map(groups.map((g) => [g.id, g.name]));
    const tbody = h("tbody", {});
    for (const u of users) {
      const self = u.id === meID();
      const edit = h("button", { type: "button", class: "btn stt-sm", name: "edit" }, "Edit");
      const toggle = u.active
        ? h("button", { type: "button", class: "btn stt-sm stt-danger", name: "deactivate", disabled: self, title: self ? "You cannot deactivate yourself" : false }, "Deactivate")
        : h("button", { type: "button", class: "btn stt-sm", name: "reactivate" }, "Reactivate");
      const row = h("tr", { "data-user": u.id, class: u.active ? "" : "off" },
        h("td", { class: "c-name" }, u.name, self ? h("span", { class: "stt-you" }, "(you)") : null),
        h("td", { class: "c-email" }, u.email),
        h("td", { class: "c-role" }, u.role === "admin" ? "Admin" : "Agent"),
        h("td", { class: "c-status" }, h("span", { class: "dot " + u.status }), u.status),
        h("td", { class: "c-active" }, u.active ? h("span", { class: "stt-badge" }, "Active") : h("span", { class: "stt-badge off" }, "Deactivated")),
        h("td", { class: "c-groups" }, (u.groups || []).map((g) => groupNames.get(g)).filter(Boolean).join(", ")),
        h("td", { class: "stt-actions" }, edit, toggle));
      edit.addEventListener("click", () => editUser(u, row));
      toggle.addEventListener("click", () => setActive(u, !u.active, toggle));
      tbody.append(row);
    }
    usersBody.replaceChildren(h("table", { class: "st-table stt-table", "aria-label": "Users" },
      h("thead", {}, h("tr", {}, ...["Name", "Email", "Role", "Status", "Active", "Groups", ""].map((c) => h("th", {}, c)))),
      tbody));
  }

  async function setActive(u, active, btn) {
    if (u.id === meID() && !active) return;
    if (!active && !confirm(`Deactivate ${u.name}? They are signed out, cannot sign in, and their API tokens stop working until you reactivate them.`)) return;
    btn.disabled = true;
    try {
      await api("PATCH", `/users/${u.id}`, { active });
      await load();
    } catch (err) {
      btn.disabled = false;
      loadErr.textContent = `Could not ${active ? "reactivate" : "deactivate"} ${u.name}: ${err.message}`;
    }
  }

  addUserBtn.addEventListener("click", () => {
    if (addSlot.firstChild) { addSlot.querySelector("input").focus(); return; }
    const name = h("input", { type: "text", autocomplete: "off", maxlength: 200 });
    const email = h("input", { type: "email", autocomplete: "off" });
    const password = h("input", { type: "password", autocomplete: "new-password", placeholder: "Leave empty to generate one" });
    const save = h("button", { type: "submit", class: "btn primary", name: "save-user" }, "Add user");
    const cancel = h("button", { type: "button", class: "btn", name: "cancel" }, "Cancel");
    const form = h("form", { class: "stt-form", "aria-label": "Add user", novalidate: true },
      h("h3", {}, "Add a user"),
      field("Name", "name", name),
      field("Email", "email", email, "They sign in with this address."),
      field("Role", "role", roleSelect("agent", false)),
      field("Password", "password", password, "Optional. Empty: a strong password is generated and shown once."),
      formError(),
      h("div", { class: "st-actions" }, cancel, save));
    cancel.addEventListener("click", () => addSlot.replaceChildren());
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const generated = password.value === "";
      const pw = generated ? strongPassword() : password.value;
      save.disabled = true;
      try {
        const u = await api("POST", "/users", { name: name.value, email: email.value, role: form.elements.namedItem("role").value, password: pw });
        addSlot.replaceChildren();
        if (generated) {
          showOnce(secretBox({ title: `Password for ${u.name}`, secret: pw, what: "this password", attrs: { "data-once": "password", "data-user": u.id },
            extra: [h("p", {}, "They sign in at ", h("code", {}, location.origin + "/app"), " as ", h("strong", {}, u.email), ". Send it to them over a private channel.")] }));
        } else {
          onceSlot.replaceChildren(h("p", { class: "st-ok", role: "status" }, `${u.name} was added.`));
        }
        await load();
      } catch (err) {
        if (!gone) showErrors(form, err);
      } finally {
        save.disabled = false;
      }
    });
    addSlot.replaceChildren(form);
    name.focus();
  });

  function editUser(u, row) {
    const open = row.nextElementSibling;
    if (open && open.classList.contains("stt-edit")) { open.remove(); return; }
    const self = u.id === meID();
    const name = h("input", { type: "text", value: u.name, maxlength: 200 });
    const email = h("input", { type: "email", value: u.email, autocomplete: "off" });
    const password = h("input", { type: "password", autocomplete: "new-password", placeholder: "Leave empty to keep it" });
    const save = h("button", { type: "submit", class: "btn primary", name: "save-user" }, "Save");
    const cancel = h("button", { type: "button", class: "btn", name: "cancel" }, "Cancel");
    const reset = h("button", { type: "button", class: "btn", name: "reset-password" }, "Reset password");
    const form = h("form", { class: "stt-form", "aria-label": `Edit ${u.name}`, "data-user": u.id, novalidate: true },
      field("Name", "name", name),
      field("Email", "email", email),
      field("Role", "role", roleSelect(u.role, self), self ? "You cannot change your own role; another admin can." : null),
      field("New password", "password", password, "At least 10 characters. Or reset it to a generated one, shown once."),
      formError(),
      h("div", { class: "st-actions" }, reset, cancel, save));
    const tr = h("tr", { class: "stt-edit" }, h("td", { colspan: 7 }, form));
    row.after(tr);
    name.focus();
    cancel.addEventListener("click", () => tr.remove());
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const patch = {};
      if (name.value !== u.name) patch.name = name.value;
      if (email.value !== u.email) patch.email = email.value;
      const role = form.elements.namedItem("role").value;
      if (!self && role !== u.role) patch.role = role;
      if (password.value) patch.password = password.value;
      if (!Object.keys(patch).length) { tr.remove(); return; }
      if (patch.role === "agent" && !confirm(`Make ${u.name} an agent? They will no longer be able to change settings.`)) return;
      save.disabled = true;
      try {
        const updated = await api("PATCH", `/users/${u.id}`, patch);
        if (self) Object.assign(session.user, { name: updated.name, email: updated.email });
        onceSlot.replaceChildren(h("p", { class: "st-ok", role: "status" }, `${updated.name} was saved.`));
        await load();
      } catch (err) {
        if (!gone) showErrors(form, err);
      } finally {
        save.disabled = false;
      }
    });
    reset.addEventListener("click", async () => {
      if (!confirm(`Reset ${u.name}'s password? The old one stops working.`)) return;
      clearErrors(form);
      const pw = strongPassword();
      reset.disabled = true;
      try {
        await api("PATCH", `/users/${u.id}`, { password: pw });
        tr.remove();
        showOnce(secretBox({ title: `New password for ${u.name}`, secret: pw, what: "this password", attrs: { "data-once": "password", "data-user": u.id } }));
      } catch (err) {
        if (!gone) showErrors(form, err);
      } finally {
        reset.disabled = false;
      }
    });
  }

  // ---- groups ----

  function renderGroups() {
    if (!groups.length) {
      groupsBody.replaceChildren(h("p", { class: "stt-empty" }, "No groups yet."));
      return;
    }
    const tbody = h("tbody", {});
    for (const g of groups) {
      const edit = h("button", { type: "button", class: "btn stt-sm", name: "edit-group" }, "Edit");
      const del = h("button", { type: "button", class: "btn stt-sm stt-danger", name: "delete-group" }, "Delete");
      const members = (g.user_ids || []).map(userName);
      const row = h("tr", { "data-group": g.id },
        h("td", { class: "c-name" }, g.name),
        h("td", { class: "c-members" }, members.length ? members.join(", ") : h("span", { class: "muted" }, "No members")),
        h("td", { class: "stt-actions" }, edit, del));
      edit.addEventListener("click", () => {
        const open = row.nextElementSibling;
        if (open && open.classList.contains("stt-edit")) { open.remove(); return; }
        const tr = h("tr", { class: "stt-edit" }, h("td", { colspan: 3 }));
        tr.firstChild.append(groupForm(g, () => tr.remove()));
        row.after(tr);
      });
      del.addEventListener("click", async () => {
        if (!confirm(`Delete the group "${g.name}"? Its members stay users; chats routed to it go to everyone.`)) return;
        del.disabled = true;
        try {
          await api("DELETE", `/groups/${g.id}`);
          await load();
        } catch (err) {
          del.disabled = false;
          loadErr.textContent = `Could not delete ${g.name}: ${err.message}`;
        }
      });
      tbody.append(row);
    }
    groupsBody.replaceChildren(h("table", { class: "st-table stt-table", "aria-label": "Groups" },
      h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Members"), h("th", {}))),
      tbody));
  }

  // groupForm creates a group (g null) or renames one and sets its members.
  function groupForm(g, close) {
    const chosen = new Set(g ? g.user_ids : []);
    const name = h("input", { type: "text", value: g ? g.name : "", maxlength: 100, autocomplete: "off" });
    const pick = users.filter((u) => u.active || chosen.has(u.id));
    const members = h("div", { class: "stt-members", role: "group", "aria-label": "Members" },
      ...(pick.length ? pick.map((u) => h("label", {},
        h("input", { type: "checkbox", name: "member", value: u.id, checked: chosen.has(u.id) }),
        u.name, u.active ? null : h("span", { class: "muted" }, " (deactivated)"))) : [h("span", { class: "muted" }, "No users yet.")]));
    const save = h("button", { type: "submit", class: "btn primary", name: "save-group" }, g ? "Save" : "Create group");
    const cancel = h("button", { type: "button", class: "btn", name: "cancel" }, "Cancel");
    const form = h("form", { class: "stt-form", "aria-label": g ? `Edit group ${g.name}` : "New group", novalidate: true },
      g ? null : h("h3", {}, "New group"),
      field("Name", "name", name),
      h("div", { class: "st-row stt-field" }, h("label", {}, "Members"), h("div", {}, members, h("div", { class: "st-err", "data-err": "user_ids", role: "alert" }))),
      formError(),
      h("div", { class: "st-actions" }, cancel, save));
    cancel.addEventListener("click", close);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const ids = [...form.querySelectorAll("input[name=member]:checked")].map((c) => Number(c.value));
      save.disabled = true;
      try {
        if (g) await api("PATCH", `/groups/${g.id}`, { name: name.value, user_ids: ids });
        else await api("POST", "/groups", { name: name.value, user_ids: ids });
        close();
        await load();
      } catch (err) {
        if (!gone) showErrors(form, err);
      } finally {
        save.disabled = false;
      }
    });
    setTimeout(() => name.focus());
    return form;
  }

  addGroupBtn.addEventListener("click", () => {
    if (groupSlot.firstChild) { groupSlot.querySelector("input").focus(); return; }
    groupSlot.replaceChildren(groupForm(null, () => groupSlot.replaceChildren()));
  });

  await load();
  return () => { gone = true; };
}

// Create forms: + Lead, + Deal, + Person, + Organization. Each opens in the
// drawer and shows the API's field errors under the inputs.
import { h, field, formError, showErrors, clearErrors, val, numOrNull, idOrNull, ownerOptions, personOptions, toast } from "./crm-ui.js";

function submitRow(label) {
  return h("div", { class: "crm-formbtns" }, h("button", { class: "btn primary", type: "submit" }, label));
}

async function createIn(form, ctx, path, body, done) {
  clearErrors(form);
  const btn = form.querySelector("button[type=submit]");
  btn.disabled = true;
  try {
    const obj = await ctx.api("POST", path, body);
    done(obj);
  } catch (err) {
    showErrors(form, err);
  } finally { btn.disabled = false; }
}

export async function newPerson(ctx, drawer, done, preset = {}) {
  const orgs = await ctx.look.all("org");
  const form = h("form", { class: "crm-form", "aria-label": "New person", novalidate: true },
    field("Name", "name", { required: true, value: preset.name || "" }),
    field("Email", "email", { type: "email", placeholder: "name@company.com" }),
    field("Phone", "phone", { type: "tel" }),
    field("Organization", "org_id", { options: personOptions(orgs), value: preset.org_id || "" }),
    field("Owner", "owner_id", { options: ownerOptions(ctx.look), value: ctx.me }),
    formError(), submitRow("Save person"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const email = val(form, "email"), phone = val(form, "phone");
    createIn(form, ctx, "/persons", {
      name: val(form, "name"), email: email ? [{ value: email, primary: true, label: "work" }] : [],
      phone: phone ? [{ value: phone, primary: true, label: "work" }] : [], org_id: idOrNull(val(form, "org_id")), owner_id: idOrNull(val(form, "owner_id")),
    }, (p) => { ctx.look.remember("person", p); toast("Person added"); done(p); });
  });
  drawer.open({ kicker: "New", title: "Person", body: [form] });
  form.elements.namedItem("name").focus();
}

export function newOrg(ctx, drawer, done) {
  const form = h("form", { class: "crm-form", "aria-label": "New organization", novalidate: true },
    field("Name", "name", { required: true }),
    field("Address", "address", { type: "textarea", rows: 2 }),
    field("Owner", "owner_id", { options: ownerOptions(ctx.look), value: ctx.me }),
    formError(), submitRow("Save organization"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    createIn(form, ctx, "/organizations", { name: val(form, "name"), address: val(form, "address"), owner_id: idOrNull(val(form, "owner_id")) },
      (o) => { ctx.look.remember("org", o); toast("Organization added"); done(o); });
  });
  drawer.open({ kicker: "New", title: "Organization", body: [form] });
  form.elements.namedItem("name").focus();
}

function labelPicker(look, selected = []) {
  const set = new Set(selected);
  const box = h("div", { class: "crm-field", "data-field": "label_ids" },
    h("span", { class: "crm-flabel", id: "crm-labels-l" }, "Labels"),
    h("div", { class: "crm-labelpick", role: "group", "aria-labelledby": "crm-labels-l" },
      ...(look.labels.size ? [...look.labels.values()].map((l) => {
        const b = h("button", { type: "button", class: "crm-chipbtn c-" + String(l.color || "gray").toLowerCase(), "aria-pressed": String(set.has(l.id)), "data-label": l.id }, l.name);
        b.addEventListener("click", () => {
          if (set.has(l.id)) set.delete(l.id); else set.add(l.id);
          b.setAttribute("aria-pressed", String(set.has(l.id)));
        });
        return b;
      }) : [h("span", { class: "muted" }, "No labels defined (an admin adds them through /leadLabels).")])),
    h("div", { class: "crm-ferr" }));
  return { el: box, value: () => [...set] };
}

export { labelPicker };

export async function newLead(ctx, drawer, done, preset = {}) {
  const [persons, orgs] = await Promise.all([ctx.look.all("person"), ctx.look.all("org")]);
  const labels = labelPicker(ctx.look);
  const form = h("form", { class: "crm-form", "aria-label": "New lead", novalidate: true },
    field("Title", "title", { required: true, placeholder: "Acme – 50 seats" }),
    h("div", { class: "crm-grid2" },
      field("Person", "person_id", { options: personOptions(persons), value: preset.person_id || "" }),
      field("Organization", "organization_id", { options: personOptions(orgs), value: preset.organization_id || "" })),
    h("div", { class: "crm-grid2" },
      field("Value", "value", { type: "number", attrs: { min: 0, step: "any" } }),
      field("Currency", "currency", { value: "USD", attrs: { maxlength: 3 } })),
    field("Expected close date", "expected_close_date", { type: "date" }),
    labels.el,
    field("Owner", "owner_id", { options: ownerOptions(ctx.look), value: ctx.me }),
    h("p", { class: "muted crm-hint" }, "A lead needs a person or an organization."),
    formError(), submitRow("Save lead"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const amount = numOrNull(val(form, "value"));
    createIn(form, ctx, "/leads", {
      title: val(form, "title"), person_id: idOrNull(val(form, "person_id")), organization_id: idOrNull(val(form, "organization_id")),
      value: amount === null ? null : { amount, currency: val(form, "currency") || "USD" },
      expected_close_date: val(form, "expected_close_date") || null, label_ids: labels.value(), owner_id: idOrNull(val(form, "owner_id")),
      source_name: "Manually created",
    }, (l) => { toast("Lead added"); done(l); });
  });
  drawer.open({ kicker: "New", title: "Lead", body: [form] });
  form.elements.namedItem("title").focus();
}

export async function newDeal(ctx, drawer, done, { stages = [], stageId = null, preset = {} } = {}) {
  const [persons, orgs] = await Promise.all([ctx.look.all("person"), ctx.look.all("org")]);
  const form = h("form", { class: "crm-form", "aria-label": "New deal", novalidate: true },
    field("Title", "title", { required: true, placeholder: "Acme deal" }),
    h("div", { class: "crm-grid2" },
      field("Person", "person_id", { options: personOptions(persons), value: preset.person_id || "" }),
      field("Organization", "org_id", { options: personOptions(orgs), value: preset.org_id || "" })),
    h("div", { class: "crm-grid2" },
      field("Value", "value", { type: "number", attrs: { min: 0, step: "any" } }),
      field("Currency", "currency", { value: "USD", attrs: { maxlength: 3 } })),
    stages.length ? field("Stage", "stage_id", { options: stages.map((s) => [s.id, s.name]), value: stageId || stages[0].id }) : null,
    field("Expected close date", "expected_close_date", { type: "date" }),
    field("Owner", "owner_id", { options: ownerOptions(ctx.look), value: ctx.me }),
    formError(), submitRow("Save deal"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body = {
      title: val(form, "title"), person_id: idOrNull(val(form, "person_id")), org_id: idOrNull(val(form, "org_id")),
      value: numOrNull(val(form, "value")) ?? undefined, currency: val(form, "currency") || undefined,
      expected_close_date: val(form, "expected_close_date") || null, owner_id: idOrNull(val(form, "owner_id")),
    };
    if (stages.length) body.stage_id = idOrNull(val(form, "stage_id"));
    createIn(form, ctx, "/deals", body, (d) => { toast("Deal added"); done(d); });
  });
  drawer.open({ kicker: "New", title: "Deal", body: [form] });
  form.elements.namedItem("title").focus();
}

// Placeholder until the view is built.
export function mount(el, { h, session }) {
  el.append(h("div", { class: "card" },
    h("h2", {}, "Welcome, ", session.user.name),
    h("p", { class: "muted", id: "whoami-detail" }, `Signed in as ${session.user.email} (${session.user.role}).`)));
}

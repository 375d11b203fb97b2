// The graph view: a layered left-to-right layout of the cards (longest-path
// layering on the graph without its back edges, dummy nodes on long edges,
// barycentre ordering), drawn in SVG with pan, zoom and drag-to-connect.
import { TYPES, outs, edges, summary } from "./builder-model.js";

const NS = "http://www.w3.org/2000/svg";
export const W = 250, HEAD = 30, BODY = 40, ROW = 24, GAPX = 110, GAPY = 28;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function clip(t, n) { t = String(t ?? "").replace(/\s+/g, " ").trim(); return t.length > n ? t.slice(0, n - 1) + "…" : t; }

export function cardHeight(card, lang) {
  return HEAD + BODY + Math.max(outs(card, lang).length, 0) * ROW + 6;
}

// layout returns positions {id: {x, y, h, layer}} and edge routes.
export function layout(doc, order) {
  const ids = order.filter((id) => doc.cards[id]);
  const es = edges(doc, ids);
  const succ = new Map(ids.map((id) => [id, []]));
  for (const e of es) succ.get(e.from).push(e);
  // Back edges: found by a depth-first search from the start card, then
  // from every card not reached yet, in document order.
  const state = new Map(), back = new Set(), dfsOrder = [];
  const visit = (root) => {
    const stack = [[root, 0]];
    state.set(root, 1); dfsOrder.push(root);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const list = succ.get(top[0]);
      if (top[1] >= list.length) { state.set(top[0], 2); stack.pop(); continue; }
      const e = list[top[1]++];
      const st = state.get(e.to);
      if (st === 1) back.add(e);
      else if (!st) { state.set(e.to, 1); dfsOrder.push(e.to); stack.push([e.to, 0]); }
    }
  };
  if (doc.cards[doc.start]) visit(doc.start);
  for (const id of ids) if (!state.get(id)) visit(id);
  // Longest-path layering over the forward edges, in topological order.
  const fwd = es.filter((e) => !back.has(e) && e.from !== e.to);
  const indeg = new Map(ids.map((id) => [id, 0]));
  for (const e of fwd) indeg.set(e.to, indeg.get(e.to) + 1);
  const layer = new Map(ids.map((id) => [id, 0]));
  const queue = dfsOrder.filter((id) => indeg.get(id) === 0);
  if (doc.cards[doc.start] && indeg.get(doc.start) === 0) { queue.splice(queue.indexOf(doc.start), 1); queue.unshift(doc.start); }
  for (let qi = 0; qi < queue.length; qi++) {
    const id = queue[qi];
    for (const e of fwd) if (e.from === id) {
      layer.set(e.to, Math.max(layer.get(e.to), layer.get(id) + 1));
      indeg.set(e.to, indeg.get(e.to) - 1);
      if (indeg.get(e.to) === 0) queue.push(e.to);
    }
  }
  // Cards nothing leads to (unreachable, other than the start) sit just
  // before their first successor rather than in the first layer.
  for (let qi = queue.length - 1; qi >= 0; qi--) {
    const id = queue[qi];
    if (id === doc.start || fwd.some((e) => e.to === id)) continue;
    const outsL = fwd.filter((e) => e.from === id).map((e) => layer.get(e.to));
    if (outsL.length) layer.set(id, Math.max(0, Math.min(...outsL) - 1));
  }
  // Layers with dummy nodes on edges that span more than one layer.
  const nLayers = Math.max(0, ...layer.values()) + 1;
  const layers = Array.from({ length: nLayers }, () => []);
  for (const id of dfsOrder) layers[layer.get(id)].push(id);
  const up = new Map(), down = new Map(); // node → neighbours in the layer before / after
  const link = (a, b) => { (down.get(a) || down.set(a, []).get(a)).push(b); (up.get(b) || up.set(b, []).get(b)).push(a); };
  const chains = new Map();
  let dn = 0;
  for (const e of fwd) {
    const la = layer.get(e.from), lb = layer.get(e.to);
    let prev = e.from;
    const chain = [];
    for (let l = la + 1; l < lb; l++) {
      const d = "\u0000d" + dn++;
      layers[l].push(d); layer.set(d, l); chain.push(d);
      link(prev, d); prev = d;
    }
    link(prev, e.to);
    chains.set(e, chain);
  }
  // Barycentre ordering, sweeping down and up.
  const pos = new Map();
  const index = () => layers.forEach((L) => L.forEach((id, i) => pos.set(id, i)));
  index();
  const bary = (id, nb) => { const l = nb.get(id); return l && l.length ? l.reduce((a, x) => a + pos.get(x), 0) / l.length : pos.get(id); };
  for (let it = 0; it < 12; it++) {
    const downSweep = it % 2 === 0;
    const range = downSweep ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const L of range) {
      const keyed = L.map((id) => [id, bary(id, downSweep ? up : down)]);
      keyed.sort((a, b) => a[1] - b[1]);
      L.splice(0, L.length, ...keyed.map((k) => k[0]));
      L.forEach((id, i) => pos.set(id, i));
    }
  }
  // Coordinates: x by layer; y packs each layer, then pulls nodes towards
  // the mean height of their neighbours without overlapping.
  const height = (id) => (id.startsWith("\u0000") ? 8 : cardHeight(doc.cards[id], doc.language));
  const y = new Map();
  for (const L of layers) { let acc = 0; for (const id of L) { y.set(id, acc); acc += height(id) + GAPY; } }
  const centre = (id) => y.get(id) + height(id) / 2;
  for (let it = 0; it < 6; it++) {
    const downSweep = it % 2 === 0;
    const range = downSweep ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const L of range) {
      const nb = downSweep ? up : down;
      // Pack downwards from where each node wants to be, then shift the
      // layer back up by the mean push, so layers do not drift apart.
      let floor = -Infinity, push = 0;
      for (const id of L) {
        const l = nb.get(id);
        let want = y.get(id);
        if (l && l.length) want = l.reduce((a, x) => a + centre(x), 0) / l.length - height(id) / 2;
        const v = Math.max(want, floor);
        push += v - want;
        y.set(id, v);
        floor = v + height(id) + GAPY;
      }
      if (L.length) for (const id of L) y.set(id, y.get(id) - push / L.length);
    }
  }
  const minY = Math.min(0, ...y.values());
  const nodes = {};
  for (const id of ids) nodes[id] = { x: layer.get(id) * (W + GAPX), y: y.get(id) - minY, h: height(id), layer: layer.get(id) };
  const routes = es.map((e) => ({ ...e, back: back.has(e) || e.from === e.to, via: (chains.get(e) || []).map((d) => ({ x: layer.get(d) * (W + GAPX) + W / 2, y: y.get(d) - minY + 4 })) }));
  return { start: doc.start, nodes, routes, width: nLayers * (W + GAPX) - GAPX, height: Math.max(0, ...ids.map((id) => nodes[id].y + nodes[id].h)) };
}

function pathThrough(pts) {
  let d = `M${pts[0].x},${pts[0].y}`;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1], b = pts[i], mx = (a.x + b.x) / 2;
    d += ` C${mx},${a.y} ${mx},${b.y} ${b.x},${b.y}`;
  }
  return d;
}

// Graph draws a model into a container and keeps the view (pan and zoom)
// across redraws. opts: onSelect(id), onConnect(fromId, slot, toId),
// readOnly.
export class Graph {
  constructor(container, opts = {}) {
    this.opts = opts;
    this.view = { x: 40, y: 40, k: 1 };
    this.svg = s("svg", { class: "bg-svg", role: "img", "aria-label": "Playbook graph" });
    const defs = s("defs", {},
      s("marker", { id: "arr", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" }, s("path", { d: "M0,0 L10,5 L0,10 z", fill: "#94a3b8" })),
      s("marker", { id: "arr-off", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" }, s("path", { d: "M0,0 L10,5 L0,10 z", fill: "#f59e0b" })),
      s("pattern", { id: "dots", width: "20", height: "20", patternUnits: "userSpaceOnUse" }, s("circle", { cx: "1", cy: "1", r: "1", fill: "#d4d8e1" })));
    this.bg = s("rect", { class: "bg-back", width: "100%", height: "100%", fill: "url(#dots)" });
    this.vp = s("g", { class: "bg-vp" });
    this.svg.append(defs, this.bg, this.vp);
    container.append(this.svg);
    this.container = container;
    this.bindPanZoom();
  }

  apply() { this.vp.setAttribute("transform", `translate(${this.view.x},${this.view.y}) scale(${this.view.k})`); }

  zoomAt(f, cx, cy) {
    const k = Math.min(2.5, Math.max(0.08, this.view.k * f));
    const r = k / this.view.k;
    this.view.x = cx - (cx - this.view.x) * r;
    this.view.y = cy - (cy - this.view.y) * r;
    this.view.k = k;
    this.apply();
  }

  zoom(f) { const b = this.svg.getBoundingClientRect(); this.zoomAt(f, b.width / 2, b.height / 2); }

  // home shows the start of the graph at a readable size: fit when that is
  // not too small, else the left of the graph at 75%.
  home() {
    if (!this.lay) return;
    const b = this.svg.getBoundingClientRect();
    if (!b.width || !b.height) return;
    const fitK = Math.min(b.width / (this.lay.width + 80), b.height / (this.lay.height + 120));
    if (fitK >= 0.7) { this.fit(); return; }
    const k = 0.75;
    const st = this.lay.nodes[this.lay.start] || Object.values(this.lay.nodes)[0];
    this.view = { k, x: 40 - (st ? st.x * k : 0), y: b.height / 2 - (st ? (st.y + st.h / 2) * k : 0) };
    this.apply();
  }

  fit() {
    if (!this.lay) return;
    const b = this.svg.getBoundingClientRect();
    const w = this.lay.width + 80, hh = this.lay.height + 80;
    if (!b.width || !b.height) return;
    const k = Math.min(1, Math.max(0.08, Math.min(b.width / w, b.height / hh)));
    this.view = { k, x: Math.max(20, (b.width - this.lay.width * k) / 2), y: Math.max(70, (b.height - this.lay.height * k) / 2 + 20) };
    this.apply();
  }

  // reveal pans so that a card is in view.
  reveal(id) {
    const n = this.lay && this.lay.nodes[id];
    if (!n) return;
    const b = this.svg.getBoundingClientRect(), k = this.view.k;
    const sx = n.x * k + this.view.x, sy = n.y * k + this.view.y;
    if (sx < 0 || sy < 0 || sx + W * k > b.width || sy + n.h * k > b.height) {
      this.view.x = b.width / 2 - (n.x + W / 2) * k;
      this.view.y = b.height / 2 - (n.y + n.h / 2) * k;
      this.apply();
    }
  }

  toGraph(ev) {
    const b = this.svg.getBoundingClientRect();
    return { x: (ev.clientX - b.left - this.view.x) / this.view.k, y: (ev.clientY - b.top - this.view.y) / this.view.k };
  }

  bindPanZoom() {
    let drag = null;
    this.svg.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const b = this.svg.getBoundingClientRect();
      this.zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - b.left, ev.clientY - b.top);
    }, { passive: false });
    this.svg.addEventListener("pointerdown", (ev) => {
      const port = ev.target.closest && ev.target.closest(".bg-port");
      if (port && !this.opts.readOnly) {
        ev.preventDefault();
        const p = this.toGraph(ev);
        const line = s("path", { class: "bg-wire", d: "" });
        this.vp.append(line);
        drag = { kind: "wire", from: port.dataset.card, slot: port.dataset.slot, x0: Number(port.dataset.x), y0: Number(port.dataset.y), line, p };
        this.svg.setPointerCapture(ev.pointerId);
        return;
      }
      if (ev.target.closest && ev.target.closest(".bg-node")) return;
      drag = { kind: "pan", sx: ev.clientX, sy: ev.clientY, vx: this.view.x, vy: this.view.y, moved: false };
      this.svg.setPointerCapture(ev.pointerId);
      this.svg.classList.add("panning");
    });
    this.svg.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      if (drag.kind === "pan") {
        this.view.x = drag.vx + ev.clientX - drag.sx;
        this.view.y = drag.vy + ev.clientY - drag.sy;
        drag.moved = drag.moved || Math.abs(ev.clientX - drag.sx) + Math.abs(ev.clientY - drag.sy) > 3;
        this.apply();
      } else {
        const p = this.toGraph(ev);
        drag.line.setAttribute("d", pathThrough([{ x: drag.x0, y: drag.y0 }, p]));
      }
    });
    const end = (ev) => {
      if (!drag) return;
      this.svg.classList.remove("panning");
      if (drag.kind === "wire") {
        drag.line.remove();
        const el = document.elementFromPoint(ev.clientX, ev.clientY);
        const node = el && el.closest && el.closest(".bg-node");
        if (node && this.opts.onConnect) this.opts.onConnect(drag.from, drag.slot, node.dataset.card);
      } else if (!drag.moved && ev.type === "pointerup" && this.opts.onSelect) this.opts.onSelect(null);
      drag = null;
    };
    this.svg.addEventListener("pointerup", end);
    this.svg.addEventListener("pointercancel", end);
  }

  // draw renders the model; problems: {cardId: [problem…]}.
  draw(model, { selected = null, problems = {} } = {}) {
    const { doc, order } = model;
    const lay = layout(doc, order);
    this.lay = lay;
    const edgesG = s("g", { class: "bg-edges" }), labelsG = s("g", { class: "bg-labels" }), nodesG = s("g", { class: "bg-nodes" });
    const rowY = (id, row) => lay.nodes[id].y + HEAD + BODY + row * ROW + ROW / 2;
    for (const r of lay.routes) {
      const a = lay.nodes[r.from], b = lay.nodes[r.to];
      const start = { x: a.x + W, y: rowY(r.from, r.row) };
      const endp = { x: b.x - 2, y: b.y + HEAD / 2 };
      let d;
      if (r.back) {
        // Back edges loop below both cards.
        const low = Math.max(a.y + a.h, b.y + b.h) + 30;
        d = `M${start.x},${start.y} C${start.x + 60},${start.y} ${start.x + 60},${low} ${start.x},${low} L${b.x},${low} C${b.x - 60},${low} ${b.x - 60},${endp.y} ${endp.x},${endp.y}`;
      } else d = pathThrough([start, ...r.via, endp]);
      const cls = "bg-edge " + r.kind + (r.back ? " back" : "") + (selected && (r.from === selected || r.to === selected) ? " hot" : "");
      edgesG.append(s("path", { class: cls, d, "marker-end": r.kind === "offline" ? "url(#arr-off)" : "url(#arr)", "data-from": r.from, "data-to": r.to }));
      if (r.kind !== "next") {
        const label = clip(r.label, 26);
        const lx = r.via.length ? r.via[0].x : start.x + GAPX / 2 + 4;
        const ly = r.via.length ? r.via[0].y : (start.y + endp.y) / 2;
        const w = label.length * 6.2 + 12;
        labelsG.append(s("g", { class: "bg-elabel " + r.kind, transform: `translate(${lx - w / 2},${ly - 9})` },
          s("rect", { width: w, height: 18, rx: 9 }), s("text", { x: w / 2, y: 12.5, "text-anchor": "middle" }, label)));
      }
    }
    for (const id of order) {
      const c = doc.cards[id], n = lay.nodes[id];
      if (!c || !n) continue;
      const t = TYPES[c.type] || { label: c.type, icon: "?", color: "#999" };
      const probs = problems[id] || [];
      const errs = probs.filter((p) => !p.warning);
      const g = s("g", { class: "bg-node" + (id === selected ? " selected" : "") + (errs.length ? " invalid" : probs.length ? " warned" : ""), transform: `translate(${n.x},${n.y})`, "data-card": id, tabindex: "0", role: "button", "aria-label": `${t.label} card ${id}` });
      g.append(s("rect", { class: "bg-card", width: W, height: n.h, rx: 10 }));
      g.append(s("path", { class: "bg-head", d: `M0,10 a10,10 0 0 1 10,-10 h${W - 20} a10,10 0 0 1 10,10 v${HEAD - 10} h-${W} z`, fill: t.color }));
      g.append(s("text", { class: "bg-type", x: 10, y: 20 }, t.label.toUpperCase()));
      g.append(s("text", { class: "bg-id", x: W - 10, y: 20, "text-anchor": "end" }, clip(id, 20)));
      const sum = summary(c, doc.language).replace(/\s+/g, " ").trim();
      g.append(s("text", { class: "bg-body", x: 10, y: HEAD + 16 }, sum.slice(0, 36)));
      if (sum.length > 36) g.append(s("text", { class: "bg-body", x: 10, y: HEAD + 32 }, clip(sum.slice(36), 36)));
      outs(c, doc.language).forEach((r, i) => {
        const ry = HEAD + BODY + i * ROW;
        g.append(s("line", { class: "bg-sep", x1: 0, x2: W, y1: ry, y2: ry }));
        g.append(s("text", { class: "bg-row " + r.kind + (r.to ? "" : " open"), x: 12, y: ry + 16 }, clip(r.kind === "next" ? (r.to ? "next → " + r.to : "end of flow") : r.label, 34)));
        g.append(s("circle", { class: "bg-port" + (r.to ? "" : " open"), cx: W, cy: ry + ROW / 2, r: 6, "data-card": id, "data-slot": r.slot, "data-x": n.x + W, "data-y": n.y + ry + ROW / 2 }, s("title", {}, "Drag to a card to connect")));
      });
      if (id === doc.start) g.append(s("g", { class: "bg-start", transform: "translate(-2,-12)" }, s("rect", { width: 46, height: 16, rx: 8 }), s("text", { x: 23, y: 12, "text-anchor": "middle" }, "START")));
      if (probs.length) {
        g.append(s("g", { class: "bg-badge" + (errs.length ? "" : " warn"), transform: `translate(${W - 4},-4)`, "data-card": id },
          s("circle", { r: 10 }), s("text", { y: 4, "text-anchor": "middle" }, String(errs.length || probs.length)),
          s("title", {}, probs.map((p) => p.message).join("\n"))));
      }
      g.addEventListener("click", (ev) => { ev.stopPropagation(); if (!ev.target.closest(".bg-port") && this.opts.onSelect) this.opts.onSelect(id); });
      g.addEventListener("keydown", (ev) => { if ((ev.key === "Enter" || ev.key === " ") && this.opts.onSelect) { ev.preventDefault(); this.opts.onSelect(id); } });
      nodesG.append(g);
    }
    this.vp.replaceChildren(edgesG, labelsG, nodesG);
    this.apply();
    return lay;
  }
}

"use strict";
// The system view: the templates' resources in one box per stack, laid out by the Eclipse Layout
// Kernel (elkjs, vendored: lib/elkjs): layered left to right, edges routed orthogonally around
// the boxes, every box as wide as its longest line, so no name is cut off.

const NODE_H = 66;
const FONTS = { role: "600 9px system-ui, sans-serif", label: "600 12px system-ui, sans-serif", fig: "11px system-ui, sans-serif", edge: "10px system-ui, sans-serif" };
// The widest figure lines a node of each kind shows (figureLines), so that a box never grows.
const WIDEST = {
  route: ["201: 9999  400: 999  429: 99  500: 99"], function: ["9999 invoked, 999 failed", "999 retried, 999 dead-lettered"],
  topic: ["99999 published"], subscription: ["99999 delivered"], table: ["99999 items"], queue: ["99999 messages"], alarm: ["INSUFFICIENT_DATA"],
};

const measurer = document.createElement("canvas").getContext("2d");
function textWidth(text, font) { measurer.font = font; return measurer.measureText(text).width; }

function roleLine(n) { return n.Role ? `${n.Kind} · ${n.Role}` : n.Kind; }

function nodeWidth(n) {
  const lines = [[roleLine(n).toUpperCase(), FONTS.role], [n.Label, FONTS.label], ...(WIDEST[n.Kind] || []).map((s) => [s, FONTS.fig])];
  return Math.ceil(Math.max(...lines.map(([s, f]) => textWidth(s, f) + (f === FONTS.role ? s.length * 0.5 : 0)))) + 20;
}

const elk = new ELK();
// Left to right, every edge routed around the boxes, each label at the head of its edge (a
// label in the middle would take a layer of its own and double the drawing's width).
const LAYERED = {
  "elk.algorithm": "layered", "elk.direction": "RIGHT", "elk.edgeRouting": "ORTHOGONAL",
  "elk.layered.spacing.nodeNodeBetweenLayers": "30", "elk.spacing.nodeNode": "22", "elk.spacing.edgeNode": "14",
  "elk.spacing.edgeEdge": "8", "elk.spacing.edgeLabel": "3", "elk.layered.spacing.edgeNodeBetweenLayers": "14",
  "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX", "elk.portConstraints": "FIXED_SIDE",
  "elk.padding": "[top=30,left=14,bottom=14,right=14]",
};
const GAP = 48; // between two stacks, where the edges from one to the other run

// layout asks ELK where each stack's resources go, one stack at a time; the stacks are then
// stacked top to bottom, those that others depend on below. An edge from one stack to another
// leaves its stack's box through a port ELK places on the box's lower side and enters the other's
// through one on its upper side, so that ELK routes each part inside a box around the resources;
// between the boxes it runs down the gap. It returns every box, port and edge section in the
// drawing's coordinates.
async function layout(top) {
  const stackOf = {};
  for (const n of top.Nodes) stackOf[n.ID] = n.Stack;
  const stacks = {}, cross = [], rank = {};
  for (const stack of top.Stacks) {
    rank[stack] = 0;
    stacks[stack] = {
      id: "stack:" + stack, name: stack, layoutOptions: LAYERED, ports: [], edges: [],
      children: top.Nodes.filter((n) => n.Stack === stack).map((n) => ({ id: n.ID, width: nodeWidth(n), height: NODE_H })),
    };
  }
  top.Edges.forEach((e, i) => {
    const label = { text: e.Label, width: Math.ceil(textWidth(e.Label, FONTS.edge)) + 4, height: 12, layoutOptions: { "elk.edgeLabels.placement": "HEAD" } };
    const a = stacks[stackOf[e.From]], b = stacks[stackOf[e.To]];
    if (a === b) { a.edges.push({ id: `e${i}`, sources: [e.From], targets: [e.To], labels: [label] }); return; }
    a.ports.push({ id: `e${i}out`, width: 6, height: 6, layoutOptions: { "elk.port.side": "SOUTH" } });
    b.ports.push({ id: `e${i}in`, width: 6, height: 6, layoutOptions: { "elk.port.side": "NORTH" } });
    a.edges.push({ id: `e${i}a`, sources: [e.From], targets: [`e${i}out`] });
    b.edges.push({ id: `e${i}c`, sources: [`e${i}in`], targets: [e.To], labels: [label] });
    cross.push({ i, label });
    rank[b.name] = Math.max(rank[b.name], rank[a.name] + 1);
  });
  // A stack is laid out as the one child of a root: ELK places ports on a child's box only.
  const laid = await Promise.all(Object.values(stacks).map((s) => elk.layout({
    id: "root", children: [s], layoutOptions: { "elk.algorithm": "layered", "elk.json.shapeCoords": "ROOT", "elk.json.edgeCoords": "ROOT", "elk.padding": "[top=0,left=0,bottom=0,right=0]" },
  }).then((r) => r.children[0])));
  laid.sort((a, b) => rank[a.name] - rank[b.name] || a.name.localeCompare(b.name));
  const out = { stacks: [], nodes: {}, sections: {}, labels: {}, width: 0, height: 0 };
  const ports = {};
  let y = 8;
  for (const s of laid) {
    const dx = 8 - s.x, dy = y - s.y;
    out.stacks.push({ name: s.name, x: 8, y, width: s.width, height: s.height });
    for (const c of s.children) out.nodes[c.id] = { x: c.x + dx, y: c.y + dy, width: c.width, height: c.height };
    for (const p of s.ports) ports[p.id] = { x: p.x + dx + p.width / 2, top: p.y + dy, bottom: p.y + dy + p.height };
    for (const e of s.edges) {
      const id = e.id.replace(/[ac]$/, "");
      const move = (p) => ({ x: p.x + dx, y: p.y + dy });
      for (const sec of e.sections || []) {
        const pts = [sec.startPoint, ...(sec.bendPoints || []), sec.endPoint].map(move);
        pts.head = !e.id.endsWith("a"); // this part ends at the edge's target
        (out.sections[id] ||= []).push(pts);
      }
      for (const l of e.labels || []) (out.labels[id] ||= []).push({ text: l.text, x: l.x + dx, y: l.y + dy });
    }
    out.width = Math.max(out.width, s.width + 16);
    y += s.height + GAP;
  }
  out.height = y - GAP + 8;
  // Between two boxes an edge runs down the gap: from its port on the upper box to the gap's
  // middle, along it, then down to its port on the lower box (edges side by side, 8 apart).
  cross.forEach(({ i }, k) => {
    const a = ports[`e${i}out`], b = ports[`e${i}in`];
    if (!a || !b) return;
    const mid = a.bottom + Math.max(8, (b.top - a.bottom) / 2 - 4 * (cross.length - 1) + 8 * k);
    (out.sections[`e${i}`] ||= []).push([{ x: a.x, y: a.bottom }, { x: a.x, y: mid }, { x: b.x, y: mid }, { x: b.x, y: b.top }]);
  });
  return out;
}

let drawn = 0; // the latest drawing wins when topologies arrive quickly

async function drawSystem(top) {
  topology = top;
  const mine = ++drawn;
  const g = await layout(top);
  if (mine !== drawn) return;
  const svg = $("system");
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${Math.ceil(g.width)} ${Math.ceil(g.height)}`);
  svg.style.maxWidth = Math.ceil(g.width) + "px";
  const defs = el("defs");
  const m = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" });
  m.appendChild(el("path", { d: "M0 0 L10 5 L0 10 z", fill: "#9aa5b1" }));
  defs.appendChild(m);
  svg.appendChild(defs);
  for (const s of g.stacks) {
    const sg = el("g", { class: "stack" });
    sg.appendChild(el("rect", { x: s.x, y: s.y, width: s.width, height: s.height, rx: 8 }));
    sg.appendChild(el("text", { x: s.x + 12, y: s.y + 18 }, "stack " + s.name));
    svg.appendChild(sg);
  }
  const byId = g.nodes;
  top.Edges.forEach((e, i) => {
    const sections = g.sections[`e${i}`];
    if (!sections) return;
    const eg = el("g", { class: "edge", "data-from": e.From, "data-to": e.To });
    for (const pts of sections) {
      const path = el("path", { d: pts.map((p, j) => `${j ? "L" : "M"}${p.x} ${p.y}`).join(" ") });
      if (pts.head) path.setAttribute("marker-end", "url(#arrow)");
      eg.appendChild(path);
    }
    for (const l of g.labels[`e${i}`] || []) eg.appendChild(el("text", { x: l.x + 2, y: l.y + 10 }, l.text));
    svg.appendChild(eg);
  });
  for (const n of top.Nodes) {
    const p = byId[n.ID];
    if (!p) continue;
    const ng = el("g", { class: "node " + n.Kind, "data-node": n.ID, "data-kind": n.Kind, "data-label": n.Label, transform: `translate(${p.x},${p.y})` });
    ng.appendChild(el("rect", { width: p.width, height: p.height }));
    ng.appendChild(el("text", { x: 10, y: 14, class: "kind" }, roleLine(n)));
    ng.appendChild(el("text", { x: 10, y: 30, class: "label" }, n.Label));
    ng.appendChild(el("text", { x: 10, y: 45, class: "fig f1" }, ""));
    ng.appendChild(el("text", { x: 10, y: 59, class: "fig f2" }, ""));
    if (n.Kind === "alarm" && n.Comparison) ng.appendChild(el("title", {}, `${n.Label}: ${n.Comparison} ${n.Threshold}`));
    svg.appendChild(ng);
  }
  if (lastSnap) updateFigures(lastSnap);
}

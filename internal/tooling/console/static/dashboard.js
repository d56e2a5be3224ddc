"use strict";
// The operator's view: every alarm with its state as the local CloudWatch evaluates it, the
// latest state changes and the emails they sent, and the templates' dashboards drawn from the
// local metrics (charts by uPlot, vendored: lib/uplot).

const COLORS = ["#6b3fa0", "#ef6c00", "#1565c0", "#2f8132", "#c62828", "#455a64", "#ad1457"];
const ROW_PX = 34; // a dashboard grid unit's height
let dashboardName = "";
const charts = {}; // "dashboard/widget index" -> {plot, key}

const fmtTime = (t) => new Date(t).toLocaleTimeString([], { hour12: false });

function nodeLabel(id) {
  const n = topology && topology.Nodes.find((x) => x.ID === id);
  return n ? n.Label : id;
}

// renderAlarms lists the alarms, their latest changes and the outbox (from a snapshot).
function renderAlarms(snap) {
  const list = $("alarm-list");
  list.replaceChildren();
  for (const a of snap.Alarms || []) {
    const li = document.createElement("li");
    li.dataset.alarm = nodeLabel(a.Node);
    li.dataset.state = a.State;
    const chip = document.createElement("span");
    chip.className = "chip " + a.State;
    chip.textContent = a.State;
    const name = document.createElement("b");
    name.textContent = nodeLabel(a.Node);
    const why = document.createElement("div");
    why.className = "small";
    why.textContent = `since ${fmtTime(a.Since)} — ${a.Reason}`;
    li.append(chip, " ", name, why);
    list.appendChild(li);
  }
  const changes = $("alarm-changes");
  changes.replaceChildren();
  for (const c of snap.Changes || []) {
    const li = document.createElement("li");
    const topics = (c.Notifications || []).map((n) => (n.Error ? "not sent: " + n.Error : "notified " + n.TopicArn.split(":").pop())).join(", ");
    li.textContent = `${fmtTime(c.Time)} ${c.OldState} → ${c.NewState} ${c.Alarm}${topics ? " — " + topics : ""}`;
    changes.appendChild(li);
  }
  const outbox = $("outbox");
  outbox.replaceChildren();
  for (const m of snap.Outbox || []) {
    const d = document.createElement("details");
    const s = document.createElement("summary");
    s.textContent = `${fmtTime(m.Time)} to ${m.To}: ${m.Subject}`;
    const pre = document.createElement("pre");
    pre.textContent = m.Body;
    d.append(s, pre);
    outbox.appendChild(d);
  }
  $("outbox-empty").hidden = (snap.Outbox || []).length > 0;
}

// markdown renders what the stacks' text widgets use: headings and *emphasis*.
function markdown(text) {
  const div = document.createElement("div");
  div.className = "md";
  for (const line of text.split("\n")) {
    const h = line.match(/^(#+)\s+(.*)$/);
    const p = document.createElement(h ? "h3" : "p");
    const parts = (h ? h[2] : line).split(/\*([^*]+)\*/);
    parts.forEach((part, i) => {
      if (i % 2) { const em = document.createElement("em"); em.textContent = part; p.appendChild(em); } else p.append(part);
    });
    div.appendChild(p);
  }
  return div;
}

function chart(key, w, box) {
  const width = Math.max(160, box.clientWidth - 8), height = w.Height * ROW_PX - 58;
  const data = [w.Times, ...w.Series.map((s) => s.Values)];
  const seriesKey = w.Series.map((s) => s.Label).join("|") + width;
  const old = charts[key];
  if (old && old.key === seriesKey && old.plot.root.isConnected) {
    old.plot.setData(data);
    return old.plot.root;
  }
  const right = w.Series.some((s) => s.Right);
  const plot = new uPlot({
    width, height, legend: { live: false },
    scales: { x: { time: true }, y: { range: (u, min, max) => [Math.min(0, min ?? 0), Math.max(1, max ?? 1)] } },
    axes: [{}, { scale: "y", size: 44 }, ...(right ? [{ scale: "r", side: 1, grid: { show: false }, size: 44 }] : [])],
    series: [{}, ...w.Series.map((s, i) => ({ label: s.Label, scale: s.Right ? "r" : "y", stroke: COLORS[i % COLORS.length], width: 1.6, spanGaps: false,
      points: { size: 4 } }))],
  }, data);
  charts[key] = { plot, key: seriesKey };
  return plot.root;
}

function renderDashboards(views) {
  const tabs = $("dashboard-tabs");
  if (!views.length) { tabs.textContent = "no dashboard deployed"; return; }
  if (!views.some((v) => v.Name === dashboardName)) dashboardName = views[0].Name;
  tabs.replaceChildren(...views.map((v) => {
    const b = document.createElement("button");
    b.textContent = v.Name;
    b.className = v.Name === dashboardName ? "tab on" : "tab";
    b.onclick = () => { dashboardName = v.Name; renderDashboards(views); };
    return b;
  }));
  const view = views.find((v) => v.Name === dashboardName);
  const grid = $("dashboard");
  grid.dataset.name = view.Name;
  $("dashboard-range").textContent = `${fmtTime(view.From)} – ${fmtTime(view.To)} (the local clock)`;
  view.Widgets.forEach((w, i) => {
    const key = view.Name + "/" + i;
    let box = grid.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (!box) {
      grid.querySelectorAll(".widget").forEach((b) => { if (!b.dataset.key.startsWith(view.Name + "/")) b.remove(); });
      box = document.createElement("div");
      box.className = "widget " + w.Type;
      box.dataset.key = key;
      box.style.gridColumn = `${w.X + 1} / span ${w.Width}`;
      box.style.gridRow = `${w.Y + 1} / span ${w.Height}`;
      grid.appendChild(box);
    }
    box.dataset.title = w.Title || "";
    if (w.Type === "text") { box.replaceChildren(markdown(w.Markdown)); return; }
    const title = document.createElement("div");
    title.className = "wtitle";
    title.textContent = w.Title;
    if (w.Type === "alarm") {
      const ul = document.createElement("ul");
      for (const a of w.Alarms || []) {
        const li = document.createElement("li");
        const chip = document.createElement("span");
        chip.className = "chip " + a.State;
        chip.textContent = a.State;
        li.append(chip, " " + a.Name);
        ul.appendChild(li);
      }
      box.replaceChildren(title, ul);
      return;
    }
    box.dataset.points = w.Series.reduce((n, s) => n + s.Values.filter((v) => v !== null).length, 0);
    if (!box.firstChild || box.firstChild.className !== "wtitle") box.replaceChildren(title);
    const root = chart(key, w, box);
    if (root.parentNode !== box) box.appendChild(root);
  });
}

async function pollDashboards() {
  try {
    const resp = await fetch("/api/dashboards");
    if (resp.ok) renderDashboards(await resp.json());
  } finally {
    setTimeout(pollDashboards, document.hidden ? 5000 : 2000);
  }
}

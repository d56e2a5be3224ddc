"use strict";
// The console's page: the rider's request (POST /ride on the API, cross-origin, as the original
// site did), and, with the local system, its topology, figures and traces pushed over SSE.
const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const places = [
  { name: "South Station", lat: 42.3525, lng: -71.0552 },
  { name: "Fenway Park", lat: 42.3467, lng: -71.0972 },
  { name: "Harvard Square", lat: 42.3736, lng: -71.1190 },
  { name: "Logan Airport", lat: 42.3656, lng: -71.0096 },
];
// The map's picture spans this box.
const box = { north: 42.39, south: 42.33, west: -71.13, east: -71.00, w: 400, h: 260 };
const toXY = (lat, lng) => [(lng - box.west) / (box.east - box.west) * box.w, (box.north - lat) / (box.north - box.south) * box.h];
const toLatLng = (x, y) => [box.north - y / box.h * (box.north - box.south), box.west + x / box.w * (box.east - box.west)];

let config = { ApiUrl: "", System: false };
let topology = null;
let selected = "";   // the ride whose trace is shown
let lastSnap = null;

function el(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function setPickup(lat, lng) {
  $("lat").value = lat.toFixed(4);
  $("lng").value = lng.toFixed(4);
  moveMarker();
}
function moveMarker() {
  const [x, y] = toXY(parseFloat($("lat").value), parseFloat($("lng").value));
  $("marker").setAttribute("cx", isFinite(x) ? x : -20);
  $("marker").setAttribute("cy", isFinite(y) ? y : -20);
}

function initMap() {
  const g = $("places");
  for (const p of places) {
    const [x, y] = toXY(p.lat, p.lng);
    const pg = el("g", { class: "place" });
    pg.appendChild(el("circle", { cx: x, cy: y, r: 4 }));
    const right = x > box.w * 0.7;
    pg.appendChild(el("text", { x: right ? x - 6 : x + 6, y: y - 6, "text-anchor": right ? "end" : "start" }, p.name));
    g.appendChild(pg);
    const b = document.createElement("button");
    b.textContent = p.name;
    b.dataset.place = p.name;
    b.onclick = () => setPickup(p.lat, p.lng);
    $("place-buttons").appendChild(b);
  }
  $("map").addEventListener("click", (ev) => {
    const pt = $("map").createSVGPoint();
    pt.x = ev.clientX; pt.y = ev.clientY;
    const p = pt.matrixTransform($("map").getScreenCTM().inverse());
    const [lat, lng] = toLatLng(p.x, p.y);
    setPickup(lat, lng);
  });
  $("lat").oninput = moveMarker;
  $("lng").oninput = moveMarker;
  moveMarker();
}

// pending is the request not answered yet and its Idempotency-Key: pressing the button again
// after the network failed sends the same key, so the API answers the ride it may have booked
// instead of booking a second one. Any answer ends it.
let pending = null;

// requestUnicorn sends what the inputs say, unchecked: the API is the one that refuses.
async function requestUnicorn() {
  $("error").hidden = true;
  $("request").disabled = true;
  const num = (s) => (s.trim() !== "" && isFinite(Number(s)) ? Number(s) : s);
  const body = JSON.stringify({ PickupLocation: { Latitude: num($("lat").value), Longitude: num($("lng").value) } });
  if (!pending || pending.body !== body) pending = { body, key: crypto.randomUUID() };
  try {
    const resp = await fetch(config.ApiUrl + "/ride", {
      method: "POST", headers: { "Content-Type": "application/json", "Idempotency-Key": pending.key }, body,
    });
    pending = null;
    const data = await resp.json().catch(() => ({}));
    if (resp.status !== 201) {
      showError(`The API refused the ride (${resp.status}): ${data.error || data.Error || data.message || resp.statusText}`);
      return;
    }
    $("sentence").textContent = `${data.Unicorn.Name}, your ${data.Unicorn.Color} unicorn, is on their way.`;
    $("ride-id").textContent = data.RideId;
    $("ride-time").textContent = new Date(data.RequestTime).toLocaleString();
    $("result").hidden = false;
    selected = data.RideId;
    $("trace-id").value = "";
    if (config.System) showTrace();
  } catch (err) {
    showError(`The API at ${config.ApiUrl} did not answer: ${err.message}`);
  } finally {
    $("request").disabled = false;
  }
}
function showError(msg) { $("error").textContent = msg; $("error").hidden = false; }

// ---- the system view (system.js draws it) ----
function figureLines(kind, f) {
  switch (kind) {
    case "route": {
      const s = Object.entries(f.Status || {}).map(([k, v]) => `${k}: ${v}`).join("  ");
      return [s || "no requests", ""];
    }
    case "function":
      return [`${f.Invoked || 0} invoked, ${f.Failed || 0} failed`, `${f.Retried || 0} retried, ${f.DeadLettered || 0} dead-lettered`];
    case "topic": return [`${f.Published || 0} published`, ""];
    case "subscription": return [`${f.Delivered || 0} delivered`, ""];
    case "table": return [f.Items === undefined ? "items: …" : `${f.Items} items`, ""];
    case "queue": return [f.Messages === undefined ? "messages: …" : `${f.Messages} messages`, ""];
    case "alarm": return [f.State || "…", ""];
  }
  return ["", ""];
}

function updateFigures(snap) {
  for (const g of document.querySelectorAll("#system .node")) {
    const f = snap.Figures[g.dataset.node] || {};
    const kind = g.dataset.kind;
    const [a, b] = figureLines(kind, f);
    const before = g.querySelector(".f1").textContent + g.querySelector(".f2").textContent;
    g.querySelector(".f1").textContent = a;
    g.querySelector(".f2").textContent = b;
    if (f.Items !== undefined) g.dataset.items = f.Items;
    if (f.Messages !== undefined) g.dataset.messages = f.Messages;
    g.dataset.retried = f.Retried || 0;
    g.dataset.deadLettered = f.DeadLettered || 0;
    if (f.State) { g.dataset.state = f.State; g.classList.remove("OK", "ALARM"); g.classList.add(f.State); }
    if (before !== a + b && before !== "") { g.classList.add("flash"); setTimeout(() => g.classList.remove("flash"), 400); }
  }
}

// showLimits says how AWS's limits bite now: each table's capacity and burst capacity left, and
// the throttled writes and invocations per second.
function showLimits(lim) {
  const name = (physical) => (lim.Names && lim.Names[physical]) || physical;
  const rate = (m, k) => ((m && m[k]) || 0).toFixed(1);
  const parts = [];
  for (const [table, t] of Object.entries(lim.Tables || {})) {
    const capacity = t.Throughput.OnDemand
      ? `on-demand (up to ${t.WriteUnitsMax.toLocaleString()} writes/s)`
      : `${t.Throughput.Write} WCU / ${t.Throughput.Read} RCU provisioned, burst capacity left ${Math.max(0, Math.floor(t.WriteUnitsLeft))} of ${t.WriteUnitsMax} WCU`;
    parts.push(`${name(table)}: ${capacity}, ${rate(lim.ThrottledWrites, table)} throttled writes/s`);
  }
  for (const [fn, n] of Object.entries(lim.ThrottledInvocations || {})) {
    if (n > 0) parts.push(`${name(fn)}: ${n.toFixed(1)} throttled invocations/s`);
  }
  $("limits-note").hidden = parts.length === 0;
  $("limits-note").textContent = "AWS's limits: " + parts.join(" · ");
}

function onSnapshot(snap) {
  lastSnap = snap;
  updateFigures(snap);
  renderAlarms(snap);
  showLimits(snap.Limits || {});
  const until = new Date(snap.Fault.Until);
  const faulty = until.getFullYear() > 1 && until > new Date();
  $("fault-note").hidden = !faulty;
  if (faulty) $("fault-note").textContent = `The table is unavailable until ${until.toLocaleTimeString()} (${snap.Fault.Refused} calls refused so far).`;
  const b = snap.Burst;
  if (b.Rate) $("burst-out").textContent = `${b.Running ? "sending" : "sent"} ${b.Sent} at ${b.Rate}/s: ${b.Accepted} accepted, ${b.Refused} refused`;
  $("burst").disabled = b.Running;
  $("steps-row").hidden = !snap.Steps;
  if (snap.Steps) $("steps").textContent = Object.entries(snap.Steps).map(([s, n]) => `${s}: step ${n}`).join(" · ");
  if (snap.Deploy.Message) $("deploy-out").textContent = snap.Deploy.Message;
  $("deploy").disabled = snap.Deploy.Running;
  const list = $("recent");
  list.replaceChildren();
  for (const t of snap.Recent || []) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = "#"; a.textContent = t.RideID;
    a.onclick = (ev) => { ev.preventDefault(); selected = t.RideID; showTrace(); };
    li.append(a, " ", t.Ended || "on its way");
    list.appendChild(li);
  }
  const t = (snap.Recent || []).find((t) => t.RideID === selected);
  if (t) renderTrace(t);
}

async function showTrace() {
  const id = $("trace-id").value.trim() || selected;
  if (!id) return;
  selected = id;
  const resp = await fetch("/api/trace/" + encodeURIComponent(id));
  const data = await resp.json();
  if (resp.status !== 200) { $("trace").replaceChildren(); $("trace-end").textContent = data.error; return; }
  renderTrace(data);
}

function renderTrace(t) {
  const ol = $("trace");
  ol.replaceChildren();
  ol.dataset.ride = t.RideID;
  for (const s of t.Steps) {
    const li = document.createElement("li");
    const tm = document.createElement("span");
    tm.className = "t"; tm.textContent = `+${s.At.toFixed(1)} ms`;
    const what = document.createElement("span");
    what.className = s.OK ? "ok" : "bad";
    what.textContent = `${s.What}${s.Detail ? " — " + s.Detail : ""}`;
    li.append(tm, what, ` (${s.Took.toFixed(1)} ms)`);
    ol.appendChild(li);
  }
  const end = $("trace-end");
  end.dataset.ended = t.Ended || "";
  end.className = "end " + (t.Ended === "table" ? "table" : t.Ended ? "dlq" : "");
  end.textContent = t.Ended === "table" ? `Ride ${t.RideID} is stored in the table.`
    : t.Ended ? `Ride ${t.RideID} ended in the ${t.Ended}: ${t.Reason}` : `Ride ${t.RideID} is on its way …`;
  for (const g of document.querySelectorAll("#system .edge")) g.classList.remove("hot");
  // The path: the trace's nodes, the function a route invokes, the subscription that delivered,
  // and where the ride ended.
  const nodes = new Set(t.Steps.map((s) => s.Node));
  for (const e of (topology ? topology.Edges : [])) {
    if (e.Label === "invokes" && nodes.has(e.From)) nodes.add(e.To);
    if (e.Label === "async invoke" && nodes.has(e.To)) nodes.add(e.From);
  }
  for (const e of (topology ? topology.Edges : [])) {
    if (t.Ended === "table" && e.Label === "PutItem" && nodes.has(e.From)) nodes.add(e.To);
    if (t.Ended === "dead-letter queue" && e.Label === "failed attempts" && nodes.has(e.From)) nodes.add(e.To);
  }
  for (const g of document.querySelectorAll("#system .edge")) {
    if (nodes.has(g.dataset.from) && nodes.has(g.dataset.to)) g.classList.add("hot");
  }
}

async function admin(path, body) {
  // The controls need the per-run token the console gave this page (/api/config).
  const resp = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json", "Authorization": "Bearer " + config.Token }, body: JSON.stringify(body || {}) });
  const text = await resp.text();
  let data = {};
  try { data = text ? JSON.parse(text) : {}; } catch (e) { data = { error: text }; }
  return { ok: resp.ok, data };
}

function initControls() {
  $("fault-on").onclick = () => admin("/api/fault", { seconds: Number($("fault-seconds").value) });
  $("fault-off").onclick = () => admin("/api/fault", { seconds: 0 });
  $("dlq-list").onclick = async () => {
    const resp = await fetch("/api/dlq");
    const data = await resp.json();
    if (!resp.ok) { $("dlq-out").textContent = data.error; return; }
    $("dlq-out").replaceChildren(...(data.length ? data.map((l) => {
      const d = document.createElement("div");
      d.textContent = `${(l.Rides || []).map((r) => r.RideId).join(", ") || "not a ride"} — ${l.ErrorMessage}`;
      return d;
    }) : [document.createTextNode("the queue is empty")]));
  };
  $("dlq-redrive").onclick = async () => {
    const { ok, data } = await admin("/api/dlq/redrive");
    $("dlq-out").textContent = ok ? `re-drove ${data.Received} message(s): ${data.Stored} stored, ${data.Failed} still in the queue` : data.error;
  };
  $("burst").onclick = async () => {
    const { ok, data } = await admin("/api/burst", { rate: Number($("burst-rate").value), seconds: Number($("burst-seconds").value) });
    if (!ok) $("burst-out").textContent = data.error;
  };
  $("deploy").onclick = async () => {
    const { ok, data } = await admin("/api/deploy");
    if (!ok) $("deploy-out").textContent = data.error;
  };
}

function connect() {
  const es = new EventSource("/api/events");
  es.addEventListener("open", () => { $("conn").textContent = "live"; });
  es.addEventListener("error", () => { $("conn").textContent = "reconnecting …"; });
  es.addEventListener("topology", (ev) => drawSystem(JSON.parse(ev.data)));
  es.addEventListener("snapshot", (ev) => onSnapshot(JSON.parse(ev.data)));
}

async function main() {
  initMap();
  $("request").onclick = requestUnicorn;
  $("trace-form").onsubmit = (ev) => { ev.preventDefault(); showTrace(); };
  $("ride-id").onclick = (ev) => { ev.preventDefault(); showTrace(); };
  config = await (await fetch("/api/config")).json();
  if (!config.System) {
    $("no-system").hidden = false;
    $("system").hidden = true;
    $("trace-panel").hidden = true;
    $("controls").hidden = true;
    $("alarms-panel").hidden = true;
    $("dashboard-panel").hidden = true;
    $("conn").textContent = "rider's page for " + config.ApiUrl;
    return;
  }
  $("deploy").hidden = !config.CanDeploy;
  initControls();
  connect();
  pollDashboards();
}
main();

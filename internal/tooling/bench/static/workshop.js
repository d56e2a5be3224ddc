// Draws the workshop report's charts with uPlot: `report` is the JSON report (bench.workshopReport).
(function () {
  "use strict";
  const width = 430, height = 190;
  const codeColors = { 201: "#2a9d8f", 429: "#6a4c93", 500: "#e76f51", 502: "#d62828", 503: "#f4a261", 504: "#9d0208", 0: "#555555" };
  const color = (code) => codeColors[code] || "#8d99ae";

  function chart(parent, title, opts, data) {
    const box = document.createElement("div");
    box.className = "chart";
    const h = document.createElement("h3");
    h.textContent = title;
    box.appendChild(h);
    parent.appendChild(box);
    opts.width = width;
    opts.height = height;
    opts.legend = { live: false };
    opts.cursor = { drag: { x: false, y: false } };
    new uPlot(opts, data, box);
  }

  // A step that did not run has no timeline: it gets no charts (the table says why).
  const steps = report.Steps.filter((s) => s.Timeline && s.Timeline.length > 0);
  const seconds = (t) => t.map((_, i) => i);
  const secondAxis = { label: "seconds since the first request", size: 40 };
  const title = (s) => "step " + s.Step + ": " + s.Design + (s.Error ? " (did not run)" : "");

  // The status codes any step answered, 201 first.
  const codes = [...new Set(steps.flatMap((s) => s.Timeline.flatMap((t) => Object.keys(t.Codes || {}))))]
    .map(Number).sort((a, b) => (a === 201 ? -1 : b === 201 ? 1 : a - b));

  for (const s of steps) {
    const x = seconds(s.Timeline);
    const sent = s.Timeline.slice(0, Math.ceil(report.DurationSeconds) + 5);

    chart(document.getElementById("answers"), title(s), {
      scales: { x: { time: false } },
      axes: [secondAxis, { label: "answers per second", size: 50 }],
      series: [{}].concat(codes.map((c) => ({ label: c === 0 ? "no answer" : String(c), stroke: color(c), width: 1.5 }))),
    }, [seconds(sent)].concat(codes.map((c) => sent.map((t) => (t.Codes && t.Codes[c]) || 0))));

    const positive = (v) => (v > 0 ? v : null);
    chart(document.getElementById("latency"), title(s), {
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [secondAxis, { label: "ms", size: 60 }],
      series: [{},
        { label: "p50", stroke: "#457b9d", width: 1.5 },
        { label: "p95", stroke: "#e76f51", width: 1.5 },
        { label: "max", stroke: "#bbbbbb", width: 1 }],
    }, [seconds(sent), sent.map((t) => positive(t.P50)), sent.map((t) => positive(t.P95)), sent.map((t) => positive(t.Max))]);

    const throttled = s.Timeline.map((t, i) => (i === 0 ? t.ThrottledWrites : t.ThrottledWrites - s.Timeline[i - 1].ThrottledWrites));
    chart(document.getElementById("rides"), title(s), {
      scales: { x: { time: false }, rides: {}, rate: {} },
      axes: [secondAxis, { scale: "rides", label: "rides", size: 50 }, { scale: "rate", side: 1, label: "throttled writes/s", size: 50, grid: { show: false } }],
      series: [{},
        { label: "in the table", scale: "rides", stroke: "#2a9d8f", width: 2 },
        { label: "in the dead-letter queue", scale: "rides", stroke: "#d62828", width: 2 },
        { label: "throttled writes/s", scale: "rate", stroke: "#f4a261", width: 1 }],
    }, [x, s.Timeline.map((t) => t.Stored), s.Timeline.map((t) => t.DeadLetters), throttled]);
  }
})();

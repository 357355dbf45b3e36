// The Rewind timeline page: draws what /api/view summarises for the range in view, follows the
// replay's position through /api/stream (server-sent events) and moves it with /api/seek.
"use strict";
(function () {
  // Marks for bench/timeline.sh's breakdown: when the script began, and when the first view was drawn.
  performance.mark("script");
  const SVG = "http://www.w3.org/2000/svg";
  const LABEL_W = 130, LANE_H = 30, LANE_GAP = 4, AXIS_H = 26, RIGHT_PAD = 12, MIN_SPAN = 16;
  const chart = document.getElementById("chart");
  const $ = id => document.getElementById(id);
  const fmt = n => Number(n).toLocaleString("en-US");

  const state = { overview: null, from: 0, to: 1, view: null, position: null, status: null, version: null, seq: 0, generation: 0, consoleShown: false };

  // The chart's width, read once per drawing: reading it after adding elements would lay the page out
  // again for every element drawn.
  let chartWidth = null;
  const plotW = () => Math.max(50, (chartWidth ?? chart.clientWidth) - LABEL_W - RIGHT_PAD);
  const xOf = ic => LABEL_W + (ic - state.from) / (state.to - state.from) * plotW();
  const icAt = x => Math.min(Math.max(0, Math.round(state.from + (x - LABEL_W) / plotW() * (state.to - state.from))), state.overview.end);

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }

  async function getJson(url, options) {
    const r = await fetch(url, options);
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  }

  function setRange(from, to) {
    const end = state.overview.end + 1;
    let span = Math.max(MIN_SPAN, to - from);
    if (span > end) span = end;
    from = Math.max(0, Math.min(from, end - span));
    state.from = from;
    state.to = from + span;
    $("range").textContent = `${fmt(Math.floor(state.from))} – ${fmt(Math.ceil(state.to))}`;
    scheduleLoad();
  }

  let loadTimer = null;
  function scheduleLoad() {
    draw();
    clearTimeout(loadTimer);
    loadTimer = setTimeout(load, 40);
  }

  async function load() {
    const seq = ++state.seq;
    const from = Math.floor(state.from), to = Math.ceil(state.to);
    const n = Math.max(1, Math.min(4000, Math.floor(plotW() / 2)));
    try {
      const [view, cons] = await Promise.all([
        getJson(`api/view?from=${from}&to=${to}&n=${n}`),
        getJson(`api/console?from=${from}&to=${to}`),
      ]);
      if (seq !== state.seq) return;
      state.view = view;
      if (view.position !== null) state.position = view.position;
      draw();
      showConsole(cons);
    } catch (e) {
      $("message").textContent = String(e.message || e);
    }
  }

  function draw() {
    chartWidth = chart.clientWidth;
    try {
      drawChart();
    } finally {
      chartWidth = null;
    }
  }

  function drawChart() {
    const v = state.view;
    const lanes = v ? v.lanes : state.overview.lanes;
    const height = lanes.length * (LANE_H + LANE_GAP) + AXIS_H;
    chart.setAttribute("height", height);
    chart.replaceChildren();
    const W = chartWidth;
    lanes.forEach((lane, i) => {
      const y = i * (LANE_H + LANE_GAP);
      const g = el("g", { class: "lane", "data-lane": lane.id }, chart);
      el("rect", { class: "lane-bg", x: LABEL_W, y, width: plotW(), height: LANE_H }, g);
      const label = el("text", { class: "lane-label", x: 6, y: y + LANE_H / 2 + 4 }, g);
      label.textContent = v ? `${lane.label} (${fmt(lane.total)})` : lane.label;
      if (!v) return;
      // Only what was fetched for this very range is drawn where it belongs.
      const sameRange = v.from === Math.floor(state.from) && v.to === Math.ceil(state.to);
      if (!sameRange) return;
      if (lane.events) {
        for (const e of lane.events) {
          const x = xOf(e.icount);
          const wide = lane.id === "bookmark" || lane.id === "hit";
          const m = el("rect", { class: `mark lane-${lane.id}`, x: x - (wide ? 1.5 : 1), y: y + 2, width: wide ? 3 : 2,
                                 height: LANE_H - 4, "data-icount": e.icount, "data-text": e.text }, g);
          el("title", {}, m).textContent = `${fmt(e.icount)}: ${e.text}`;
          if (lane.id === "bookmark") {
            const t = el("text", { class: "lane-label", x: x + 4, y: y + LANE_H / 2 + 4 }, g);
            t.textContent = e.text;
          }
        }
      } else if (lane.buckets) {
        // One path for all of a lane's bars: a few elements to lay out, however many buckets (the
        // hover text comes from the bucket under the pointer).
        const max = Math.max(...lane.buckets);
        let d = "";
        lane.buckets.forEach((c, b) => {
          if (c === 0) return;
          const x0 = xOf(v.from + b * v.width), w = Math.max(1, xOf(v.from + (b + 1) * v.width) - x0);
          const h = 3 + (LANE_H - 6) * Math.log(1 + c) / Math.log(1 + max);
          d += `M${x0.toFixed(1)} ${(y + LANE_H - 1 - h).toFixed(1)}h${w.toFixed(1)}v${h.toFixed(1)}h${(-w).toFixed(1)}z`;
        });
        if (d) el("path", { class: `bar lane-${lane.id}`, d, "data-lane": lane.id }, g);
      }
    });
    drawAxis(lanes.length * (LANE_H + LANE_GAP), W);
    drawCursor(lanes.length * (LANE_H + LANE_GAP));
  }

  function drawAxis(y, W) {
    const g = el("g", { class: "axis" }, chart);
    const span = state.to - state.from;
    const raw = span / 8, pow = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map(k => k * pow).find(s => s >= raw) || raw;
    for (let t = Math.ceil(state.from / step) * step; t <= state.to; t += step) {
      const x = xOf(t);
      if (x > W - 40) break;
      el("line", { x1: x, x2: x, y1: 0, y2: y + 4 }, g);
      const label = el("text", { x: x + 2, y: y + 16 }, g);
      label.textContent = fmt(t);
    }
  }

  function drawCursor(h) {
    if (state.position === null) return;
    const x = xOf(state.position);
    if (x < LABEL_W - 1 || x > LABEL_W + plotW() + 1) return;
    el("line", { class: "cursor", x1: x, x2: x, y1: 0, y2: h, "data-icount": state.position }, chart);
    el("path", { class: "cursor-head", d: `M${x - 6},0 L${x + 6},0 L${x},8 Z` }, chart);
  }

  function showPosition() {
    const p = $("position");
    if (state.position === null) {
      p.textContent = `recording of ${fmt(state.overview.end)} instructions`;
      p.dataset.icount = "";
    } else {
      p.textContent = `instruction ${fmt(state.position)} of ${fmt(state.overview.end)}`;
      p.dataset.icount = String(state.position);
    }
    const s = $("status");
    s.textContent = state.overview.attached ? `replay: ${state.status || "?"}` : "recording only (not attached to a replay)";
    s.className = state.overview.attached ? "attached" : "";
  }

  function showConsole(cons) {
    const list = $("console");
    const lines = document.createDocumentFragment();
    $("console-count").textContent = cons.note ? `(${cons.note})` : `(${fmt(cons.total)} lines${cons.total > cons.lines.length ? `, first ${cons.lines.length} shown` : ""})`;
    for (const line of cons.lines) {
      const li = document.createElement("li");
      li.dataset.icount = line.icount;
      if (line.icount === state.position) li.className = "here";
      const at = document.createElement("span");
      at.className = "at";
      at.textContent = fmt(line.icount);
      li.append(at, line.text);
      lines.appendChild(li);
    }
    list.replaceChildren(lines);
    state.consoleShown = true;
  }
  // One listener for every line the list will hold: a click goes to the count of the line.
  $("console").addEventListener("click", e => {
    const li = e.target.closest && e.target.closest("li");
    if (li && li.dataset.icount) seek(Number(li.dataset.icount));
  });

  // The hover text of a density bar: the bucket under the pointer.
  function bucketText(bar, ic) {
    const v = state.view, lane = v && v.lanes.find(l => l.id === bar.dataset.lane);
    if (!lane || !lane.buckets) return null;
    const b = Math.floor((ic - v.from) / v.width);
    return lane.buckets[b] ? `${fmt(lane.buckets[b])} ${lane.label} from ${fmt(v.from + b * v.width)}` : null;
  }

  async function seek(icount) {
    if (!state.overview.attached) {
      $("message").textContent = `instruction ${fmt(icount)}: not attached to a replay (start it with -timeline PORT to move it from here)`;
      return;
    }
    $("message").textContent = `going to instruction ${fmt(icount)}…`;
    document.body.dataset.seeking = "true";
    try {
      const r = await getJson(`api/seek?icount=${icount}`, { method: "POST" });
      state.position = r.icount;
      state.generation = Math.max(state.generation, r.generation);
      $("message").textContent = r.note || "";
      showPosition();
      draw();
      delete document.body.dataset.seeking;
    } catch (e) {
      delete document.body.dataset.seeking;
      $("message").textContent = String(e.message || e);
    }
  }

  // Drag pans, a click without a drag seeks, the wheel zooms around the pointer.
  let drag = null;
  chart.addEventListener("mousedown", e => {
    drag = { x: e.clientX, from: state.from, to: state.to, moved: false, target: e.target };
  });
  window.addEventListener("mousemove", e => {
    const r = chart.getBoundingClientRect();
    const x = e.clientX - r.left;
    if (x >= LABEL_W && e.clientY >= r.top && e.clientY <= r.bottom && state.overview) {
      const bar = e.target.classList && e.target.classList.contains("bar");
      const t = bar ? bucketText(e.target, icAt(x)) : e.target.dataset && e.target.dataset.text;
      $("hover").textContent = `instruction ${fmt(icAt(x))}` + (t ? ` — ${t}` : "");
    }
    if (!drag) return;
    const dx = e.clientX - drag.x;
    if (Math.abs(dx) > 4) drag.moved = true;
    if (drag.moved) {
      const span = drag.to - drag.from;
      setRange(drag.from - dx / plotW() * span, drag.to - dx / plotW() * span);
    }
  });
  window.addEventListener("mouseup", e => {
    const d = drag;
    drag = null;
    if (!d || d.moved) return;
    const x = e.clientX - chart.getBoundingClientRect().left;
    if (x < LABEL_W) return;
    // A click on an event goes to its exact count; elsewhere, to the count under the pointer.
    const mark = d.target.classList && d.target.classList.contains("mark") ? d.target : null;
    seek(mark ? Number(mark.dataset.icount) : icAt(x));
  });
  chart.addEventListener("wheel", e => {
    e.preventDefault();
    const x = e.clientX - chart.getBoundingClientRect().left;
    zoom(e.deltaY < 0 ? 0.8 : 1.25, Math.max(LABEL_W, x));
  }, { passive: false });
  function zoom(factor, x) {
    const at = state.from + (x - LABEL_W) / plotW() * (state.to - state.from);
    setRange(at - (at - state.from) * factor, at + (state.to - at) * factor);
  }
  $("zoom-in").onclick = () => zoom(0.5, LABEL_W + plotW() / 2);
  $("zoom-out").onclick = () => zoom(2, LABEL_W + plotW() / 2);
  $("zoom-all").onclick = () => setRange(0, state.overview.end + 1);
  $("zoom-cursor").onclick = () => {
    if (state.position === null) return;
    const span = state.to - state.from;
    setRange(state.position - span / 2, state.position + span / 2);
  };
  window.addEventListener("resize", () => scheduleLoad());

  function follow() {
    const source = new EventSource("api/stream");
    source.onmessage = m => {
      const s = JSON.parse(m.data);
      // Composed before our last seek ended: its position is older than the seek's answer. A newer
      // message follows, since the generation is part of what the stream compares.
      if (s.generation < state.generation) return;
      const moved = s.position !== state.position;
      state.status = s.status;
      if (s.position !== null) state.position = s.position;
      showPosition();
      if (state.version !== null && s.version !== state.version) load();
      else if (moved) draw();
      state.version = s.version;
    };
  }

  // The first view came inside the page: drawn at once, before any request (null if it did not).
  function initial() {
    try {
      const data = JSON.parse($("initial").textContent);
      return data && data.overview ? data : null;
    } catch (e) {
      return null;
    }
  }

  async function start() {
    const first = initial();
    state.overview = first ? first.overview : await getJson("api/overview");
    const o = state.overview;
    $("name").textContent = o.name;
    $("summary").textContent = `${fmt(o.end)} instructions, recording format ${o.format}, ` +
      (o.endedCleanly ? "ended cleanly" : `incomplete${o.problem ? ": " + o.problem : ""}`) +
      (o.outputNote ? `; ${o.outputNote}` : "");
    state.position = o.position;
    state.status = o.status;
    showPosition();
    if (first) {
      // The whole recording at the server's resolution: the page asks for its own once the user moves.
      state.from = first.view.from;
      state.to = first.view.to;
      $("range").textContent = `${fmt(state.from)} – ${fmt(state.to)}`;
      state.view = first.view;
      draw();
      performance.mark("drawn");
      // The console list after the chart has been painted (a frame, then a task).
      requestAnimationFrame(() => setTimeout(() => showConsole(first.console), 0));
    } else {
      setRange(0, o.end + 1);
    }
    if (o.attached) follow();
  }

  // For tests and the curious: the mapping between counts and the chart's pixels.
  window.rewindTimeline = {
    xOf, icAt,
    get from() { return state.from; },
    get to() { return state.to; },
    get position() { return state.position; },
    get loaded() { return state.view !== null && state.consoleShown; },
  };
  start().catch(e => { $("message").textContent = String(e.message || e); });
})();

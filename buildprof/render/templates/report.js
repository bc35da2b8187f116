// The HTML report's script (inlined; allowed by its hash in the page's Content-Security-Policy).
// Sorts and filters the tables, expands long names, draws each build timeline on a canvas.
// Names only ever reach the page through textContent: nothing here parses HTML.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("buildprof-data").textContent);
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

  function fixed(x, digits) { // as Python's format: an exact tie rounds to even (5.625 -> 5.62)
    const scale = Math.pow(10, digits);
    const y = x * scale;
    let r = Math.round(y);
    if (Math.abs(y % 1) === 0.5 && r % 2 !== 0) r -= 1;
    return (r / scale).toFixed(digits);
  }

  // A duration as the other formats write it (render/layout.py format_ms).
  function formatMs(ms) {
    if (ms === null || ms === undefined) return "-";
    const a = Math.abs(ms);
    if (a < 1000) return a >= 10 || ms === Math.trunc(ms) ? fixed(ms, 0) + " ms" : fixed(ms, 1) + " ms";
    const s = ms / 1000;
    if (Math.abs(s) < 60) return (Math.abs(s) < 10 ? fixed(s, 2) : fixed(s, 1)) + " s";
    const r = Number(fixed(s, 1));
    const m = Math.floor(r / 60);
    const rest = r - 60 * m;
    if (m < 60) return m + "m " + (rest < 10 ? "0" : "") + fixed(rest, 1) + "s";
    const h = Math.floor(m / 60);
    return h + "h " + String(m % 60).padStart(2, "0") + "m " + String(Math.floor(rest)).padStart(2, "0") + "s";
  }

  // ---- tables: sort by any column, filter by text

  function cellText(td) {
    const nm = td.querySelector(".nm");
    return (nm ? nm.textContent : td.firstChild ? td.firstChild.textContent : "").trim();
  }

  function sortKey(td, numeric) {
    if (!td) return numeric ? NaN : "";
    if (numeric) return td.dataset.v === undefined ? NaN : parseFloat(td.dataset.v);
    return cellText(td);
  }

  function sortTable(table, th) {
    const col = Array.prototype.indexOf.call(th.parentNode.children, th);
    const numeric = th.classList.contains("num");
    const current = th.getAttribute("aria-sort");
    const dir = current === "none" ? (numeric ? "descending" : "ascending")
      : current === "ascending" ? "descending" : "ascending";
    for (const other of th.parentNode.children) other.setAttribute("aria-sort", "none");
    th.setAttribute("aria-sort", dir);
    const sign = dir === "ascending" ? 1 : -1;
    const body = table.tBodies[0];
    const rows = Array.from(body.rows).map((tr, i) => ({ tr, i, k: sortKey(tr.cells[col], numeric) }));
    rows.sort((a, b) => {
      let c;
      if (numeric) {
        const an = Number.isNaN(a.k), bn = Number.isNaN(b.k);
        if (an || bn) return an === bn ? a.i - b.i : an ? 1 : -1; // no value: always last
        c = a.k - b.k;
      } else {
        c = collator.compare(a.k, b.k);
      }
      return c !== 0 ? sign * c : a.i - b.i;
    });
    const frag = document.createDocumentFragment();
    for (const r of rows) frag.appendChild(r.tr);
    body.appendChild(frag);
  }

  function filterTable(table, input) {
    const query = input.value.trim().toLowerCase();
    const rows = table.tBodies[0].rows;
    let shown = 0;
    for (const tr of rows) {
      if (tr.dataset.text === undefined) {
        tr.dataset.text = Array.from(tr.cells, cellText).join(" ").toLowerCase();
      }
      const keep = query === "" || tr.dataset.text.includes(query);
      tr.hidden = !keep;
      if (keep) shown++;
    }
    const count = document.querySelector('.count[data-table="' + table.id + '"]');
    if (count) {
      count.textContent = query === "" ? rows.length + (rows.length === 1 ? " row" : " rows")
        : shown + " of " + rows.length + " rows";
    }
  }

  for (const table of document.querySelectorAll("table.data")) {
    for (const th of table.tHead.rows[0].cells) {
      th.querySelector("button").addEventListener("click", () => sortTable(table, th));
    }
    const input = document.querySelector('input.filter[data-table="' + table.id + '"]');
    if (input) input.addEventListener("input", () => filterTable(table, input));
    table.addEventListener("click", (event) => {
      const nm = event.target.closest(".nm");
      if (nm) nm.classList.toggle("open");
    });
  }
  for (const input of document.querySelectorAll("input.filter")) {
    if (!document.getElementById(input.dataset.table)) input.disabled = true;
  }

  // ---- timelines: lanes over time, hover, zoom

  function axisLabel(t, step) {
    if (step < 1000) return formatMs(t);
    const s = Math.round(t / 1000);
    if (s < 60) return s + " s";
    const m = Math.floor(s / 60), r = s % 60;
    if (m < 60) return m + "m" + (r ? " " + String(r).padStart(2, "0") + "s" : "");
    return Math.floor(m / 60) + "h " + String(m % 60).padStart(2, "0") + "m";
  }

  function niceStep(span, target) {
    const raw = span / Math.max(target, 1);
    const pow = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-9))));
    for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
    return 10 * pow;
  }

  function Timeline(root, tl) {
    const canvas = root.querySelector("canvas");
    const tip = root.querySelector(".tl-tip");
    const range = root.querySelector(".tl-range");
    const n = tl.start.length;
    const lanes = Math.max(tl.lanes, 1);
    const laneH = Math.max(6, Math.min(28, Math.floor(420 / lanes)));
    const axisH = 22;
    const height = axisH + lanes * laneH + 2;
    const byLane = Array.from({ length: lanes }, () => []);
    let tMin = Infinity, tMax = -Infinity;
    for (let i = 0; i < n; i++) {
      byLane[tl.lane[i]].push(i);
      tMin = Math.min(tMin, tl.start[i]);
      tMax = Math.max(tMax, tl.end[i]);
    }
    tMin = Math.min(0, tMin);
    if (!(tMax > tMin)) tMax = tMin + 1;
    let t0 = tMin, t1 = tMax, drag = null, colours = {};

    function readColours() {
      const style = getComputedStyle(document.documentElement);
      colours = {};
      for (const k of data.kinds) colours[k] = style.getPropertyValue("--k-" + k).trim() || "#888";
      colours.fg = style.getPropertyValue("--fg").trim();
      colours.muted = style.getPropertyValue("--muted").trim();
      colours.line = style.getPropertyValue("--line").trim();
      colours.select = style.getPropertyValue("--select").trim();
    }

    const onPath = (i) => tl.critical.length > 0 && tl.critical[i] !== null;
    const width = () => canvas.clientWidth || 800;
    const xOf = (t) => ((t - t0) / (t1 - t0)) * width();
    const tOf = (x) => t0 + (x / width()) * (t1 - t0);

    function draw() {
      const dpr = window.devicePixelRatio || 1;
      const w = width();
      canvas.style.height = height + "px";
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(height * dpr);
      const g = canvas.getContext("2d");
      g.setTransform(dpr, 0, 0, dpr, 0, 0);
      g.clearRect(0, 0, w, height);
      g.font = "11px system-ui, sans-serif";
      g.textBaseline = "middle";
      const step = niceStep(t1 - t0, Math.max(2, Math.floor(w / 110)));
      for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
        const x = Math.round(xOf(t)) + 0.5;
        g.strokeStyle = colours.line;
        g.beginPath();
        g.moveTo(x, axisH - 4);
        g.lineTo(x, height);
        g.stroke();
        const label = axisLabel(t, step);
        if (x + 3 + g.measureText(label).width <= w) {
          g.fillStyle = colours.muted;
          g.fillText(label, x + 3, axisH / 2);
        }
      }
      for (let lane = 0; lane < lanes; lane++) {
        const y = axisH + lane * laneH;
        for (const i of byLane[lane]) {
          if (tl.end[i] < t0 || tl.start[i] > t1) continue;
          const x0 = xOf(tl.start[i]);
          const x1 = xOf(tl.end[i]);
          const bw = Math.max(1, x1 - x0 - (x1 - x0 > 3 ? 1 : 0));
          g.fillStyle = colours[data.kinds[tl.kind[i]]];
          g.fillRect(x0, y + 1, bw, laneH - 2);
          if (onPath(i)) {
            g.strokeStyle = colours.fg;
            g.lineWidth = 2;
            g.strokeRect(x0 + 1, y + 2, Math.max(bw - 2, 1), laneH - 4);
          }
          if (bw > 60 && laneH >= 12) {
            const label = tl.output[i].slice(tl.output[i].lastIndexOf("/") + 1);
            g.save();
            g.beginPath();
            g.rect(Math.max(x0, 0), y, Math.min(bw, w) - 4, laneH);
            g.clip();
            g.fillStyle = "#fff";
            g.fillText(label, Math.max(x0, 0) + 3, y + laneH / 2);
            g.restore();
          }
        }
      }
      if (drag && Math.abs(drag.x1 - drag.x0) > 2) {
        g.fillStyle = colours.select;
        g.fillRect(Math.min(drag.x0, drag.x1), axisH, Math.abs(drag.x1 - drag.x0), height - axisH);
      }
      range.textContent = formatMs(t0) + " \u2013 " + formatMs(t1) + " of " + formatMs(tMax);
    }

    function setView(a, b) {
      const min = Math.max((tMax - tMin) / 10000, 1);
      if (b - a < min) {
        const mid = (a + b) / 2;
        a = mid - min / 2;
        b = mid + min / 2;
      }
      const span = b - a;
      if (a < tMin) { a = tMin; b = Math.min(tMax, a + span); }
      if (b > tMax) { b = tMax; a = Math.max(tMin, b - span); }
      t0 = a;
      t1 = b;
      draw();
    }

    function zoom(factor, at) {
      const mid = at === undefined ? (t0 + t1) / 2 : at;
      setView(mid - (mid - t0) * factor, mid + (t1 - mid) * factor);
    }

    function stepAt(x, y) {
      const lane = Math.floor((y - axisH) / laneH);
      if (lane < 0 || lane >= lanes) return -1;
      const t = tOf(x);
      const slack = (2 * (t1 - t0)) / width();
      const list = byLane[lane];
      let lo = 0, hi = list.length - 1, found = -1;
      while (lo <= hi) { // the last step starting at or before t + slack
        const mid = (lo + hi) >> 1;
        if (tl.start[list[mid]] <= t + slack) { found = mid; lo = mid + 1; } else hi = mid - 1;
      }
      if (found < 0) return -1;
      const i = list[found];
      return tl.end[i] + slack >= t ? i : -1;
    }

    function row(label, value) {
      const div = document.createElement("div");
      div.className = "tt-row";
      const a = document.createElement("span");
      const b = document.createElement("span");
      a.textContent = label;
      b.textContent = value;
      div.append(a, b);
      return div;
    }

    function showTip(i, x, y) {
      const name = document.createElement("div");
      name.className = "tt-name";
      name.textContent = tl.output[i];
      const d = tl.end[i] - tl.start[i];
      const parts = [name, row("kind, target", data.kinds[tl.kind[i]] + ", " + tl.targets[tl.target[i]])];
      parts.push(row("duration", formatMs(d)));
      parts.push(row("weighted", formatMs(tl.weighted[i]) + (d ? " (" + Math.round((100 * tl.weighted[i]) / d) + " %)" : "")));
      parts.push(row("start \u2013 end", formatMs(tl.start[i]) + " \u2013 " + formatMs(tl.end[i])));
      if (tl.frontend[i] !== null) {
        const total = tl.frontend[i] + tl.backend[i];
        const pct = (v) => (total ? " (" + Math.round((100 * v) / total) + " %)" : "");
        parts.push(row("frontend", formatMs(tl.frontend[i]) + pct(tl.frontend[i])));
        parts.push(row("backend", formatMs(tl.backend[i]) + pct(tl.backend[i])));
      }
      if (onPath(i)) parts.push(row("critical path", "drag " + formatMs(tl.critical[i])));
      tip.replaceChildren(...parts);
      tip.hidden = false;
      const w = width();
      tip.style.left = Math.max(0, Math.min(x + 14, w - tip.offsetWidth)) + "px";
      tip.style.top = y + 16 + "px";
    }

    const pos = (event) => {
      const r = canvas.getBoundingClientRect();
      return [event.clientX - r.left, event.clientY - r.top];
    };
    canvas.addEventListener("mousemove", (event) => {
      const [x, y] = pos(event);
      if (drag) {
        drag.x1 = x;
        tip.hidden = true;
        draw();
        return;
      }
      const i = stepAt(x, y);
      if (i < 0) tip.hidden = true;
      else showTip(i, x, y);
    });
    canvas.addEventListener("mouseleave", () => { tip.hidden = true; });
    canvas.addEventListener("mousedown", (event) => {
      const [x] = pos(event);
      drag = { x0: x, x1: x };
    });
    window.addEventListener("mouseup", () => {
      if (!drag) return;
      const { x0, x1 } = drag;
      drag = null;
      if (Math.abs(x1 - x0) > 4) setView(tOf(Math.min(x0, x1)), tOf(Math.max(x0, x1)));
      else draw();
    });
    canvas.addEventListener("dblclick", () => setView(tMin, tMax));
    canvas.addEventListener("wheel", (event) => {
      if (!event.ctrlKey && !event.metaKey) return; // plain wheel scrolls the page
      event.preventDefault();
      zoom(event.deltaY > 0 ? 1.25 : 0.8, tOf(pos(event)[0]));
    }, { passive: false });
    root.querySelector(".buttons").addEventListener("click", (event) => {
      const act = event.target.closest("button") && event.target.closest("button").dataset.act;
      const span = t1 - t0;
      if (act === "in") zoom(0.5);
      else if (act === "out") zoom(2);
      else if (act === "left") setView(t0 - span / 3, t1 - span / 3);
      else if (act === "right") setView(t0 + span / 3, t1 + span / 3);
      else if (act === "reset") setView(tMin, tMax);
    });
    readColours();
    draw();
    window.addEventListener("resize", draw);
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => { readColours(); draw(); });
    function locate(i) { // the page coordinates of step i's middle (for scripts and tests)
      const r = canvas.getBoundingClientRect();
      const a = Math.max(tl.start[i], t0), b = Math.min(tl.end[i], t1);
      return { x: r.left + xOf((a + b) / 2), y: r.top + axisH + tl.lane[i] * laneH + laneH / 2 };
    }
    return { view: () => [t0, t1], setView, locate, lanes, steps: n };
  }

  const timelines = [];
  for (const root of document.querySelectorAll(".timeline[data-timeline]")) {
    const tl = data.timelines[Number(root.dataset.timeline)];
    if (tl) timelines.push(Timeline(root, tl));
  }
  window.buildprofReport = { timelines, formatMs };
})();

// Camera setup: draws a camera's zones and counting lines over its snapshot, lets analysts and owners draw, move,
// rename and delete them, and saves them through the REST API (/api/v1/zones/, /api/v1/lines/) with the session.
// Points are fractions 0..1 of the frame (x right, y down), as the API stores them.
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("camera-setup-config").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const NEAR_PX = 10; // a click this close to a point hits it (closing a zone on its first point)
  const ARROW_PX = 26; // half the length of a line's 'in' arrow
  const FIELDS = { name: "Name", kind: "Kind", polygon: "Shape", points: "Line", in_side: "Direction" };

  const svg = document.getElementById("drawing");
  const layer = document.getElementById("layer");
  const list = document.getElementById("shapes");
  const hint = document.getElementById("hint");
  const statusLine = document.getElementById("status");
  const editor = document.getElementById("editor"); // absent for viewers
  const form = editor && {
    title: document.getElementById("editor-title"),
    name: document.getElementById("shape-name"),
    kind: document.getElementById("shape-kind"),
    zoneFields: document.getElementById("zone-fields"),
    lineFields: document.getElementById("line-fields"),
    errors: document.getElementById("editor-errors"),
    remove: document.getElementById("delete"),
    csrf: editor.querySelector("[name=csrfmiddlewaretoken]").value,
  };

  const shapes = [
    ...config.zones.map((zone) => ({ type: "zone", ...zone })),
    ...config.lines.map((line) => ({ type: "line", ...line })),
  ];
  let selected = null;
  let drawing = null; // {type, points, cursor} while a new shape is being drawn
  let dragging = null; // the index of the selected shape's point being dragged

  const word = (shape) => (shape.type === "zone" ? "zone" : "line");
  const title = (shape) => shape.name || `New ${word(shape)}`;

  function pointAt(event) {
    const box = svg.getBoundingClientRect();
    const fraction = (value) => Math.round(Math.min(1, Math.max(0, value)) * 10000) / 10000;
    return [fraction((event.clientX - box.left) / box.width), fraction((event.clientY - box.top) / box.height)];
  }

  function pixels([x, y]) {
    const box = svg.getBoundingClientRect();
    return [x * box.width, y * box.height];
  }

  function near(a, b) {
    const [ax, ay] = pixels(a);
    const [bx, by] = pixels(b);
    return Math.hypot(ax - bx, ay - by) <= NEAR_PX;
  }

  function add(name, attributes, parent = layer) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    parent.appendChild(node);
    return node;
  }

  function label(parent, text, x, y) {
    add("text", { x, y }, parent).textContent = text;
  }

  function drawZone(zone, index) {
    const group = add("g", { class: `zone kind-${zone.kind}`, "data-shape": index, "data-name": zone.name });
    group.classList.toggle("selected", zone === selected);
    const corners = zone.points.map(pixels);
    add("polygon", { points: corners.map((p) => p.join(",")).join(" ") }, group);
    const middle = [0, 1].map((axis) => corners.reduce((sum, p) => sum + p[axis], 0) / corners.length);
    label(group, title(zone), ...middle);
  }

  function drawLine(line, index) {
    const group = add("g", { class: "line", "data-shape": index, "data-name": line.name, "data-in-side": line.in_side });
    group.classList.toggle("selected", line === selected);
    const [a, b] = line.points.map(pixels);
    const ends = { x1: a[0], y1: a[1], x2: b[0], y2: b[1] };
    add("line", { ...ends, class: "hit" }, group); // wide and invisible: easy to pick
    add("line", { ...ends, class: "stroke" }, group);
    add("circle", { cx: a[0], cy: a[1], r: 4, class: "start" }, group);
    // Walking from start to end with y pointing down, the walker's left is (dy, -dx): the arrow points 'in'.
    const length = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
    const sign = line.in_side === "left" ? 1 : -1;
    const [nx, ny] = [(sign * (b[1] - a[1])) / length, (-sign * (b[0] - a[0])) / length];
    const [mx, my] = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
    add("line", {
      x1: mx - nx * ARROW_PX, y1: my - ny * ARROW_PX, x2: mx + nx * ARROW_PX, y2: my + ny * ARROW_PX,
      class: "arrow", "marker-end": "url(#arrowhead)",
    }, group);
    label(group, "in", mx + nx * (ARROW_PX + 12), my + ny * (ARROW_PX + 12));
    label(group, title(line), mx - nx * (ARROW_PX + 12), my - ny * (ARROW_PX + 12));
  }

  function drawDraft() {
    const corners = [...drawing.points, ...(drawing.cursor ? [drawing.cursor] : [])].map(pixels);
    const group = add("g", { class: "draft" });
    add("polyline", { points: corners.map((p) => p.join(",")).join(" ") }, group);
    drawing.points.map(pixels).forEach(([x, y], index) => {
      const closes = index === 0 && drawing.type === "zone" && drawing.points.length >= 3;
      add("circle", { cx: x, cy: y, r: closes ? 8 : 4, class: closes ? "closes" : "" }, group);
    });
  }

  function render() {
    layer.replaceChildren();
    shapes.forEach((shape, index) => (shape.type === "zone" ? drawZone : drawLine)(shape, index));
    if (selected && config.canEdit) {
      selected.points.map(pixels).forEach(([x, y], index) => {
        add("circle", { cx: x, cy: y, r: 7, class: "handle", "data-handle": index });
      });
    }
    if (drawing) drawDraft();
    svg.classList.toggle("drawing", drawing !== null);
    renderList();
  }

  function renderList() {
    list.replaceChildren();
    for (const shape of shapes) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = `pick${shape === selected ? " selected" : ""}`;
      const swatch = document.createElement("i");
      swatch.className = shape.type === "zone" ? `kind-${shape.kind}` : "kind-line";
      const kind = document.createElement("span");
      kind.className = "muted";
      kind.textContent = shape.type === "zone" ? config.kinds[shape.kind] : "line";
      button.append(swatch, title(shape), " ", kind);
      if (shape.dirty) button.append(" ", Object.assign(document.createElement("span"), { className: "tag", textContent: "unsaved" }));
      button.addEventListener("click", () => select(shape));
      item.append(button);
      list.append(item);
    }
    if (!shapes.length) list.append(Object.assign(document.createElement("li"), { className: "muted", textContent: "None yet." }));
  }

  function select(shape) {
    selected = shape;
    drawing = null;
    showEditor();
    render();
  }

  svg.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    if (drawing) return addPoint(pointAt(event));
    const handle = event.target.closest("[data-handle]");
    if (handle && selected && config.canEdit) {
      dragging = Number(handle.dataset.handle);
      svg.setPointerCapture(event.pointerId);
      event.preventDefault();
      return;
    }
    const picked = event.target.closest("[data-shape]");
    select(picked ? shapes[Number(picked.dataset.shape)] : null);
  });

  svg.addEventListener("pointermove", (event) => {
    if (dragging !== null) {
      selected.points[dragging] = pointAt(event);
      selected.dirty = true;
      render();
    } else if (drawing) {
      drawing.cursor = pointAt(event);
      render();
    }
  });

  svg.addEventListener("pointerup", () => {
    if (dragging === null) return;
    dragging = null;
    status(`Point moved: save ${word(selected)} “${title(selected)}” to keep it.`);
  });

  function status(text) {
    statusLine.textContent = text;
  }

  function showEditor() {
    if (!editor) return;
    editor.hidden = selected === null;
    form.errors.textContent = "";
    hint.textContent = selected === null ? "Pick a zone or line to edit it, or draw a new one."
      : selected.id ? "Drag its points to move them; rename, change or delete it on the right, then save."
      : "Name it, then save it. Drag its points to adjust it.";
    if (selected === null) return;
    form.title.textContent = selected.id ? `Edit ${word(selected)}` : `New ${word(selected)}`;
    form.name.value = selected.name;
    form.zoneFields.hidden = selected.type !== "zone";
    form.lineFields.hidden = selected.type !== "line";
    if (selected.type === "zone") form.kind.value = selected.kind;
    for (const radio of editor.elements.in_side) radio.checked = radio.value === selected.in_side;
    form.remove.textContent = selected.id ? "Delete" : "Discard";
  }

  new ResizeObserver(render).observe(svg);
  if (!editor) return; // viewers: read-only from here on
  showEditor();

  function edited(change) {
    return (event) => {
      change(event.target.value);
      selected.dirty = true;
      render();
    };
  }
  form.name.addEventListener("input", edited((value) => (selected.name = value)));
  form.kind.addEventListener("change", edited((value) => (selected.kind = value)));
  for (const radio of editor.elements.in_side) radio.addEventListener("change", edited((value) => (selected.in_side = value)));

  function start(type) {
    select(null);
    drawing = { type, points: [], cursor: null };
    hint.textContent = type === "zone"
      ? "Click the zone's corners; close it on the first point, by double-clicking or with Enter. Esc cancels."
      : "Click where the line starts, then where it ends. Esc cancels.";
    render();
  }

  function finish() {
    const shape = drawing.type === "zone"
      ? { type: "zone", id: null, name: "", kind: "area", points: drawing.points }
      : { type: "line", id: null, name: "", in_side: "left", points: drawing.points };
    shape.dirty = true;
    shapes.push(shape);
    select(shape);
    form.name.focus();
  }

  function addPoint(point) {
    const points = drawing.points;
    if (drawing.type === "zone" && points.length >= 3 && near(point, points[0])) return finish();
    if (points.length && near(point, points.at(-1))) return; // the second click of a double-click
    points.push(point);
    if (drawing.type === "line" && points.length === 2) return finish();
    render();
  }

  document.getElementById("draw-zone").addEventListener("click", () => start("zone"));
  document.getElementById("draw-line").addEventListener("click", () => start("line"));
  svg.addEventListener("dblclick", () => {
    if (drawing?.type === "zone" && drawing.points.length >= 3) finish();
  });
  document.addEventListener("keydown", (event) => {
    if (!drawing) return;
    if (event.key === "Escape") {
      drawing = null;
      showEditor();
      render();
    } else if (event.key === "Enter" && drawing.type === "zone" && drawing.points.length >= 3) {
      event.preventDefault();
      finish();
    }
  });

  function url(shape) {
    const base = shape.type === "zone" ? config.zonesUrl : config.linesUrl;
    return shape.id ? `${base}${shape.id}/` : base;
  }

  async function send(method, shape, body) {
    try {
      return await fetch(url(shape), {
        method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": form.csrf },
        body: body && JSON.stringify(body),
      });
    } catch {
      form.errors.textContent = "The server could not be reached: check the connection and try again.";
      return null;
    }
  }

  async function refusal(response, shape) {
    const data = await response.json().catch(() => null);
    if (!data || typeof data !== "object") return `The server could not do it (error ${response.status}): try again.`;
    const messages = Object.entries(data).flatMap(([field, problems]) =>
      [].concat(problems).map((problem) =>
        /unique|duplicate/i.test(problem)
          ? `Another ${word(shape)} of this camera is already called “${shape.name}”: choose another name.`
          : FIELDS[field] ? `${FIELDS[field]}: ${problem}` : String(problem),
      ),
    );
    return [...new Set(messages)].join(" ");
  }

  editor.addEventListener("submit", async (event) => {
    event.preventDefault();
    const shape = selected;
    const body = shape.type === "zone"
      ? { camera: config.camera, name: shape.name, kind: shape.kind, polygon: shape.points }
      : { camera: config.camera, name: shape.name, in_side: shape.in_side, points: shape.points };
    const response = await send(shape.id ? "PATCH" : "POST", shape, body);
    if (!response) return;
    if (!response.ok) {
      form.errors.textContent = await refusal(response, shape);
      return;
    }
    const saved = await response.json();
    Object.assign(shape, { id: saved.id, name: saved.name, points: saved.polygon || saved.points, dirty: false });
    if (shape.type === "zone") shape.kind = saved.kind;
    else shape.in_side = saved.in_side;
    status(`Saved ${word(shape)} “${shape.name}”.`);
    if (shape === selected) showEditor();
    render();
  });

  form.remove.addEventListener("click", async () => {
    const shape = selected;
    if (shape.id) {
      const counted = shape.type === "zone" ? "The stays counted in it" : "The crossings counted on it";
      if (!confirm(`Delete ${word(shape)} “${shape.name}”? ${counted} are deleted with it.`)) return;
      const response = await send("DELETE", shape);
      if (!response) return;
      if (!response.ok && response.status !== 404) {
        form.errors.textContent = await refusal(response, shape);
        return;
      }
      status(`Deleted ${word(shape)} “${shape.name}”.`);
    }
    shapes.splice(shapes.indexOf(shape), 1);
    select(null);
  });
})();

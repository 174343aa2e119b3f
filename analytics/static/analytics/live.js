// The venue dashboard's "Live now" card: follows the venue's server-sent event stream (EventSource reconnects by
// itself and resumes after the last event id), shows the occupancy and the newest events.
(function () {
  const card = document.getElementById("live");
  if (!card || !window.EventSource) return;
  const zoneNames = JSON.parse(document.getElementById("live-zone-names").textContent);
  const state = document.getElementById("live-state");
  const people = document.getElementById("live-people");
  const zones = document.getElementById("live-zones");
  const feed = document.getElementById("live-feed");
  const MAX_ITEMS = 30;

  const clock = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZone: card.dataset.timeZone };
  const time = (iso) => new Date(iso).toLocaleTimeString([], clock); // the venue's local time, 24-hour as every page
  const minutes = (seconds) => (seconds == null ? "" : ` after ${Math.round(seconds / 6) / 10} min`);
  const describe = {
    "visit.started": () => "A visitor arrived",
    "visit.ended": (e) => `A visit ended (${Math.round(e.duration_seconds / 6) / 10} min${e.returning ? ", returning visitor" : ""})`,
    "zone.entered": (e) => `Entered ${e.zone_name}`,
    "zone.exited": (e) => `Left ${e.zone_name}${minutes(e.dwell_seconds)}`,
    "line.crossed": (e) => `Crossed ${e.line_name} going ${e.direction}`,
    "queue.joined": (e) => `Joined the queue at ${e.zone_name}`,
    "queue.served": (e) => `Served at ${e.zone_name}${minutes(e.wait_seconds)}`,
    "queue.abandoned": (e) => `Left the queue at ${e.zone_name}${minutes(e.wait_seconds)}`,
    alert: (e) => `Alert: ${e.title}`,
    gap: (e) => e.message,
  };

  function add(type, data) {
    if (feed.firstElementChild && feed.firstElementChild.classList.contains("muted")) feed.innerHTML = "";
    const item = document.createElement("li");
    item.className = `live-${type.replace(".", "-")}`;
    item.dataset.type = type;
    const when = document.createElement("time");
    when.textContent = data.at ? time(data.at) : "";
    item.append(when, " ", describe[type](data));
    feed.prepend(item);
    while (feed.children.length > MAX_ITEMS) feed.lastElementChild.remove();
  }

  function occupancy(data) {
    people.textContent = data.venue;
    zones.innerHTML = "";
    for (const [id, name] of Object.entries(zoneNames)) {
      const item = document.createElement("li");
      item.textContent = `${name}: ${data.zones[id] || 0}`;
      item.dataset.zone = id;
      zones.append(item);
    }
  }

  const source = new EventSource(card.dataset.stream);
  source.onopen = () => { state.textContent = "live"; state.classList.add("on"); };
  source.onerror = () => { state.textContent = "reconnecting…"; state.classList.remove("on"); };
  source.addEventListener("occupancy", (message) => occupancy(JSON.parse(message.data)));
  for (const type of Object.keys(describe)) {
    source.addEventListener(type, (message) => add(type, JSON.parse(message.data)));
  }
})();

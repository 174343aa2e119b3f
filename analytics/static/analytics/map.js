// The venue map: each venue (a dot) and its H3 cell (a hexagon) coloured by today's visitors, from the GeoJSON
// that #venue-map's data-geojson names; a tile layer when data-tile-url is set, else the vendored country
// outlines of data-outline (TopoJSON), so that the map needs nothing from the internet.
(function () {
  "use strict";

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function signedPercent(change) {
    if (change === null) return "—";
    var percent = Math.round(change * 100);
    return (percent >= 0 ? "+" : "") + percent + "%";
  }

  function popup(title, link, rows) {
    var box = element("div", null, "map-popup");
    var heading = box.appendChild(element("strong"));
    if (link) {
      var anchor = heading.appendChild(element("a", title));
      anchor.href = link;
    } else {
      heading.textContent = title;
    }
    var list = box.appendChild(element("dl"));
    rows.forEach(function (row) {
      list.appendChild(element("dt", row[0]));
      list.appendChild(element("dd", String(row[1])));
    });
    return box;
  }

  function venuePopup(p) {
    var box = popup(p.name, p.url, [
      ["Visitors today", p.visitors],
      ["vs. a week before", signedPercent(p.change_week_over_week)],
      ["Open alerts", p.open_alerts],
    ]);
    var open = box.appendChild(element("a", "Open the venue dashboard"));
    open.href = p.url;
    return box;
  }

  function cellPopup(p) {
    return popup("H3 cell " + p.h3_cell, null, [["Visitors today", p.visitors], ["Venues", p.venues.join(", ")]]);
  }

  function style(feature) {
    var p = feature.properties;
    if (p.kind === "cell") {
      return { className: "venue-cell", color: "#1d2433", weight: 1, fillColor: p.colour, fillOpacity: 0.55 };
    }
    return { className: "venue-marker", radius: 8, color: "#1d2433", weight: 1.5, fillColor: p.colour, fillOpacity: 1 };
  }

  function legend(scale) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = element("div", null, "map-legend");
      box.appendChild(element("strong", "Visitors today"));
      scale.forEach(function (step) {
        var row = box.appendChild(element("div"));
        row.appendChild(element("i")).style.background = step.colour;
        row.appendChild(document.createTextNode(step.from === step.to ? step.from : step.from + "–" + step.to));
      });
      return box;
    };
    return control;
  }

  function outline(map, url) {
    fetch(url)
      .then(function (response) { return response.json(); })
      .then(function (topology) {
        var countries = topojson.feature(topology, topology.objects.countries);
        L.geoJSON(countries, {
          interactive: false,
          attribution: "Outlines: Natural Earth",
          style: { className: "country-outline", color: "#9aa3b5", weight: 1, fillColor: "#fbfbf8", fillOpacity: 1 },
        }).addTo(map).bringToBack();
      })
      .catch(function () { /* the cells and markers stay on a plain background */ });
  }

  function draw(container, data, status) {
    var map = L.map(container);
    L.control.scale().addTo(map);
    if (container.dataset.tileUrl) {
      L.tileLayer(container.dataset.tileUrl, { attribution: container.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
    } else {
      outline(map, container.dataset.outline);
    }
    var layer = L.geoJSON(data, {
      style: style,
      pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, style(feature)); },
      onEachFeature: function (feature, item) {
        var p = feature.properties;
        item.bindPopup(p.kind === "venue" ? venuePopup(p) : cellPopup(p));
      },
    }).addTo(map);
    legend(data.scale).addTo(map);
    var venues = data.features.filter(function (f) { return f.properties.kind === "venue"; }).length;
    if (venues) {
      map.fitBounds(layer.getBounds(), { padding: [40, 40], maxZoom: 16 });
      status.textContent = venues + (venues === 1 ? " venue" : " venues") + " on the map.";
    } else {
      map.setView([20, 0], 2);
      status.textContent = "No venue has coordinates yet.";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("venue-map");
    var status = document.getElementById("venue-map-status");
    fetch(container.dataset.geojson, { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("the server answered " + response.status);
        return response.json();
      })
      .then(function (data) { draw(container, data, status); })
      .catch(function (error) { status.textContent = "Could not load the venues: " + error.message + "."; })
      .finally(function () { container.dataset.ready = "true"; });
  });
})();

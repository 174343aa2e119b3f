// The venue form's map pin: clicking #pin-map sets the latitude and longitude inputs, and typing them moves the pin.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("pin-map");
    if (!container || !window.L) return;
    var latitude = document.getElementById("id_latitude");
    var longitude = document.getElementById("id_longitude");
    var map = L.map(container);
    L.tileLayer(container.dataset.tileUrl, { attribution: container.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
    var pin = null;

    function typed() {
      var lat = parseFloat(latitude.value), lng = parseFloat(longitude.value);
      return isFinite(lat) && isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180 ? [lat, lng] : null;
    }

    function place(latlng) {
      if (pin) pin.setLatLng(latlng);
      else pin = L.circleMarker(latlng, { radius: 8, color: "#1c3a94", fillOpacity: 0.8 }).addTo(map);
    }

    var start = typed();
    if (start) {
      map.setView(start, 16);
      place(start);
    } else {
      map.setView([30, 0], 2);
    }
    map.on("click", function (event) {
      latitude.value = event.latlng.lat.toFixed(6);
      longitude.value = event.latlng.wrap().lng.toFixed(6);
      place(event.latlng);
    });
    [latitude, longitude].forEach(function (input) {
      input.addEventListener("change", function () {
        var latlng = typed();
        if (latlng) {
          place(latlng);
          map.panTo(latlng);
        }
      });
    });
  });
})();

// The Leaflet map: team members as labelled markers, today's outlets as dots, one manager's day replayed.
// Everything is drawn as vectors and HTML, so the map still shows points when no tile server answers.
const L = window.L;

export class TeamMap {
  constructor(element, config) {
    this.map = L.map(element, { zoomControl: true }).setView([31.82, 117.23], 12);
    if (config.tile_url) {
      L.tileLayer(config.tile_url, { maxZoom: 19, attribution: config.tile_attribution || "" }).addTo(this.map);
    }
    this.members = new Map();
    this.outlets = L.layerGroup().addTo(this.map);
    this.live = L.layerGroup().addTo(this.map);
    this.replay = L.layerGroup().addTo(this.map);
    this.fitted = false;
  }

  /** Place or move one member's marker; the element carries its position for people and tests alike. */
  member(position) {
    const latlng = [position.lat, position.lon];
    let marker = this.members.get(position.manager_id);
    if (!marker) {
      const icon = L.divIcon({ className: "member-icon", html: `<span>${escapeHtml(position.manager_id)}</span>`, iconSize: null });
      marker = L.marker(latlng, { icon, title: position.manager_id });
      marker.on("add", () => decorate(marker));
      this.members.set(position.manager_id, marker);
    } else {
      marker.setLatLng(latlng);
    }
    marker.position = position;
    if (!this.live.hasLayer(marker)) {
      marker.addTo(this.live);
    }
    decorate(marker);
    marker.bindTooltip(`${position.manager_id}${position.stale ? " (stale)" : ""}`);
  }

  outlet(location, label) {
    L.circleMarker([location.lat, location.lon], { radius: 4, color: "#6d4c41", weight: 1, fillOpacity: 0.7, className: "outlet-dot" })
      .bindTooltip(label).addTo(this.outlets);
  }

  clearOutlets() {
    this.outlets.clearLayers();
  }

  fitMembers() {
    const points = [...this.members.values()].map((m) => m.getLatLng());
    this.outlets.eachLayer((layer) => points.push(layer.getLatLng()));
    if (points.length && !this.fitted) {
      this.map.fitBounds(L.latLngBounds(points).pad(0.1));
      this.fitted = true;
    }
  }

  showLive(visible) {
    for (const layer of [this.live, this.outlets]) {
      if (visible) { layer.addTo(this.map); } else { layer.remove(); }
    }
  }

  /** The day of one manager: the line, stops, check-ins coloured by verdict, gaps dashed. */
  drawTrack(track) {
    this.replay.clearLayers();
    const line = track.points.map((p) => [p.lat, p.lon]);
    if (line.length) {
      L.polyline(line, { color: "#1565c0", weight: 3, className: "track-line" }).addTo(this.replay);
    }
    for (const gap of track.gaps) {
      if (gap.from && gap.to) {
        L.polyline([gap.from, gap.to], { color: "#c62828", dashArray: "6 6", weight: 2, className: "track-gap" })
          .bindTooltip(`no fix for ${Math.round(gap.minutes)} min`).addTo(this.replay);
      }
    }
    for (const stop of track.stops) {
      L.circleMarker([stop.lat, stop.lon], { radius: 9, color: "#37474f", fillColor: "#ffeb3b", fillOpacity: 0.8, className: "track-stop" })
        .bindTooltip(`stop ${stop.label}`).addTo(this.replay);
    }
    for (const checkin of track.checkins) {
      L.circleMarker([checkin.lat, checkin.lon], {
        radius: 7, color: "#fff", weight: 2, fillColor: VERDICT_COLOURS[checkin.verdict] || "#555", fillOpacity: 1,
        className: `track-checkin verdict-${checkin.verdict}`,
      }).bindTooltip(`${checkin.customer_id}: ${checkin.verdict}`).addTo(this.replay);
    }
    const bounds = line.concat(track.checkins.map((c) => [c.lat, c.lon]));
    if (bounds.length) {
      this.map.fitBounds(L.latLngBounds(bounds).pad(0.15));
    }
  }

  clearTrack() {
    this.replay.clearLayers();
  }
}

function decorate(marker) {
  const element = marker.getElement();
  const position = marker.position;
  if (element && position) {
    element.dataset.manager = position.manager_id;
    element.dataset.lat = String(position.lat);
    element.dataset.lon = String(position.lon);
    element.classList.toggle("stale", Boolean(position.stale));
  }
}

const VERDICT_COLOURS = { ok: "#2e7d32", too_far: "#ef6c00", suspect: "#c62828" };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

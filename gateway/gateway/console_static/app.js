// The supervisor console: log in, then the team's live map, plan progress, a manager's day replayed
// and attendance. Plain ES modules, no build step; every number comes from the gateway's API.
import * as api from "./api.js";
import { TeamMap, escapeHtml } from "./map.js";

const $ = (id) => document.getElementById(id);
const LEADS = new Set(["supervisor", "admin"]);
const state = { config: {}, map: null, stream: null, members: new Map(), managers: [], retry: null };

function teamQuery(sep = "?") {
  const current = api.session();
  const team = current && current.user.role === "admin" ? $("team-id").value.trim() : "";
  return team ? `${sep}team_id=${encodeURIComponent(team)}` : "";
}

/** The chosen day; none until the first answer says which day "today" is in the company's time zone. */
function dayQuery() {
  return $("day").value ? `date=${encodeURIComponent($("day").value)}` : "";
}

function query(...parts) {
  const given = parts.filter(Boolean).join("&");
  return given ? `?${given}` : "";
}

function showError(error) {
  $("stream-state").textContent = error.message || String(error);
}

// --- login -------------------------------------------------------------------------------------

async function onLogin(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    const current = await api.login($("username").value.trim(), $("password").value);
    if (!LEADS.has(current.user.role)) {
      await api.logout();
      $("login-error").textContent = "This console is for team leads and administrators; manager accounts use the tablet app.";
      return;
    }
    await start();
  } catch (error) {
    $("login-error").textContent = error.code === "invalid_credentials" ? "Wrong user name or password." : error.message;
  }
}

async function onLogout() {
  stopStream();
  await api.logout();
  window.location.reload();
}

// --- the console -------------------------------------------------------------------------------

async function start() {
  const current = api.session();
  $("login-view").hidden = true;
  $("console-view").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = `${current.user.name || current.user.id} · ${current.user.role}${current.user.team_id ? " · team " + current.user.team_id : ""}`;
  $("team-picker").hidden = current.user.role !== "admin";
  if (current.user.role === "admin" && !$("team-id").value) {
    $("team-id").value = new URLSearchParams(window.location.search).get("team") || "t01";
  }
  state.map = state.map || new TeamMap($("map"), state.config);
  await reload();
}

async function reload() {
  state.members.clear();
  $("positions").querySelector("tbody").innerHTML = "";
  await loadProgress().catch(showError);
  await Promise.all([loadOutlets(), loadPositions()]).catch(showError);
  state.map.fitMembers();
  openStream();
}

async function loadProgress() {
  const body = await api.get(`/team/progress${query(dayQuery(), teamQuery(""))}`);
  $("day").value = $("day").value || body.date || "";
  state.managers = (body.items || []).map((item) => item.manager_id);
  $("progress").querySelector("tbody").innerHTML = (body.items || []).map((item) => `
    <tr data-manager="${escapeHtml(item.manager_id)}">
      <td>${escapeHtml(item.manager_id)}</td>
      <td>${item.completed_customers} / ${item.planned_customers}</td>
      <td>${item.checked_in_customers ?? ""}</td>
      <td>${item.executed_tasks} / ${item.planned_tasks}</td>
      <td>${item.last_event_at ? new Date(item.last_event_at).toLocaleTimeString() : "—"}</td>
    </tr>`).join("");
}

async function loadOutlets() {
  state.map.clearOutlets();
  const plans = await Promise.all(state.managers.map((id) =>
    api.get(`/visits${query(`manager_id=${encodeURIComponent(id)}`, dayQuery())}`).catch(() => ({ items: [] }))));
  plans.forEach((plan, index) => {
    for (const visit of plan.items || []) {
      const location = visit.customer && visit.customer.location;
      if (location) {
        state.map.outlet(location, `${visit.customer.name} (${state.managers[index]}, ${visit.status})`);
      }
    }
  });
}

async function loadPositions() {
  const body = await api.get(`/team/positions${teamQuery()}`);
  for (const member of body.members || body.items || []) {
    place(member);
  }
}

/** One member's newest fix: the marker on the map and the row in the table. */
function place(member) {
  if (typeof member.lat !== "number" || typeof member.lon !== "number") {
    return;
  }
  state.members.set(member.manager_id, member);
  state.map.member(member);
  const tbody = $("positions").querySelector("tbody");
  let row = tbody.querySelector(`tr[data-manager="${CSS.escape(member.manager_id)}"]`);
  if (!row) {
    row = document.createElement("tr");
    row.dataset.manager = member.manager_id;
    tbody.appendChild(row);
  }
  row.classList.toggle("stale", Boolean(member.stale));
  const visit = member.visit && (member.visit.customer_id || member.visit.visit_id);
  row.innerHTML = `
    <td>${escapeHtml(member.manager_id)} ${member.stale ? '<span class="badge stale">stale</span>' : ""}</td>
    <td>${escapeHtml(age(member))}</td>
    <td>${member.speed_mps != null ? (member.speed_mps * 3.6).toFixed(0) + " km/h" : ""}</td>
    <td>${visit ? escapeHtml(visit) : ""}</td>
    <td><button type="button" class="replay-button">Track</button></td>`;
  row.querySelector(".replay-button").addEventListener("click", () => openReplay(member.manager_id));
}

function age(member) {
  const fixMs = member.fix_at ? Date.parse(member.fix_at) : 0;
  const seconds = fixMs ? (Date.now() - fixMs) / 1000 : member.age_s;
  if (seconds == null || Number.isNaN(seconds)) {
    return "";
  }
  return seconds < 90 ? "just now" : seconds < 5400 ? `${Math.round(seconds / 60)} min ago` : `${Math.round(seconds / 3600)} h ago`;
}

// --- the live stream ---------------------------------------------------------------------------

function stopStream() {
  if (state.stream) {
    state.stream.close();
    state.stream = null;
  }
  clearTimeout(state.retry);
}

function openStream() {
  stopStream();
  const stream = new EventSource(api.streamUrl(`/team/positions/stream${teamQuery()}`));
  // `snapshot` is the whole team when the stream (re)starts, `position` one member that changed.
  const onData = (event) => {
    const data = JSON.parse(event.data);
    for (const member of data.items || [data]) {
      place(member);
    }
    $("stream-state").textContent = "live";
  };
  stream.addEventListener("snapshot", onData);
  stream.addEventListener("position", onData);
  stream.addEventListener("expired", async () => {
    stopStream();
    if (await api.refresh()) { openStream(); }
  });
  stream.onerror = () => {
    $("stream-state").textContent = "reconnecting…";
    if (stream.readyState === EventSource.CLOSED) {
      // Most often an expired access token: refresh it, then listen again.
      state.retry = setTimeout(async () => { if (await api.refresh()) { openStream(); } }, 2000);
    }
  };
  state.stream = stream;
}

// --- a manager's day ---------------------------------------------------------------------------

function nearest(points, when) {
  let best = null;
  for (const point of points) {
    if (!best || Math.abs(point.t - when) < Math.abs(best.t - when)) {
      best = point;
    }
  }
  return best ? [best.lat, best.lon] : null;
}

function clock(value) {
  return new Date(value).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** GET /team/{id}/track as the map draws it: each gap runs between the fixes nearest its ends. */
function normalTrack(body) {
  const points = body.points.map((p) => ({ lat: p.lat, lon: p.lon, t: Date.parse(p.ts) }));
  const stops = body.stops.map((s) => ({
    lat: s.lat, lon: s.lon,
    label: `${clock(s.start)}, ${Math.round(s.duration_s / 60)} min${s.customer_id ? " at " + s.customer_id : ""}`,
  }));
  const gaps = body.gaps.map((g) => {
    const start = Date.parse(g.start);
    const end = Date.parse(g.end);
    return { minutes: g.minutes, start, end, from: nearest(points, start), to: nearest(points, end) };
  });
  return { points, stops, checkins: body.checkins, gaps, distance: body.distance_m, raw: body.raw_count };
}

async function openReplay(managerId) {
  const body = await api.get(`/team/${encodeURIComponent(managerId)}/track${query(dayQuery())}`).catch((error) => { showError(error); return null; });
  if (!body) {
    return;
  }
  const track = normalTrack(body);
  state.map.showLive(false);
  state.map.drawTrack(track);
  $("replay").hidden = false;
  $("positions").hidden = true;
  $("positions-title").hidden = true;
  $("replay-manager").textContent = managerId;
  $("replay-summary").textContent = `${track.points.length} points shown of ${track.raw ?? track.points.length}, ${((track.distance || 0) / 1000).toFixed(1)} km`;
  $("replay-stops").innerHTML = track.stops.map((s) => `<li class="stop">${escapeHtml(s.label)}</li>`).join("") || "<li>none</li>";
  $("replay-checkins").innerHTML = track.checkins.map((c) =>
    `<li class="checkin verdict-${escapeHtml(c.verdict)}">${clock(c.at)} ${escapeHtml(c.customer_id || "")}: ${escapeHtml(c.verdict)}${c.verdict_reason ? " (" + escapeHtml(c.verdict_reason) + ")" : ""}</li>`).join("") || "<li>none</li>";
  $("replay-gaps").innerHTML = track.gaps.map((g) => `<li class="gap">${clock(g.start)}–${clock(g.end)} (${Math.round(g.minutes)} min)</li>`).join("") || "<li>none</li>";
}

function closeReplay() {
  state.map.clearTrack();
  state.map.showLive(true);
  $("replay").hidden = true;
  $("positions").hidden = false;
  $("positions-title").hidden = false;
}

// --- attendance --------------------------------------------------------------------------------

function minutes(seconds) {
  const total = Math.round((seconds || 0) / 60);
  return `${Math.floor(total / 60)} h ${String(total % 60).padStart(2, "0")}`;
}

function attendanceRow(row) {
  const visits = row.visits || {};
  const suspects = row.suspect_checkins || [];
  const reasons = [...new Set(suspects.map((s) => s.verdict_reason || s.verdict))].join(", ");
  const cells = [
    row.manager_id,
    row.first_activity ? clock(row.first_activity) : "—",
    row.last_activity ? clock(row.last_activity) : "—",
    minutes(row.time_in_field_s),
    `${visits.done ?? 0} / ${visits.planned ?? 0}`,
    visits.missed ?? 0,
    visits.late ?? "",
    visits.phone_done ?? 0,
    ((row.distance_m || 0) / 1000).toFixed(1),
    `${(row.gaps || []).length} (${Math.round(row.gap_minutes || 0)} min)`,
    suspects.length ? `${suspects.length}: ${reasons}` : "0",
  ];
  return `<tr data-manager="${escapeHtml(row.manager_id)}">${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`;
}

const ATTENDANCE_HEAD = ["Manager", "First", "Last", "In the field", "Visits done", "Missed", "Late", "Phone",
  "km", "Gaps", "Suspect check-ins"];

async function loadAttendance() {
  const body = await api.get(`/team/attendance${query(dayQuery(), teamQuery(""))}`);
  $("attendance").querySelector("thead").innerHTML = `<tr>${ATTENDANCE_HEAD.map((h) => `<th>${h}</th>`).join("")}</tr>`;
  $("attendance").querySelector("tbody").innerHTML = (body.items || []).map(attendanceRow).join("")
    || `<tr><td colspan="${ATTENDANCE_HEAD.length}">no data</td></tr>`;
}

async function exportCsv() {
  const text = await api.get(`/team/attendance${query(dayQuery(), teamQuery(""), "format=csv")}`, "text");
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  link.download = `attendance-${$("day").value || "today"}.csv`;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

function showTab(name) {
  for (const button of document.querySelectorAll("nav button[data-tab]")) {
    button.classList.toggle("active", button.dataset.tab === name);
  }
  for (const tab of document.querySelectorAll(".tab")) {
    tab.hidden = tab.id !== `tab-${name}`;
  }
  if (name === "progress") { loadProgress().catch(showError); }
  if (name === "attendance") { loadAttendance().catch(showError); }
}

async function boot() {
  state.config = await fetch("config.json").then((r) => r.json()).catch(() => ({}));
  $("login-form").addEventListener("submit", onLogin);
  $("logout").addEventListener("click", onLogout);
  $("replay-close").addEventListener("click", closeReplay);
  $("attendance-csv").addEventListener("click", () => exportCsv().catch(showError));
  $("day").addEventListener("change", () => reload());
  $("team-id").addEventListener("change", () => reload());
  for (const button of document.querySelectorAll("nav button[data-tab]")) {
    button.addEventListener("click", () => showTab(button.dataset.tab));
  }
  const current = api.session();
  if (current && LEADS.has(current.user.role)) {
    await start();
  }
}

boot();

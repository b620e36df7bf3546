// The gateway's API for the console: tokens live in sessionStorage (this tab only), never in cookies.
const API = "/api/v1";
const KEY = "baifang.console.session";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error ? body.error.code : "";
  }
}

export function session() {
  const text = sessionStorage.getItem(KEY);
  return text ? JSON.parse(text) : null;
}

function keep(answer) {
  const value = { access: answer.access_token, refresh: answer.refresh_token || "", user: answer.user };
  sessionStorage.setItem(KEY, JSON.stringify(value));
  return value;
}

export function forget() {
  sessionStorage.removeItem(KEY);
}

async function send(path, options = {}) {
  const response = await fetch(API + path, options);
  if (response.ok) {
    return response;
  }
  let body = null;
  try { body = await response.json(); } catch (_) { /* not JSON */ }
  throw new ApiError(response.status, body);
}

export async function login(username, password) {
  const response = await send("/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password, remember: true }),
  });
  return keep(await response.json());
}

export async function logout() {
  const current = session();
  forget();
  if (current && current.refresh) {
    await send("/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refresh }),
    }).catch(() => {});
  }
}

let refreshing = null;

/** A new access token from the refresh token (one refresh at a time); null when the session is over. */
export async function refresh() {
  const current = session();
  if (!current || !current.refresh) {
    return null;
  }
  refreshing = refreshing || send("/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: current.refresh }),
  }).then((r) => r.json()).then(keep).catch(() => { forget(); return null; }).finally(() => { refreshing = null; });
  return refreshing;
}

/** GET a path with the bearer token, refreshing it once on 401; `as` is "json" or "text". */
export async function get(path, as = "json") {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const current = session();
    if (!current) {
      throw new ApiError(401, null);
    }
    try {
      const response = await send(path, { headers: { Authorization: `Bearer ${current.access}` } });
      return as === "text" ? response.text() : response.json();
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401 || attempt > 0 || !(await refresh())) {
        throw error;
      }
    }
  }
  throw new ApiError(401, null);
}

export function streamUrl(path) {
  const current = session();
  const sep = path.includes("?") ? "&" : "?";
  return `${API}${path}${sep}access_token=${encodeURIComponent(current ? current.access : "")}`;
}

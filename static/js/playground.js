// The playground: each button makes real requests to this site and adds a
// row to the timeline with what was sent and what the server measured (read
// from the Server-Timing header the comparison app sets on every response).
// Everything a response carries is written with textContent, never as markup.
"use strict";

let csrfToken = document.querySelector("[name=csrfmiddlewaretoken]").value;
const state = {
  sessionExpiresAt: null,
  access: null,
  refresh: null,
  leeway: 0,
  // What the server said of the current access token, and when the account was last revoked.
  verified: null,
  revokedAt: null,
  jwtGoneBecause: "never logged in",
};
const timeline = document.querySelector("#timeline tbody");
const headings = [...document.querySelectorAll("#timeline thead th")].map((th) => th.textContent);
const note = document.getElementById("scenario-note");
const stopButton = document.getElementById("stop");
let rowNumber = 0;
let startedAt = null;
let running = null;

const CLOCK = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZoneName: "short" };

function clock(ms) {
  return new Date(ms).toLocaleTimeString([], CLOCK);
}

function inWords(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  const unit = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  if (!minutes) return unit(rest, "second");
  return rest ? `${unit(minutes, "minute")} ${unit(rest, "second")}` : unit(minutes, "minute");
}

function parseTiming(header) {
  // auth;dur=0.052;desc="stateless accepted redis=0 db=0 bytes=350"
  const match = /dur=([\d.]+);desc="(\S+) (\S+) redis=(\d+) db=(\d+) bytes=(\d+)"/.exec(header || "");
  if (!match) return null;
  return {
    us: Math.round(parseFloat(match[1]) * 1000),
    lane: match[2],
    outcome: match[3],
    redis: match[4],
    db: match[5],
    bytes: match[6],
  };
}

function shorten(text, keep = 18) {
  return text.length > keep ? `${text.slice(0, keep)}…` : text;
}

function addRow(column, request, credential, status, outcome, timing) {
  rowNumber += 1;
  if (startedAt === null) startedAt = performance.now();
  const row = timeline.insertRow(-1);
  row.dataset.column = column;
  row.dataset.status = String(status);
  row.dataset.outcome = outcome;
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(2);
  const cells = [
    rowNumber, seconds, column, request, credential, status, outcome,
    timing ? timing.redis : "–", timing ? timing.db : "–", timing ? timing.us : "–",
  ];
  cells.forEach((value, index) => {
    const cell = row.insertCell(-1);
    cell.textContent = String(value);
    // Labels each cell on a phone, where every row is shown as a card.
    cell.dataset.label = headings[index];
  });
}

// What travelled with a request, as the timeline names it.
const sends = {
  nothing: () => "nothing: no credential",
  demoCookie: () => "demo-account cookie (signed, names this browser's demo user)",
  sessionCookie: (timing) => (timing && timing.bytes === "0"
    ? "no session cookie"
    : `Cookie: session id, HttpOnly${timing ? ` (${timing.bytes} bytes)` : ""}`),
  bearer: (token, timing) => `Authorization: Bearer ${shorten(token)} (${timing ? timing.bytes : "?"} bytes)`,
  inBody: (what, token) => (token ? `${what} in the body: ${shorten(token)} (${token.length} bytes)` : `no ${what}: the body is empty`),
};

async function call(column, method, path, { body = null, bearer = null, sent, describe = null } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken;
  if (body !== null) headers["Content-Type"] = "application/json";
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === null ? null : JSON.stringify(body),
    credentials: "same-origin",
    signal: running ? running.signal : undefined,
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (data && data.csrf_token) csrfToken = data.csrf_token;
  const timing = parseTiming(response.headers.get("Server-Timing"));
  const outcome = timing ? timing.outcome : (describe ? describe(response, data) : (response.ok ? "ok" : (data && data.code) || "error"));
  addRow(column, `${method} ${path}`, sent(timing), response.status, outcome, timing);
  return { response, data };
}

function decodePart(part) {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")));
}

function accessClaims() {
  return state.access ? decodePart(state.access.split(".")[1]) : null;
}

function accessExpiresAt() {
  const claims = accessClaims();
  return claims ? claims.exp * 1000 : null;
}

// The inspector always describes the access token this page holds now.
function accessTokenState() {
  const claims = accessClaims();
  if (!claims) return `This browser holds no access token: ${state.jwtGoneBecause}.`;
  const expiresAt = claims.exp * 1000;
  if (Date.now() >= expiresAt + state.leeway * 1000) {
    return `Expired at ${clock(expiresAt)} (plus the server's ${inWords(state.leeway)} of leeway): every lane refuses it.`;
  }
  if (Date.now() >= expiresAt) {
    return `Past its expiry time (${clock(expiresAt)}); the server still accepts it during its ${inWords(state.leeway)} of leeway.`;
  }
  if (state.revokedAt !== null && state.revokedAt >= claims.iat * 1000) {
    return `Revoked at ${clock(state.revokedAt)}. The denylist lane refuses it now; the stateless and lookup lanes still accept it until it expires at ${clock(expiresAt)}.`;
  }
  if (state.verified === null) return "Being checked by the server…";
  if (state.verified !== true) return `Refused by the server: ${state.verified}.`;
  return `Valid: signed with this site's key, not expired; it expires at ${clock(expiresAt)}.`;
}

function showInspector() {
  const parts = state.access ? state.access.split(".") : null;
  document.getElementById("inspector-header").textContent = parts ? JSON.stringify(decodePart(parts[0]), null, 2) : "–";
  document.getElementById("inspector-payload").textContent = parts ? JSON.stringify(decodePart(parts[1]), null, 2) : "–";
  document.getElementById("inspector-signature").textContent = parts ? parts[2] : "–";
  const verdict = document.getElementById("inspector-verify");
  const text = accessTokenState();
  if (verdict.textContent !== text) verdict.textContent = text;
}

async function hold(access, refresh) {
  Object.assign(state, { access, refresh, verified: null });
  showInspector();
  const { response, data } = await call("jwt", "POST", "/api/jwt/token/verify/", {
    body: { token: access },
    sent: () => sends.inBody("access token", access),
    describe: (r) => (r.ok ? "signature valid" : "refused"),
  });
  state.verified = response.ok ? true : (data && data.code) || `status ${response.status}`;
  showInspector();
}

function sleep(ms) {
  return new Promise((resolve, reject) => {
    const signal = running ? running.signal : null;
    const timer = setTimeout(resolve, ms);
    if (signal) {
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(signal.reason);
      }, { once: true });
    }
  });
}

const actions = {
  session: {
    async login() {
      const { data } = await call("session", "POST", "/playground/session/login/", {
        sent: sends.demoCookie,
        describe: (r, d) => (r.ok ? `signed in as ${d.username}` : "refused"),
      });
      if (data && data.expires_at) state.sessionExpiresAt = data.expires_at * 1000;
    },
    request: () => call("session", "GET", "/api/session/me/", { sent: sends.sessionCookie }),
    async expire() {
      if (!state.sessionExpiresAt) return;
      note.textContent = "Waiting for the session to expire in Redis…";
      await sleep(Math.max(0, state.sessionExpiresAt - Date.now()) + 1000);
      await actions.session.request();
    },
    async logout() {
      await call("session", "POST", "/playground/session/logout/", {
        sent: sends.sessionCookie,
        describe: () => "logged out",
      });
      state.sessionExpiresAt = null;
    },
  },
  jwt: {
    async login() {
      const { data } = await call("jwt", "POST", "/playground/jwt/login/", {
        sent: sends.demoCookie,
        describe: (r, d) => (r.ok ? `tokens issued to ${d.username}` : "refused"),
      });
      if (data && data.access) {
        state.leeway = data.leeway_seconds;
        await hold(data.access, data.refresh);
      }
    },
    request() {
      const path = document.getElementById("lane").selectedOptions[0].dataset.path;
      const token = state.access;
      return call("jwt", "GET", path, {
        bearer: token,
        sent: (timing) => (token ? sends.bearer(token, timing) : sends.nothing()),
      });
    },
    async refresh() {
      const token = state.refresh;
      const { response, data } = await call("jwt", "POST", "/api/jwt/token/refresh/", {
        body: { refresh: token || "" },
        sent: () => sends.inBody("refresh token", token),
        describe: (r, d) => (r.ok ? "new pair issued, old refresh token spent" : `refused: ${d && d.code}`),
      });
      if (response.ok) await hold(data.access, data.refresh);
    },
    async expire() {
      const expiresAt = accessExpiresAt();
      if (!expiresAt) return;
      note.textContent = `Waiting for the access token to expire at ${clock(expiresAt)}, plus the server's ${inWords(state.leeway)} of leeway…`;
      await sleep(Math.max(0, expiresAt + state.leeway * 1000 - Date.now()) + 1000);
      await actions.jwt.request();
    },
    async logout() {
      const token = state.refresh;
      await call("jwt", "POST", "/api/jwt/token/blacklist/", {
        body: { refresh: token || "" },
        sent: () => sends.inBody("refresh token", token),
        describe: (r) => (r.ok ? "refresh token blacklisted" : "refused"),
      });
      Object.assign(state, { access: null, refresh: null, verified: null, jwtGoneBecause: "it logged out, and its refresh token was blacklisted" });
      showInspector();
    },
  },
  both: {
    async revoke() {
      const { response, data } = await call("admin", "POST", "/playground/revoke/", {
        sent: sends.demoCookie,
        describe: (r, d) => (r.ok ? `revoked: ${d.sessions_ended} session(s), ${d.refresh_tokens_blacklisted} refresh token(s)` : "refused"),
      });
      if (response.ok) {
        state.revokedAt = data.revoked_at * 1000;
        showInspector();
      }
    },
  },
};

// One staff-only request per lane of the role table, with that lane's credential.
async function askForStaff(phase) {
  for (const row of document.querySelectorAll("#role-table tbody tr")) {
    const bearer = row.dataset.credential === "bearer" ? state.access : null;
    const { response, data } = await call("role", "GET", row.dataset.path, {
      bearer,
      sent: (timing) => (bearer ? sends.bearer(bearer, timing) : sends.sessionCookie(timing)),
    });
    const cell = row.querySelector(`[data-phase=${phase}]`);
    cell.dataset.answer = response.ok ? "honoured" : "refused";
    cell.textContent = response.ok ? "staff: honoured" : `refused (${(data && data.code) || response.status})`;
  }
}

function setStaff(change) {
  return call("admin", "POST", `/playground/role/${change}/`, {
    sent: sends.demoCookie,
    describe: (r, d) => (r.ok ? `${d.username} is ${d.is_staff ? "now staff" : "no longer staff"}` : "refused"),
  });
}

const scenarios = {
  async basic() {
    note.textContent = "Basic flow: sign in on both sides, then three requests each. Compare the Redis and SQL columns.";
    await actions.session.login();
    await actions.jwt.login();
    for (let i = 0; i < 3; i += 1) {
      await actions.session.request();
      await actions.jwt.request();
    }
    note.textContent = "Done: every session request asked Redis and the database; the JWT requests asked what the lane chosen above consults.";
  },
  async revocation() {
    note.textContent = "Revocation test: both sides work, an admin revokes, then both try again.";
    await actions.session.login();
    await actions.jwt.login();
    await actions.session.request();
    await actions.jwt.request();
    await actions.both.revoke();
    await actions.session.request();
    await actions.jwt.request();
    note.textContent = "The session was refused at once. The JWT lane chosen above decides the other side: stateless and lookup still accept the token until it expires; denylist refuses it now.";
  },
  async expiration() {
    note.textContent = "Expiration: sign in, wait for both credentials to run out for real, try again.";
    await actions.session.login();
    await actions.jwt.login();
    await actions.session.request();
    await actions.jwt.request();
    await actions.session.expire();
    await actions.jwt.expire();
    note.textContent = "Both refused, for different reasons: the session's key has gone from Redis (and the browser dropped its cookie at the same moment); the token's expiry time has passed.";
  },
  async role() {
    note.textContent = "Role change: become staff, sign in on both sides, ask every lane, lose the role, ask again.";
    // Only a login makes the demo account; the next logins carry the role.
    await actions.session.login();
    await setStaff("grant");
    await actions.session.login();
    await actions.jwt.login();
    await askForStaff("before");
    await setStaff("remove");
    await askForStaff("after");
    note.textContent = "Lanes that read the user row refused at once. The session snapshot and every lane that trusts the token's is_staff claim still honour the old role: until the session ends, or until the token expires.";
  },
};

function setBusy(busy) {
  for (const button of document.querySelectorAll("button[data-action], button[data-scenario]")) {
    button.disabled = busy;
  }
  stopButton.disabled = !busy;
  document.body.dataset.busy = busy ? "yes" : "no";
}

async function run(task, { scenario = false } = {}) {
  if (scenario) {
    // Each scenario's times count from its own start.
    startedAt = null;
  }
  running = new AbortController();
  setBusy(true);
  try {
    await task();
  } catch (error) {
    note.textContent = running.signal.aborted ? "Stopped. Nothing else will be sent." : `Something went wrong: ${error}`;
  } finally {
    running = null;
    setBusy(false);
    showInspector();
  }
}

stopButton.addEventListener("click", () => {
  if (running) running.abort(new DOMException("Stopped", "AbortError"));
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button || button === stopButton) return;
  if (button.dataset.scenario) run(scenarios[button.dataset.scenario], { scenario: true });
  else if (button.dataset.action) run(() => actions[button.dataset.column][button.dataset.action]());
});

setInterval(() => {
  const show = (id, at) => {
    const text = at ? inWords(Math.max(0, (at - Date.now()) / 1000)) : "–";
    const element = document.getElementById(id);
    if (element.textContent !== text) element.textContent = text;
  };
  show("session-countdown", state.sessionExpiresAt);
  show("jwt-countdown", accessExpiresAt());
  showInspector();
}, 250);
setBusy(false);

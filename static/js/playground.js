// The playground: each button makes real requests to this site and adds a
// row to the timeline with what was sent and what the server measured (read
// from the Server-Timing header the comparison app sets on every response).
"use strict";

let csrfToken = document.querySelector("[name=csrfmiddlewaretoken]").value;
const state = { sessionExpiresAt: null, access: null, refresh: null, leeway: 0 };
const timeline = document.querySelector("#timeline tbody");
const headings = [...document.querySelectorAll("#timeline thead th")].map((th) => th.textContent);
const note = document.getElementById("scenario-note");
let rowNumber = 0;

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
  const row = timeline.insertRow(-1);
  row.dataset.column = column;
  row.dataset.status = String(status);
  row.dataset.outcome = outcome;
  const cells = [
    rowNumber, column, request, credential, status, outcome,
    timing ? timing.redis : "–", timing ? timing.db : "–", timing ? timing.us : "–",
  ];
  cells.forEach((value, index) => {
    const cell = row.insertCell(-1);
    cell.textContent = String(value);
    // Labels each cell on a phone, where every row is shown as a card.
    cell.dataset.label = headings[index];
  });
}

async function call(column, method, path, { body = null, bearer = null, describe = null } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken;
  if (body !== null) headers["Content-Type"] = "application/json";
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === null ? null : JSON.stringify(body),
    credentials: "same-origin",
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (data && data.csrf_token) csrfToken = data.csrf_token;
  const timing = parseTiming(response.headers.get("Server-Timing"));
  let credential = "none";
  if (bearer) credential = `Authorization: Bearer ${shorten(bearer)} (${timing ? timing.bytes : "?"} bytes)`;
  else if (timing && (timing.lane === "session" || timing.lane === "snapshot")) {
    credential = timing.bytes === "0" ? "no session cookie" : `Cookie: session id, HttpOnly (${timing.bytes} bytes)`;
  }
  const outcome = timing ? timing.outcome : (describe ? describe(response, data) : (response.ok ? "ok" : (data && data.code) || "error"));
  addRow(column, `${method} ${path}`, credential, response.status, outcome, timing);
  return { response, data };
}

function decodePart(part) {
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.stringify(JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="))), null, 2);
}

async function inspect() {
  if (!state.access) return;
  const [header, payload, signature] = state.access.split(".");
  document.getElementById("inspector-header").textContent = decodePart(header);
  document.getElementById("inspector-payload").textContent = decodePart(payload);
  document.getElementById("inspector-signature").textContent = signature;
  const { response, data } = await call("jwt", "POST", "/api/jwt/token/verify/", {
    body: { token: state.access },
    describe: (r) => (r.ok ? "signature valid" : "rejected"),
  });
  document.getElementById("inspector-verify").textContent = response.ok
    ? "valid: signed with this site's key, not expired"
    : `rejected: ${data.code}`;
}

function accessExpiresAt() {
  if (!state.access) return null;
  return JSON.parse(decodePart(state.access.split(".")[1])).exp * 1000;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const actions = {
  session: {
    async login() {
      const { data } = await call("session", "POST", "/playground/session/login/", {
        describe: (r, d) => (r.ok ? `signed in as ${d.username}` : "refused"),
      });
      if (data && data.expires_at) state.sessionExpiresAt = data.expires_at * 1000;
    },
    request: () => call("session", "GET", "/api/session/me/"),
    async expire() {
      if (!state.sessionExpiresAt) return;
      note.textContent = "Waiting for the session to expire in Redis…";
      await sleep(Math.max(0, state.sessionExpiresAt - Date.now()) + 1000);
      await actions.session.request();
    },
    async logout() {
      await call("session", "POST", "/playground/session/logout/", { describe: () => "logged out" });
      state.sessionExpiresAt = null;
    },
  },
  jwt: {
    async login() {
      const { data } = await call("jwt", "POST", "/playground/jwt/login/", {
        describe: (r, d) => (r.ok ? `tokens issued to ${d.username}` : "refused"),
      });
      if (data && data.access) {
        Object.assign(state, { access: data.access, refresh: data.refresh, leeway: data.leeway_seconds });
        await inspect();
      }
    },
    request: () => call("jwt", "GET", document.getElementById("lane").selectedOptions[0].dataset.path, { bearer: state.access }),
    async refresh() {
      const { response, data } = await call("jwt", "POST", "/api/jwt/token/refresh/", {
        body: { refresh: state.refresh || "" },
        describe: (r, d) => (r.ok ? "new pair issued, old refresh token spent" : `refused: ${d && d.code}`),
      });
      if (response.ok) {
        Object.assign(state, { access: data.access, refresh: data.refresh });
        await inspect();
      }
    },
    async expire() {
      const expiresAt = accessExpiresAt();
      if (!expiresAt) return;
      note.textContent = `Waiting for the access token to expire (plus the server's ${state.leeway} s leeway)…`;
      await sleep(Math.max(0, expiresAt + state.leeway * 1000 - Date.now()) + 1000);
      await actions.jwt.request();
    },
    async logout() {
      await call("jwt", "POST", "/api/jwt/token/blacklist/", {
        body: { refresh: state.refresh || "" },
        describe: (r) => (r.ok ? "refresh token blacklisted" : "refused"),
      });
      state.access = null;
      state.refresh = null;
    },
  },
  both: {
    revoke: () =>
      call("admin", "POST", "/playground/revoke/", {
        describe: (r, d) => (r.ok ? `revoked: ${d.sessions_ended} session(s), ${d.refresh_tokens_blacklisted} refresh token(s)` : "refused"),
      }),
  },
};

// One staff-only request per lane of the role table, with that lane's credential.
async function askForStaff(phase) {
  for (const row of document.querySelectorAll("#role-table tbody tr")) {
    const bearer = row.dataset.credential === "bearer" ? state.access : null;
    const { response, data } = await call("role", "GET", row.dataset.path, { bearer });
    const cell = row.querySelector(`[data-phase=${phase}]`);
    cell.dataset.answer = response.ok ? "honoured" : "refused";
    cell.textContent = response.ok ? "staff: honoured" : `refused (${(data && data.code) || response.status})`;
  }
}

function setStaff(change) {
  return call("admin", "POST", `/playground/role/${change}/`, {
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
    note.textContent = "Both refused, for different reasons: the session's key has gone from Redis (and the browser dropped its cookie at the same moment); the token's exp claim is in the past.";
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
  document.body.dataset.busy = busy ? "yes" : "no";
}

async function run(task) {
  setBusy(true);
  try {
    await task();
  } catch (error) {
    note.textContent = `Something went wrong: ${error}`;
  } finally {
    setBusy(false);
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.dataset.scenario) run(scenarios[button.dataset.scenario]);
  else if (button.dataset.action) run(() => actions[button.dataset.column][button.dataset.action]());
});

setInterval(() => {
  const show = (id, at) => {
    const seconds = at ? Math.max(0, Math.round((at - Date.now()) / 1000)) : null;
    document.getElementById(id).textContent = seconds === null ? "–" : `${seconds} s`;
  };
  show("session-countdown", state.sessionExpiresAt);
  show("jwt-countdown", accessExpiresAt());
}, 250);
document.body.dataset.busy = "no";

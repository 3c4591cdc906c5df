"use strict";
// The HTTP API of this service, with the token kept in sessionStorage (gone when the tab is
// closed). Every call goes to this origin; nothing else is fetched.
window.api = (function () {
  const KEY = "relief.token";

  // An answer other than 2xx: the API's {problem, problem_zh, field} and the status.
  class ApiError extends Error {
    constructor(status, body) {
      super(body.problem || "HTTP " + status);
      this.status = status;
      this.problem = body.problem || "HTTP " + status;
      this.problem_zh = body.problem_zh || body.problem || "HTTP " + status;
      this.field = body.field || null;
    }
  }

  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

  // Each ``onOffline`` listener is told (true|false) when the service cannot be reached and
  // when it is back (the connection line in app.js, a followed job's bar in jobs.js).
  const offlineListeners = [];
  let down = false;
  const onOffline = (now) => {
    if (now === down) { return; }
    down = now;
    offlineListeners.forEach((fn) => fn(now));
  };
  // ``onRefused(error)`` is told when the token stops being accepted (401) mid-session.
  let onRefused = () => {};

  // ``type``: send ``body`` as this text as it is (a user's file), else as JSON.
  async function call(method, path, body, type) {
    const headers = { Authorization: "Bearer " + (sessionStorage.getItem(KEY) || "") };
    if (body !== undefined) { headers["Content-Type"] = type || "application/json"; }
    let wait = 500;
    for (;;) {
      let r;
      try {
        r = await fetch(path, {
          method, headers,
          body: body === undefined || type ? body : JSON.stringify(body),
        });
      } catch (exc) {  // the connection, not the answer: retry and say so
        onOffline(true);
        await sleep(wait);
        wait = Math.min(wait * 2, 5000);
        continue;
      }
      onOffline(false);
      const text = await r.text();
      let data = null;
      try { data = text ? JSON.parse(text) : null; } catch (exc) { data = { problem: text }; }
      if (!r.ok) {
        const exc = new ApiError(r.status, data || {});
        if (r.status === 401 && path !== "/me") { onRefused(exc); }
        throw exc;
      }
      return data;
    }
  }

  return {
    ApiError,
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body),
    put: (path, body) => call("PUT", path, body),
    send: (method, path, text, type) => call(method, path, text, type),
    token: () => sessionStorage.getItem(KEY),
    setToken: (secret) => sessionStorage.setItem(KEY, secret),
    clearToken: () => sessionStorage.removeItem(KEY),
    onOffline: (fn) => { offlineListeners.push(fn); },
    onRefused: (fn) => { onRefused = fn; },
    sleep,
  };
})();

// The one way the pages' scripts talk to the server. Every request goes through `request`: a change
// (any method but GET/HEAD) carries this browser session's CSRF token (from the page's
// <meta name="csrf-token">; the server refuses a change without it), a `json` body is sent as JSON,
// and the answer is read as JSON (or as text or bytes). A request that gets no answer fails with one
// line (NO_ANSWER), and an answer that is not ok fails with the server's own line — its error shape is
// {"error": "..."} whatever the status — so every page shows a failure the same way: err.message.
export const Api = (function () {
  const NO_ANSWER = "The server did not answer — is rehearse still running?";
  const SAFE = ["GET", "HEAD", "OPTIONS"];

  class ApiError extends Error {
    constructor(message, status) { super(message); this.name = "ApiError"; this.status = status; }
  }

  function token() {
    return document.querySelector('meta[name="csrf-token"]')?.content || "";
  }

  // `options`: {method ("GET"), json (a body sent as JSON) or form (a FormData), read ("json",
  // "text" or "bytes": how to read an ok answer)}. Resolves to the answer read; throws an ApiError.
  async function request(url, { method = "GET", json, form, read = "json" } = {}) {
    const headers = new Headers({ Accept: read === "json" ? "application/json" : "*/*" });
    method = method.toUpperCase();
    if (!SAFE.includes(method)) headers.set("X-CSRF-Token", token());
    let body;
    if (json !== undefined) {
      headers.set("Content-Type", "application/json");
      body = JSON.stringify(json);
    } else if (form) {
      body = form;
    }
    let response;
    try {
      response = await fetch(url, { method, headers, body, credentials: "same-origin" });
    } catch (err) {
      throw new ApiError(NO_ANSWER, 0);
    }
    if (!response.ok) {
      const answer = await response.json().catch(() => null);
      const said = answer && typeof answer.error === "string" && answer.error.trim() ? answer.error
        : `The server could not do it (${response.status}${response.statusText ? " " + response.statusText : ""}); reload the page and try again.`;
      throw new ApiError(said, response.status);
    }
    try {
      if (read === "text") return await response.text();
      if (read === "bytes") return await response.arrayBuffer();
      return await response.json();
    } catch (err) {
      throw new ApiError(read === "json" ? "The server's answer could not be read; reload the page and try again." : NO_ANSWER, response.status);
    }
  }

  const get = (url, read) => request(url, { read });
  const post = (url, json) => request(url, { method: "POST", json });
  const postForm = (url, form, read) => request(url, { method: "POST", form, read });
  const patch = (url, json) => request(url, { method: "PATCH", json });
  const remove = (url) => request(url, { method: "DELETE" });

  return { NO_ANSWER, ApiError, request, get, post, postForm, patch, remove };
})();

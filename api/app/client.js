// client talks to the REST API with the session cookie, adding the CSRF token
// to unsafe requests and unwrapping the Pipedrive-style envelope.
export const session = { csrf: "", user: null };

export class APIError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.fields = (body && body.errors) || [];
  }
}

export async function api(method, path, body, { raw = false } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session.csrf) headers["X-CSRF-Token"] = session.csrf;
  const res = await fetch("/api/v1" + path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  if (!res.ok || !json || json.success === false) throw new APIError(res.status, json);
  return raw ? json : json.data;
}

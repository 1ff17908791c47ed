// The admin API as the console calls it: JSON over fetch, authenticated by the session
// cookie, every write marked with the CSRF header the API requires of cookie sessions.
// An error answer becomes an ApiError carrying the API's own message.

/** Where the console is (e.g. "/manage" or "/prod/manage"): this file's folder's parent. */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** Where the admin API is. */
export const API = `${ROOT}/v1`;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Sends `method path` (under the API) with `body` as JSON; the answer's JSON, or null. */
export async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-Requested-By"] = "console";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`${API}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (e) {
    throw new ApiError(0, "network", "The service did not answer: check that it is running, then try again.");
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (!response.ok) {
    const message = json && json.message ? json.message : `The service answered ${response.status}.`;
    throw new ApiError(response.status, json && json.error ? json.error : "error", message);
  }
  return { status: response.status, body: json };
}

export const get = (path) => call("GET", path).then((r) => r.body);

/** A query string of the parameters that have a value. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

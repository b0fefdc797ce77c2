// The one way pages talk to the server: the /v1 API with the signed-in key. The key lives in
// sessionStorage (gone when the tab closes, never in the URL, so shared links carry no secret).

const KEY = 'schemabus.key';

export const getKey = () => sessionStorage.getItem(KEY);
export const setKey = (key) => sessionStorage.setItem(KEY, key);
export const clearKey = () => sessionStorage.removeItem(KEY);

/** An API refusal, with the API's `code` and message (docs/ERRORS.md). */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Encodes one path segment (names may hold `@` and `:`). */
export const seg = encodeURIComponent;

/** `?a=1&b=2` from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Calls the API. `as`: 'json' (default), 'text' or 'blob'. Throws ApiError on any non-2xx,
 * with the body's code and message when it has them.
 */
export async function api(method, path, body, as = 'json') {
  const headers = {};
  const key = getKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', `The service did not answer (${e.message}).`);
  }
  if (!res.ok) {
    let code = `http_${res.status}`;
    let message = res.statusText || 'The request failed.';
    let details;
    try {
      const b = await res.json();
      if (b && b.code) ({ code, message, details } = b);
    } catch { /* not JSON: keep the status */ }
    throw new ApiError(res.status, code, message, details);
  }
  if (as === 'text') return res.text();
  if (as === 'blob') return res.blob();
  if (res.status === 204) return null;
  return res.json();
}

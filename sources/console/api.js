// @ts-check
// The console's only way to the sources service: its HTTP API under /api, with the admin token as a
// bearer. The token lives in this tab's sessionStorage (gone when the tab closes), never in a URL.

const TOKEN_KEY = 'cks.adminToken';

/** A failed call: the service's message and hint, and the HTTP status (0 when the service is unreachable). */
export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {string | null} hint */
  constructor(status, message, hint) {
    super(message);
    this.status = status;
    this.hint = hint;
  }
}

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  /** @param {string} token */
  signIn: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {string | null} [token]
 * @returns {Promise<any>}
 */
async function call(method, path, body, token = session.token()) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(
      0,
      'The sources service does not answer.',
      'Check that `npm run sources` is running, then reload.',
    );
  }
  const text = await res.text();
  const data = text ? safeJson(text) : null;
  if (res.status === 401 && token && token === session.token()) {
    // The stored token stopped working (rotated on the server): back to sign-in.
    session.signOut();
    dispatchEvent(new Event('cks:session'));
  }
  if (!res.ok) {
    const message = data?.error ?? data?.message ?? `The service answered ${res.status} ${res.statusText}.`;
    throw new ApiError(res.status, message, data?.hint ?? null);
  }
  return data;
}

/** @param {string} text */
function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 300) };
  }
}

const enc = encodeURIComponent;

/** @param {Record<string, string | number | undefined>} params */
function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const api = {
  /** Proves a token before keeping it. @param {string} token */
  checkToken: (token) => call('GET', '/sources', undefined, token),
  listSources: () => call('GET', '/sources'),
  /** @param {string} id */
  getSource: (id) => call('GET', `/sources/${enc(id)}`),
  /** @param {{ domain?: string, baseUrl?: string, email: string, token: string }} input */
  createSource: (input) => call('POST', '/sources', input),
  /** @param {string} id @param {Record<string, unknown>} change */
  updateSource: (id, change) => call('PATCH', `/sources/${enc(id)}`, change),
  /** @param {string} id */
  deleteSource: (id) => call('DELETE', `/sources/${enc(id)}`),
  /** @param {string} id */
  pause: (id) => call('POST', `/sources/${enc(id)}/pause`, {}),
  /** @param {string} id */
  resume: (id) => call('POST', `/sources/${enc(id)}/resume`, {}),
  /** @param {string} id @param {boolean} [full] fetch every body (a full run) */
  runNow: (id, full = false) => call('POST', `/sources/${enc(id)}/runs`, { full }),
  /** @param {string} id */
  listRuns: (id) => call('GET', `/sources/${enc(id)}/runs`),
  /** @param {string} id @param {string} runId */
  release: (id, runId) => call('POST', `/sources/${enc(id)}/runs/${enc(runId)}/release`, {}),
  /** @param {string} id */
  rollback: (id) => call('POST', `/sources/${enc(id)}/rollback`, {}),
  /** @param {string} id */
  listSpaces: (id) => call('GET', `/sources/${enc(id)}/spaces`),
  /** @param {string} id @param {{ q?: string, from?: number, size?: number }} params */
  listPages: (id, params) => call('GET', `/sources/${enc(id)}/pages${query(params)}`),
  /** @param {string} id @param {string} q @param {'customer' | 'agent'} audience */
  search: (id, q, audience) => call('GET', `/sources/${enc(id)}/search${query({ q, audience })}`),
};

// Who a request is, as each deployment decides it — including the unpleasant habits of real sites:
//   - Cloud: Basic email:token. A scoped API token sent to the site itself is refused with 401: it
//     works only through the gateway (Atlassian, "Manage API tokens for your Atlassian account";
//     atlassian-python-api#1546).
//   - Data Center: Bearer personal access token, or Basic username:password.
//   - Wrong or missing credentials: 401 — or, as `badCredentials` says, 403 (some Cloud sites), or
//     the anonymous user on a site that allows anonymous access (Data Center: CONFSERVER-98199, a wrong
//     PAT is served as anonymous; Cloud: community.atlassian.com "API Token authentication failing",
//     bogus credentials work on a public site).
import type { IncomingHttpHeaders } from 'node:http';
import type { SimState } from './state.ts';
import type { User } from './users.ts';

export type Deployment = 'cloud' | 'data-center';
export type BadCredentials = '401' | '403' | 'anonymous';

export interface AuthSettings {
  badCredentials: BadCredentials;
  /** Keys of the spaces anonymous visitors may read (when badCredentials is `anonymous`). */
  anonymousSpaces: string[];
}

export type Caller = { user: User } | { status: 401 | 403; message: string };

export function parseBasic(header: string | undefined): { email: string; token: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { email: decoded.slice(0, colon), token: decoded.slice(colon + 1) };
}

function credentialsOf(
  state: SimState,
  deployment: Deployment,
  header: string | undefined,
): User | undefined {
  const basic = parseBasic(header);
  if (deployment === 'cloud') return basic && state.users.authenticate(basic.email, basic.token);
  const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (bearer) return state.users.authenticateDataCenter({ bearer: bearer[1]! });
  return basic && state.users.authenticateDataCenter({ username: basic.email, password: basic.token });
}

export function authenticate(
  state: SimState,
  deployment: Deployment,
  headers: IncomingHttpHeaders,
  settings: AuthSettings,
  viaGateway: boolean,
): Caller {
  const user = credentialsOf(state, deployment, headers.authorization);
  if (user?.scopes && !viaGateway) {
    return {
      status: 401,
      message: 'Unauthorized: a scoped API token is accepted only through api.atlassian.com',
    };
  }
  if (user) return { user };
  if (settings.badCredentials === 'anonymous') return { user: state.anonymousUser(settings.anonymousSpaces) };
  if (settings.badCredentials === '403' && headers.authorization !== undefined) {
    return { status: 403, message: 'Current user not permitted to use Confluence' };
  }
  return {
    status: 401,
    message:
      deployment === 'cloud'
        ? 'Unauthorized: missing or invalid email and API token'
        : 'Unauthorized: missing or invalid personal access token',
  };
}

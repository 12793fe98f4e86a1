// Who the site says the token signed in as, and whether that is the account we were given. A site
// that allows anonymous access may serve a wrong token as the anonymous user (Data Center:
// CONFSERVER-98199; Cloud sites with anonymous access do the same), and a pull as anonymous would
// quietly sync only the public subset. So both `check` and `run` prove the identity first.
import { ExitCode, UserError } from '../lib/errors.ts';
import type { DeploymentKind } from './deployment.ts';

/** `GET …/rest/api/user/current`: Cloud answers accountId/email, Data Center username/userKey. */
export interface Account {
  type?: string;
  accountId?: string;
  email?: string;
  username?: string;
  displayName?: string;
}

export interface Expected {
  deployment: DeploymentKind;
  siteUrl: string;
  /** Cloud: the account email; Data Center: the username when given, else ''. */
  email: string;
}

/** `Jane Doe <jane@acme.com>`, `jdoe (Jane Doe)`: how a person recognises the account. */
export function describeAccount(a: Account): string {
  const id = a.email || a.username || a.accountId || 'unknown account';
  return a.displayName && a.displayName !== id ? `${a.displayName} <${id}>` : id;
}

/**
 * The account, when it is the expected one; else a UserError saying what to do. Cloud may hide the
 * email (profile visibility); then the accountId is reported and the email cannot be compared.
 */
export function verifyAccount(account: Account, expected: Expected): Account {
  const dataCenter = expected.deployment === 'data-center';
  const credential = dataCenter ? 'personal access token' : `API token of ${expected.email}`;
  if (account.type === 'anonymous' || (!account.accountId && !account.username && !account.email)) {
    throw new UserError(
      `${expected.siteUrl} treats the ${credential} as the anonymous user: the token is wrong, expired or revoked, and the site allows anonymous access`,
      {
        exitCode: ExitCode.auth,
        hint: dataCenter
          ? 'Create a new personal access token (your avatar → Settings → Personal Access Tokens) and set it in CONFLUENCE_API_TOKEN. A pull as anonymous would sync only what anonymous visitors can read, so nothing is pulled.'
          : `Create a new API token for ${expected.email} at https://id.atlassian.com/manage-profile/security/api-tokens. A pull as anonymous would sync only what anonymous visitors can read, so nothing is pulled.`,
      },
    );
  }
  const given = expected.email.toLowerCase();
  const actual = (dataCenter ? account.username : account.email)?.toLowerCase();
  if (given !== '' && actual !== undefined && actual !== '' && actual !== given) {
    throw new UserError(
      `${expected.siteUrl} signed the token in as ${describeAccount(account)}, not ${expected.email}`,
      {
        exitCode: ExitCode.auth,
        hint: dataCenter
          ? `Use a personal access token of ${expected.email}, or set CONFLUENCE_USERNAME to the account the token belongs to.`
          : `Use an API token of ${expected.email}, or set CONFLUENCE_EMAIL to the account the token belongs to.`,
      },
    );
  }
  return account;
}

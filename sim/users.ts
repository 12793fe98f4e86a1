// The simulated site's accounts and how a request's credentials name one (Cloud: email + API token;
// Data Center: a personal access token, or username + password).
import { NotFoundError } from './errors.ts';
import { hash32 } from './rng.ts';

/** full: sees everything; limited: not restricted pages nor hiddenSpaceKeys; none: no Confluence access (403). */
export type Access = 'full' | 'limited' | 'none';

export interface User {
  email: string;
  /** The API token (Cloud) or personal access token (Data Center). */
  token: string;
  accountId: string;
  access: Access;
  hiddenSpaceKeys: string[];
  /** Data Center username (default: the email's local part). */
  username?: string;
  /** Set for a scoped API token: the scopes it was created with. Undefined: a classic token. */
  scopes?: string[];
  /** The anonymous user a site with anonymous access serves unauthenticated requests as. */
  anonymous?: boolean;
}

export class SimUsers {
  private readonly byEmail = new Map<string, User>();

  constructor(users: User[]) {
    for (const u of users) this.byEmail.set(u.email, u);
  }

  get(email: string): User | undefined {
    return this.byEmail.get(email);
  }

  values(): IterableIterator<User> {
    return this.byEmail.values();
  }

  set(email: string, input: Partial<Omit<User, 'email'>>): User {
    const existing = this.byEmail.get(email);
    const user: User = {
      email,
      token: input.token ?? existing?.token ?? `${email.split('@')[0]}-token`,
      accountId: input.accountId ?? existing?.accountId ?? `712020:sim-${hash32(email).toString(16)}`,
      access: input.access ?? existing?.access ?? 'full',
      hiddenSpaceKeys: input.hiddenSpaceKeys ?? existing?.hiddenSpaceKeys ?? [],
    };
    const username = input.username ?? existing?.username;
    if (username !== undefined) user.username = username;
    const scopes = input.scopes ?? existing?.scopes;
    if (scopes !== undefined) user.scopes = scopes;
    this.byEmail.set(email, user);
    return user;
  }

  delete(email: string): void {
    if (!this.byEmail.delete(email)) throw new NotFoundError(`No user ${email}`);
  }

  /** Basic-auth lookup; undefined when the email is unknown or the token does not match. */
  authenticate(email: string, token: string): User | undefined {
    const user = this.byEmail.get(email);
    return user && user.token === token ? user : undefined;
  }

  /** Data Center: a personal access token (Bearer) alone names its user; Basic takes the username. */
  authenticateDataCenter(
    auth: { bearer: string } | { username: string; password: string },
  ): User | undefined {
    for (const user of this.byEmail.values()) {
      if (
        'bearer' in auth
          ? user.token === auth.bearer
          : usernameOf(user) === auth.username && user.token === auth.password
      ) {
        return user;
      }
    }
    return undefined;
  }
}

/** A Data Center username: the user's own, or its email's local part. */
export function usernameOf(user: User): string {
  return user.username ?? user.email.split('@')[0]!;
}

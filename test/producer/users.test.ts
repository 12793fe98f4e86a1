// The accounts a page names, read from its body's bytes: every `ri:account-id="…"` mention (with the
// spacing XML allows around `=`), each once, and the author; nothing from a malformed attribute.
import { describe, expect, it } from 'vitest';
import { accountsOf } from '../../producer/users.ts';

const page = (body: string, authorId: string | null = null) => ({ body: Buffer.from(body), authorId });

describe('accountsOf', () => {
  it('finds every mention once, and the author', () => {
    const body =
      '<p>Hi <ac:link><ri:user ri:account-id="557058:aa-1" /></ac:link>, ' +
      '<ri:user ri:account-id = \n"5b2:bb-é" /> and again <ri:user ri:account-id="557058:aa-1"/></p>';
    expect(accountsOf(page(body, 'author-1'))).toEqual(['557058:aa-1', '5b2:bb-é', 'author-1']);
  });

  it('skips attributes that are not mentions', () => {
    const body =
      '<ri:user ri:account-id="" /><ri:user ri:account-id=x /><ri:user ri:account-id /> ri:account-id';
    expect(accountsOf(page(body))).toEqual([]);
  });
});

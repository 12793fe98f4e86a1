// The ancestors a run's facts give each page, as places and search results arrive in any order: the
// walks are remembered, so a page moved mid-run (its parent replaced) must never keep its old chain.
import { describe, expect, it } from 'vitest';
import { collectFacts } from '../../producer/page-facts.ts';

const open = (id: string) => ({
  id,
  restrictions: { read: { restrictions: { user: { results: [] }, group: { results: [] } } } },
});
const ancestorIds = (facts: ReturnType<typeof collectFacts>, id: string) =>
  facts.of(id).ancestors.map((a) => a.id);

describe('collectFacts', () => {
  it('walks each page up to the top, root first, and follows a parent that moves', () => {
    const facts = collectFacts();
    for (const id of ['1', '2', '3', '4', '9']) facts.add(open(id));
    facts.place({ id: '1', parentId: null });
    facts.place({ id: '2', parentId: '1' });
    facts.place({ id: '3', parentId: '2' });
    facts.place({ id: '4', parentId: '3' });
    expect(ancestorIds(facts, '4')).toEqual(['1', '2', '3']);
    expect(ancestorIds(facts, '3')).toEqual(['1', '2']);
    expect(facts.of('4').ancestorRestricted).toBe(false);
    // Page 2 moves under 9 (a new top-level page): every page below it has new ancestors.
    facts.place({ id: '9', parentId: null });
    facts.place({ id: '2', parentId: '9' });
    expect(ancestorIds(facts, '4')).toEqual(['9', '2', '3']);
    expect(ancestorIds(facts, '3')).toEqual(['9', '2']);
    // Asked twice, the same answer (a remembered walk is not handed out to be reversed in place).
    expect(ancestorIds(facts, '4')).toEqual(['9', '2', '3']);
  });

  it('says what is missing until the chain is known, and a search result places ancestors too', () => {
    const facts = collectFacts();
    facts.add(open('4'));
    facts.place({ id: '4', parentId: '3' });
    expect(facts.missing(['4'])).toEqual({ facts: new Set(['3']), places: new Set(['3']), needy: ['4'] });
    expect(facts.of('4').ancestorRestricted).toBe(true); // an ancestor not known restricts
    facts.add({ ...open('3'), ancestors: [{ id: '1' }, { id: '2' }] });
    facts.add(open('1'));
    facts.add(open('2'));
    facts.place({ id: '1', parentId: null });
    expect(facts.missing(['4', '3'])).toEqual({ facts: new Set(), places: new Set(), needy: [] });
    expect(ancestorIds(facts, '4')).toEqual(['1', '2', '3']);
    expect(facts.of('4').ancestorRestricted).toBe(false);
  });

  it('treats a cycle (pages moved under each other mid-run) as not a tree: its ancestors are unknown', () => {
    const facts = collectFacts();
    for (const id of ['1', '2', '3']) facts.add(open(id));
    facts.place({ id: '1', parentId: null });
    facts.place({ id: '2', parentId: '1' });
    facts.place({ id: '3', parentId: '2' });
    expect(facts.of('3').ancestorRestricted).toBe(false);
    facts.place({ id: '1', parentId: '3' });
    expect(facts.of('3').ancestorRestricted).toBeNull(); // unknown: never public (schemas/visibility.ts)
    expect(facts.missing(['3']).places).toEqual(new Set(['3']));
  });
});

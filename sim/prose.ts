// The prose of simulated pages: sentences drawn from a vocabulary of a few thousand words with Zipf's
// frequencies, as in natural text, so that a body compresses about as much as a real page does. A pool
// of twenty sentences (what bodies were first built from) repeats inside gzip's 32 KB window and
// compresses ten-fold, which made a compressed first sync look far cheaper than a real one (sim/README.md,
// "Compression"). The pool is built once at load from a fixed seed; bodies pick from it, which keeps
// serving gigabytes cheap.
import { Rng } from './rng.ts';

const VOCABULARY_SIZE = 6_000;
const POOL_SIZE = 4_096;
const ONSETS = [
  'b',
  'c',
  'd',
  'f',
  'g',
  'h',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  't',
  'v',
  'w',
  'st',
  'tr',
  'pl',
  'gr',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ea', 'ou', 'io'];
const CODAS = ['', '', '', 'n', 'r', 's', 't', 'l', 'nd', 'ck'];

function vocabulary(rng: Rng): string[] {
  const words = new Set<string>();
  while (words.size < VOCABULARY_SIZE) {
    let word = '';
    for (let s = 0, n = 1 + rng.int(3) + (rng.chance(0.3) ? 1 : 0); s < n; s++)
      word += rng.pick(ONSETS) + rng.pick(VOWELS) + rng.pick(CODAS);
    words.add(word);
  }
  // Short words first: the most frequent words of a language are its shortest.
  return [...words].sort((a, b) => a.length - b.length);
}

/** A rank with Zipf's law (frequency ∝ 1/rank): log-uniform over 1..size. */
function zipfRank(rng: Rng, size: number): number {
  return Math.min(size - 1, Math.floor(Math.exp(rng.next() * Math.log(size))) - 1);
}

function sentence(rng: Rng, words: readonly string[]): string {
  let out = '';
  for (let i = 0, n = 6 + rng.int(13); i < n; i++) {
    const word = words[zipfRank(rng, words.length)]!;
    out += i === 0 ? word[0]!.toUpperCase() + word.slice(1) : (rng.chance(0.08) ? ', ' : ' ') + word;
  }
  return `${out}.`;
}

function buildPool(): string[] {
  const rng = new Rng(0x9e3779b9);
  const words = vocabulary(rng);
  // Flat strings: a sentence left as the rope its words were joined into is walked again at every use.
  return Array.from({ length: POOL_SIZE }, () =>
    Buffer.from(sentence(rng, words), 'latin1').toString('latin1'),
  );
}

/** Sentences of plain prose (ASCII, nothing to escape), built once. */
export const PROSE: readonly string[] = buildPool();

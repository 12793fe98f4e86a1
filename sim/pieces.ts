// Text assembled from pieces encoded once. A generated body is mostly fixed markup and prose from pools
// (content.ts, prose.ts): as pieces, each is UTF-8 and JSON-escaped at load (or at a template's first
// use), so writing a body into an answer (answer.ts) copies bytes instead of building a string and then
// encoding and escaping it character by character. The same parts join into the body's text.

/** A fixed piece of text with its JSON-escaped UTF-8 bytes (without quotes) and its UTF-8 length. */
export class Piece {
  readonly text: string;
  readonly json: Buffer;
  readonly bytes: number;

  constructor(text: string) {
    this.text = text;
    this.json = Buffer.from(JSON.stringify(text).slice(1, -1));
    this.bytes = Buffer.byteLength(text);
  }
}

/** Text to write: a piece, a string or number made at generation time, or a sequence of them. */
export type Part = Piece | string | number | readonly Part[];

const templates = new Map<TemplateStringsArray, Piece[]>();

/** A template literal whose fixed parts are pieces, made once per template: markup`<p>${x}</p>`. */
export function markup(strings: TemplateStringsArray, ...values: Part[]): Part[] {
  let pieces = templates.get(strings);
  if (pieces === undefined) templates.set(strings, (pieces = strings.map((s) => new Piece(s))));
  const out: Part[] = [pieces[0]!];
  for (let i = 0; i < values.length; i++) out.push(values[i]!, pieces[i + 1]!);
  return out;
}

/** The text of a part, as the template literals it replaces would have given it. */
export function partText(part: Part): string {
  if (typeof part === 'string') return part;
  if (typeof part === 'number') return String(part);
  if (part instanceof Piece) return part.text;
  let out = '';
  for (const p of part) out += partText(p);
  return out;
}

/** Text made part by part: hands each part to `emit`, which returns the part's length in UTF-16 units. */
export type MadeOfParts = (emit: (part: Part) => number) => void;

/** The text such a maker makes. */
export function textOf(make: MadeOfParts): string {
  const texts: string[] = [];
  make((part) => {
    const text = partText(part);
    texts.push(text);
    return text.length;
  });
  return texts.join('');
}

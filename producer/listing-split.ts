// A listing answer split as it streams in: each element of its `results` array as its own bytes (views
// of the received chunks, no copy), and the rest of the document (`_links` and the like) with `results`
// emptied. A 250-page listing with storage bodies is megabytes; parsed whole it would be one string of
// that size (twice that when any character is outside Latin-1) plus every page's objects at once, for
// each space being pulled, all living long enough to be promoted to V8's old generation. Split, each
// page is parsed only when it is encoded, and its strings die young.
// Pure: bytes in, byte ranges out.

/** The bytes of JSON's structure (producer/body-bytes.ts reads them too). */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const BRACE_OPEN = 0x7b;
export const BRACE_CLOSE = 0x7d;
export const BRACKET_OPEN = 0x5b;
export const BRACKET_CLOSE = 0x5d;

export interface ListingSplitter {
  /** Feeds the next chunk of the body; returns the `results` elements it completed, each as its bytes' parts. */
  push(chunk: Uint8Array): Uint8Array[][];
  /** Once the body is complete: the document without its elements (`results: []`). Throws if incomplete or not JSON. */
  end(): unknown;
}

export function createListingSplitter(arrayKey = 'results'): ListingSplitter {
  const decoder = new TextDecoder();
  let depth = 0;
  let inString = false;
  let escaped = false;
  // A top-level key being read (its bytes from earlier chunks), the last one read, and whether its colon came.
  let key: Uint8Array[] | undefined;
  let lastKey = '';
  let afterColon = false;
  // Inside the `results` array (its elements' top level is depth 2), and the element being collected.
  let inArray = false;
  let element: Uint8Array[] | undefined;
  let skeleton = '';

  return {
    push(chunk) {
      const out: Uint8Array[][] = [];
      const bytes = (from: number, to: number) => chunk.subarray(from, to);
      let skeletonFrom = inArray ? -1 : 0;
      let elementFrom = element !== undefined ? 0 : -1;
      let keyFrom = key ? 0 : -1;
      const endElement = (to: number) => {
        element!.push(bytes(elementFrom, to));
        out.push(element!);
        element = undefined;
        elementFrom = -1;
      };
      // Most of a listing is string content, and its escapes are mostly `\"` (storage markup's
      // attributes): find each quote with indexOf and look back for the backslashes that escape it,
      // one search per quote instead of one per quote and per backslash.
      const enteredEscaped = escaped;
      /** Whether the byte at `at` is escaped (an odd run of active backslashes before it). */
      const escapedAt = (at: number) => {
        let k = at - 1;
        while (k >= 0 && chunk[k] === BACKSLASH) k--;
        // A run back to the chunk's start continues a string of an earlier chunk, whose state says more.
        return (at - 1 - k + (k < 0 && enteredEscaped ? 1 : 0)) % 2 === 1;
      };
      for (let i = 0; i < chunk.length; i++) {
        if (inString) {
          let q = chunk.indexOf(QUOTE, i);
          while (q >= 0 && escapedAt(q)) q = chunk.indexOf(QUOTE, q + 1);
          if (q < 0) {
            escaped = escapedAt(chunk.length);
            break;
          }
          i = q;
          escaped = false;
          inString = false;
          if (key) {
            key.push(bytes(keyFrom, i));
            lastKey = Buffer.concat(key).toString('utf8');
            key = undefined;
            keyFrom = -1;
          }
          continue;
        }
        const c = chunk[i]!;
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
        if (inArray && depth === 2 && element === undefined && c !== COMMA && c !== BRACKET_CLOSE) {
          element = [];
          elementFrom = i;
        }
        switch (c) {
          case QUOTE:
            inString = true;
            if (depth === 1 && !afterColon) {
              key = [];
              keyFrom = i + 1;
            }
            break;
          case COLON:
            if (depth === 1) afterColon = true;
            break;
          case COMMA:
            if (depth === 1) afterColon = false;
            else if (inArray && depth === 2 && element !== undefined) endElement(i);
            break;
          case BRACE_OPEN:
          case BRACKET_OPEN:
            depth++;
            if (depth === 2 && c === BRACKET_OPEN && afterColon && lastKey === arrayKey) {
              inArray = true;
              skeleton += decoder.decode(bytes(skeletonFrom, i + 1), { stream: true });
              skeletonFrom = -1;
            }
            break;
          case BRACE_CLOSE:
          case BRACKET_CLOSE:
            depth--;
            if (inArray && depth === 2 && element !== undefined) endElement(i + 1); // an object or array element closed
            if (inArray && depth === 1) {
              if (element !== undefined) endElement(i); // a last element that is a number, string or literal
              inArray = false;
              skeletonFrom = i;
            }
            if (depth === 1) afterColon = false;
            break;
        }
      }
      if (element !== undefined && elementFrom >= 0) element.push(bytes(elementFrom, chunk.length));
      if (key) key.push(bytes(keyFrom, chunk.length));
      if (skeletonFrom >= 0) skeleton += decoder.decode(bytes(skeletonFrom, chunk.length), { stream: true });
      return out;
    },
    end() {
      skeleton += decoder.decode();
      if (depth !== 0 || inString || inArray) throw new SyntaxError('the JSON document is incomplete');
      return JSON.parse(skeleton) as unknown;
    },
  };
}

/** An element's JSON text, decoded from its parts without joining them first. */
export function elementText(parts: Uint8Array[]): string {
  if (parts.length === 1) return new TextDecoder().decode(parts[0]);
  const decoder = new TextDecoder();
  let text = '';
  for (const part of parts) text += decoder.decode(part, { stream: true });
  return text + decoder.decode();
}

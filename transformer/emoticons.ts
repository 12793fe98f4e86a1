// Confluence's classic emoticon names and their emoji, for <ac:emoticon> without a usable fallback.
const BY_NAME: Record<string, string> = {
  smile: '🙂',
  sad: '🙁',
  cheeky: '😛',
  laugh: '😀',
  wink: '😉',
  'thumbs-up': '👍',
  'thumbs-down': '👎',
  information: 'ℹ️',
  tick: '✅',
  cross: '❌',
  warning: '⚠️',
  plus: '➕',
  minus: '➖',
  question: '❓',
  'light-on': '💡',
  'light-off': '💡',
  'yellow-star': '⭐',
  'red-star': '⭐',
  'green-star': '⭐',
  'blue-star': '⭐',
  heart: '❤️',
  'broken-heart': '💔',
};

const HEX_SEQUENCE = /^[0-9a-f]{2,6}(-[0-9a-f]{2,6})*$/i;

/**
 * The emoji for an emoticon's attributes: the fallback when it is an emoji (it may also be a
 * shortname like ":tada:"), else the code points spelled by the emoji id ("1f389"), else the classic name.
 */
export function emojiFor(attrs: Record<string, string>): string {
  const fallback = attrs['ac:emoji-fallback'] ?? '';
  if (/[^\x20-\x7e]/.test(fallback) && fallback.length <= 16) return fallback;
  const id = attrs['ac:emoji-id'] ?? '';
  if (HEX_SEQUENCE.test(id)) {
    const points = id.split('-').map((h) => parseInt(h, 16));
    if (points.every((p) => p <= 0x10ffff && (p < 0xd800 || p > 0xdfff)))
      return String.fromCodePoint(...points);
  }
  const name = attrs['ac:name'] ?? '';
  return Object.hasOwn(BY_NAME, name) ? (BY_NAME[name] as string) : (attrs['ac:emoji-shortname'] ?? '');
}

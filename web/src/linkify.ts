/**
 * Finds web addresses in chat text so the UI can render them as links. Only `http:` and
 * `https:` addresses written with their scheme become links; everything else stays text.
 * The result is data (text and link segments), never HTML: the UI renders segments as
 * text nodes and `<a>` elements, so no message can inject markup.
 */

export type Segment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

/** A scheme, then anything up to whitespace or a character that cannot be in a URL. */
const CANDIDATE = /\bhttps?:\/\/[^\s<>"'`\u0000-\u001f\u007f]+/giu;
/** Punctuation that ends a sentence rather than the address. */
const TRAILING = /[.,;:!?'"\u2019\u201d]+$/u;

/** The address without trailing punctuation, and a closing bracket only if it was opened. */
function trimEnd(candidate: string): string {
  let url = candidate.replace(TRAILING, '');
  for (const [open, close] of [
    ['(', ')'],
    ['[', ']'],
    ['{', '}'],
  ] as const) {
    while (url.endsWith(close) && url.split(close).length > url.split(open).length) {
      url = url.slice(0, -1).replace(TRAILING, '');
    }
  }
  return url;
}

/** The `href` for an address, or null unless it parses as an http(s) URL with a host. */
export function safeHref(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return null;
  return url.href;
}

export function linkify(text: string): Segment[] {
  const segments: Segment[] = [];
  let last = 0;
  const push = (segment: Segment) => {
    const previous = segments.at(-1);
    if (segment.kind === 'text' && previous?.kind === 'text') previous.text += segment.text;
    else if (segment.text !== '') segments.push(segment);
  };
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index ?? 0;
    const url = trimEnd(match[0]);
    const href = safeHref(url);
    if (!href) continue;
    push({ kind: 'text', text: text.slice(last, start) });
    push({ kind: 'link', text: url, href });
    last = start + url.length;
  }
  push({ kind: 'text', text: text.slice(last) });
  return segments;
}

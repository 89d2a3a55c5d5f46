import { describe, expect, it } from 'vitest';
import { linkify, safeHref, type Segment } from '../../src/linkify';

const text = (t: string): Segment => ({ kind: 'text', text: t });
const link = (t: string, href = t): Segment => ({ kind: 'link', text: t, href });

describe('linkify', () => {
  it.each<[string, Segment[]]>([
    ['no links here', [text('no links here')]],
    ['see https://example.org', [text('see '), link('https://example.org', 'https://example.org/')]],
    ['http://a.example/x?y=1&z=2#f and more', [link('http://a.example/x?y=1&z=2#f'), text(' and more')]],
    ['Agenda: https://example.org/agenda.', [text('Agenda: '), link('https://example.org/agenda'), text('.')]],
    ['(see https://example.org/a)', [text('(see '), link('https://example.org/a'), text(')')]],
    ['https://en.wikipedia.org/wiki/Plenum_(band)', [link('https://en.wikipedia.org/wiki/Plenum_(band)')]],
    ['HTTPS://EXAMPLE.ORG/Path', [link('HTTPS://EXAMPLE.ORG/Path', 'https://example.org/Path')]],
    ['two: https://a.example/ https://b.example/', [text('two: '), link('https://a.example/'), text(' '), link('https://b.example/')]],
    ['', []],
  ])('%j', (input, expected) => {
    expect(linkify(input)).toEqual(expected);
  });

  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)//https://example.org',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://example.org/file',
    'www.example.org',
    'mailto:someone@example.org',
    'https://',
    'https://[::1',
  ])('%j is no link', (input) => {
    const segments = linkify(input);
    const hrefs = segments.flatMap((s) => (s.kind === 'link' ? [s.href] : []));
    for (const href of hrefs) expect(href).toMatch(/^https?:\/\/[^/]/);
    if (!input.includes('https://example.org')) expect(hrefs).toEqual([]);
    // Whatever is not a link is kept as it was.
    expect(segments.map((s) => s.text).join('')).toBe(input);
  });

  it('markup around or inside an address never leaves the text', () => {
    const hostile = [
      '<a href="javascript:alert(1)">https://example.org</a>',
      'https://example.org/"onmouseover="alert(1)',
      "https://example.org/'><img src=x onerror=alert(1)>",
      'https://example.org/<script>alert(1)</script>',
      'https://exa\u0000mple.org',
    ];
    for (const input of hostile) {
      const segments = linkify(input);
      expect(segments.map((s) => s.text).join('')).toBe(input);
      for (const s of segments) {
        if (s.kind !== 'link') continue;
        expect(s.href).toMatch(/^https?:\/\//);
        expect(s.href).not.toMatch(/[<>"'\s]/);
        expect(s.text).not.toMatch(/[<>"'\s]/);
      }
    }
  });
});

describe('safeHref', () => {
  it('normalises http(s) and refuses the rest', () => {
    expect(safeHref('https://example.org')).toBe('https://example.org/');
    expect(safeHref('https://user:pw@example.org/x')).toBe('https://user:pw@example.org/x');
    expect(safeHref('javascript:alert(1)')).toBeNull();
    expect(safeHref('not a url')).toBeNull();
  });
});

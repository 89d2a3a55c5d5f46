import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseLang, de, en, format, placeholders, translator } from '../../src/i18n';

describe('dictionaries', () => {
  it('German and English have exactly the same keys', () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
  });

  it('every translation uses the same placeholders as the English text', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(de[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('no text is empty', () => {
    for (const dict of [de, en]) {
      for (const [key, value] of Object.entries(dict)) expect(value.trim(), key).not.toBe('');
    }
  });

  it('every text is used by the client (role names are looked up by role)', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (!path.endsWith('i18n.ts')) files.push(readFileSync(path, 'utf8'));
      }
    };
    walk(join(__dirname, '../../src'));
    const source = files.join('\n');
    const unused = Object.keys(en).filter((key) => !key.startsWith('role.') && !source.includes(`'${key}'`));
    expect(unused).toEqual([]);
  });

  it('the join page names match the contract wording', () => {
    expect(translator('en')('join.displayName')).toBe('Display name');
    expect(translator('de')('join.displayName')).toBe('Anzeigename');
    expect(translator('en')('join.submit')).toBe('Join');
    expect(translator('de')('join.submit')).toBe('Beitreten');
  });
});

describe('chooseLang', () => {
  const cases: Array<[string, string, string | null, string[], string, string | null]> = [
    ['query wins and is remembered', '?lang=de', 'en', ['en-US'], 'de', 'de'],
    ['query is case-insensitive', '?lang=EN', null, ['de-DE'], 'en', 'en'],
    ['unknown query value is ignored', '?lang=fr', null, ['de-AT'], 'de', null],
    ['remembered choice beats the browser', '', 'de', ['en-GB'], 'de', null],
    ['browser language with region', '', null, ['de-CH', 'en'], 'de', null],
    ['first supported browser language', '', null, ['fr-FR', 'en-US', 'de'], 'en', null],
    ['fallback is English', '', null, ['fr', 'es'], 'en', null],
    ['garbage in storage is ignored', '', 'xx', ['de'], 'de', null],
  ];
  for (const [name, search, remembered, browser, lang, remember] of cases) {
    it(name, () => {
      expect(chooseLang(search, remembered, browser)).toEqual({ lang, remember });
    });
  }
});

describe('format', () => {
  it.each([
    ['Hello {name}', { name: 'Ada' }, 'Hello Ada'],
    ['{a} and {b}', { a: 1, b: 'x' }, '1 and x'],
    ['missing {x} stays', {}, 'missing {x} stays'],
    ['no params', undefined, 'no params'],
  ])('%s', (template, params, expected) => {
    expect(format(template, params)).toBe(expected);
  });
});

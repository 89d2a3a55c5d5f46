import { describe, expect, it } from 'vitest';
import { brandingFrom, DEFAULT_BRANDING } from '../../src/branding';
import type { ClientConfig } from '../../src/protocol';

const base: ClientConfig = { product_name: 'Plenum', version: '0.1.0' };

describe('brandingFrom', () => {
  it('takes a complete brand', () => {
    expect(
      brandingFrom({
        ...base,
        product_name: ' Stadtkonferenz ',
        logo_url: '/branding/logo',
        login_text: { de: 'Hallo', en: 'Hello' },
      }),
    ).toEqual({ productName: 'Stadtkonferenz', logoUrl: '/branding/logo', loginText: { de: 'Hallo', en: 'Hello' } });
  });

  it('falls back field by field on anything unexpected', () => {
    expect(brandingFrom(null)).toBe(DEFAULT_BRANDING);
    expect(brandingFrom(undefined)).toBe(DEFAULT_BRANDING);
    const odd = brandingFrom({
      product_name: 42,
      logo_url: 'https://evil.example/logo.svg',
      login_text: { de: 'nur Deutsch' },
    } as unknown as ClientConfig);
    expect(odd).toEqual(DEFAULT_BRANDING);
  });

  it.each([
    ['/branding/logo', true],
    ['//evil.example/branding/logo', false],
    ['/branding/../api/v1/me', false],
    ['javascript:alert(1)', false],
    ['data:image/svg+xml,<svg/>', false],
    ['/branding/logo?x=1', false],
  ])('logo url %s is accepted: %s', (url, ok) => {
    expect(brandingFrom({ ...base, logo_url: url }).logoUrl).toBe(ok ? url : null);
  });

  it('bounds the texts', () => {
    expect(brandingFrom({ ...base, product_name: 'x'.repeat(65) }).productName).toBeNull();
    expect(brandingFrom({ ...base, product_name: '   ' }).productName).toBeNull();
    expect(brandingFrom({ ...base, login_text: { de: 'a'.repeat(1001), en: 'b' } }).loginText).toBeNull();
  });
});

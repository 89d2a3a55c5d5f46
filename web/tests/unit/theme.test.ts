import { describe, expect, it } from 'vitest';
import { parseTheme, resolveTheme, THEME_CHOICES } from '../../src/theme';

describe('theme', () => {
  it('accepts only the three known choices and defaults to the system', () => {
    expect(parseTheme('dark')).toBe('dark');
    expect(parseTheme('light')).toBe('light');
    expect(parseTheme('system')).toBe('system');
    expect(parseTheme('purple')).toBe('system');
    expect(parseTheme(null)).toBe('system');
    expect(THEME_CHOICES).toEqual(['system', 'light', 'dark']);
  });

  it('an explicit choice wins over the system preference', () => {
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
  });

  it('system follows the preference', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
  });
});

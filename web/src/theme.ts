/**
 * Light, dark or the system's choice. The choice is remembered in localStorage; the
 * resolved theme is put on <html data-theme>, which selects the CSS variables, so no
 * style is ever written inline (the server's CSP allows only its own style sheets).
 */

export type ThemeChoice = 'light' | 'dark' | 'system';
export type Theme = 'light' | 'dark';

export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];
const STORAGE_KEY = 'plenum.theme';

/** A stored value, or `system` for anything else (storage is user-editable). */
export function parseTheme(raw: string | null | undefined): ThemeChoice {
  return raw === 'light' || raw === 'dark' || raw === 'system' ? raw : 'system';
}

export function resolveTheme(choice: ThemeChoice, systemPrefersDark: boolean): Theme {
  if (choice === 'system') return systemPrefersDark ? 'dark' : 'light';
  return choice;
}

let current: ThemeChoice = 'system';
let stopFollowing: (() => void) | null = null;

function apply(choice: ThemeChoice): void {
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  document.documentElement.dataset.theme = resolveTheme(choice, query.matches);
  stopFollowing?.();
  stopFollowing = null;
  if (choice === 'system') {
    // Follow the system when it switches (e.g. at dusk) while the page is open.
    const onChange = () => {
      document.documentElement.dataset.theme = resolveTheme('system', query.matches);
    };
    query.addEventListener('change', onChange);
    stopFollowing = () => query.removeEventListener('change', onChange);
  }
}

/** Applies the remembered choice; called once before the first render, so nothing flashes. */
export function initTheme(): ThemeChoice {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled; the system's choice applies.
  }
  current = parseTheme(stored);
  apply(current);
  return current;
}

export function setTheme(choice: ThemeChoice): void {
  current = choice;
  apply(choice);
  try {
    localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // Not remembering is acceptable.
  }
}

export function getTheme(): ThemeChoice {
  return current;
}

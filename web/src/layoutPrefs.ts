/**
 * The meeting layout the user chose, remembered in localStorage: grid or speaker view,
 * and an optional cap on the tiles per grid page (`plenum.pageSize`, 1–25; also how the
 * end-to-end tests force small pages).
 */

import { parsePageSizeSetting, type ViewMode } from './layout';

const VIEW_KEY = 'plenum.view';
const PAGE_SIZE_KEY = 'plenum.pageSize';

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/**
 * The remembered view; without one, phones (a narrow window) start in speaker view, where
 * the person talking fills the small screen, and everything else in the grid.
 */
export function loadViewMode(): ViewMode {
  const stored = read(VIEW_KEY);
  if (stored === 'speaker' || stored === 'grid') return stored;
  return window.matchMedia('(max-width: 600px)').matches ? 'speaker' : 'grid';
}

export function saveViewMode(mode: ViewMode): void {
  try {
    localStorage.setItem(VIEW_KEY, mode);
  } catch {
    // Not remembering the view is acceptable.
  }
}

export function loadPageSizeLimit(): number | null {
  return parsePageSizeSetting(read(PAGE_SIZE_KEY));
}

/**
 * Keyboard shortcuts of the meeting: M microphone, V camera, H hand, ? this list. Single
 * keys without modifiers, and never while the user types (chat field, any input, select
 * or editable text), so typing "hmm" in the chat mutes nobody.
 */

export type ShortcutAction = 'mic' | 'camera' | 'hand' | 'help';

export const SHORTCUTS: ReadonlyArray<{ key: string; action: ShortcutAction }> = [
  { key: 'M', action: 'mic' },
  { key: 'V', action: 'camera' },
  { key: 'H', action: 'hand' },
  { key: '?', action: 'help' },
];

/** The parts of a KeyboardEvent the decision needs (a plain object in unit tests). */
export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  repeat: boolean;
  /** Whether focus is in something that takes text (see {@link takesText}). */
  typing: boolean;
}

export function shortcutFor(e: KeyInput): ShortcutAction | null {
  if (e.typing || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return null;
  if (e.key === '?') return 'help';
  switch (e.key.toLowerCase()) {
    case 'm':
      return 'mic';
    case 'v':
      return 'camera';
    case 'h':
      return 'hand';
    default:
      return null;
  }
}

/** Whether an element takes typed text: inputs (except buttons and boxes), textareas, selects, editable content. */
export function takesText(el: { tagName?: string; type?: string; isContentEditable?: boolean } | null): boolean {
  if (!el?.tagName) return false;
  const tag = el.tagName.toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable) return true;
  if (tag !== 'INPUT') return false;
  return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image'].includes((el.type ?? 'text').toLowerCase());
}

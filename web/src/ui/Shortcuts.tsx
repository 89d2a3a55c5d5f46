/**
 * Keyboard shortcuts in the meeting (see shortcuts.ts) and the dialog that documents them,
 * opened with `?` or the keyboard button in the control bar.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { Dialog, modalOpen } from './Dialog';
import { t, type MessageKey } from '../i18n';
import { SHORTCUTS, shortcutFor, takesText, type ShortcutAction } from '../shortcuts';

const KeyboardIcon = () => (
  <svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
    <rect x="2" y="6" width="20" height="12" rx="2" />
    <path d="M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10" />
  </svg>
);

const DESCRIPTION: Record<ShortcutAction, MessageKey> = {
  mic: 'shortcuts.mic',
  camera: 'shortcuts.camera',
  hand: 'shortcuts.hand',
  help: 'shortcuts.help',
};

export function Shortcuts({ onAction }: { onAction: (action: Exclude<ShortcutAction, 'help'>) => void }) {
  const [open, setOpen] = useState(false);
  const act = useRef(onAction);
  act.current = onAction;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target instanceof HTMLElement ? e.target : null;
      const action = shortcutFor({
        key: e.key,
        ctrlKey: e.ctrlKey,
        metaKey: e.metaKey,
        altKey: e.altKey,
        repeat: e.repeat,
        // A modal dialog has the keyboard to itself.
        typing: takesText(target) || modalOpen(),
      });
      if (!action) return;
      e.preventDefault();
      if (action === 'help') setOpen(true);
      else act.current(action);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  return (
    <>
      <button
        type="button"
        class="ctl"
        aria-label={t('shortcuts.open')}
        title={`${t('shortcuts.open')} (?)`}
        aria-haspopup="dialog"
        aria-keyshortcuts="?"
        onClick={() => setOpen(true)}
      >
        <KeyboardIcon />
      </button>
      <Dialog id="shortcuts" open={open} title={t('shortcuts.title')} closeLabel={t('shortcuts.close')} onClose={() => setOpen(false)}>
        <dl class="shortcut-list">
          {SHORTCUTS.map((s) => (
            <div key={s.key} class="shortcut-row">
              <dt>
                <kbd>{s.key}</kbd>
              </dt>
              <dd>{t(DESCRIPTION[s.action])}</dd>
            </div>
          ))}
        </dl>
        <p class="small">{t('shortcuts.note')}</p>
      </Dialog>
    </>
  );
}

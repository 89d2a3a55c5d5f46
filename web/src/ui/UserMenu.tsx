/**
 * The user menu in the header: language, theme (light / dark / system) and signing out.
 * A disclosure (button + panel), not an ARIA menu: it holds form controls, which a
 * role="menu" may not contain, and Tab moves through it as through any form.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import type { AuthSession } from '../api';
import { t, type Lang, type MessageKey } from '../i18n';
import { navigate } from '../router';
import { getTheme, setTheme, THEME_CHOICES, type ThemeChoice } from '../theme';
import { LanguageSelect } from './App';

const themeText: Record<ThemeChoice, MessageKey> = {
  system: 'theme.system',
  light: 'theme.light',
  dark: 'theme.dark',
};

export function UserMenu({ auth, lang, onLang }: { auth: AuthSession; lang: Lang; onLang: (lang: Lang) => void }) {
  const [open, setOpen] = useState(false);
  const [theme, setThemeState] = useState<ThemeChoice>(getTheme());
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    const onPointer = (e: PointerEvent) => {
      if (!rootRef.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', onPointer);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', onPointer);
    };
  }, [open]);

  const name = auth.signedIn && auth.user ? auth.user.display_name : t('menu.settings');
  return (
    <div class="user-menu" ref={rootRef}>
      <button
        ref={buttonRef}
        type="button"
        class="btn btn-ghost"
        aria-expanded={open}
        aria-controls="user-menu-panel"
        onClick={() => setOpen(!open)}
      >
        <span class="visually-hidden">{t('menu.label')}: </span>
        {name}
      </button>
      <div id="user-menu-panel" class="user-menu-panel card" hidden={!open}>
        <div class="field">
          {/* Visible caption only; the select carries the same words as its own name. */}
          <span aria-hidden="true">{t('app.language')}</span>
          <LanguageSelect lang={lang} onChange={onLang} />
        </div>
        <fieldset class="theme-choice">
          <legend>{t('theme.label')}</legend>
          {THEME_CHOICES.map((choice) => (
            <label key={choice} class="check">
              <input
                type="radio"
                name="theme"
                value={choice}
                checked={theme === choice}
                onChange={() => {
                  setTheme(choice);
                  setThemeState(choice);
                }}
              />
              <span>{t(themeText[choice])}</span>
            </label>
          ))}
        </fieldset>
        {auth.signedIn && (
          <button type="button" class="btn" onClick={() => void auth.logout().then(() => navigate('/'))}>
            {t('logout')}
          </button>
        )}
      </div>
    </div>
  );
}

/**
 * The operator's branding from `GET /api/v1/config` (server `[branding]` config): product
 * name, logo and sign-in text. Colours come separately as the stylesheet `/branding.css`,
 * linked in index.html, so no script has to touch styles.
 *
 * Loaded once at start; until it arrives (or if it fails) the default name shows.
 */

import { useEffect, useState } from 'preact/hooks';
import type { ClientConfig, LocalizedText } from './protocol';

export interface Branding {
  /** `null`: the default name (the dictionaries' `app.name`). */
  productName: string | null;
  /** A same-origin path of the logo, or null. */
  logoUrl: string | null;
  loginText: LocalizedText | null;
}

export const DEFAULT_BRANDING: Branding = { productName: null, logoUrl: null, loginText: null };

const MAX_NAME_CHARS = 64;
const MAX_LOGIN_TEXT_CHARS = 1000;

function text(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed.length > 0 && [...trimmed].length <= max ? trimmed : null;
}

/**
 * The branding a config answer describes, checked field by field: anything unexpected
 * falls back to the default, and a logo is only taken from our own `/branding/` path, so
 * even a tampered answer cannot make the page load from another origin.
 */
export function brandingFrom(config: Partial<ClientConfig> | null | undefined): Branding {
  if (!config || typeof config !== 'object') return DEFAULT_BRANDING;
  const logo = config.logo_url;
  const loginText = config.login_text;
  const de = text(loginText?.de, MAX_LOGIN_TEXT_CHARS);
  const en = text(loginText?.en, MAX_LOGIN_TEXT_CHARS);
  return {
    productName: text(config.product_name, MAX_NAME_CHARS),
    logoUrl: typeof logo === 'string' && /^\/branding\/[a-z]+$/.test(logo) ? logo : null,
    loginText: de && en ? { de, en } : null,
  };
}

let current: Branding = DEFAULT_BRANDING;
let loading: Promise<void> | null = null;
const listeners = new Set<() => void>();

export function getBranding(): Branding {
  return current;
}

/** Fetches the config once; later calls share the first. */
export function loadBranding(fetchConfig: () => Promise<ClientConfig>): Promise<void> {
  loading ??= fetchConfig()
    .then((config) => {
      current = brandingFrom(config);
      if (current.productName) document.title = current.productName;
      for (const listener of listeners) listener();
    })
    .catch(() => {
      // Without the config the default brand shows; nothing else depends on it.
    });
  return loading;
}

/** The branding, re-rendering when it arrives. */
export function useBranding(): Branding {
  const [branding, setBranding] = useState(current);
  useEffect(() => {
    const update = () => setBranding(current);
    listeners.add(update);
    update();
    return () => {
      listeners.delete(update);
    };
  }, []);
  return branding;
}

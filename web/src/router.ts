/**
 * Routes of the single-page app (history API; the server answers every unknown path with
 * index.html) and a tiny navigation helper.
 */

export type Route =
  | { name: 'home' }
  | { name: 'meeting'; meetingId: string }
  | { name: 'join'; code: string }
  | { name: 'not_found' };

/** Parses a pathname. Ids and codes are taken verbatim (the server validates them). */
export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter((p) => p.length > 0);
  if (parts.length === 0) return { name: 'home' };
  if (parts.length === 2 && parts[0] === 'm' && parts[1]) return { name: 'meeting', meetingId: decodeURIComponent(parts[1]) };
  if (parts.length === 2 && parts[0] === 'j' && parts[1]) return { name: 'join', code: decodeURIComponent(parts[1]) };
  return { name: 'not_found' };
}

const listeners = new Set<() => void>();

export function onNavigate(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

export function navigate(path: string): void {
  if (path === location.pathname) return;
  history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

/**
 * The application shell: language, session restore, routing, and the header.
 */

import { useEffect, useState } from 'preact/hooks';
import { api, AuthSession } from '../api';
import { loadBranding, useBranding } from '../branding';
import { getLang, setLang, t, type Lang } from '../i18n';
import { navigate, onNavigate, parseRoute } from '../router';
import { Home } from './Home';
import { JoinPage } from './Join';
import { Login } from './Login';
import { OwnerMeetingPage } from './MeetingPage';
import { UserMenu } from './UserMenu';

export const auth = new AuthSession();

export function App() {
  const [path, setPath] = useState(location.pathname);
  const [lang, setLangState] = useState<Lang>(getLang());
  const [restoring, setRestoring] = useState(true);
  const [, setAuthVersion] = useState(0);
  const branding = useBranding();

  useEffect(() => onNavigate(() => setPath(location.pathname)), []);
  useEffect(() => auth.onChange(() => setAuthVersion((v) => v + 1)), []);
  useEffect(() => {
    void auth.restore().finally(() => setRestoring(false));
    void loadBranding(api.config);
  }, []);

  const route = parseRoute(path);
  // Inside a meeting the header would waste height the videos need.
  const inMeetingRoute = route.name === 'meeting' || route.name === 'join';

  let body;
  if (restoring) {
    body = <p class="center muted">{t('app.loading')}</p>;
  } else if (route.name === 'join') {
    body = <JoinPage code={route.code} auth={auth} />;
  } else if (!auth.signedIn) {
    body = <Login auth={auth} />;
  } else if (route.name === 'meeting') {
    body = <OwnerMeetingPage meetingId={route.meetingId} auth={auth} />;
  } else if (route.name === 'home') {
    body = <Home auth={auth} />;
  } else {
    body = (
      <div class="card center-card">
        <p>{t('meeting.notFound')}</p>
        <a href="/" onClick={link('/')}>
          {t('meeting.home')}
        </a>
      </div>
    );
  }

  return (
    <div class={`app ${inMeetingRoute ? 'app-meeting' : ''}`}>
      <a class="skip-link" href="#content">
        {t('app.skip')}
      </a>
      {!inMeetingRoute && (
        <header class="topbar">
          <a class="brand" href="/" onClick={link('/')}>
            {branding.logoUrl && <img class="brand-logo" src={branding.logoUrl} alt="" />}
            <span class="brand-name">{branding.productName ?? t('app.name')}</span>
          </a>
          <div class="topbar-right">
            <UserMenu auth={auth} lang={lang} onLang={setLangState} />
          </div>
        </header>
      )}
      <main id="content" class="content">
        {body}
      </main>
    </div>
  );
}

export function LanguageSelect({ lang, onChange }: { lang: Lang; onChange: (lang: Lang) => void }) {
  return (
    <select
      class="lang-select"
      aria-label={t('app.language')}
      value={lang}
      onChange={(e) => {
        const value = (e.currentTarget as HTMLSelectElement).value === 'de' ? 'de' : 'en';
        setLang(value);
        onChange(value);
      }}
    >
      <option value="de">Deutsch</option>
      <option value="en">English</option>
    </select>
  );
}

/** An in-app link handler: plain clicks navigate without a reload (keeping the session). */
export function link(path: string) {
  return (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(path);
  };
}

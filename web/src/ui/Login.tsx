/**
 * The sign-in form. After signing in, the current route (home or a meeting) renders.
 * Configured OpenID Connect providers appear as buttons (a full-page trip to the provider,
 * which sends the browser back signed in, or with `?login_error=…`); with LDAP enabled, a
 * checkbox sends the username and password to the directory instead.
 */

import { useEffect, useState } from 'preact/hooks';
import { api, type AuthSession } from '../api';
import type { AuthProviders } from '../protocol';
import { useBranding } from '../branding';
import { getLang, t } from '../i18n';
import { loginErrorMessage } from '../loginError';

export function Login({ auth }: { auth: AuthSession }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [providers, setProviders] = useState<AuthProviders>({ oidc: [], ldap: false });
  const [directory, setDirectory] = useState(false);
  const { loginText } = useBranding();

  useEffect(() => {
    api.providers().then(setProviders, () => {
      // Without the list, local sign-in still works.
    });
    if (new URLSearchParams(location.search).has('login_error')) setError(t('login.providerFailed'));
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await auth.login(username.trim(), password, directory);
    } catch (err) {
      setError(loginErrorMessage(err, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card center-card form" onSubmit={submit}>
      <h1>{t('login.title')}</h1>
      {loginText && <p class="login-text">{loginText[getLang()]}</p>}
      {providers.oidc.length > 0 && (
        <>
          <div class="provider-list">
            {providers.oidc.map((p) => (
              <a
                key={p.id}
                class="btn"
                href={`/api/v1/auth/oidc/${encodeURIComponent(p.id)}/login?return_to=${encodeURIComponent(
                  location.pathname,
                )}`}
              >
                {t('login.with', { name: p.display_name })}
              </a>
            ))}
          </div>
          <p class="muted">{t('login.or')}</p>
        </>
      )}
      <label class="field">
        <span>{t('login.username')}</span>
        <input
          name="username"
          autoComplete="username"
          required
          maxLength={64}
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
      </label>
      <label class="field">
        <span>{t('login.password')}</span>
        <input
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      {providers.ldap && (
        <label class="check">
          <input
            type="checkbox"
            name="directory"
            checked={directory}
            onChange={(e) => setDirectory(e.currentTarget.checked)}
          />
          <span>{t('login.directory')}</span>
        </label>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="btn btn-primary" disabled={busy}>
        {t('login.submit')}
      </button>
    </form>
  );
}

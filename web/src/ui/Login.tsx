/** The sign-in form. After signing in, the current route (home or a meeting) renders. */

import { useState } from 'preact/hooks';
import { ApiError, type AuthSession } from '../api';
import { useBranding } from '../branding';
import { getLang, t } from '../i18n';

export function Login({ auth }: { auth: AuthSession }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { loginText } = useBranding();

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await auth.login(username.trim(), password);
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) setError(t('login.locked'));
      else if (err instanceof ApiError && err.code === 'network') setError(t('error.network'));
      else setError(t('login.failed'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card center-card form" onSubmit={submit}>
      <h1>{t('login.title')}</h1>
      {loginText && <p class="login-text">{loginText[getLang()]}</p>}
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

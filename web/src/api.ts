/**
 * REST client for `/api/v1` (docs/signaling.md, "REST").
 *
 * Failures are typed: an {@link ApiError} carries the HTTP status and the problem body's
 * stable `code`, so callers branch on codes rather than on message text. The access token
 * of the signed-in user is held by {@link AuthSession} in memory only; the refresh token is
 * an HttpOnly cookie the browser sends to `/auth/refresh`.
 */

import type {
  AuthProviders,
  ClientConfig,
  CreateInvite,
  CreateMeeting,
  GuestTokenRequest,
  Invite,
  InviteInfo,
  LogoutResponse,
  JoinTokenRequest,
  Meeting,
  MeetingId,
  MeetingTokenResponse,
  Problem,
  SessionResponse,
  UpdateMeeting,
  User,
} from './protocol';
import { refreshDelayMs } from './tokens';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The problem's stable code, or `network` when no answer came. */
    readonly code: string,
    message: string,
    /** The answer's `Retry-After` in seconds (a locked login sends it), if any. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const BASE = '/api/v1';

async function request<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  if (!response.ok) {
    let problem: Partial<Problem> = {};
    try {
      problem = (await response.json()) as Partial<Problem>;
    } catch {
      // A body that is not a problem document still has a status.
    }
    throw new ApiError(
      response.status,
      typeof problem.code === 'string' ? problem.code : `http_${response.status}`,
      typeof problem.detail === 'string' ? problem.detail : response.statusText,
      parseRetryAfter(response.headers.get('Retry-After')),
    );
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/**
 * A `Retry-After` value in seconds. Plenum sends delay-seconds; an HTTP date or anything
 * else is ignored rather than guessed at.
 */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\d{1,9}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** Public endpoints and those that take an explicit bearer token. */
export const api = {
  config: () => request<ClientConfig>('GET', '/config'),
  login: (username: string, password: string) =>
    request<SessionResponse>('POST', '/auth/login', { username, password }),
  ldapLogin: (username: string, password: string) =>
    request<SessionResponse>('POST', '/auth/ldap/login', { username, password }),
  providers: () => request<AuthProviders>('GET', '/auth/providers'),
  refresh: () => request<SessionResponse>('POST', '/auth/refresh'),
  /** 204 (nothing) for local sessions; an OIDC session names the provider's logout page. */
  logout: () => request<LogoutResponse | undefined>('POST', '/auth/logout'),
  me: (token: string) => request<User>('GET', '/me', undefined, token),
  meetings: (token: string) => request<Meeting[]>('GET', '/meetings', undefined, token),
  meeting: (token: string, id: MeetingId) => request<Meeting>('GET', `/meetings/${enc(id)}`, undefined, token),
  createMeeting: (token: string, body: CreateMeeting) => request<Meeting>('POST', '/meetings', body, token),
  updateMeeting: (token: string, id: MeetingId, body: UpdateMeeting) =>
    request<Meeting>('PATCH', `/meetings/${enc(id)}`, body, token),
  deleteMeeting: (token: string, id: MeetingId) => request<void>('DELETE', `/meetings/${enc(id)}`, undefined, token),
  invites: (token: string, id: MeetingId) => request<Invite[]>('GET', `/meetings/${enc(id)}/invites`, undefined, token),
  createInvite: (token: string, id: MeetingId, body: CreateInvite = {}) =>
    request<Invite>('POST', `/meetings/${enc(id)}/invites`, body, token),
  invite: (code: string) => request<InviteInfo>('GET', `/invites/${enc(code)}`),
  guestToken: (code: string, body: GuestTokenRequest) =>
    request<MeetingTokenResponse>('POST', `/invites/${enc(code)}/guest-token`, body),
  refreshGuestToken: (code: string, token: string) =>
    request<MeetingTokenResponse>('POST', `/invites/${enc(code)}/guest-token/refresh`, {}, token),
  joinToken: (token: string, id: MeetingId, body: JoinTokenRequest) =>
    request<MeetingTokenResponse>('POST', `/meetings/${enc(id)}/join-token`, body, token),
};

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

/**
 * The signed-in user's session: the access token lives only in memory and is renewed
 * through the refresh cookie shortly before it expires (and once at start-up, which is
 * how a reload stays signed in).
 */
export class AuthSession {
  private token: string | null = null;
  private expiresAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inflight: Promise<boolean> | null = null;
  user: User | null = null;
  private readonly listeners = new Set<() => void>();

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get signedIn(): boolean {
    return this.token !== null;
  }

  /** Signs in with a local account, or with a directory (LDAP) account. */
  async login(username: string, password: string, directory = false): Promise<void> {
    this.apply(await (directory ? api.ldapLogin : api.login)(username, password));
  }

  /** Tries the refresh cookie; false when there is no valid session. */
  restore(): Promise<boolean> {
    if (!this.inflight) {
      this.inflight = api
        .refresh()
        .then((session) => {
          this.apply(session);
          return true;
        })
        .catch(() => {
          this.clear();
          return false;
        })
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }

  async logout(): Promise<void> {
    let answer: LogoutResponse | undefined;
    try {
      answer = await api.logout();
    } finally {
      this.clear();
    }
    // A session from an identity provider ends there too (RP-initiated logout); the
    // provider sends the browser back to the start page.
    if (answer?.end_session_url) window.location.assign(answer.end_session_url);
  }

  /** A valid access token, renewing it first when it is about to expire. */
  async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.expiresAt - 5_000) return this.token;
    if (!(await this.restore()) || !this.token) throw new ApiError(401, 'unauthorized', 'not signed in');
    return this.token;
  }

  private apply(session: SessionResponse): void {
    this.token = session.access_token;
    this.user = session.user;
    this.expiresAt = Date.parse(session.expires_at);
    if (this.timer) clearTimeout(this.timer);
    const delay = refreshDelayMs(Date.now(), this.expiresAt);
    this.timer = setTimeout(() => void this.restore(), delay);
    this.emit();
  }

  private clear(): void {
    const had = this.token !== null;
    this.token = null;
    this.user = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (had) this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

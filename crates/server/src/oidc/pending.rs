//! Logins on their way through a provider: what the callback must check.
//!
//! Each started login is kept here under its random `state` until the browser comes back,
//! at most [`PENDING_LIFETIME`], and is taken out on the first callback (single use). The
//! browser that started it holds a random binding secret in a short-lived cookie; the
//! callback must present it, so a callback URL planted in someone else's browser (login
//! CSRF) finds no matching cookie. Time is an input.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use rand::RngCore as _;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a browser may spend at the provider.
pub const PENDING_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Most logins pending at once; beyond it new logins are refused until some finish or
/// expire, so a flood of started logins cannot grow memory without limit.
pub const MAX_PENDING: usize = 10_000;

/// One started login.
#[derive(Clone, Debug)]
pub struct PendingLogin {
    pub provider: String,
    /// PKCE code verifier (RFC 7636), sent with the code.
    pub verifier: String,
    /// Expected `nonce` in the ID token.
    pub nonce: String,
    /// SHA-256 of the binding cookie's value.
    binding: [u8; 32],
    /// Where the web client goes after the login (a path on this server).
    pub return_to: String,
    started: Instant,
}

/// What the browser is sent to the provider with.
#[derive(Debug)]
pub struct Started {
    pub state: String,
    pub nonce: String,
    pub challenge: String,
    /// Value of the binding cookie.
    pub binding: String,
}

/// Why a callback does not match a started login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PendingError {
    #[error("no login is waiting for this state (unknown, used, or expired)")]
    UnknownState,
    #[error("the login was started in another browser")]
    WrongBrowser,
    #[error("too many logins in progress")]
    Full,
}

#[derive(Debug, Default)]
pub struct PendingLogins {
    logins: Mutex<HashMap<String, PendingLogin>>,
}

impl PendingLogins {
    /// Starts a login for `provider`.
    pub fn start(
        &self,
        provider: &str,
        return_to: String,
        now: Instant,
    ) -> Result<Started, PendingError> {
        let mut logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        if logins.len() >= MAX_PENDING {
            logins.retain(|_, login| !expired(login, now));
            if logins.len() >= MAX_PENDING {
                return Err(PendingError::Full);
            }
        }
        let verifier = random_token();
        let started = Started {
            state: random_token(),
            nonce: random_token(),
            challenge: b64(digest(&SHA256, verifier.as_bytes()).as_ref()),
            binding: random_token(),
        };
        logins.insert(
            started.state.clone(),
            PendingLogin {
                provider: provider.to_owned(),
                verifier,
                nonce: started.nonce.clone(),
                binding: hash(&started.binding),
                return_to,
                started: now,
            },
        );
        Ok(started)
    }

    /// Takes the login `state` names out (it cannot be used twice) and checks it was
    /// started by the browser presenting `binding`.
    pub fn finish(
        &self,
        state: &str,
        binding: Option<&str>,
        now: Instant,
    ) -> Result<PendingLogin, PendingError> {
        let login = self
            .logins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(state)
            .filter(|login| !expired(login, now))
            .ok_or(PendingError::UnknownState)?;
        let presented = binding.map(hash);
        if presented.is_none_or(|h| {
            aws_lc_rs::constant_time::verify_slices_are_equal(&h, &login.binding).is_err()
        }) {
            return Err(PendingError::WrongBrowser);
        }
        Ok(login)
    }
}

fn expired(login: &PendingLogin, now: Instant) -> bool {
    now.saturating_duration_since(login.started) >= PENDING_LIFETIME
}

fn hash(text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, text.as_bytes()).as_ref());
    out
}

/// 256 random bits, base64url: `state`, `nonce`, PKCE verifier (43 characters, within
/// RFC 7636's 43..128), binding secret.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    b64(&bytes)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_finishes_once_in_the_browser_that_started_it() {
        let pending = PendingLogins::default();
        let t0 = Instant::now();
        let started = pending.start("corp", "/".into(), t0).unwrap();
        assert_eq!(started.challenge.len(), 43);
        assert_eq!(
            pending
                .finish(&started.state, Some("other"), t0)
                .unwrap_err(),
            PendingError::WrongBrowser
        );
        // A failed attempt used the state up: the attacker's try also ends the login.
        assert_eq!(
            pending
                .finish(&started.state, Some(&started.binding), t0)
                .unwrap_err(),
            PendingError::UnknownState
        );

        let started = pending.start("corp", "/m/1".into(), t0).unwrap();
        let login = pending
            .finish(
                &started.state,
                Some(&started.binding),
                t0 + Duration::from_secs(5),
            )
            .unwrap();
        assert_eq!(
            (login.provider.as_str(), login.return_to.as_str()),
            ("corp", "/m/1")
        );
        assert_eq!(login.nonce, started.nonce);
        assert_eq!(
            b64(digest(&SHA256, login.verifier.as_bytes()).as_ref()),
            started.challenge
        );
        assert_eq!(
            pending
                .finish(&started.state, Some(&started.binding), t0)
                .unwrap_err(),
            PendingError::UnknownState,
            "single use"
        );
    }

    #[test]
    fn logins_expire_and_the_map_is_bounded() {
        let pending = PendingLogins::default();
        let t0 = Instant::now();
        let started = pending.start("corp", "/".into(), t0).unwrap();
        assert_eq!(
            pending
                .finish(
                    &started.state,
                    Some(&started.binding),
                    t0 + PENDING_LIFETIME
                )
                .unwrap_err(),
            PendingError::UnknownState
        );
        for _ in 0..MAX_PENDING {
            pending.start("corp", "/".into(), t0).unwrap();
        }
        assert_eq!(
            pending.start("corp", "/".into(), t0).unwrap_err(),
            PendingError::Full
        );
        // Once they have expired, room is made.
        assert!(
            pending
                .start("corp", "/".into(), t0 + PENDING_LIFETIME)
                .is_ok()
        );
    }
}

//! Password hashing with Argon2id (the argon2 crate's default parameters).
//!
//! Hashing and verifying cost tens of milliseconds of CPU and about 19 MiB of memory each,
//! so both run on the blocking pool, never on the async workers that carry signaling, and
//! at most [`MAX_CONCURRENT`] at once: a flood of logins queues instead of exhausting memory.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tokio::sync::Semaphore;

/// How many hashes may be computed at the same time (a few per core; more would only
/// queue inside the CPU while holding memory).
pub const MAX_CONCURRENT: usize = 4;

static PERMITS: Semaphore = Semaphore::const_new(MAX_CONCURRENT);

/// Errors of the hashing machinery itself (not "wrong password", which is `Ok(false)`).
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("password hashing is shut down")]
    Closed(#[from] tokio::sync::AcquireError),
}

/// Hashes a password into a PHC string (`$argon2id$...`).
pub fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string. A stored hash that does not parse counts
/// as a mismatch, so a damaged row locks the account instead of opening it.
pub fn verify_blocking(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// [`hash_blocking`] on the blocking pool, within the concurrency limit.
pub async fn hash(password: String) -> Result<String, PasswordError> {
    let _permit = PERMITS.acquire().await?;
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

/// [`verify_blocking`] on the blocking pool, within the concurrency limit.
pub async fn verify(password: String, phc: String) -> Result<bool, PasswordError> {
    let _permit = PERMITS.acquire().await?;
    Ok(tokio::task::spawn_blocking(move || verify_blocking(&password, &phc)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let phc = hash_blocking("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_blocking("correct horse", &phc));
        assert!(!verify_blocking("wrong", &phc));
        assert!(!verify_blocking("correct horse", "not a hash"));
        assert_ne!(hash_blocking("correct horse").unwrap(), phc, "salts differ");
    }
}

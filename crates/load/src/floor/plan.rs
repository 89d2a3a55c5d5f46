//! The control protocol between the raw-SRTP participants and the floor forwarder: JSON
//! lines over TCP on loopback, one [`PlanEntry`] a line. Entries only add (a run builds its
//! rooms, measures, and the forwarder is stopped).

use std::net::SocketAddr;

use super::srtp::{SALT_LEN, SrtpError, SrtpKey};

/// Longest control line accepted (an entry is about 200 bytes).
pub const MAX_LINE_BYTES: usize = 4096;

/// A session key as sent to the forwarder.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyMaterial {
    pub key: Vec<u8>,
    pub salt: [u8; SALT_LEN],
}

impl KeyMaterial {
    /// Fresh random material for the floor's profile.
    pub fn random() -> Result<Self, aws_lc_rs::error::Unspecified> {
        let mut key = vec![0u8; super::PROFILE.key_len()];
        let mut salt = [0u8; SALT_LEN];
        aws_lc_rs::rand::fill(&mut key)?;
        aws_lc_rs::rand::fill(&mut salt)?;
        Ok(Self { key, salt })
    }

    pub fn srtp_key(&self) -> Result<SrtpKey, SrtpError> {
        SrtpKey::new(super::PROFILE, &self.key, self.salt)
    }
}

/// One line of the plan.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanEntry {
    /// Packets with this SSRC come from a publisher and are encrypted with `key`.
    Input { ssrc: u32, key: KeyMaterial },
    /// Forward the packets of `ssrc` to `to`, encrypted with `key`.
    Output {
        ssrc: u32,
        to: SocketAddr,
        key: KeyMaterial,
    },
}

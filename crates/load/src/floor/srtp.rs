//! SRTP for the floor forwarder: the RFC 3711 packet layout with the AEAD AES-GCM transforms
//! of RFC 7714, the profile str0m (the load tool and Plenum) and Janus negotiate with each
//! other here (`SRTP_AEAD_AES_256_GCM`: first in both sides' DTLS preference lists).
//!
//! Keys are pre-shared session keys (the floor has no DTLS), so the RFC 3711 key derivation
//! is not needed: it runs once per connection in a real SFU and costs nothing per packet.
//! What runs per packet here is exactly what an SFU must do: one AEAD open of the incoming
//! packet and one AEAD seal per receiver, in place, without allocating.

use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

/// Bytes of the GCM authentication tag appended to every SRTP packet (RFC 7714 §13.2).
pub const TAG_LEN: usize = 16;
/// Bytes of the salt of both AEAD profiles (RFC 7714 §12).
pub const SALT_LEN: usize = 12;
/// Shortest RTP header: version, flags, sequence number, timestamp, SSRC.
const MIN_RTP_HEADER: usize = 12;

/// The negotiated SRTP profile (only the AEAD ones: those are what the peers here pick).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `SRTP_AEAD_AES_128_GCM`
    AeadAes128Gcm,
    /// `SRTP_AEAD_AES_256_GCM`
    AeadAes256Gcm,
}

impl Profile {
    /// Bytes of the master key.
    pub fn key_len(self) -> usize {
        match self {
            Profile::AeadAes128Gcm => 16,
            Profile::AeadAes256Gcm => 32,
        }
    }
}

/// Why a packet or a key was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SrtpError {
    #[error("key of {got} bytes, the profile needs {want}")]
    KeyLength { got: usize, want: usize },
    #[error("packet of {0} bytes is shorter than an RTP header and a tag")]
    TooShort(usize),
    #[error("RTP header length {0} runs past the packet")]
    BadHeader(usize),
    #[error("authentication failed")]
    Authentication,
    #[error("no room for the {TAG_LEN}-byte tag in the buffer")]
    NoRoomForTag,
}

/// One direction's session key and salt (one per sender: SRTP keys are per SSRC space).
pub struct SrtpKey {
    key: LessSafeKey,
    salt: [u8; SALT_LEN],
}

impl std::fmt::Debug for SrtpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SrtpKey(..)")
    }
}

impl SrtpKey {
    pub fn new(profile: Profile, key: &[u8], salt: [u8; SALT_LEN]) -> Result<Self, SrtpError> {
        let algorithm = match profile {
            Profile::AeadAes128Gcm => &AES_128_GCM,
            Profile::AeadAes256Gcm => &AES_256_GCM,
        };
        let unbound = UnboundKey::new(algorithm, key).map_err(|_| SrtpError::KeyLength {
            got: key.len(),
            want: profile.key_len(),
        })?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
            salt,
        })
    }

    /// RFC 7714 §8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt.
    fn nonce(&self, ssrc: u32, index: u64) -> Nonce {
        let mut iv = [0u8; SALT_LEN];
        iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
        // The 48-bit packet index: rollover counter (32 bits) then sequence number (16 bits).
        iv[6..12].copy_from_slice(&index.to_be_bytes()[2..8]);
        for (byte, salt) in iv.iter_mut().zip(self.salt) {
            *byte ^= salt;
        }
        Nonce::assume_unique_for_key(iv)
    }

    /// Encrypts the RTP packet in `buf[..len]` in place and appends the tag; returns the
    /// SRTP length. `index` is the 48-bit packet index (rollover counter and sequence number).
    pub fn protect(&self, buf: &mut [u8], len: usize, index: u64) -> Result<usize, SrtpError> {
        let header_len = rtp_header_len(&buf[..len])?;
        if buf.len() < len + TAG_LEN {
            return Err(SrtpError::NoRoomForTag);
        }
        let nonce = self.nonce(ssrc_of(buf), index);
        let (header, rest) = buf.split_at_mut(header_len);
        let (payload, tail) = rest.split_at_mut(len - header_len);
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(&*header), payload)
            .map_err(|_| SrtpError::Authentication)?;
        tail[..TAG_LEN].copy_from_slice(tag.as_ref());
        Ok(len + TAG_LEN)
    }

    /// Checks and decrypts the SRTP packet in `buf` in place; returns the RTP length.
    pub fn unprotect(&self, buf: &mut [u8], index: u64) -> Result<usize, SrtpError> {
        if buf.len() < MIN_RTP_HEADER + TAG_LEN {
            return Err(SrtpError::TooShort(buf.len()));
        }
        let header_len = rtp_header_len(&buf[..buf.len() - TAG_LEN])?;
        let nonce = self.nonce(ssrc_of(buf), index);
        let (header, sealed) = buf.split_at_mut(header_len);
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(&*header), sealed)
            .map_err(|_| SrtpError::Authentication)?;
        Ok(header_len + plain.len())
    }
}

/// The SSRC field of an RTP packet whose header length was checked.
fn ssrc_of(packet: &[u8]) -> u32 {
    u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]])
}

/// The SSRC of an RTP packet (the packet must hold at least a fixed header).
pub fn ssrc(packet: &[u8]) -> Option<u32> {
    (packet.len() >= MIN_RTP_HEADER).then(|| ssrc_of(packet))
}

/// The RTP sequence number (the packet must hold at least a fixed header).
pub fn sequence_number(packet: &[u8]) -> Option<u16> {
    (packet.len() >= MIN_RTP_HEADER).then(|| u16::from_be_bytes([packet[2], packet[3]]))
}

/// Length of the RTP header (fixed part, CSRCs, header extension): the part SRTP
/// authenticates but does not encrypt.
pub fn rtp_header_len(packet: &[u8]) -> Result<usize, SrtpError> {
    if packet.len() < MIN_RTP_HEADER {
        return Err(SrtpError::TooShort(packet.len()));
    }
    let csrc_count = usize::from(packet[0] & 0x0f);
    let mut len = MIN_RTP_HEADER + 4 * csrc_count;
    if packet[0] & 0x10 != 0 {
        let words = packet
            .get(len + 2..len + 4)
            .ok_or(SrtpError::BadHeader(len + 4))?;
        len += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    if len > packet.len() {
        return Err(SrtpError::BadHeader(len));
    }
    Ok(len)
}

/// Estimates the 48-bit packet index of a received sequence number from the highest index
/// seen so far (RFC 3711 §3.3.1), so rollovers of the 16-bit sequence number are followed.
#[derive(Debug, Default, Clone, Copy)]
pub struct IndexTracker {
    highest: Option<u64>,
}

impl IndexTracker {
    /// The index this sequence number most likely has; call [`Self::accept`] once it
    /// authenticated.
    pub fn estimate(&self, seq: u16) -> u64 {
        let Some(highest) = self.highest else {
            return u64::from(seq);
        };
        let roc = highest >> 16;
        let highest_seq = (highest & 0xffff) as i64;
        let delta = i64::from(seq) - highest_seq;
        let roc = if delta > 0x8000 && roc > 0 {
            roc - 1
        } else if delta < -0x8000 {
            roc + 1
        } else {
            roc
        };
        (roc << 16) | u64::from(seq)
    }

    pub fn accept(&mut self, index: u64) {
        if self.highest.is_none_or(|highest| index > highest) {
            self.highest = Some(index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rtp_packet(seq: u16, payload: &[u8]) -> Vec<u8> {
        let mut packet = vec![0x80, 96];
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(&1234u32.to_be_bytes());
        packet.extend_from_slice(&0xdead_beefu32.to_be_bytes());
        packet.extend_from_slice(payload);
        packet
    }

    fn key(profile: Profile, fill: u8) -> SrtpKey {
        SrtpKey::new(
            profile,
            &vec![fill; profile.key_len()],
            [fill ^ 0x5a; SALT_LEN],
        )
        .expect("valid key")
    }

    #[test]
    fn protect_then_unprotect_restores_the_packet_for_both_profiles() {
        for profile in [Profile::AeadAes128Gcm, Profile::AeadAes256Gcm] {
            let plain = rtp_packet(65535, b"vp8 payload bytes");
            let mut buf = plain.clone();
            buf.resize(plain.len() + TAG_LEN, 0);
            let sealed_len = key(profile, 7)
                .protect(&mut buf, plain.len(), 65535)
                .expect("seal");
            assert_eq!(sealed_len, plain.len() + TAG_LEN);
            assert_ne!(&buf[12..plain.len()], &plain[12..], "payload is encrypted");
            let open_len = key(profile, 7).unprotect(&mut buf, 65535).expect("open");
            assert_eq!(&buf[..open_len], &plain[..]);
        }
    }

    #[test]
    fn a_wrong_key_or_index_fails_authentication() {
        let plain = rtp_packet(5, b"payload");
        let mut buf = plain.clone();
        buf.resize(plain.len() + TAG_LEN, 0);
        key(Profile::AeadAes256Gcm, 1)
            .protect(&mut buf, plain.len(), 5)
            .expect("seal");
        let mut copy = buf.clone();
        assert_eq!(
            key(Profile::AeadAes256Gcm, 2).unprotect(&mut copy, 5),
            Err(SrtpError::Authentication)
        );
        assert_eq!(
            key(Profile::AeadAes256Gcm, 1).unprotect(&mut buf, 5 + 65536),
            Err(SrtpError::Authentication)
        );
    }

    #[test]
    fn header_length_covers_csrcs_and_extension_and_refuses_overruns() {
        let mut packet = rtp_packet(1, &[0; 8]);
        packet[0] = 0x90; // extension bit
        packet.splice(12..12, [0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0]);
        assert_eq!(rtp_header_len(&packet), Ok(20));
        packet[15] = 9; // extension claims 9 words
        assert!(matches!(
            rtp_header_len(&packet),
            Err(SrtpError::BadHeader(_))
        ));
        assert_eq!(rtp_header_len(&[0x80; 5]), Err(SrtpError::TooShort(5)));
    }

    #[test]
    fn index_tracker_follows_sequence_rollover_and_late_packets() {
        let mut tracker = IndexTracker::default();
        tracker.accept(tracker.estimate(65534));
        assert_eq!(tracker.estimate(65535), 65535);
        tracker.accept(65535);
        assert_eq!(tracker.estimate(2), 65536 + 2, "rolls over");
        tracker.accept(65538);
        assert_eq!(
            tracker.estimate(65530),
            65530,
            "a late packet keeps the old counter"
        );
    }
}

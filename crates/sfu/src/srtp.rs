//! SRTP for the packets the SFU writes itself, beside str0m (see `direct`).
//!
//! str0m keeps a connection's SRTP keys to itself. It takes its DTLS implementation from
//! the `CryptoProvider` it is built with, though, and the DTLS instance is where the keying
//! material comes from (RFC 5764 §4.2): [`capture_keys`] wraps the provider's DTLS so that
//! each subscribe `Rtc`'s instance also leaves the material in a [`KeySlot`] of our own.
//! From it [`SrtpSender`] derives the session keys of our sending direction (RFC 3711
//! §4.3, for the AEAD profiles RFC 7714 §11) and seals RTP and RTCP with the ciphers of the
//! same provider. Packets it seals use SSRCs str0m declares but never writes to, so the two
//! never share a sequence or SRTCP index space.

use std::cell::RefCell;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use str0m::config::{CryptoProvider, DtlsCert, DtlsVersion, KeyingMaterial};
use str0m::crypto::dtls::{
    DtlsImplError, DtlsInstance, DtlsOutput, DtlsProvider, ProtocolVersion, SrtpProfile,
};
use str0m::crypto::{
    AeadAes128Gcm, AeadAes128GcmCipher, AeadAes256Gcm, AeadAes256GcmCipher, Aes128CmSha1_80,
    Aes128CmSha1_80Cipher, CryptoError, Sha1HmacProvider, SrtpProvider,
};

// RFC 3711 §4.3.1 key derivation labels.
const LABEL_RTP_ENCRYPTION: u8 = 0;
const LABEL_RTP_AUTHENTICATION: u8 = 1;
const LABEL_RTP_SALT: u8 = 2;
const LABEL_RTCP_ENCRYPTION: u8 = 3;
const LABEL_RTCP_AUTHENTICATION: u8 = 4;
const LABEL_RTCP_SALT: u8 = 5;
/// The E flag of the SRTCP index word: the payload is encrypted (RFC 3711 §3.4).
const SRTCP_ENCRYPTED: u32 = 0x8000_0000;
/// Bytes of the SRTCP index word.
const SRTCP_INDEX_LEN: usize = 4;
/// Fixed part of every RTCP packet before the encrypted portion: header and sender SSRC.
const RTCP_CLEAR_LEN: usize = 8;
/// aws-lc-rs's AES-CTR wants this much room after the data it encrypts (one block less
/// one byte); the buffer is truncated afterwards.
const CTR_SLACK: usize = 15;

/// Where one `Rtc`'s DTLS handshake leaves the sending keys; taken once by the conference.
#[derive(Debug, Default)]
pub(crate) struct KeySlot(Mutex<Option<SrtpSender>>);

impl KeySlot {
    /// The sender, once the handshake has produced it (then never again).
    pub(crate) fn take(&self) -> Option<SrtpSender> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn put(&self, sender: SrtpSender) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(sender);
    }
}

thread_local! {
    /// The slot the next DTLS instance created on this thread reports to. str0m creates an
    /// `Rtc`'s DTLS instance inside `RtcConfig::build` and gives the provider nothing that
    /// tells one `Rtc` from another, so [`build_capturing`] puts the slot here around that
    /// call.
    static NEXT_SLOT: RefCell<Option<Arc<KeySlot>>> = const { RefCell::new(None) };
}

/// Builds something (an `Rtc`) whose DTLS instance, made by a [`capture_keys`] provider
/// during `build`, leaves its sending keys in the returned slot.
pub(crate) fn build_capturing<T>(build: impl FnOnce() -> T) -> (T, Arc<KeySlot>) {
    let slot = Arc::new(KeySlot::default());
    NEXT_SLOT.with(|next| *next.borrow_mut() = Some(slot.clone()));
    let built = build();
    NEXT_SLOT.with(|next| next.borrow_mut().take());
    (built, slot)
}

/// A provider like `inner` whose DTLS instances, when made inside [`build_capturing`],
/// report their keying material.
pub(crate) fn capture_keys(inner: &CryptoProvider) -> CryptoProvider {
    // str0m holds providers as `&'static`: one small allocation per `Sfu`, kept for the
    // process's life.
    let dtls: &'static CapturingDtls = Box::leak(Box::new(CapturingDtls {
        inner: inner.dtls_provider,
        srtp: inner.srtp_provider,
        hmac: inner.sha1_hmac_provider,
    }));
    CryptoProvider {
        dtls_provider: dtls,
        ..inner.clone()
    }
}

#[derive(Debug)]
struct CapturingDtls {
    inner: &'static dyn DtlsProvider,
    srtp: &'static dyn SrtpProvider,
    hmac: &'static dyn Sha1HmacProvider,
}

impl DtlsProvider for CapturingDtls {
    fn generate_certificate(&self) -> Option<DtlsCert> {
        self.inner.generate_certificate()
    }

    fn new_dtls(
        &self,
        cert: &DtlsCert,
        now: Instant,
        dtls_version: DtlsVersion,
        mtu: Option<usize>,
    ) -> Result<Box<dyn DtlsInstance>, CryptoError> {
        let instance = self.inner.new_dtls(cert, now, dtls_version, mtu)?;
        match NEXT_SLOT.with(|next| next.borrow_mut().take()) {
            Some(slot) => Ok(Box::new(CapturingInstance {
                inner: instance,
                slot,
                srtp: self.srtp,
                hmac: self.hmac,
            })),
            None => Ok(instance),
        }
    }

    fn is_test(&self) -> bool {
        self.inner.is_test()
    }
}

struct CapturingInstance {
    inner: Box<dyn DtlsInstance>,
    slot: Arc<KeySlot>,
    srtp: &'static dyn SrtpProvider,
    hmac: &'static dyn Sha1HmacProvider,
}

impl fmt::Debug for CapturingInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CapturingInstance")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl DtlsInstance for CapturingInstance {
    fn set_active(&mut self, active: bool) {
        self.inner.set_active(active);
    }

    fn handle_packet(&mut self, packet: &[u8]) -> Result<(), DtlsImplError> {
        self.inner.handle_packet(packet)
    }

    fn poll_output<'a>(&mut self, buf: &'a mut [u8]) -> DtlsOutput<'a> {
        let output = self.inner.poll_output(buf);
        if let DtlsOutput::KeyingMaterial(material, profile) = &output {
            // The DTLS client writes with the first half of the material (RFC 5764 §4.2).
            let client = self.inner.is_active();
            match SrtpSender::new(self.srtp, self.hmac, *profile, material, client) {
                Some(sender) => self.slot.put(sender),
                None => tracing::warn!(?profile, "SRTP profile without a direct sender"),
            }
        }
        output
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), DtlsImplError> {
        self.inner.handle_timeout(now)
    }

    fn send_application_data(&mut self, data: &[u8]) -> Result<usize, DtlsImplError> {
        self.inner.send_application_data(data)
    }

    fn is_active(&self) -> bool {
        self.inner.is_active()
    }

    fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.inner.protocol_version()
    }

    fn is_closing(&self) -> bool {
        self.inner.is_closing()
    }

    fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    fn close(&mut self) -> Result<(), DtlsImplError> {
        self.inner.close()
    }
}

/// One direction's cipher with what it needs per packet.
enum Cipher {
    Aes128CmSha1_80 {
        enc: Box<dyn Aes128CmSha1_80Cipher>,
        auth: [u8; Aes128CmSha1_80::HMAC_KEY_LEN],
        salt: [u8; Aes128CmSha1_80::SALT_LEN],
    },
    AeadAes128Gcm {
        enc: Box<dyn AeadAes128GcmCipher>,
        salt: [u8; AeadAes128Gcm::SALT_LEN],
    },
    AeadAes256Gcm {
        enc: Box<dyn AeadAes256GcmCipher>,
        salt: [u8; AeadAes256Gcm::SALT_LEN],
    },
}

impl Cipher {
    fn tag_len(&self) -> usize {
        match self {
            Cipher::Aes128CmSha1_80 { .. } => Aes128CmSha1_80::HMAC_TAG_LEN,
            Cipher::AeadAes128Gcm { .. } => AeadAes128Gcm::TAG_LEN,
            Cipher::AeadAes256Gcm { .. } => AeadAes256Gcm::TAG_LEN,
        }
    }
}

/// Seals the RTP and RTCP one connection sends from the SFU's own writer.
pub(crate) struct SrtpSender {
    rtp: Cipher,
    rtcp: Cipher,
    hmac: &'static dyn Sha1HmacProvider,
    /// Index of the next SRTCP packet (31 bits), over all SSRCs this sender seals: str0m's
    /// own RTCP never carries these SSRCs, and receivers keep replay state per SSRC.
    srtcp_index: u32,
}

impl fmt::Debug for SrtpSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SrtpSender(..)")
    }
}

impl SrtpSender {
    /// The sender of one side of a DTLS-SRTP association (`client`: the DTLS client's).
    /// `None` for a profile this code does not know (dimpl's enum may grow).
    pub(crate) fn new(
        srtp: &dyn SrtpProvider,
        hmac: &'static dyn Sha1HmacProvider,
        profile: SrtpProfile,
        material: &KeyingMaterial,
        client: bool,
    ) -> Option<Self> {
        let (rtp, rtcp) = match profile {
            SrtpProfile::AES128_CM_SHA1_80 => {
                let master = MasterKey::<16, 14>::from_material(material, client)?;
                let cipher = |enc_label, auth_label, salt_label| Cipher::Aes128CmSha1_80 {
                    enc: srtp
                        .aes_128_cm_sha1_80()
                        .create_cipher(master.derive(srtp, enc_label), true),
                    auth: master.derive(srtp, auth_label),
                    salt: master.derive(srtp, salt_label),
                };
                (
                    cipher(
                        LABEL_RTP_ENCRYPTION,
                        LABEL_RTP_AUTHENTICATION,
                        LABEL_RTP_SALT,
                    ),
                    cipher(
                        LABEL_RTCP_ENCRYPTION,
                        LABEL_RTCP_AUTHENTICATION,
                        LABEL_RTCP_SALT,
                    ),
                )
            }
            SrtpProfile::AEAD_AES_128_GCM => {
                let master = MasterKey::<16, 12>::from_material(material, client)?;
                let cipher = |enc_label, salt_label| Cipher::AeadAes128Gcm {
                    enc: srtp
                        .aead_aes_128_gcm()
                        .create_cipher(master.derive(srtp, enc_label), true),
                    salt: master.derive(srtp, salt_label),
                };
                (
                    cipher(LABEL_RTP_ENCRYPTION, LABEL_RTP_SALT),
                    cipher(LABEL_RTCP_ENCRYPTION, LABEL_RTCP_SALT),
                )
            }
            SrtpProfile::AEAD_AES_256_GCM => {
                let master = MasterKey::<32, 12>::from_material(material, client)?;
                let cipher = |enc_label, salt_label| Cipher::AeadAes256Gcm {
                    enc: srtp
                        .aead_aes_256_gcm()
                        .create_cipher(master.derive(srtp, enc_label), true),
                    salt: master.derive(srtp, salt_label),
                };
                (
                    cipher(LABEL_RTP_ENCRYPTION, LABEL_RTP_SALT),
                    cipher(LABEL_RTCP_ENCRYPTION, LABEL_RTCP_SALT),
                )
            }
            #[allow(unreachable_patterns)]
            _ => return None,
        };
        Some(SrtpSender {
            rtp,
            rtcp,
            hmac,
            srtcp_index: 0,
        })
    }

    /// Seals one RTP packet: `header` (its SSRC is `ssrc`) stays clear, `payload` is
    /// encrypted; `index` is the packet's 48-bit SRTP index (rollover counter and sequence
    /// number). Returns the datagram.
    pub(crate) fn seal_rtp(
        &mut self,
        header: &[u8],
        payload: &[u8],
        ssrc: u32,
        index: u64,
    ) -> Result<Vec<u8>, CryptoError> {
        let plain_len = header.len() + payload.len();
        let mut packet = Vec::with_capacity(plain_len + self.rtp.tag_len() + CTR_SLACK);
        packet.extend_from_slice(header);
        let roc = (index >> 16) as u32;
        match &mut self.rtp {
            Cipher::Aes128CmSha1_80 { enc, auth, salt } => {
                // [header][encrypted payload][tag over both and the rollover counter]
                let iv = Aes128CmSha1_80::rtp_iv(*salt, ssrc, index);
                packet.resize(plain_len + Aes128CmSha1_80::HMAC_TAG_LEN + CTR_SLACK, 0);
                enc.encrypt(&iv, payload, &mut packet[header.len()..])?;
                let hmac = |k: &[u8], p: &[&[u8]]| self.hmac.sha1_hmac(k, p);
                Aes128CmSha1_80::rtp_hmac(hmac, auth, &mut packet, index, plain_len);
                packet.truncate(plain_len + Aes128CmSha1_80::HMAC_TAG_LEN);
            }
            Cipher::AeadAes128Gcm { enc, salt } => {
                // [header][encrypted payload, tag]; the header is associated data.
                let iv = AeadAes128Gcm::rtp_iv(*salt, ssrc, roc, index as u16);
                packet.resize(plain_len + AeadAes128Gcm::TAG_LEN, 0);
                enc.encrypt(&iv, header, payload, &mut packet[header.len()..])?;
            }
            Cipher::AeadAes256Gcm { enc, salt } => {
                let iv = AeadAes256Gcm::rtp_iv(*salt, ssrc, roc, index as u16);
                packet.resize(plain_len + AeadAes256Gcm::TAG_LEN, 0);
                enc.encrypt(&iv, header, payload, &mut packet[header.len()..])?;
            }
        }
        Ok(packet)
    }

    /// Seals one (compound) RTCP packet as SRTCP with the next index. Returns the datagram.
    pub(crate) fn seal_rtcp(&mut self, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let len = plain.len();
        let (clear, secret) = plain
            .split_at_checked(RTCP_CLEAR_LEN)
            .ok_or_else(|| CryptoError::Other(format!("RTCP packet of {len} bytes")))?;
        let index = self.srtcp_index;
        self.srtcp_index = (index + 1) & !SRTCP_ENCRYPTED;
        let index_word = (SRTCP_ENCRYPTED | index).to_be_bytes();
        let ssrc = u32::from_be_bytes([clear[4], clear[5], clear[6], clear[7]]);
        let tag_len = self.rtcp.tag_len();
        let mut packet = Vec::with_capacity(len + SRTCP_INDEX_LEN + tag_len + CTR_SLACK);
        packet.extend_from_slice(clear);
        match &mut self.rtcp {
            Cipher::Aes128CmSha1_80 { enc, auth, salt } => {
                // [header, SSRC][encrypted rest][E + index][tag over all before it]
                let iv = Aes128CmSha1_80::rtp_iv(*salt, ssrc, u64::from(index));
                let tag_at = len + SRTCP_INDEX_LEN;
                packet.resize(tag_at + tag_len + CTR_SLACK, 0);
                enc.encrypt(&iv, secret, &mut packet[RTCP_CLEAR_LEN..])?;
                packet[len..tag_at].copy_from_slice(&index_word);
                let hmac = |k: &[u8], p: &[&[u8]]| self.hmac.sha1_hmac(k, p);
                Aes128CmSha1_80::rtcp_hmac(hmac, auth, &mut packet, tag_at);
                packet.truncate(tag_at + tag_len);
            }
            Cipher::AeadAes128Gcm { enc, salt } => {
                // [header, SSRC][encrypted rest, tag][E + index]; header, SSRC and the
                // index word are associated data (RFC 7714 §9.2, §17).
                let iv = AeadAes128Gcm::rtcp_iv(*salt, ssrc, index);
                packet.resize(len + tag_len, 0);
                enc.encrypt(
                    &iv,
                    &rtcp_aad(clear, index_word),
                    secret,
                    &mut packet[RTCP_CLEAR_LEN..],
                )?;
                packet.extend_from_slice(&index_word);
            }
            Cipher::AeadAes256Gcm { enc, salt } => {
                let iv = AeadAes256Gcm::rtcp_iv(*salt, ssrc, index);
                packet.resize(len + tag_len, 0);
                enc.encrypt(
                    &iv,
                    &rtcp_aad(clear, index_word),
                    secret,
                    &mut packet[RTCP_CLEAR_LEN..],
                )?;
                packet.extend_from_slice(&index_word);
            }
        }
        Ok(packet)
    }
}

fn rtcp_aad(
    clear: &[u8],
    index_word: [u8; SRTCP_INDEX_LEN],
) -> [u8; RTCP_CLEAR_LEN + SRTCP_INDEX_LEN] {
    let mut aad = [0; RTCP_CLEAR_LEN + SRTCP_INDEX_LEN];
    aad[..RTCP_CLEAR_LEN].copy_from_slice(clear);
    aad[RTCP_CLEAR_LEN..].copy_from_slice(&index_word);
    aad
}

/// A master key and salt of `K` and `S` bytes, for the RFC 3711 key derivation.
struct MasterKey<const K: usize, const S: usize> {
    key: [u8; K],
    salt: [u8; S],
}

impl<const K: usize, const S: usize> MasterKey<K, S> {
    /// Our half of DTLS-SRTP keying material: client key, server key, client salt, server
    /// salt (RFC 5764 §4.2).
    fn from_material(material: &[u8], client: bool) -> Option<Self> {
        if material.len() != 2 * (K + S) {
            return None;
        }
        let (key_at, salt_at) = if client { (0, 2 * K) } else { (K, 2 * K + S) };
        Some(MasterKey {
            key: material[key_at..key_at + K].try_into().ok()?,
            salt: material[salt_at..salt_at + S].try_into().ok()?,
        })
    }

    /// The session key (or salt) of `label`: AES in counter mode over the salt with the
    /// label at byte 7, key derivation rate 0 (RFC 3711 §4.3.1, §4.3.3).
    fn derive<const N: usize>(&self, srtp: &dyn SrtpProvider, label: u8) -> [u8; N] {
        let mut input = [0u8; 16];
        input[..S].copy_from_slice(&self.salt);
        input[7] ^= label;
        let mut out = [0u8; N];
        let mut block = [0u8; 32];
        for (counter, chunk) in out.chunks_mut(16).enumerate() {
            input[14..].copy_from_slice(&(counter as u16).to_be_bytes());
            match K {
                16 => srtp.srtp_aes_128_ecb_round(&self.key, &input, &mut block),
                _ => srtp.srtp_aes_256_ecb_round(&self.key, &input, &mut block),
            }
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> CryptoProvider {
        str0m::crypto::from_feature_flags()
    }

    /// RFC 3711 Appendix B.3: key derivation test vectors (AES-128).
    #[test]
    fn derives_the_session_keys_of_rfc_3711() {
        let p = provider();
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
                .collect()
        };
        let master = MasterKey::<16, 14> {
            key: hex("E1F97A0D3E018BE0D64FA32C06DE4139")
                .try_into()
                .unwrap_or([0; 16]),
            salt: hex("0EC675AD498AFEEBB6960B3AABE6")
                .try_into()
                .unwrap_or([0; 14]),
        };
        let enc: [u8; 16] = master.derive(p.srtp_provider, LABEL_RTP_ENCRYPTION);
        let salt: [u8; 14] = master.derive(p.srtp_provider, LABEL_RTP_SALT);
        let auth: [u8; 20] = master.derive(p.srtp_provider, LABEL_RTP_AUTHENTICATION);
        assert_eq!(enc.to_vec(), hex("C61E7A93744F39EE10734AFE3FF7A087"));
        assert_eq!(salt.to_vec(), hex("30CBBC08863D8C85D49DB34A9AE1"));
        assert_eq!(
            auth.to_vec(),
            hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
        );
    }

    const SSRC: u32 = 0x1234_5678;
    /// A header with the sequence number the index below has (0x0002_ABCD: rollover 2).
    const HEADER: [u8; 12] = [0x80, 111, 0xAB, 0xCD, 0, 0, 0x10, 0, 0x12, 0x34, 0x56, 0x78];
    const INDEX: u64 = 0x0002_ABCD;
    const PAYLOAD: &[u8] = b"an opus frame, more or less";
    /// A sender report of `SSRC` (RFC 3550 §6.4.1), 28 bytes.
    const REPORT: [u8; 28] = [
        0x80, 200, 0, 6, 0x12, 0x34, 0x56, 0x78, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x10, 0, 0, 0, 0, 9,
        0, 0, 1, 0,
    ];

    /// Seals with `SrtpSender` and opens with the provider's decrypting ciphers and
    /// str0m's own tag checks, keys derived independently: every profile's layout.
    #[test]
    fn sealed_packets_open_with_the_receivers_keys() {
        let p = provider();
        let material: Vec<u8> = (0..=255u8).collect();
        for profile in [
            SrtpProfile::AES128_CM_SHA1_80,
            SrtpProfile::AEAD_AES_128_GCM,
            SrtpProfile::AEAD_AES_256_GCM,
        ] {
            let (k, salt_len) = match profile {
                SrtpProfile::AES128_CM_SHA1_80 => (16, 14),
                SrtpProfile::AEAD_AES_128_GCM => (16, 12),
                _ => (32, 12),
            };
            let material = &material[..2 * (k + salt_len)];
            let keying = KeyingMaterial::new(material);
            let mut sender = SrtpSender::new(
                p.srtp_provider,
                p.sha1_hmac_provider,
                profile,
                &keying,
                false,
            )
            .unwrap_or_else(|| panic!("{profile:?}: no sender"));
            let rtp = sender.seal_rtp(&HEADER, PAYLOAD, SSRC, INDEX);
            let rtp = rtp.unwrap_or_else(|e| panic!("{profile:?}: {e}"));
            assert_eq!(rtp[..12], HEADER, "{profile:?}: header stays clear");
            let first = sender.seal_rtcp(&REPORT).unwrap_or_default();
            let second = sender.seal_rtcp(&REPORT).unwrap_or_default();
            assert_eq!(
                first[..8],
                REPORT[..8],
                "{profile:?}: RTCP header stays clear"
            );
            let index_of = |packet: &[u8], at: usize| {
                u32::from_be_bytes([packet[at], packet[at + 1], packet[at + 2], packet[at + 3]])
            };
            let (opened_rtp, opened_rtcp, indexes) = match profile {
                SrtpProfile::AES128_CM_SHA1_80 => {
                    let m = MasterKey::<16, 14>::from_material(material, false);
                    let m = m.unwrap_or_else(|| panic!("material"));
                    let hmac = |k: &[u8], d: &[&[u8]]| p.sha1_hmac_provider.sha1_hmac(k, d);
                    let tag_at = rtp.len() - 10;
                    let auth: [u8; 20] = m.derive(p.srtp_provider, LABEL_RTP_AUTHENTICATION);
                    let tag = &rtp[tag_at..];
                    assert!(Aes128CmSha1_80::rtp_verify(
                        hmac,
                        &auth,
                        &rtp[..tag_at],
                        INDEX,
                        tag
                    ));
                    let key = m.derive(p.srtp_provider, LABEL_RTP_ENCRYPTION);
                    let salt = m.derive(p.srtp_provider, LABEL_RTP_SALT);
                    let mut dec = p
                        .srtp_provider
                        .aes_128_cm_sha1_80()
                        .create_cipher(key, false);
                    let mut plain = vec![0; PAYLOAD.len() + CTR_SLACK];
                    let iv = Aes128CmSha1_80::rtp_iv(salt, SSRC, INDEX);
                    dec.decrypt(&iv, &rtp[12..tag_at], &mut plain)
                        .unwrap_or_default();
                    plain.truncate(PAYLOAD.len());
                    // SRTCP: [clear 8][encrypted][E + index][tag]
                    let tag_at = second.len() - 10;
                    let auth: [u8; 20] = m.derive(p.srtp_provider, LABEL_RTCP_AUTHENTICATION);
                    let tag = &second[tag_at..];
                    assert!(Aes128CmSha1_80::rtcp_verify(
                        hmac,
                        &auth,
                        &second[..tag_at],
                        tag
                    ));
                    let key = m.derive(p.srtp_provider, LABEL_RTCP_ENCRYPTION);
                    let salt = m.derive(p.srtp_provider, LABEL_RTCP_SALT);
                    let mut dec = p
                        .srtp_provider
                        .aes_128_cm_sha1_80()
                        .create_cipher(key, false);
                    let mut report = vec![0; REPORT.len() + CTR_SLACK];
                    report[..8].copy_from_slice(&second[..8]);
                    let iv = Aes128CmSha1_80::rtp_iv(salt, SSRC, 1);
                    dec.decrypt(&iv, &second[8..tag_at - 4], &mut report[8..])
                        .unwrap_or_default();
                    report.truncate(REPORT.len());
                    let indexes = (index_of(&first, tag_at - 4), index_of(&second, tag_at - 4));
                    (plain, report, indexes)
                }
                _ => {
                    let open = |label_key,
                                label_salt,
                                iv: &dyn Fn([u8; 12]) -> [u8; 12],
                                aads: &[&[u8]],
                                sealed: &[u8]| {
                        let mut plain = vec![0; sealed.len()];
                        let len = if k == 16 {
                            let m = MasterKey::<16, 12>::from_material(material, false);
                            let m = m.unwrap_or_else(|| panic!("material"));
                            let mut dec = p
                                .srtp_provider
                                .aead_aes_128_gcm()
                                .create_cipher(m.derive(p.srtp_provider, label_key), false);
                            dec.decrypt(
                                &iv(m.derive(p.srtp_provider, label_salt)),
                                aads,
                                sealed,
                                &mut plain,
                            )
                        } else {
                            let m = MasterKey::<32, 12>::from_material(material, false);
                            let m = m.unwrap_or_else(|| panic!("material"));
                            let mut dec = p
                                .srtp_provider
                                .aead_aes_256_gcm()
                                .create_cipher(m.derive(p.srtp_provider, label_key), false);
                            dec.decrypt(
                                &iv(m.derive(p.srtp_provider, label_salt)),
                                aads,
                                sealed,
                                &mut plain,
                            )
                        };
                        plain.truncate(len.unwrap_or_else(|e| panic!("{profile:?}: {e}")));
                        plain
                    };
                    let rtp_iv = |salt| AeadAes128Gcm::rtp_iv(salt, SSRC, 2, 0xABCD);
                    let plain = open(
                        LABEL_RTP_ENCRYPTION,
                        LABEL_RTP_SALT,
                        &rtp_iv,
                        &[&rtp[..12]],
                        &rtp[12..],
                    );
                    // SRTCP: [clear 8][encrypted, tag][E + index]
                    let at = second.len() - 4;
                    let rtcp_iv = |salt| AeadAes128Gcm::rtcp_iv(salt, SSRC, 1);
                    let aads: [&[u8]; 2] = [&second[..8], &second[at..]];
                    let mut report = second[..8].to_vec();
                    report.extend(open(
                        LABEL_RTCP_ENCRYPTION,
                        LABEL_RTCP_SALT,
                        &rtcp_iv,
                        &aads,
                        &second[8..at],
                    ));
                    (plain, report, (index_of(&first, at), index_of(&second, at)))
                }
            };
            assert_eq!(opened_rtp, PAYLOAD, "{profile:?}: RTP payload");
            assert_eq!(opened_rtcp, REPORT, "{profile:?}: RTCP");
            // The E flag is set; the index counts from 0.
            assert_eq!(
                indexes,
                (0x8000_0000, 0x8000_0001),
                "{profile:?}: SRTCP index"
            );
        }
    }

    #[test]
    fn material_of_the_wrong_length_gives_no_key() {
        assert!(MasterKey::<16, 12>::from_material(&[0; 10], true).is_none());
        let material: Vec<u8> = (0..56).collect();
        let server = MasterKey::<16, 12>::from_material(&material, false);
        let server = server.map(|m| (m.key[0], m.salt[0]));
        assert_eq!(server, Some((16, 44)));
    }
}

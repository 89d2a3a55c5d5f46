//! The floor: how cheap forwarding can get on this machine, measured with the same
//! traffic as the SFUs.
//!
//! A forwarder ([`forwarder`], its own process, pinned like the SFUs) that does only what
//! every SFU must do per packet: receive the datagram, find its route by SSRC (one hash
//! lookup), authenticate and decrypt it (SRTP, the profile Plenum and Janus negotiate with
//! the load tool: `SRTP_AEAD_AES_256_GCM`), and for each receiver encrypt a copy with that
//! receiver's key and send it — in batches (`sendmmsg`). No ICE, DTLS, RTCP, congestion
//! control, NACK buffers or header rewriting.
//!
//! The keys are pre-shared: the load tool's raw-SRTP participants ([`participant`]) send
//! the same media as its WebRTC participants (the same frames, sizes, rates and layers from
//! [`crate::media`], the same accounting in [`crate::stats`]) and hand their session keys
//! and addresses to the forwarder over a control connection ([`plan`]). Publishers send
//! all three simulcast layers; each subscriber gets audio and the video layer its scenario
//! asks for, exactly as from the SFUs, so packets in and out are the same counts.

pub mod forwarder;
pub mod participant;
pub mod plan;
pub mod srtp;

/// The SRTP profile of the floor: the one str0m (load tool, Plenum) and Janus settle on —
/// both list `SRTP_AEAD_AES_256_GCM` first.
pub const PROFILE: srtp::Profile = srtp::Profile::AeadAes256Gcm;

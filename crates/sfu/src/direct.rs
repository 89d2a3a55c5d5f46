//! Forwarded audio written by the SFU itself, beside str0m.
//!
//! Through str0m, every forwarded packet costs the subscriber's `Rtc` a packetizing step,
//! a pacer step, a walk over all its streams for the next timeout and a copy into the
//! retransmission cache (`docs/sfu-fast-path.md`). Audio needs none of that: an Opus frame
//! is one packet, browsers neither ask for audio retransmissions nor pace it, and the
//! bandwidth estimate only chooses video layers (audio has its fixed reserve there). So a
//! forwarded audio frame becomes one RTP packet here — header written, sealed with the
//! subscriber's SRTP keys ([`crate::srtp`]), handed to the socket — and the subscriber's
//! `Rtc` is not touched at all.
//!
//! str0m still owns the m-line and its SSRC (declared in its SDP) but never writes to it;
//! its own sender reports for audio are switched off (`RtcFactory`), so the reports that
//! let a browser sync this audio with the video str0m sends come from here, from the same
//! arrival clock str0m's video reports use.

use crate::Transmit;
use crate::srtp::{KeySlot, SrtpSender};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use str0m::crypto::CryptoError;

/// RTP version 2 in the first header byte.
const RTP_VERSION: u8 = 0x80;
/// The X bit: a header extension follows the fixed header.
const RTP_EXTENSION: u8 = 0x10;
/// Length of the fixed RTP header.
const RTP_HEADER_LEN: usize = 12;
/// The one-byte header extension profile (RFC 8285 §4.2).
const ONE_BYTE_PROFILE: [u8; 2] = [0xBE, 0xDE];
/// RTCP packet type of a sender report (RFC 3550 §6.4.1).
const RTCP_SENDER_REPORT: u8 = 200;
/// Length of a sender report without report blocks.
const SENDER_REPORT_LEN: usize = 28;
/// Seconds from the NTP epoch (1900) to the Unix epoch.
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
/// Sender reports of a stream: the first with its first packet, the next after this…
const FIRST_REPORT_INTERVAL: Duration = Duration::from_secs(1);
/// …and then at str0m's audio interval. A browser syncs audio with video once it has two
/// reports of each, so the first two come quickly.
const REPORT_INTERVAL: Duration = Duration::from_secs(5);

/// Maps `Instant`s onto wall-clock time for sender reports. str0m maps the `Instant`s of
/// its own reports with one pair of readings of both clocks, taken once per process; this
/// takes its pair the same way, so on any clock handed to the `Sfu` (the real one, or a
/// test's simulated one that starts at the real `Instant::now()`), the two mappings agree
/// up to the moment between the two readings. Each conference's own `now` would not do:
/// a simulated clock can be anywhere ahead of the real one by then.
#[derive(Clone, Copy, Debug)]
struct WallClock {
    instant: Instant,
    system: SystemTime,
}

static WALL_CLOCK: LazyLock<WallClock> = LazyLock::new(|| WallClock {
    instant: Instant::now(),
    system: SystemTime::now(),
});

impl WallClock {
    /// 64-bit NTP time (seconds since 1900 in the upper half, fraction in the lower).
    fn ntp(&self, at: Instant) -> u64 {
        let system = match at.checked_duration_since(self.instant) {
            Some(after) => self.system + after,
            None => self.system - self.instant.duration_since(at),
        };
        let unix = system.duration_since(UNIX_EPOCH).unwrap_or_default();
        let seconds = unix.as_secs() + NTP_UNIX_OFFSET;
        let fraction = (u64::from(unix.subsec_nanos()) << 32) / 1_000_000_000;
        (seconds << 32) | fraction
    }
}

/// What a subscribe connection needs for packets written here: its keys, once DTLS has
/// made them, and the address its media goes to.
#[derive(Debug)]
pub(crate) struct DirectSender {
    keys: Arc<KeySlot>,
    srtp: Option<SrtpSender>,
    peer: Option<SocketAddr>,
    /// The id of the RFC 6464 audio level extension in this connection's offers.
    audio_level_id: Option<u8>,
}

impl DirectSender {
    pub(crate) fn new(keys: Arc<KeySlot>, audio_level_id: Option<u8>) -> Self {
        DirectSender {
            keys,
            srtp: None,
            peer: None,
            audio_level_id,
        }
    }

    /// Notes where str0m sent a datagram. Only DTLS and SRTP count (first byte ≥ 20, RFC
    /// 7983): those go over the selected candidate pair, STUN replies also to others.
    pub(crate) fn sent(&mut self, destination: SocketAddr, first_byte: Option<u8>) {
        if first_byte.is_some_and(|b| b >= 20) {
            self.peer = Some(destination);
        }
    }

    /// Notes where the browser's SRTP or SRTCP came from (an address ICE has checked, or
    /// the datagram would not have been routed here): its selected candidate pair. A
    /// subscribe connection that carries only audio sends nothing through str0m after the
    /// handshake, so after a move to another pair this is how the audio follows.
    pub(crate) fn heard_from(&mut self, source: SocketAddr) {
        self.peer = Some(source);
    }

    /// Keys and address, once both are known.
    fn ready(&mut self) -> Option<(&mut SrtpSender, SocketAddr)> {
        if self.srtp.is_none() {
            self.srtp = self.keys.take();
        }
        Some((self.srtp.as_mut()?, self.peer?))
    }
}

/// One forwarded audio frame, as it is to be written.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AudioFrame<'a> {
    pub(crate) pt: u8,
    /// RTP time on the subscriber's timeline.
    pub(crate) time: u32,
    /// When the frame arrived: its sender report maps `time` to this.
    pub(crate) arrival: Instant,
    /// RFC 6464 level (−dBov) and voice activity, passed on from the publisher.
    pub(crate) level: Option<(i8, bool)>,
    pub(crate) payload: &'a [u8],
}

/// The state of one outgoing audio stream (one m-line's SSRC): it lasts as long as the
/// m-line, across the tracks that reuse it, so sequence numbers run on.
#[derive(Debug)]
pub(crate) struct AudioOut {
    ssrc: u32,
    /// SRTP index (rollover counter and sequence number) of the next packet.
    next_index: u64,
    packets: u32,
    octets: u32,
    next_report: Option<Instant>,
    reports: u32,
}

impl AudioOut {
    pub(crate) fn new(ssrc: u32) -> Self {
        AudioOut {
            ssrc,
            // Any start will do under SRTP; below 2^15, as RFC 3711 §3.3.1 advises, so
            // the first rollover is far away. The SSRC is random, so this is too.
            next_index: u64::from(ssrc & 0x7fff),
            packets: 0,
            octets: 0,
            next_report: None,
            reports: 0,
        }
    }

    /// Seals `frame` as the stream's next packet and queues it (and a sender report, when
    /// one is due) for `sender`'s peer. Nothing is sent before the connection's keys and
    /// address are known: str0m too drops media written before DTLS is up.
    pub(crate) fn write(
        &mut self,
        sender: &mut DirectSender,
        frame: AudioFrame<'_>,
        transmits: &mut VecDeque<Transmit>,
    ) -> Result<(), CryptoError> {
        let level_id = sender.audio_level_id;
        let Some((srtp, peer)) = sender.ready() else {
            return Ok(());
        };
        let index = self.next_index;
        let mut header = [0u8; RTP_HEADER_LEN + 8];
        let header_len = write_header(&mut header, self.ssrc, index as u16, &frame, level_id);
        let packet = srtp.seal_rtp(&header[..header_len], frame.payload, self.ssrc, index)?;
        self.next_index += 1;
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add(frame.payload.len() as u32);
        transmits.push_back(Transmit {
            destination: peer,
            contents: packet,
        });
        if self.next_report.is_none_or(|at| frame.arrival >= at) {
            let report = self.sender_report(WALL_CLOCK.ntp(frame.arrival), frame.time);
            transmits.push_back(Transmit {
                destination: peer,
                contents: srtp.seal_rtcp(&report)?,
            });
            self.reports += 1;
            let interval = if self.reports < 2 {
                FIRST_REPORT_INTERVAL
            } else {
                REPORT_INTERVAL
            };
            self.next_report = Some(frame.arrival + interval);
        }
        Ok(())
    }

    /// A sender report without report blocks (RFC 3550 §6.4.1): this stream's RTP time at
    /// an NTP time, and what it has sent.
    fn sender_report(&self, ntp: u64, time: u32) -> [u8; SENDER_REPORT_LEN] {
        let mut report = [0u8; SENDER_REPORT_LEN];
        report[0] = RTP_VERSION;
        report[1] = RTCP_SENDER_REPORT;
        report[2..4].copy_from_slice(&((SENDER_REPORT_LEN / 4 - 1) as u16).to_be_bytes());
        report[4..8].copy_from_slice(&self.ssrc.to_be_bytes());
        report[8..16].copy_from_slice(&ntp.to_be_bytes());
        report[16..20].copy_from_slice(&time.to_be_bytes());
        report[20..24].copy_from_slice(&self.packets.to_be_bytes());
        report[24..28].copy_from_slice(&self.octets.to_be_bytes());
        report
    }
}

/// Writes the RTP header of `frame` into `buf`; returns its length. The audio level goes
/// in a one-byte header extension when the connection negotiates it (`level_id`).
fn write_header(
    buf: &mut [u8; RTP_HEADER_LEN + 8],
    ssrc: u32,
    seq: u16,
    frame: &AudioFrame<'_>,
    level_id: Option<u8>,
) -> usize {
    buf[0] = RTP_VERSION;
    buf[1] = frame.pt & 0x7f;
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    buf[4..8].copy_from_slice(&frame.time.to_be_bytes());
    buf[8..12].copy_from_slice(&ssrc.to_be_bytes());
    let (Some(id), Some((level, voice))) = (level_id, frame.level) else {
        return RTP_HEADER_LEN;
    };
    buf[0] |= RTP_EXTENSION;
    buf[12..14].copy_from_slice(&ONE_BYTE_PROFILE);
    // One 32-bit word: the element (id, length − 1 = 0, one data byte) and padding.
    buf[14..16].copy_from_slice(&1u16.to_be_bytes());
    buf[16] = id << 4;
    buf[17] = if voice { 0x80 } else { 0 } | (level.unsigned_abs() & 0x7f);
    RTP_HEADER_LEN + 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_carries_sequence_time_ssrc_and_level() {
        let frame = AudioFrame {
            pt: 111,
            time: 0x0102_0304,
            arrival: Instant::now(),
            level: Some((-37, true)),
            payload: &[],
        };
        let mut buf = [0u8; RTP_HEADER_LEN + 8];
        let len = write_header(&mut buf, 0xAABB_CCDD, 0x0506, &frame, Some(1));
        assert_eq!(
            buf[..len],
            [
                0x90,
                111,
                0x05,
                0x06,
                1,
                2,
                3,
                4,
                0xAA,
                0xBB,
                0xCC,
                0xDD,
                0xBE,
                0xDE,
                0,
                1,
                0x10,
                0x80 | 37,
                0,
                0
            ]
        );
        // Without a negotiated extension: the fixed header only.
        assert_eq!(write_header(&mut buf, 1, 2, &frame, None), RTP_HEADER_LEN);
        assert_eq!(buf[0], 0x80);
    }

    #[test]
    fn ntp_time_counts_from_1900() {
        let now = Instant::now();
        let clock = WallClock {
            instant: now,
            system: UNIX_EPOCH + Duration::from_millis(1500),
        };
        assert_eq!(clock.ntp(now) >> 32, NTP_UNIX_OFFSET + 1);
        assert_eq!(clock.ntp(now) & 0xFFFF_FFFF, 1 << 31);
        let later = clock.ntp(now + Duration::from_secs(2));
        assert_eq!(later >> 32, NTP_UNIX_OFFSET + 3);
    }
}

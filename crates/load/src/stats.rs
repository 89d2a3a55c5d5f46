//! What one participant counted inside the measuring window: packets it sent as a
//! publisher, and per received stream packets, bytes, loss, jitter and one-way delay.

use crate::media;
use std::collections::HashMap;

/// Audio or video.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    Audio,
    Video,
}

impl StreamKind {
    fn clock_rate(self) -> u64 {
        match self {
            StreamKind::Audio => u64::from(media::AUDIO_CLOCK_RATE),
            StreamKind::Video => u64::from(media::VIDEO_CLOCK_RATE),
        }
    }
}

/// At most this many delay samples per participant and run; beyond it samples are
/// skipped (the count is still exact), so memory stays bounded on long runs.
const MAX_DELAY_SAMPLES: usize = 200_000;

/// One received RTP stream (one SSRC of the subscribe connection).
#[derive(Clone, Debug)]
pub struct StreamStats {
    pub kind: StreamKind,
    pub packets: u64,
    pub bytes: u64,
    first_seq: u64,
    highest_seq: u64,
    /// RFC 3550 interarrival jitter, in RTP timestamp units.
    jitter: f64,
    last_transit: Option<i64>,
}

impl StreamStats {
    fn new(kind: StreamKind, seq: u64) -> Self {
        StreamStats {
            kind,
            packets: 0,
            bytes: 0,
            first_seq: seq,
            highest_seq: seq,
            jitter: 0.0,
            last_transit: None,
        }
    }

    /// Packets the sequence numbers say should have arrived, from the first seen in the
    /// window to the highest.
    pub fn expected(&self) -> u64 {
        self.highest_seq - self.first_seq + 1
    }

    /// Missing sequence numbers (a retransmission that filled a gap counts as received).
    pub fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.packets)
    }

    /// The RFC 3550 jitter in milliseconds.
    pub fn jitter_ms(&self) -> f64 {
        self.jitter * 1000.0 / self.kind.clock_rate() as f64
    }

    fn on_packet(&mut self, seq: u64, rtp_time: u64, arrival_micros: u64, bytes: usize) {
        self.packets += 1;
        self.bytes += bytes as u64;
        self.first_seq = self.first_seq.min(seq);
        self.highest_seq = self.highest_seq.max(seq);
        // RFC 3550, 6.4.1 and A.8: transit = arrival − RTP time, in clock units.
        let arrival =
            (u128::from(arrival_micros) * u128::from(self.kind.clock_rate()) / 1_000_000) as i64;
        let transit = arrival.wrapping_sub(rtp_time as i64);
        if let Some(last) = self.last_transit {
            let d = (transit - last).unsigned_abs() as f64;
            self.jitter += (d - self.jitter) / 16.0;
        }
        self.last_transit = Some(transit);
    }
}

/// One received packet, as the accounting needs it.
#[derive(Clone, Copy, Debug)]
pub struct ReceivedPacket<'a> {
    pub ssrc: u32,
    pub kind: StreamKind,
    pub seq: u64,
    pub rtp_time: u64,
    pub arrival_micros: u64,
    pub payload: &'a [u8],
    pub bytes: usize,
}

/// Everything one participant counted in the window.
#[derive(Clone, Debug, Default)]
pub struct ParticipantStats {
    /// RTP packets this participant wrote as a publisher (retransmissions excluded).
    pub sent_packets: u64,
    pub sent_bytes: u64,
    pub streams: HashMap<u32, StreamStats>,
    /// One-way delays in µs: one per received video frame (its first packet) and per
    /// audio packet.
    pub delays_micros: Vec<u32>,
    /// Keyframe requests (PLI/FIR) the server sent this publisher.
    pub keyframe_requests: u64,
    /// Datagrams the socket refused to take (full send buffer).
    pub send_drops: u64,
}

impl ParticipantStats {
    pub fn on_sent(&mut self, bytes: usize) {
        self.sent_packets += 1;
        self.sent_bytes += bytes as u64;
    }

    pub fn on_received(&mut self, packet: ReceivedPacket<'_>) {
        self.streams
            .entry(packet.ssrc)
            .or_insert_with(|| StreamStats::new(packet.kind, packet.seq))
            .on_packet(
                packet.seq,
                packet.rtp_time,
                packet.arrival_micros,
                packet.bytes,
            );
        let sent = match packet.kind {
            StreamKind::Audio => media::parse_opus(packet.payload),
            StreamKind::Video => media::parse_vp8(packet.payload).map(|start| start.sent),
        };
        if let Some(sent) = sent
            && self.delays_micros.len() < MAX_DELAY_SAMPLES
        {
            let delay = packet.arrival_micros.saturating_sub(sent);
            self.delays_micros
                .push(u32::try_from(delay).unwrap_or(u32::MAX));
        }
    }
}

/// The `p`-th percentile (0–100) of sorted values.
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted.get(rank.min(sorted.len() - 1)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audio(seq: u64, arrival_micros: u64, rtp_time: u64) -> ReceivedPacket<'static> {
        static PAYLOAD: [u8; 9] = [0xf8, 0x10, 0x27, 0, 0, 0, 0, 0, 0];
        ReceivedPacket {
            ssrc: 7,
            kind: StreamKind::Audio,
            seq,
            rtp_time,
            arrival_micros,
            payload: &PAYLOAD,
            bytes: 80,
        }
    }

    #[test]
    fn gaps_count_as_loss_and_retransmissions_fill_them() {
        let mut stats = ParticipantStats::default();
        for seq in [10, 11, 13, 14, 16] {
            stats.on_received(audio(seq, 20_000 * seq, 960 * seq));
        }
        let stream = &stats.streams[&7];
        assert_eq!(stream.expected(), 7);
        assert_eq!(stream.lost(), 2);
        stats.on_received(audio(12, 20_000 * 12 + 500, 960 * 12));
        assert_eq!(stats.streams[&7].lost(), 1);
        // Payload timestamp 10_000 µs (0x2710); arrivals are 200 ms and more later.
        assert_eq!(stats.delays_micros[0], 200_000 - 10_000);
    }

    #[test]
    fn jitter_follows_rfc_3550() {
        let mut stats = ParticipantStats::default();
        // Perfectly paced packets: no jitter.
        for seq in 0..50 {
            stats.on_received(audio(seq, 1_000_000 + 20_000 * seq, 960 * seq));
        }
        assert!(stats.streams[&7].jitter_ms() < 1e-9);
        // Every other packet 4 ms late: |D| = 4 ms each time, J converges to 4 ms.
        for seq in 50..500 {
            let late = if seq % 2 == 0 { 4_000 } else { 0 };
            stats.on_received(audio(seq, 1_000_000 + 20_000 * seq + late, 960 * seq));
        }
        let jitter = stats.streams[&7].jitter_ms();
        assert!((jitter - 4.0).abs() < 0.01, "{jitter}");
    }

    #[test]
    fn percentiles_pick_by_rank() {
        let sorted: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(51));
        assert_eq!(percentile(&sorted, 99.0), Some(99));
        assert_eq!(percentile(&sorted, 100.0), Some(100));
        assert_eq!(percentile(&[], 50.0), None);
    }
}

//! The synthetic media: VP8 frames and Opus packets that are never encoded or decoded, but
//! look real to an SFU — sizes and rates of a browser's simulcast camera and microphone,
//! VP8 payload descriptors, keyframe headers with start code and dimensions, and the P
//! bit on deltas — and carry their send time.
//!
//! Send time: `CLOCK_MONOTONIC` in µs (see [`crate::clock`]), 8 bytes little-endian, at
//! byte [`VIDEO_TIMESTAMP_OFFSET`] of every VP8 frame (so in the first RTP packet of the
//! frame, after the payload descriptor) and at byte [`AUDIO_TIMESTAMP_OFFSET`] of every
//! Opus packet (after the TOC byte). An SFU that repacketizes frames keeps the frame's
//! first bytes in its first packet, so the receiver finds the timestamp either way.

use std::time::Duration;

/// Video frames per second of every layer.
pub const VIDEO_FPS: u32 = 30;
/// Time between video frames.
pub const VIDEO_FRAME_INTERVAL: Duration = Duration::from_nanos(1_000_000_000 / VIDEO_FPS as u64);
/// Opus packet duration.
pub const AUDIO_PACKET_INTERVAL: Duration = Duration::from_millis(20);
/// Opus at 32 kbit/s in 20 ms packets.
pub const AUDIO_PACKET_BYTES: usize = 32_000 / 8 / 50;
/// RTP clock rates.
pub const VIDEO_CLOCK_RATE: u32 = 90_000;
pub const AUDIO_CLOCK_RATE: u32 = 48_000;
/// VP8 frame bytes per RTP packet (a browser's packets are about 1200 bytes on the wire;
/// this leaves room for the RTP header, extensions, descriptor and SRTP tag).
pub const VP8_CHUNK_BYTES: usize = 1100;
/// A keyframe is this many times the size of an average delta frame of its layer.
pub const KEYFRAME_FACTOR: usize = 5;
/// Where the send time sits in a VP8 frame: after the 10-byte keyframe header (deltas have
/// their 3-byte header followed by filler, so the place is the same for both).
pub const VIDEO_TIMESTAMP_OFFSET: usize = 10;
/// Where the send time sits in an Opus packet: after the TOC byte.
pub const AUDIO_TIMESTAMP_OFFSET: usize = 1;

/// Opus TOC: configuration 31 (CELT fullband, 20 ms), mono, one frame.
const OPUS_TOC: u8 = 31 << 3;
/// VP8 keyframe start code (RFC 6386, section 9.1).
const VP8_START_CODE: [u8; 3] = [0x9d, 0x01, 0x2a];

/// One simulcast layer of the synthetic camera.
#[derive(Clone, Copy, Debug)]
pub struct LayerSpec {
    pub rid: &'static str,
    pub width: u16,
    pub height: u16,
    pub bits_per_second: u32,
}

/// The camera's layers, low to high, as a browser sends them (scaleResolutionDownBy
/// 4/2/1, maxBitrate 150k/500k/1.5M).
pub const LAYERS: [LayerSpec; 3] = [
    LayerSpec {
        rid: "q",
        width: 320,
        height: 180,
        bits_per_second: 150_000,
    },
    LayerSpec {
        rid: "h",
        width: 640,
        height: 360,
        bits_per_second: 500_000,
    },
    LayerSpec {
        rid: "f",
        width: 1280,
        height: 720,
        bits_per_second: 1_500_000,
    },
];

impl LayerSpec {
    /// Bytes of an average delta frame.
    fn delta_bytes(&self) -> usize {
        (self.bits_per_second / 8 / VIDEO_FPS) as usize
    }

    /// The size of frame number `frame_no`: keyframes are [`KEYFRAME_FACTOR`] × the
    /// average; deltas vary ±20 % around it in a fixed pseudo-random pattern, as an
    /// encoder's output does with motion.
    pub fn frame_bytes(&self, frame_no: u64, keyframe: bool) -> usize {
        let average = self.delta_bytes();
        if keyframe {
            return average * KEYFRAME_FACTOR;
        }
        // A cheap integer hash of the frame number → 0..=40, centred on 20.
        let spread = (frame_no.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize % 41;
        average * (80 + spread) / 100
    }
}

/// Writes a VP8 frame of `size` bytes (at least 18) into `out`.
pub fn vp8_frame(out: &mut Vec<u8>, layer: &LayerSpec, keyframe: bool, size: usize, sent: u64) {
    let size = size.max(VIDEO_TIMESTAMP_OFFSET + 8);
    out.clear();
    // Frame tag (RFC 6386, 9.1): bit 0 = 0 for keyframes (the P bit of RFC 7741), version
    // 0, show_frame 1, first partition size in the upper 19 bits.
    let first_partition = (size as u32 - 10).min((1 << 19) - 1);
    let tag = (first_partition << 5) | (1 << 4) | u32::from(!keyframe);
    out.extend_from_slice(&tag.to_le_bytes()[..3]);
    if keyframe {
        out.extend_from_slice(&VP8_START_CODE);
        out.extend_from_slice(&layer.width.to_le_bytes());
        out.extend_from_slice(&layer.height.to_le_bytes());
    } else {
        out.resize(VIDEO_TIMESTAMP_OFFSET, 0);
    }
    out.extend_from_slice(&sent.to_le_bytes());
    // Filler that is not all zeros, as compressed data is not.
    out.extend((out.len()..size).map(|i| (i as u8).wrapping_mul(31)));
}

/// Splits a VP8 frame into RTP payloads with an RFC 7741 descriptor carrying a 15-bit
/// picture id; calls `packet(payload, marker)` for each, marker on the last.
pub fn vp8_packetize(frame: &[u8], picture_id: u16, mut packet: impl FnMut(Vec<u8>, bool)) {
    let chunks = frame.len().div_ceil(VP8_CHUNK_BYTES).max(1);
    for (index, chunk) in frame.chunks(VP8_CHUNK_BYTES).enumerate() {
        let start = if index == 0 { 0x10 } else { 0 };
        let mut payload = Vec::with_capacity(4 + chunk.len());
        // X (extension present), S (start of partition), PID 0; I (picture id present);
        // M (15-bit picture id).
        payload.extend_from_slice(&[
            0x80 | start,
            0x80,
            0x80 | ((picture_id >> 8) as u8 & 0x7f),
            picture_id as u8,
        ]);
        payload.extend_from_slice(chunk);
        packet(payload, index + 1 == chunks);
    }
}

/// An Opus packet of [`AUDIO_PACKET_BYTES`] carrying `sent`.
pub fn opus_packet(sent: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(AUDIO_PACKET_BYTES);
    out.push(OPUS_TOC);
    out.extend_from_slice(&sent.to_le_bytes());
    out.extend((out.len()..AUDIO_PACKET_BYTES).map(|i| i as u8));
    out
}

/// What a received VP8 RTP payload tells: whether it starts a frame, whether that frame
/// is a keyframe, and the frame's send time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vp8Start {
    pub keyframe: bool,
    pub sent: u64,
}

/// Parses the descriptor of a received VP8 payload; `Some` for the first packet of a
/// frame that carries our timestamp.
pub fn parse_vp8(payload: &[u8]) -> Option<Vp8Start> {
    let first = *payload.first()?;
    let starts_frame = first & 0x10 != 0 && first & 0x07 == 0;
    if !starts_frame {
        return None;
    }
    let mut index = 1;
    if first & 0x80 != 0 {
        let extension = *payload.get(1)?;
        index = 2;
        if extension & 0x80 != 0 {
            index += if *payload.get(index)? & 0x80 != 0 {
                2
            } else {
                1
            };
        }
        if extension & 0x40 != 0 {
            index += 1;
        }
        if extension & 0x30 != 0 {
            index += 1;
        }
    }
    let frame = payload.get(index..)?;
    let keyframe = *frame.first()? & 1 == 0;
    let sent = read_u64(frame, VIDEO_TIMESTAMP_OFFSET)?;
    Some(Vp8Start { keyframe, sent })
}

/// The send time of a received Opus payload.
pub fn parse_opus(payload: &[u8]) -> Option<u64> {
    read_u64(payload, AUDIO_TIMESTAMP_OFFSET)
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let raw: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packets(frame: &[u8], picture_id: u16) -> Vec<(Vec<u8>, bool)> {
        let mut out = vec![];
        vp8_packetize(frame, picture_id, |p, m| out.push((p, m)));
        out
    }

    #[test]
    fn keyframes_carry_start_code_dimensions_and_the_send_time() {
        let layer = LAYERS[1];
        let mut frame = vec![];
        let size = layer.frame_bytes(0, true);
        vp8_frame(&mut frame, &layer, true, size, 123_456_789);
        assert_eq!(frame.len(), 2083 * KEYFRAME_FACTOR);
        assert_eq!(frame[0] & 1, 0, "P bit clear on a keyframe");
        assert_eq!(&frame[3..6], &[0x9d, 0x01, 0x2a]);
        assert_eq!(u16::from_le_bytes([frame[6], frame[7]]), 640);
        assert_eq!(u16::from_le_bytes([frame[8], frame[9]]), 360);
        let sent = packets(&frame, 300);
        assert_eq!(sent.len(), frame.len().div_ceil(VP8_CHUNK_BYTES));
        assert!(sent.iter().rev().skip(1).all(|(_, marker)| !marker));
        assert!(sent.last().unwrap().1);
        assert_eq!(
            parse_vp8(&sent[0].0),
            Some(Vp8Start {
                keyframe: true,
                sent: 123_456_789
            })
        );
        assert_eq!(parse_vp8(&sent[1].0), None, "not the start of a frame");
        // Reassembled, the packets are the frame.
        let joined: Vec<u8> = sent.iter().flat_map(|(p, _)| p[4..].to_vec()).collect();
        assert_eq!(joined, frame);
    }

    #[test]
    fn deltas_set_the_p_bit_and_vary_around_the_layer_rate() {
        let layer = LAYERS[2];
        let mut total = 0;
        for n in 1..=300 {
            let size = layer.frame_bytes(n, false);
            assert!((5000..=7500).contains(&size), "{size}");
            total += size;
        }
        let bits_per_second = total * 8 / 10;
        assert!(
            (1_350_000..1_650_000).contains(&bits_per_second),
            "{bits_per_second}"
        );
        let mut frame = vec![];
        vp8_frame(&mut frame, &layer, false, 700, 42);
        assert_eq!(frame[0] & 1, 1);
        let sent = packets(&frame, 5);
        assert_eq!(sent.len(), 1);
        assert_eq!(
            parse_vp8(&sent[0].0),
            Some(Vp8Start {
                keyframe: false,
                sent: 42
            })
        );
    }

    #[test]
    fn descriptors_with_short_picture_ids_and_tl0_parse_too() {
        // X, S; I with a 7-bit picture id; L (tl0picidx); T (tid).
        let mut payload = vec![0x90, 0xe0, 0x05, 0x01, 0x40];
        let mut frame = vec![];
        vp8_frame(&mut frame, &LAYERS[0], false, 100, 7);
        payload.extend_from_slice(&frame);
        assert_eq!(
            parse_vp8(&payload),
            Some(Vp8Start {
                keyframe: false,
                sent: 7
            })
        );
        // No extension at all.
        let mut plain = vec![0x10];
        plain.extend_from_slice(&frame);
        assert_eq!(parse_vp8(&plain).map(|s| s.sent), Some(7));
        for broken in [&[][..], &[0x90], &[0x90, 0x80], &[0x10, 0x00]] {
            assert_eq!(parse_vp8(broken), None);
        }
    }

    #[test]
    fn opus_packets_are_32_kbit_and_carry_the_send_time() {
        let packet = opus_packet(99);
        assert_eq!(packet.len() * 8 * 50, 32_000);
        assert_eq!(parse_opus(&packet), Some(99));
        assert_eq!(parse_opus(&packet[..5]), None);
    }
}

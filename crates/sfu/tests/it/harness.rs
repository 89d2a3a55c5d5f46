//! An in-process world: one `Sfu` and str0m client `Rtc`s playing the browsers, joined by
//! a lossless zero-latency "network" keyed by address, all on a simulated clock.
//!
//! The harness does the signaling a browser client does (publish offer, subscribe answer)
//! automatically, and records everything the clients receive so tests can assert on it.

use plenum_protocol::bridge::{
    BridgeCommand, BridgeEvent, PublishedTrack, SubscribedTrack, TrackSource, ViewedTile,
};
use plenum_protocol::{MeetingId, ParticipantId};
use plenum_sfu::{Sfu, SfuConfig};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{
    Direction, Frequency, MediaKind, MediaTime, Mid, Rid, Simulcast, SimulcastLayer,
};
use str0m::media::{Pt, Writer};
use str0m::net::{Protocol, Receive};
use str0m::rtp::rtcp::SenderInfo;
use str0m::{Candidate, Event, Input, Output, Rtc};
use uuid::Uuid;

pub const SFU_ADDR: &str = "192.0.2.1:3478";
/// The simulated clock's step. str0m's bandwidth probes are 15 ms bursts whose rate is
/// measured from arrival times: a coarser clock measures them wrong (at 5 ms, 2.5 instead
/// of 6 Mbit/s).
pub const STEP: Duration = Duration::from_millis(1);
pub const RIDS: [&str; 3] = ["q", "h", "f"];

/// A frame one client received on its subscribe connection.
#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub mid: Mid,
    pub time: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub contiguous: bool,
    pub keyframe: bool,
    /// Marker the sender put in byte 1 of every video frame: its layer.
    pub tag: u8,
    pub audio_level: Option<i8>,
    /// The latest sender report of the frame's stream: its NTP time and RTP time.
    pub sender_info: Option<SenderInfo>,
}

#[derive(Debug)]
pub struct ClientRtc {
    pub rtc: Rtc,
    pub timeout: Instant,
}

/// What a test participant publishes.
#[derive(Clone, Copy, Debug)]
pub struct Publish {
    pub audio: bool,
    pub camera: bool,
    pub simulcast: bool,
    pub screen: bool,
    /// The only video codec the publisher's browser supports.
    pub codec: Codec,
    /// RFC 6464 level (-dBov) written with each audio frame.
    pub level: i8,
}

impl Publish {
    pub const AV: Publish = Publish {
        audio: true,
        camera: true,
        simulcast: false,
        screen: false,
        codec: Codec::Vp8,
        level: -30,
    };
    pub const AV_SIMULCAST: Publish = Publish {
        audio: true,
        camera: true,
        simulcast: true,
        screen: false,
        codec: Codec::Vp8,
        level: -30,
    };
    pub const NOTHING: Publish = Publish {
        audio: false,
        camera: false,
        simulcast: false,
        screen: false,
        codec: Codec::Vp8,
        level: -127,
    };
}

#[derive(Debug)]
pub struct TestParticipant {
    pub conference: MeetingId,
    pub id: ParticipantId,
    pub publish: ClientRtc,
    pub subscribe: ClientRtc,
    pub pub_addr: SocketAddr,
    pub sub_addr: SocketAddr,
    pub spec: Publish,
    pub audio_mid: Option<Mid>,
    pub video_mid: Option<Mid>,
    pub screen_mid: Option<Mid>,
    pending_publish: Option<SdpPendingOffer>,
    /// Latest subscribe offer's map: mid → (publisher, source).
    pub sub_tracks: BTreeMap<Mid, (ParticipantId, TrackSource)>,
    pub received: Vec<Received>,
    /// Layers whose next frame must be a keyframe (asked for by the SFU, or at start).
    keyframe_due: Vec<Option<Rid>>,
    frame_no: u64,
    pub keyframe_requests_seen: usize,
    /// Whether the harness sends media for this participant.
    pub sending: bool,
    /// How many simulcast layers, low → high, it sends: a browser starts with the lowest
    /// and adds the others as its bandwidth estimate grows.
    pub layers_sent: usize,
    /// Whether the harness answers SFU offers automatically.
    pub auto_answer: bool,
    pub offers_seen: usize,
    pub last_offer: Option<String>,
}

impl TestParticipant {
    /// Frames received from `publisher`'s `source`.
    pub fn from(&self, publisher: ParticipantId, source: TrackSource) -> Vec<&Received> {
        self.received
            .iter()
            .filter(|r| self.sub_tracks.get(&r.mid) == Some(&(publisher, source)))
            .collect()
    }

    pub fn count_from(&self, publisher: ParticipantId, source: TrackSource) -> usize {
        self.from(publisher, source).len()
    }
}

pub struct World {
    pub sfu: Sfu,
    pub now: Instant,
    pub start: Instant,
    pub sfu_addr: SocketAddr,
    pub participants: Vec<TestParticipant>,
    pub events: Vec<(MeetingId, BridgeEvent)>,
    net: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    next_port: u16,
    /// Datagrams the SFU sent, by destination.
    pub sent_to: BTreeMap<SocketAddr, usize>,
    /// Loss on one path: every nth video RTP datagram (by size: audio frames here are
    /// small) the SFU sends to this address is lost; retransmissions are lost alike.
    pub lose_every: Option<(SocketAddr, usize)>,
    pub lost: usize,
    rtp_to_lossy: usize,
}

impl World {
    pub fn new() -> World {
        let sfu_addr: SocketAddr = SFU_ADDR.parse().unwrap();
        let sfu = Sfu::new(SfuConfig {
            local_addrs: vec![sfu_addr],
            socket_addr: sfu_addr,
        })
        .unwrap();
        let now = Instant::now();
        World {
            sfu,
            now,
            start: now,
            sfu_addr,
            participants: vec![],
            events: vec![],
            net: VecDeque::new(),
            next_port: 10_000,
            sent_to: BTreeMap::new(),
            lose_every: None,
            lost: 0,
            rtp_to_lossy: 0,
        }
    }

    fn client(&mut self, codec: Codec) -> (ClientRtc, SocketAddr) {
        let addr: SocketAddr = format!("198.51.100.7:{}", self.next_port).parse().unwrap();
        self.next_port += 1;
        let config = match codec {
            Codec::Vp8 => Rtc::builder(),
            Codec::Vp9 => Rtc::builder()
                .clear_codecs()
                .enable_opus(true, false)
                .enable_vp9(true),
            Codec::H264 => Rtc::builder()
                .clear_codecs()
                .enable_opus(true, false)
                .enable_h264(true),
            other => panic!("harness has no frames for {other:?}"),
        };
        let mut rtc = config.build(self.now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        (
            ClientRtc {
                rtc,
                timeout: self.now,
            },
            addr,
        )
    }

    /// Adds a participant and sends its publish offer; returns its index.
    pub fn join(&mut self, conference: MeetingId, spec: Publish) -> usize {
        let id = ParticipantId(Uuid::new_v4());
        let (publish, pub_addr) = self.client(spec.codec);
        let (subscribe, sub_addr) = self.client(Codec::Vp8);
        self.participants.push(TestParticipant {
            conference,
            id,
            publish,
            subscribe,
            pub_addr,
            sub_addr,
            spec,
            audio_mid: None,
            video_mid: None,
            screen_mid: None,
            pending_publish: None,
            sub_tracks: BTreeMap::new(),
            received: vec![],
            keyframe_due: RIDS
                .iter()
                .map(|r| Some(Rid::from(*r)))
                .chain([None])
                .collect(),
            frame_no: 0,
            keyframe_requests_seen: 0,
            sending: true,
            layers_sent: RIDS.len(),
            auto_answer: true,
            offers_seen: 0,
            last_offer: None,
        });
        let idx = self.participants.len() - 1;
        self.sfu.handle_command(
            BridgeCommand::AddParticipant {
                conference,
                participant: id,
            },
            self.now,
        );
        if spec.audio || spec.camera || spec.screen {
            self.publish_offer(idx);
        }
        self.settle();
        idx
    }

    fn publish_offer(&mut self, idx: usize) {
        let p = &mut self.participants[idx];
        let mut api = p.publish.rtc.sdp_api();
        let mut tracks = vec![];
        let wanted = [
            (p.spec.audio, TrackSource::Microphone, false),
            (p.spec.camera, TrackSource::Camera, p.spec.simulcast),
            (p.spec.screen, TrackSource::Screen, false),
        ];
        for (on, source, simulcast) in wanted {
            if !on {
                continue;
            }
            let kind = if source.is_video() {
                MediaKind::Video
            } else {
                MediaKind::Audio
            };
            let simulcast = simulcast.then(|| {
                let mut s = Simulcast::new();
                for rid in RIDS {
                    s.add_send_layer(SimulcastLayer::new(rid));
                }
                s
            });
            let mid = api.add_media(kind, Direction::SendOnly, None, None, simulcast);
            *match source {
                TrackSource::Microphone => &mut p.audio_mid,
                TrackSource::Camera => &mut p.video_mid,
                TrackSource::Screen => &mut p.screen_mid,
            } = Some(mid);
            tracks.push(PublishedTrack {
                mid: mid.to_string(),
                source,
            });
        }
        let (offer, pending) = api.apply().unwrap();
        p.pending_publish = Some(pending);
        let cmd = BridgeCommand::PublishOffer {
            conference: p.conference,
            participant: p.id,
            sdp: offer.to_sdp_string(),
            tracks,
        };
        self.sfu.handle_command(cmd, self.now);
    }

    pub fn command(&mut self, cmd: BridgeCommand) {
        self.sfu.handle_command(cmd, self.now);
        self.settle();
    }

    pub fn view(&mut self, idx: usize, tiles: &[(usize, u32, u32)]) {
        let tiles: Vec<_> = tiles
            .iter()
            .map(|(who, w, h)| (*who, TrackSource::Camera, *w, *h))
            .collect();
        self.view_sources(idx, &tiles);
    }

    pub fn view_sources(&mut self, idx: usize, tiles: &[(usize, TrackSource, u32, u32)]) {
        let tiles = tiles
            .iter()
            .map(|(who, source, w, h)| ViewedTile {
                participant_id: self.participants[*who].id,
                source: *source,
                width: *w,
                height: *h,
            })
            .collect();
        let p = &self.participants[idx];
        let cmd = BridgeCommand::View {
            conference: p.conference,
            participant: p.id,
            tiles,
        };
        self.command(cmd);
    }

    /// Handles outputs without advancing time.
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut busy = false;
            while let Some(t) = self.sfu.poll_transmit() {
                *self.sent_to.entry(t.destination).or_default() += 1;
                busy = true;
                if let Some((addr, n)) = self.lose_every
                    && addr == t.destination
                    && is_rtp(&t.contents)
                    && t.contents.len() > 400
                {
                    self.rtp_to_lossy += 1;
                    if self.rtp_to_lossy.is_multiple_of(n) {
                        self.lost += 1;
                        continue;
                    }
                }
                self.net
                    .push_back((self.sfu_addr, t.destination, t.contents));
            }
            while let Some(ev) = self.sfu.poll_event() {
                self.on_event(ev);
                busy = true;
            }
            for i in 0..self.participants.len() {
                busy |= self.poll_client(i, true);
                busy |= self.poll_client(i, false);
            }
            while let Some((src, dst, data)) = self.net.pop_front() {
                busy = true;
                self.deliver(src, dst, &data);
            }
            if !busy {
                return;
            }
        }
        panic!("world does not settle");
    }

    fn deliver(&mut self, src: SocketAddr, dst: SocketAddr, data: &[u8]) {
        if dst == self.sfu_addr {
            self.sfu.handle_datagram(src, dst, data, self.now);
            return;
        }
        let now = self.now;
        for p in &mut self.participants {
            let client = if p.pub_addr == dst {
                &mut p.publish
            } else if p.sub_addr == dst {
                &mut p.subscribe
            } else {
                continue;
            };
            let input = Input::Receive(
                now,
                Receive {
                    proto: Protocol::Udp,
                    source: src,
                    destination: dst,
                    contents: data.try_into().unwrap(),
                },
            );
            client.rtc.handle_input(input).unwrap();
            client.timeout = now;
            return;
        }
    }

    /// Polls one client until its timeout; true if it produced anything.
    fn poll_client(&mut self, idx: usize, publish: bool) -> bool {
        let now = self.now;
        let mut busy = false;
        loop {
            let p = &mut self.participants[idx];
            let (client, addr) = if publish {
                (&mut p.publish, p.pub_addr)
            } else {
                (&mut p.subscribe, p.sub_addr)
            };
            if client.timeout > now || !client.rtc.is_alive() {
                return busy;
            }
            match client.rtc.poll_output().unwrap() {
                Output::Timeout(t) => {
                    if t <= now {
                        client.rtc.handle_input(Input::Timeout(now)).unwrap();
                        continue;
                    }
                    client.timeout = t;
                    return busy;
                }
                Output::Transmit(t) => {
                    busy = true;
                    self.net.push_back((addr, t.destination, t.contents.into()));
                }
                Output::Event(e) => {
                    busy = true;
                    self.on_client_event(idx, publish, e);
                }
            }
        }
    }

    fn on_client_event(&mut self, idx: usize, publish: bool, e: Event) {
        let now = self.now;
        let p = &mut self.participants[idx];
        match e {
            Event::KeyframeRequest(req) if publish => {
                p.keyframe_requests_seen += 1;
                if !p.keyframe_due.contains(&req.rid) {
                    p.keyframe_due.push(req.rid);
                }
            }
            Event::MediaData(d) if !publish => {
                p.received.push(Received {
                    at: now,
                    mid: d.mid,
                    time: d.time.numer(),
                    first_seq: **d.seq_range.start(),
                    last_seq: **d.seq_range.end(),
                    contiguous: d.contiguous,
                    keyframe: d.is_keyframe(),
                    tag: d.data.get(1).copied().unwrap_or(0),
                    audio_level: d.ext_vals.audio_level,
                    sender_info: d.last_sender_info,
                });
            }
            _ => {}
        }
    }

    fn on_event(&mut self, (conference, ev): (MeetingId, BridgeEvent)) {
        self.events.push((conference, ev.clone()));
        let Some(idx) = self.participants.iter().position(|p| match &ev {
            BridgeEvent::PublishAnswer { participant, .. }
            | BridgeEvent::SubscribeOffer { participant, .. } => *participant == p.id,
            _ => false,
        }) else {
            return;
        };
        let p = &mut self.participants[idx];
        assert_eq!(
            p.conference, conference,
            "event delivered for another conference"
        );
        match ev {
            BridgeEvent::PublishAnswer { sdp, .. } => {
                let answer = SdpAnswer::from_sdp_string(&sdp).unwrap();
                let pending = p.pending_publish.take().expect("answer without offer");
                p.publish
                    .rtc
                    .sdp_api()
                    .accept_answer(pending, answer)
                    .unwrap();
                p.publish.timeout = self.now;
            }
            BridgeEvent::SubscribeOffer { sdp, tracks, .. } => {
                p.offers_seen += 1;
                p.sub_tracks = tracks
                    .iter()
                    .map(
                        |SubscribedTrack {
                             mid,
                             participant_id,
                             source,
                         }| {
                            (Mid::from(mid.as_str()), (*participant_id, *source))
                        },
                    )
                    .collect();
                p.last_offer = Some(sdp);
                if p.auto_answer {
                    self.answer_last_offer(idx);
                }
            }
            _ => {}
        }
    }

    /// Answers the participant's latest subscribe offer (the harness does this on its own
    /// unless `auto_answer` is off).
    pub fn answer_last_offer(&mut self, idx: usize) {
        let p = &mut self.participants[idx];
        let sdp = p.last_offer.take().expect("no offer to answer");
        let offer = SdpOffer::from_sdp_string(&sdp).unwrap();
        let answer = p.subscribe.rtc.sdp_api().accept_offer(offer).unwrap();
        p.subscribe.timeout = self.now;
        let cmd = BridgeCommand::SubscribeAnswer {
            conference: p.conference,
            participant: p.id,
            sdp: answer.to_sdp_string(),
        };
        self.sfu.handle_command(cmd, self.now);
    }

    /// Advances the clock by `d` in small steps, sending media from every participant
    /// (audio each 20 ms, video each 40 ms).
    pub fn run(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now += STEP;
            let elapsed = (self.now - self.start).as_millis() as u64;
            for i in 0..self.participants.len() {
                if elapsed.is_multiple_of(20) {
                    self.send_audio(i);
                }
                if elapsed.is_multiple_of(40) {
                    self.send_video(i);
                }
            }
            if self.sfu.poll_timeout().is_some_and(|t| t <= self.now) {
                self.sfu.handle_timeout(self.now);
            }
            self.settle();
        }
    }

    fn send_audio(&mut self, idx: usize) {
        let now = self.now;
        let start = self.start;
        let p = &mut self.participants[idx];
        let Some(mid) = p.audio_mid else { return };
        if !p.sending || !p.publish.rtc.is_alive() || !p.publish.rtc.is_connected() {
            return;
        }
        let ms = (now - start).as_millis() as u64;
        let time = MediaTime::new(ms * 48, Frequency::FORTY_EIGHT_KHZ);
        let level = p.spec.level;
        let writer = p.publish.rtc.writer(mid).unwrap();
        let pt = payload_type(&writer, Codec::Opus);
        writer
            .audio_level(level, level > -50)
            .write(pt, now, time, vec![0xA0; 60])
            .unwrap();
        p.publish.timeout = now;
    }

    fn send_video(&mut self, idx: usize) {
        let now = self.now;
        let start = self.start;
        let p = &mut self.participants[idx];
        if !p.sending || !p.publish.rtc.is_alive() || !p.publish.rtc.is_connected() {
            return;
        }
        let codec = p.spec.codec;
        p.frame_no += 1;
        if let Some(mid) = p.screen_mid {
            let ms = (now - start).as_millis() as u64;
            let key = p.frame_no % 100 == 1 || p.keyframe_due.contains(&None);
            if p.video_mid.is_none() {
                p.keyframe_due.retain(|r| r.is_some());
            }
            let data = frame(codec, key, b's', 1200);
            let writer = p.publish.rtc.writer(mid).unwrap();
            let pt = payload_type(&writer, codec);
            let time = MediaTime::new(9_000_000 + ms * 90, Frequency::NINETY_KHZ);
            writer.write(pt, now, time, data).unwrap();
        }
        let Some(mid) = p.video_mid else { return };
        let ms = (now - start).as_millis() as u64;
        // Each layer has its own RTP time origin, as browsers' simulcast streams do.
        let layers: Vec<(Option<Rid>, u8, usize, u64)> = if p.spec.simulcast {
            vec![
                (Some(Rid::from("q")), b'q', 200, 1_000),
                (Some(Rid::from("h")), b'h', 700, 5_000_000),
                (Some(Rid::from("f")), b'f', 2_500, 77_000_000),
            ]
        } else {
            vec![(None, b'v', 900, 0)]
        };
        // Periodic keyframes every 100 frames as encoders do; others only on request.
        let periodic = p.frame_no % 100 == 1;
        for (rid, tag, size, origin) in layers.into_iter().take(p.layers_sent) {
            let key = periodic || p.keyframe_due.contains(&rid);
            p.keyframe_due.retain(|r| *r != rid);
            let data = frame(codec, key, tag, size);
            let time = MediaTime::new(origin + ms * 90, Frequency::NINETY_KHZ);
            let writer = p.publish.rtc.writer(mid).unwrap();
            let pt = payload_type(&writer, codec);
            let writer = match rid {
                Some(r) => writer.rid(r),
                None => writer,
            };
            writer.write(pt, now, time, data).unwrap();
        }
        p.publish.timeout = now;
    }

    /// Events of one kind seen so far.
    pub fn events_matching(
        &self,
        f: impl Fn(&BridgeEvent) -> bool,
    ) -> Vec<(MeetingId, BridgeEvent)> {
        self.events.iter().filter(|(_, e)| f(e)).cloned().collect()
    }
}

/// The payload type the negotiation gave `codec` on this writer's m-line.
fn payload_type(writer: &Writer, codec: Codec) -> Pt {
    writer
        .payload_params()
        .find(|pp| pp.spec().codec == codec)
        .unwrap()
        .pt()
}

/// A video frame the SFU's depacketizer reads like a real one: keyframe or not by the
/// codec's own bits, `tag` at byte 1 (VP8, VP9) to tell layers apart.
fn frame(codec: Codec, key: bool, tag: u8, size: usize) -> Vec<u8> {
    let mut data = vec![tag; size];
    match codec {
        // Frame tag: bit 0 of the first byte is 0 for keyframes.
        Codec::Vp8 => data[0] = if key { 0x10 } else { 0x11 },
        // Uncompressed header: frame marker 0b10, profile 0, frame_type bit 2 (0 = key).
        Codec::Vp9 => data[0] = if key { 0x80 } else { 0x84 },
        // One Annex B NAL unit: IDR (type 5) or non-IDR slice (type 1).
        Codec::H264 => {
            for b in &mut data {
                // No accidental start codes inside the NAL.
                if *b == 0 {
                    *b = 1;
                }
            }
            data[..5].copy_from_slice(&[0, 0, 0, 1, if key { 0x65 } else { 0x41 }]);
        }
        other => panic!("no frames for {other:?}"),
    }
    data
}

/// RTP rather than RTCP, STUN or DTLS (RFC 7983 and RFC 5761 demultiplexing).
fn is_rtp(data: &[u8]) -> bool {
    data.len() > 12 && (128..=191).contains(&data[0]) && !(192..=223).contains(&data[1])
}

pub fn meeting(n: u128) -> MeetingId {
    MeetingId(Uuid::from_u128(n))
}

/// One conference of a publisher (`spec`) and a viewer who publishes nothing; returns the
/// world and their indices.
pub fn publisher_and_viewer(spec: Publish) -> (World, usize, usize) {
    let mut w = World::new();
    let m = meeting(1);
    let publisher = w.join(m, spec);
    let viewer = w.join(m, Publish::NOTHING);
    (w, publisher, viewer)
}

/// Checks that received frames of one track form one continuous RTP stream: sequence
/// numbers without gaps or repeats, timestamps strictly increasing.
pub fn assert_continuous(frames: &[&Received]) {
    for w in frames.windows(2) {
        assert_eq!(
            w[1].first_seq,
            w[0].last_seq + 1,
            "sequence gap between frames {:?} and {:?}",
            w[0],
            w[1]
        );
        assert!(
            w[1].time > w[0].time,
            "timestamp not increasing: {:?} {:?}",
            w[0],
            w[1]
        );
        assert!(
            w[1].contiguous,
            "receiver saw a discontinuity at {:?}",
            w[1]
        );
    }
}

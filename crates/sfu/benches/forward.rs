//! Forwarding cost of the SFU, in process on a simulated clock.
//!
//! Publishers send audio (50 frames/s) and a VP8 camera (25 frames/s, 2 packets per frame);
//! every participant views every camera of its conference; str0m client `Rtc`s play the
//! browsers. Shapes: `1to50` (one publisher, 50 viewers), `10x10` (one conference of ten,
//! all publishing), `4x4` (four conferences of four). Only the time spent inside the `Sfu`
//! (its `handle_*` and `poll_*` calls) is measured, with `std::time::Instant` around each
//! call, and so are the heap allocations made meanwhile (`allocation_counter`). Both
//! are divided by the RTP packets the SFU sent (forwarded media; its RTCP, STUN and DTLS
//! count as overhead of those). The clients' own work (encrypting what they send,
//! decrypting what they receive) is excluded, as a browser would do it.
//!
//! Datagrams reach the SFU in batches of up to 32, as the bridge reads them when that many
//! are waiting (everything the simulated network carries at that moment); `unbatched` hands
//! them over one at a time, as a lightly loaded bridge gets them.
//!
//! Run: `cargo bench -p plenum-sfu --bench forward` (add `-- quick` for a short run,
//! `unbatched`, and shape names to run only those, e.g. `-- quick 10x10`).

use plenum_protocol::bridge::{
    BridgeCommand, BridgeEvent, PublishedTrack, TrackSource, ViewedTile,
};
use plenum_protocol::{MeetingId, ParticipantId};
use plenum_sfu::{Datagram, Sfu, SfuConfig};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};

/// Whether a datagram is RTP (RFC 7983 first byte 128..=191, RFC 5761 payload type outside
/// the RTCP range 192..=223).
fn is_rtp(data: &[u8]) -> bool {
    matches!(data, [128..=191, pt, ..] if !(192..=223).contains(pt))
}

struct Client {
    rtc: Rtc,
    addr: SocketAddr,
    timeout: Instant,
}

struct Peer {
    conference: MeetingId,
    id: ParticipantId,
    publish: Client,
    subscribe: Client,
    audio: Mid,
    video: Mid,
    publishes: bool,
    pending: Option<SdpPendingOffer>,
}

struct Bench {
    sfu: Sfu,
    sfu_addr: SocketAddr,
    /// Most datagrams handed to the SFU at once.
    batch: usize,
    now: Instant,
    peers: Vec<Peer>,
    by_addr: HashMap<SocketAddr, (usize, bool)>,
    net: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    sfu_time: Duration,
    sfu_allocations: u64,
    sent_rtp: u64,
    received_frames: u64,
}

impl Bench {
    fn new(batch: usize) -> Bench {
        let sfu_addr: SocketAddr = "192.0.2.1:3478".parse().expect("literal address");
        let sfu = Sfu::new(SfuConfig {
            local_addrs: vec![sfu_addr],
            socket_addr: sfu_addr,
        })
        .expect("valid config");
        Bench {
            sfu,
            sfu_addr,
            batch,
            now: Instant::now(),
            peers: vec![],
            by_addr: HashMap::new(),
            net: VecDeque::new(),
            sfu_time: Duration::ZERO,
            sfu_allocations: 0,
            sent_rtp: 0,
            received_frames: 0,
        }
    }

    fn timed<R>(&mut self, f: impl FnOnce(&mut Sfu, Instant) -> R) -> R {
        let mut result = None;
        let t = Instant::now();
        let allocations = allocation_counter::measure(|| result = Some(f(&mut self.sfu, self.now)));
        self.sfu_time += t.elapsed();
        self.sfu_allocations += allocations.count_total;
        result.expect("measured closure ran")
    }

    fn client(&mut self, idx: usize, publish: bool) -> Client {
        let port = 10_000 + u16::try_from(idx * 2 + usize::from(publish)).expect("few peers");
        let addr: SocketAddr = format!("198.51.100.7:{port}").parse().expect("address");
        let mut rtc = Rtc::builder().build(self.now);
        rtc.add_local_candidate(Candidate::host(addr, "udp").expect("host candidate"));
        self.by_addr.insert(addr, (idx, publish));
        Client {
            rtc,
            addr,
            timeout: self.now,
        }
    }

    /// A participant joins; only a publisher sends an offer (a pure viewer's publish
    /// connection stays unused, as in a browser without camera and microphone).
    fn join(&mut self, conference: MeetingId, publishes: bool) {
        let idx = self.peers.len();
        let id = ParticipantId::random();
        let mut publish = self.client(idx, true);
        let subscribe = self.client(idx, false);
        let mut api = publish.rtc.sdp_api();
        let audio = api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let video = api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, pending) = api.apply().expect("changes");
        self.peers.push(Peer {
            conference,
            id,
            publish,
            subscribe,
            audio,
            video,
            publishes,
            pending: Some(pending),
        });
        self.timed(|s, now| {
            s.handle_command(
                BridgeCommand::AddParticipant {
                    conference,
                    participant: id,
                },
                now,
            );
            if !publishes {
                return;
            }
            s.handle_command(
                BridgeCommand::PublishOffer {
                    conference,
                    participant: id,
                    sdp: offer.to_sdp_string(),
                    tracks: vec![
                        PublishedTrack {
                            mid: audio.to_string(),
                            source: TrackSource::Microphone,
                        },
                        PublishedTrack {
                            mid: video.to_string(),
                            source: TrackSource::Camera,
                        },
                    ],
                },
                now,
            );
        });
        self.settle();
    }

    fn view_all(&mut self) {
        for i in 0..self.peers.len() {
            let me = &self.peers[i];
            let tiles = self
                .peers
                .iter()
                .filter(|p| p.conference == me.conference && p.id != me.id && p.publishes)
                .map(|p| ViewedTile {
                    participant_id: p.id,
                    source: TrackSource::Camera,
                    width: 640,
                    height: 360,
                })
                .collect();
            let cmd = BridgeCommand::View {
                conference: me.conference,
                participant: me.id,
                tiles,
            };
            self.timed(|s, now| s.handle_command(cmd, now));
        }
        self.settle();
    }

    fn settle(&mut self) {
        loop {
            let mut busy = false;
            loop {
                let t = self.timed(|s, _| s.poll_transmit());
                let Some(t) = t else { break };
                self.sent_rtp += u64::from(is_rtp(&t.contents));
                self.net
                    .push_back((self.sfu_addr, t.destination, t.contents));
                busy = true;
            }
            while let Some(ev) = self.sfu.poll_event() {
                self.on_event(ev.1);
                busy = true;
            }
            for i in 0..self.peers.len() {
                busy |= self.poll_client(i, true);
                busy |= self.poll_client(i, false);
            }
            let mut batch: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
            while let Some((src, dst, data)) = self.net.pop_front() {
                busy = true;
                if dst == self.sfu_addr {
                    batch.push((src, data));
                    if batch.len() == self.batch {
                        self.deliver(&mut batch);
                    }
                } else if let Some((i, publish)) = self.by_addr.get(&dst).copied() {
                    let now = self.now;
                    let c = self.peer_client(i, publish);
                    let input = Input::Receive(
                        now,
                        Receive {
                            proto: Protocol::Udp,
                            source: src,
                            destination: dst,
                            contents: data.as_slice().try_into().expect("valid datagram"),
                        },
                    );
                    c.rtc.handle_input(input).expect("client input");
                    c.timeout = now;
                }
            }
            self.deliver(&mut batch);
            if !busy {
                return;
            }
        }
    }

    /// Hands the SFU the datagrams that reached it as one batch, as one read of its
    /// socket would.
    fn deliver(&mut self, batch: &mut Vec<(SocketAddr, Vec<u8>)>) {
        if batch.is_empty() {
            return;
        }
        let destination = self.sfu_addr;
        self.timed(|s, now| {
            let datagrams = batch.iter().map(|(source, contents)| Datagram {
                source: *source,
                destination,
                contents,
            });
            s.handle_datagrams(datagrams, now);
        });
        batch.clear();
    }

    fn peer_client(&mut self, i: usize, publish: bool) -> &mut Client {
        let p = &mut self.peers[i];
        if publish {
            &mut p.publish
        } else {
            &mut p.subscribe
        }
    }

    fn poll_client(&mut self, i: usize, publish: bool) -> bool {
        let now = self.now;
        let mut busy = false;
        loop {
            let c = self.peer_client(i, publish);
            if c.timeout > now {
                return busy;
            }
            let addr = c.addr;
            match c.rtc.poll_output().expect("client poll") {
                Output::Timeout(t) => {
                    if t <= now {
                        c.rtc
                            .handle_input(Input::Timeout(now))
                            .expect("client timeout");
                        continue;
                    }
                    c.timeout = t;
                    return busy;
                }
                Output::Transmit(t) => {
                    busy = true;
                    self.net.push_back((addr, t.destination, t.contents.into()));
                }
                Output::Event(Event::MediaData(_)) => self.received_frames += 1,
                Output::Event(_) => {}
            }
        }
    }

    fn on_event(&mut self, ev: BridgeEvent) {
        match ev {
            BridgeEvent::PublishAnswer { participant, sdp } => {
                let p = self
                    .peers
                    .iter_mut()
                    .find(|p| p.id == participant)
                    .expect("peer");
                let answer = SdpAnswer::from_sdp_string(&sdp).expect("answer");
                let pending = p.pending.take().expect("pending offer");
                p.publish
                    .rtc
                    .sdp_api()
                    .accept_answer(pending, answer)
                    .expect("accepted");
                p.publish.timeout = self.now;
            }
            BridgeEvent::SubscribeOffer {
                participant, sdp, ..
            } => {
                let p = self
                    .peers
                    .iter_mut()
                    .find(|p| p.id == participant)
                    .expect("peer");
                let offer = SdpOffer::from_sdp_string(&sdp).expect("offer");
                let answer = p
                    .subscribe
                    .rtc
                    .sdp_api()
                    .accept_offer(offer)
                    .expect("answer");
                p.subscribe.timeout = self.now;
                let cmd = BridgeCommand::SubscribeAnswer {
                    conference: p.conference,
                    participant,
                    sdp: answer.to_sdp_string(),
                };
                self.timed(|s, now| s.handle_command(cmd, now));
            }
            _ => {}
        }
    }

    fn run(&mut self, d: Duration, frame_no: &mut u64) {
        let end = self.now + d;
        let step = Duration::from_millis(20);
        while self.now < end {
            self.now += step;
            *frame_no += 1;
            let ms = *frame_no * 20;
            for p in &mut self.peers {
                if !p.publish.rtc.is_connected() {
                    continue;
                }
                let w = p.publish.rtc.writer(p.audio).expect("audio writer");
                let pt = w
                    .payload_params()
                    .find(|x| x.spec().codec == Codec::Opus)
                    .expect("opus")
                    .pt();
                w.audio_level(-30, true)
                    .write(
                        pt,
                        self.now,
                        MediaTime::new(ms * 48, Frequency::FORTY_EIGHT_KHZ),
                        vec![7u8; 80],
                    )
                    .expect("audio write");
                if frame_no.is_multiple_of(2) {
                    let w = p.publish.rtc.writer(p.video).expect("video writer");
                    let pt = w
                        .payload_params()
                        .find(|x| x.spec().codec == Codec::Vp8)
                        .expect("vp8")
                        .pt();
                    let mut frame = vec![9u8; 1800];
                    frame[0] = if *frame_no % 200 == 2 { 0x10 } else { 0x11 };
                    w.write(
                        pt,
                        self.now,
                        MediaTime::new(ms * 90, Frequency::NINETY_KHZ),
                        frame,
                    )
                    .expect("video write");
                }
                p.publish.timeout = self.now;
            }
            if self.sfu.poll_timeout().is_some_and(|t| t <= self.now) {
                self.timed(|s, now| s.handle_timeout(now));
            }
            self.settle();
        }
    }
}

/// A benchmark case: conferences of the same shape.
struct Shape {
    name: &'static str,
    conferences: usize,
    publishers: usize,
    viewers: usize,
}

const SHAPES: [Shape; 3] = [
    Shape {
        name: "1to50",
        conferences: 1,
        publishers: 1,
        viewers: 50,
    },
    Shape {
        name: "10x10",
        conferences: 1,
        publishers: 10,
        viewers: 0,
    },
    Shape {
        name: "4x4",
        conferences: 4,
        publishers: 4,
        viewers: 0,
    },
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "quick");
    let chosen: Vec<&String> = args
        .iter()
        .filter(|a| !a.starts_with('-') && *a != "quick" && *a != "unbatched")
        .collect();
    // The bridge reads up to 32 datagrams at once (quinn-udp's recvmmsg batch) when that
    // many are waiting; `unbatched` hands them over one by one, as an idle bridge gets them.
    let batch = if args.iter().any(|a| a == "unbatched") {
        1
    } else {
        32
    };
    let media_secs = if quick { 2 } else { 10 };
    println!(
        "plenum-sfu forward benchmark ({media_secs} s of simulated media per case, \
         batches of up to {batch} datagrams)"
    );
    println!(
        "{:>8} {:>12} {:>12} {:>12} {:>14} {:>14}",
        "shape", "rtp out", "frames rx", "µs CPU/pkt", "allocs/pkt", "allocs total"
    );
    for shape in SHAPES
        .iter()
        .filter(|s| chosen.is_empty() || chosen.iter().any(|c| *c == s.name))
    {
        let mut b = Bench::new(batch);
        for _ in 0..shape.conferences {
            let m = MeetingId::random();
            for _ in 0..shape.publishers {
                b.join(m, true);
            }
            for _ in 0..shape.viewers {
                b.join(m, false);
            }
        }
        b.view_all();
        let mut frame_no = 0;
        // Connection setup (ICE, DTLS) is not forwarding: warm up, then measure.
        b.run(Duration::from_secs(2), &mut frame_no);
        b.sfu_time = Duration::ZERO;
        b.sfu_allocations = 0;
        b.sent_rtp = 0;
        b.received_frames = 0;
        b.run(Duration::from_secs(media_secs), &mut frame_no);
        let packets = b.sent_rtp.max(1) as f64;
        println!(
            "{:>8} {:>12} {:>12} {:>12.2} {:>14.2} {:>14}",
            shape.name,
            b.sent_rtp,
            b.received_frames,
            b.sfu_time.as_secs_f64() * 1e6 / packets,
            b.sfu_allocations as f64 / packets,
            b.sfu_allocations,
        );
        assert!(b.received_frames > 0, "nothing was forwarded");
    }
}

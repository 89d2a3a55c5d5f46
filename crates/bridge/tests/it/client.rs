//! A browser stand-in for the bridge's tests and its benchmark: one str0m `Rtc` on its own
//! non-blocking loopback socket, counting the datagrams it exchanges and the frames it gets.

use plenum_bridge::Bridge;
use plenum_protocol::bridge::{
    BridgeCommand, BridgeEvent, PublishedTrack, TrackSource, ViewedTile,
};
use plenum_protocol::{MeetingId, ParticipantId};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::sync::mpsc::UnboundedReceiver;

pub struct Client {
    pub rtc: Rtc,
    socket: UdpSocket,
    addr: SocketAddr,
    pub audio_frames: u64,
    pub video_frames: u64,
    pub datagrams_sent: u64,
    pub datagrams_received: u64,
    buf: Vec<u8>,
}

impl Client {
    pub fn new() -> Client {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let addr = socket.local_addr().unwrap();
        let mut rtc = Rtc::builder().build(Instant::now());
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        Client {
            rtc,
            socket,
            addr,
            audio_frames: 0,
            video_frames: 0,
            datagrams_sent: 0,
            datagrams_received: 0,
            buf: vec![0; 2048],
        }
    }

    /// Handles due timeouts, sends what the `Rtc` wants sent, reads what has arrived.
    /// Returns whether anything happened (callers sleep a little when nothing did).
    pub fn pump(&mut self) -> bool {
        let mut busy = false;
        loop {
            loop {
                match self.rtc.poll_output().unwrap() {
                    Output::Timeout(t) => {
                        if t <= Instant::now() {
                            self.rtc
                                .handle_input(Input::Timeout(Instant::now()))
                                .unwrap();
                            continue;
                        }
                        break;
                    }
                    Output::Transmit(t) => {
                        // A full socket buffer loses the datagram, as the network would.
                        if self.socket.send_to(&t.contents, t.destination).is_ok() {
                            self.datagrams_sent += 1;
                        }
                    }
                    Output::Event(Event::MediaData(d)) if d.params.spec().codec == Codec::Opus => {
                        self.audio_frames += 1;
                    }
                    Output::Event(Event::MediaData(_)) => self.video_frames += 1,
                    Output::Event(_) => {}
                }
            }
            let Ok((n, source)) = self.socket.recv_from(&mut self.buf) else {
                return busy;
            };
            busy = true;
            self.datagrams_received += 1;
            let input = Input::Receive(
                Instant::now(),
                Receive {
                    proto: Protocol::Udp,
                    source,
                    destination: self.addr,
                    contents: self.buf[..n].try_into().unwrap(),
                },
            );
            self.rtc.handle_input(input).unwrap();
        }
    }

    /// Writes one frame of `codec` on `mid`, stamped with `now` (`start` is media time 0).
    pub fn write(&mut self, mid: Mid, codec: Codec, start: Instant, now: Instant, data: Vec<u8>) {
        let writer = self.rtc.writer(mid).unwrap();
        let pt = writer
            .payload_params()
            .find(|p| p.spec().codec == codec)
            .unwrap()
            .pt();
        let rate = if codec == Codec::Opus {
            Frequency::FORTY_EIGHT_KHZ
        } else {
            Frequency::NINETY_KHZ
        };
        let ticks = (now - start).as_micros() as u64 * rate.get() as u64 / 1_000_000;
        let writer = if codec == Codec::Opus {
            writer.audio_level(-30, true)
        } else {
            writer
        };
        writer
            .write(pt, now, MediaTime::new(ticks, rate), data)
            .unwrap();
    }
}

/// A participant: a publish and a subscribe connection, like the web client.
pub struct Peer {
    pub id: ParticipantId,
    pub publish: Client,
    pub subscribe: Client,
    audio: Mid,
    video: Option<Mid>,
    pending: Option<SdpPendingOffer>,
    /// Remote tracks in the latest subscribe offer.
    subscribed: usize,
}

/// One conference on a bridge, its event channel and its peers.
pub struct Meeting {
    pub id: MeetingId,
    events: UnboundedReceiver<BridgeEvent>,
    pub peers: Vec<Peer>,
    start: Instant,
    /// The ports of the bridge's host candidates in every SDP it sent.
    candidate_ports: Vec<u16>,
}

impl Meeting {
    /// Opens `id` on the bridge and joins `size` peers that publish a microphone, and a
    /// camera too when `video` is set.
    pub fn join(bridge: &Bridge, id: MeetingId, size: usize, video: bool) -> Meeting {
        let events = bridge.open_conference(id);
        let peers = (0..size)
            .map(|_| {
                let participant = ParticipantId::random();
                bridge.send(BridgeCommand::AddParticipant {
                    conference: id,
                    participant,
                });
                let mut publish = Client::new();
                let mut api = publish.rtc.sdp_api();
                let audio = api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
                let video = video.then(|| {
                    api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None)
                });
                let (offer, pending) = api.apply().unwrap();
                let mut tracks = vec![PublishedTrack {
                    mid: audio.to_string(),
                    source: TrackSource::Microphone,
                }];
                tracks.extend(video.map(|mid| PublishedTrack {
                    mid: mid.to_string(),
                    source: TrackSource::Camera,
                }));
                bridge.send(BridgeCommand::PublishOffer {
                    conference: id,
                    participant,
                    sdp: offer.to_sdp_string(),
                    tracks,
                });
                Peer {
                    id: participant,
                    publish,
                    subscribe: Client::new(),
                    audio,
                    video,
                    pending: Some(pending),
                    subscribed: 0,
                }
            })
            .collect();
        Meeting {
            id,
            events,
            peers,
            start: Instant::now(),
            candidate_ports: vec![],
        }
    }

    /// Pumps every connection and answers the bridge's events until each peer's publish
    /// offer is answered and its subscribe connection carries every other peer's tracks.
    pub fn negotiate(&mut self, bridge: &Bridge) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let tracks_per_peer = 1 + usize::from(self.peers.iter().any(|p| p.video.is_some()));
        let expected = (self.peers.len() - 1) * tracks_per_peer;
        while self
            .peers
            .iter()
            .any(|p| p.pending.is_some() || p.subscribed < expected)
        {
            assert!(
                Instant::now() < deadline,
                "negotiation did not finish in 20 s"
            );
            if !self.pump(bridge) {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    /// Every peer views every other peer's camera at 640×360.
    pub fn view_all(&self, bridge: &Bridge) {
        for me in &self.peers {
            let tiles = self
                .peers
                .iter()
                .filter(|p| p.id != me.id)
                .map(|p| ViewedTile {
                    participant_id: p.id,
                    source: TrackSource::Camera,
                    width: 640,
                    height: 360,
                })
                .collect();
            bridge.send(BridgeCommand::View {
                conference: self.id,
                participant: me.id,
                tiles,
            });
        }
    }

    /// Each connected publisher writes one audio frame, and a VP8 frame of `video_bytes`
    /// when it publishes a camera (`keyframe` marks it as one).
    pub fn speak(&mut self, video_bytes: usize, keyframe: bool) {
        let now = Instant::now();
        for p in &mut self.peers {
            if !p.publish.rtc.is_connected() {
                continue;
            }
            p.publish
                .write(p.audio, Codec::Opus, self.start, now, vec![7; 80]);
            if let Some(mid) = p.video.filter(|_| video_bytes > 0) {
                let mut frame = vec![9; video_bytes];
                // The VP8 payload header's P bit: 0 is a keyframe.
                frame[0] = if keyframe { 0x10 } else { 0x11 };
                p.publish.write(mid, Codec::Vp8, self.start, now, frame);
            }
        }
    }

    /// One round: every connection is pumped and the bridge's events are answered.
    /// Returns whether anything happened.
    pub fn pump(&mut self, bridge: &Bridge) -> bool {
        let mut busy = false;
        for p in &mut self.peers {
            busy |= p.publish.pump();
            busy |= p.subscribe.pump();
        }
        while let Ok(event) = self.events.try_recv() {
            busy = true;
            self.on_event(bridge, event);
        }
        busy
    }

    /// The ports of the bridge's candidates in every SDP it sent this meeting.
    pub fn sdp_ports(&self) -> impl Iterator<Item = u16> + '_ {
        assert!(!self.candidate_ports.is_empty(), "no candidate seen");
        self.candidate_ports.iter().copied()
    }

    fn note_candidates(&mut self, sdp: &str) {
        // a=candidate:<foundation> <component> udp <priority> <ip> <port> typ host
        let ports = sdp
            .lines()
            .filter(|l| l.starts_with("a=candidate:"))
            .map(|l| l.split_whitespace().nth(5).unwrap().parse::<u16>().unwrap());
        self.candidate_ports.extend(ports);
    }

    fn on_event(&mut self, bridge: &Bridge, event: BridgeEvent) {
        match &event {
            BridgeEvent::PublishAnswer { sdp, .. } | BridgeEvent::SubscribeOffer { sdp, .. } => {
                self.note_candidates(sdp);
            }
            _ => {}
        }
        match event {
            BridgeEvent::PublishAnswer { participant, sdp } => {
                let peer = self.peer(participant);
                let pending = peer.pending.take().expect("one answer per offer");
                let answer = SdpAnswer::from_sdp_string(&sdp).unwrap();
                peer.publish
                    .rtc
                    .sdp_api()
                    .accept_answer(pending, answer)
                    .unwrap();
            }
            BridgeEvent::SubscribeOffer {
                participant,
                sdp,
                tracks,
            } => {
                let peer = self.peer(participant);
                assert!(tracks.iter().all(|t| t.participant_id != participant));
                peer.subscribed = tracks.len();
                let offer = SdpOffer::from_sdp_string(&sdp).unwrap();
                let answer = peer.subscribe.rtc.sdp_api().accept_offer(offer).unwrap();
                bridge.send(BridgeCommand::SubscribeAnswer {
                    conference: self.id,
                    participant,
                    sdp: answer.to_sdp_string(),
                });
            }
            BridgeEvent::Error { .. } | BridgeEvent::ConferenceFailed { .. } => {
                panic!("bridge reported {event:?}")
            }
            _ => {}
        }
    }

    fn peer(&mut self, id: ParticipantId) -> &mut Peer {
        self.peers.iter_mut().find(|p| p.id == id).unwrap()
    }
}

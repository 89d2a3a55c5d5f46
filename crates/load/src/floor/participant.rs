//! The load tool's raw-SRTP participants for the floor: the same media and accounting as
//! [`crate::participant`], without ICE or DTLS — keys are handed to the forwarder through
//! the [`FloorNetwork`] (the floor's "signaling").

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::{Mutex, mpsc, watch};

use super::plan::{KeyMaterial, PlanEntry};
use super::srtp::{self, IndexTracker, SrtpKey, TAG_LEN};
use crate::driver::{
    Driver, DriverError, FeedId, Layer, PublishOffer, RoomHandle, Session, SessionEvent,
};
use crate::media::{self, LAYERS};
use crate::participant::{ParticipantError, ParticipantOutcome, ParticipantSpec, Publish, Window};
use crate::stats::{ReceivedPacket, StreamKind};
use std::future::Future;
use std::sync::Arc;

/// RTP payload types the raw participants write (the same numbers str0m's default codec
/// list gives Opus and VP8).
const OPUS_PT: u8 = 111;
const VP8_PT: u8 = 96;
/// First sequence number of every stream (as [`crate::participant`]: no rollover).
const FIRST_SEQ: u64 = 1000;
/// Largest datagram a raw participant builds or accepts.
const MAX_DATAGRAM: usize = 1500;

/// The forwarder's address and the control connection that tells it who receives what.
#[derive(Debug)]
pub struct FloorNetwork {
    forwarder: SocketAddr,
    state: Mutex<NetworkState>,
    next_participant: AtomicU32,
}

#[derive(Debug)]
struct NetworkState {
    control: TcpStream,
    /// Members of each room (by room handle), in join order.
    rooms: HashMap<String, Vec<Member>>,
}

/// One participant as the routing needs it.
#[derive(Debug, Clone)]
struct Member {
    /// The participant's audio SSRC and, if it sends video, the first of its three
    /// layer SSRCs (`audio + 1 + layer index`).
    publishes: Option<Streams>,
    address: SocketAddr,
    key: KeyMaterial,
    layer: Layer,
}

#[derive(Debug, Clone, Copy)]
struct Streams {
    audio: u32,
    video: bool,
}

impl Streams {
    /// The SSRCs a subscriber at `layer` receives of this publisher.
    fn for_layer(self, layer: Layer) -> impl Iterator<Item = u32> {
        let video = self.video.then(|| video_ssrc(self.audio, layer.index()));
        std::iter::once(self.audio).chain(video)
    }

    /// Every SSRC the publisher sends.
    fn all(self) -> impl Iterator<Item = u32> {
        let layers = if self.video { LAYERS.len() } else { 0 };
        std::iter::once(self.audio).chain((0..layers).map(move |i| video_ssrc(self.audio, i)))
    }
}

fn video_ssrc(audio: u32, layer: usize) -> u32 {
    audio + 1 + layer as u32
}

/// SSRCs are numbered in blocks of four per participant: audio, then video q/h/f.
fn kind_of(ssrc: u32) -> StreamKind {
    if ssrc.is_multiple_of(4) {
        StreamKind::Audio
    } else {
        StreamKind::Video
    }
}

impl FloorNetwork {
    /// Connects to the forwarder's control port; media goes to `forwarder`.
    pub async fn connect(forwarder: SocketAddr, control: SocketAddr) -> std::io::Result<Self> {
        let control = TcpStream::connect(control).await?;
        control.set_nodelay(true)?;
        Ok(Self {
            forwarder,
            state: Mutex::new(NetworkState {
                control,
                rooms: HashMap::new(),
            }),
            next_participant: AtomicU32::new(1),
        })
    }

    /// Adds a participant to its room: its publisher streams and key, and every route
    /// between it and the members already there.
    async fn join(
        &self,
        spec: &ParticipantSpec,
        address: SocketAddr,
        receive_key: &KeyMaterial,
        send_key: &KeyMaterial,
    ) -> Result<Option<Streams>, ParticipantError> {
        let number = self.next_participant.fetch_add(1, Ordering::Relaxed);
        let publishes = (spec.publish != Publish::Nothing).then_some(Streams {
            audio: number * 4,
            video: spec.publish == Publish::AudioVideo,
        });
        let me = Member {
            publishes,
            address,
            key: receive_key.clone(),
            layer: spec.layer,
        };
        let mut entries = Vec::new();
        if let Some(streams) = publishes {
            entries.extend(streams.all().map(|ssrc| PlanEntry::Input {
                ssrc,
                key: send_key.clone(),
            }));
        }
        let mut state = self.state.lock().await;
        let members = state.rooms.entry(spec.room.0.clone()).or_default();
        for other in members.iter() {
            entries.extend(routes(&me, other));
            entries.extend(routes(other, &me));
        }
        members.push(me);
        let mut lines = String::new();
        for entry in &entries {
            let line = serde_json::to_string(entry)
                .map_err(|e| ParticipantError::Rtc(format!("plan entry: {e}")))?;
            lines.push_str(&line);
            lines.push('\n');
        }
        state.control.write_all(lines.as_bytes()).await?;
        Ok(publishes)
    }
}

/// The routes from `publisher`'s streams to `receiver`.
fn routes(publisher: &Member, receiver: &Member) -> Vec<PlanEntry> {
    let Some(streams) = publisher.publishes else {
        return Vec::new();
    };
    streams
        .for_layer(receiver.layer)
        .map(|ssrc| PlanEntry::Output {
            ssrc,
            to: receiver.address,
            key: receiver.key.clone(),
        })
        .collect()
}

/// Runs one raw-SRTP participant until the measuring window has passed.
pub async fn run(
    network: Arc<FloorNetwork>,
    spec: ParticipantSpec,
    joined: mpsc::Sender<()>,
    mut window_rx: watch::Receiver<Option<Window>>,
) -> Result<ParticipantOutcome, ParticipantError> {
    let started = Instant::now();
    let socket = UdpSocket::bind(SocketAddr::new(spec.bind_ip, 0)).await?;
    let random_failed = |_| ParticipantError::Rtc("the system random source failed".into());
    let receive_material = KeyMaterial::random().map_err(random_failed)?;
    let send_material = KeyMaterial::random().map_err(random_failed)?;
    let receive_key = receive_material.srtp_key().map_err(srtp_error)?;
    let send_key = send_material.srtp_key().map_err(srtp_error)?;
    let streams = network
        .join(
            &spec,
            socket.local_addr()?,
            &receive_material,
            &send_material,
        )
        .await?;
    // A closed receiver only means the run gave up waiting for joins.
    let _ = joined.send(()).await;
    let mut sender = streams.map(|streams| RawSender::new(streams, send_key, started));
    let mut outcome = ParticipantOutcome::default();
    let mut indexes: HashMap<u32, IndexTracker> = HashMap::new();
    let mut window = *window_rx.borrow();
    let mut buf = [0u8; MAX_DATAGRAM];
    loop {
        let mut deadline = sender.as_ref().map(RawSender::next_tick);
        if let Some(window) = window {
            deadline = Some(deadline.map_or(window.end, |d| d.min(window.end)));
        }
        let far = started + std::time::Duration::from_secs(3600);
        tokio::select! {
            changed = window_rx.changed() => match changed {
                Ok(()) => window = *window_rx.borrow_and_update(),
                Err(_) => return Ok(outcome),
            },
            received = socket.recv_from(&mut buf) => {
                let (len, _) = received?;
                let now = Instant::now();
                receive(&receive_key, &mut indexes, &mut buf[..len], now, started, window, &mut outcome);
            }
            () = tokio::time::sleep_until(deadline.unwrap_or(far).into()) => {}
        }
        let now = Instant::now();
        if window.is_some_and(|w| now >= w.end) {
            return Ok(outcome);
        }
        if let Some(sender) = &mut sender {
            let counting = window.is_some_and(|w| w.start <= now && now < w.end);
            sender.send_due(&socket, network.forwarder, now, counting, &mut outcome);
        }
    }
}

fn srtp_error(e: srtp::SrtpError) -> ParticipantError {
    ParticipantError::Rtc(format!("SRTP: {e}"))
}

/// Decrypts and counts one received datagram.
fn receive(
    key: &SrtpKey,
    indexes: &mut HashMap<u32, IndexTracker>,
    packet: &mut [u8],
    now: Instant,
    started: Instant,
    window: Option<Window>,
    outcome: &mut ParticipantOutcome,
) {
    let (Some(seq), Some(ssrc)) = (srtp::sequence_number(packet), srtp::ssrc(packet)) else {
        return;
    };
    let tracker = indexes.entry(ssrc).or_default();
    let index = tracker.estimate(seq);
    let Ok(len) = key.unprotect(packet, index) else {
        return;
    };
    tracker.accept(index);
    if outcome.first_packet_after.is_none() {
        outcome.first_packet_after = Some(now.saturating_duration_since(started));
    }
    if !window.is_some_and(|w| w.start <= now && now < w.end) {
        return;
    }
    let Ok(header_len) = srtp::rtp_header_len(&packet[..len]) else {
        return;
    };
    let payload = &packet[header_len..len];
    let rtp_time = u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]);
    outcome.stats.on_received(ReceivedPacket {
        ssrc,
        kind: kind_of(ssrc),
        seq: index,
        rtp_time: u64::from(rtp_time),
        arrival_micros: crate::clock::micros_at(now),
        payload,
        bytes: payload.len(),
    });
}

/// The synthetic camera and microphone of a raw publisher: RTP packets built here,
/// encrypted with the publisher's key, sent to the forwarder.
struct RawSender {
    streams: Streams,
    key: SrtpKey,
    next_audio: Instant,
    next_video: Instant,
    audio_no: u64,
    frame_no: u64,
    /// Next packet index (rollover counter and sequence number): audio, then the video
    /// layers low to high.
    indexes: [u64; 4],
    frame: Vec<u8>,
    datagram: [u8; MAX_DATAGRAM],
}

impl RawSender {
    fn new(streams: Streams, key: SrtpKey, now: Instant) -> Self {
        Self {
            streams,
            key,
            next_audio: now,
            next_video: now,
            audio_no: 0,
            frame_no: 0,
            indexes: [FIRST_SEQ; 4],
            frame: Vec::new(),
            datagram: [0u8; MAX_DATAGRAM],
        }
    }

    fn next_tick(&self) -> Instant {
        if self.streams.video {
            self.next_audio.min(self.next_video)
        } else {
            self.next_audio
        }
    }

    fn send_due(
        &mut self,
        socket: &UdpSocket,
        to: SocketAddr,
        now: Instant,
        counting: bool,
        outcome: &mut ParticipantOutcome,
    ) {
        while self.next_audio <= now {
            let payload = media::opus_packet(crate::clock::micros_at(now));
            let time = (self.audio_no * u64::from(media::AUDIO_CLOCK_RATE) / 50) as u32;
            self.send(
                socket,
                to,
                (0, OPUS_PT, false, time),
                &payload,
                counting,
                outcome,
            );
            self.audio_no += 1;
            self.next_audio += media::AUDIO_PACKET_INTERVAL;
        }
        while self.streams.video && self.next_video <= now {
            let sent = crate::clock::micros_at(now);
            let time = (self.frame_no * u64::from(media::VIDEO_CLOCK_RATE)
                / u64::from(media::VIDEO_FPS)) as u32;
            // Without RTCP there are no keyframe requests: each layer starts with one.
            let keyframe = self.frame_no == 0;
            let picture_id = (self.frame_no & 0x7fff) as u16;
            for (index, layer) in LAYERS.iter().enumerate() {
                let size = layer.frame_bytes(self.frame_no, keyframe);
                let mut frame = std::mem::take(&mut self.frame);
                media::vp8_frame(&mut frame, layer, keyframe, size, sent);
                media::vp8_packetize(&frame, picture_id, |payload, marker| {
                    let stream = (index + 1, VP8_PT, marker, time);
                    self.send(socket, to, stream, &payload, counting, outcome);
                });
                self.frame = frame;
            }
            self.frame_no += 1;
            self.next_video += media::VIDEO_FRAME_INTERVAL;
        }
    }

    /// Builds, encrypts and sends one packet of stream `slot` (0 audio, 1–3 video layers).
    fn send(
        &mut self,
        socket: &UdpSocket,
        to: SocketAddr,
        (slot, pt, marker, time): (usize, u8, bool, u32),
        payload: &[u8],
        counting: bool,
        outcome: &mut ParticipantOutcome,
    ) {
        let len = 12 + payload.len();
        if len + TAG_LEN > MAX_DATAGRAM {
            return;
        }
        let index = self.indexes[slot];
        self.indexes[slot] += 1;
        let seq = (index & 0xffff) as u16;
        let ssrc = self.streams.audio + slot as u32;
        let header = &mut self.datagram[..12];
        header[0] = 0x80;
        header[1] = pt | (u8::from(marker) << 7);
        header[2..4].copy_from_slice(&seq.to_be_bytes());
        header[4..8].copy_from_slice(&time.to_be_bytes());
        header[8..12].copy_from_slice(&ssrc.to_be_bytes());
        self.datagram[12..len].copy_from_slice(payload);
        let Ok(sealed) = self.key.protect(&mut self.datagram, len, index) else {
            return;
        };
        if socket.try_send_to(&self.datagram[..sealed], to).is_err() {
            outcome.stats.send_drops += 1;
        } else if counting {
            outcome.stats.on_sent(payload.len());
        }
    }
}

/// The floor has no signaling: rooms are numbers, and its participants register with the
/// [`FloorNetwork`] themselves.
impl Driver for FloorNetwork {
    type Session = NoSession;

    async fn create_room(&self, index: usize) -> Result<RoomHandle, DriverError> {
        Ok(RoomHandle(index.to_string()))
    }

    async fn join(&self, _room: &RoomHandle, _name: &str) -> Result<NoSession, DriverError> {
        Err(DriverError::Protocol(
            "the floor has no signaling sessions: its participants are raw SRTP".into(),
        ))
    }

    fn run_participant(
        self: Arc<Self>,
        spec: ParticipantSpec,
        joined: mpsc::Sender<()>,
        window: watch::Receiver<Option<Window>>,
    ) -> impl Future<Output = Result<ParticipantOutcome, ParticipantError>> + Send {
        run(self, spec, joined, window)
    }
}

/// A signaling session of the floor: there is none (the type has no values).
#[derive(Debug)]
pub enum NoSession {}

impl Session for NoSession {
    async fn publish(&mut self, _offer: PublishOffer) -> Result<String, DriverError> {
        match *self {}
    }

    async fn next_event(&mut self) -> Result<SessionEvent, DriverError> {
        match *self {}
    }

    async fn answer(&mut self, _sdp: String) -> Result<(), DriverError> {
        match *self {}
    }

    async fn view(&mut self, _feeds: &[FeedId], _layer: Layer) -> Result<(), DriverError> {
        match *self {}
    }
}

//! One synthetic participant: a signaling task (through a [`Driver`]) and a media task
//! that owns its two str0m `Rtc`s (publish: we offer; subscribe: the server offers), one
//! UDP socket each.
//!
//! Both `Rtc`s run in str0m's **RTP mode**: the publisher writes RTP packets it built
//! itself (VP8 descriptor, frame header, send time — see [`crate::media`]) and the
//! receiver sees every RTP packet with its sequence number. Frame mode would hide packet
//! boundaries behind str0m's packetizer and depacketizer (so no exact per-packet count,
//! loss or jitter), and would cost a reassembly per received frame.

use crate::driver::{Driver, DriverError, Layer, PublishOffer, Session, SessionEvent};
use crate::media::{self, LAYERS};
use crate::stats::{ParticipantStats, ReceivedPacket, StreamKind};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, Mid, Pt, Rid, Simulcast, SimulcastLayer};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{ExtensionValues, RtpPacket, RtpWrite, SeqNo};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcError};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};

/// What a participant sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publish {
    Nothing,
    Audio,
    AudioVideo,
}

/// The measuring window: packets are counted from `start` until `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: Instant,
    pub end: Instant,
}

impl Window {
    fn contains(&self, at: Instant) -> bool {
        self.start <= at && at < self.end
    }
}

/// Who a participant is and what it does.
#[derive(Clone, Debug)]
pub struct ParticipantSpec {
    pub name: String,
    pub room: crate::driver::RoomHandle,
    pub publish: Publish,
    /// The simulcast layer it receives video at.
    pub layer: Layer,
    /// The address its sockets bind to (and announce as host candidate).
    pub bind_ip: IpAddr,
}

/// What a participant reports at the end.
#[derive(Debug, Default)]
pub struct ParticipantOutcome {
    pub stats: ParticipantStats,
    /// From the start of the join to the first RTP packet received.
    pub first_packet_after: Option<Duration>,
    /// Why it stopped early, if it did.
    pub error: Option<String>,
}

/// Why a participant could not take part.
#[derive(Debug, thiserror::Error)]
pub enum ParticipantError {
    #[error(transparent)]
    Driver(#[from] DriverError),
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("WebRTC: {0}")]
    Rtc(String),
    #[error("the media task ended")]
    MediaGone,
}

impl From<RtcError> for ParticipantError {
    fn from(e: RtcError) -> Self {
        ParticipantError::Rtc(e.to_string())
    }
}

/// Runs one participant until the measuring window (sent on `window`) has passed.
/// `joined` is told once the participant is in the room and its publish offer answered.
pub async fn run<D: Driver>(
    driver: Arc<D>,
    spec: ParticipantSpec,
    joined: mpsc::Sender<()>,
    window: watch::Receiver<Option<Window>>,
) -> Result<ParticipantOutcome, ParticipantError> {
    let started = Instant::now();
    let media = MediaLoop::bind(spec.bind_ip, started, window).await?;
    let (commands, command_rx) = mpsc::channel(4);
    let mut media_task = tokio::spawn(media.run(command_rx));
    let signaling = async {
        let mut session = driver.join(&spec.room, &spec.name).await?;
        if spec.publish != Publish::Nothing {
            let offer = ask(&commands, |reply| Command::PublishOffer {
                video: spec.publish == Publish::AudioVideo,
                reply,
            })
            .await??;
            let answer = session.publish(offer).await?;
            ask(&commands, |reply| Command::PublishAnswer {
                sdp: answer,
                reply,
            })
            .await??;
        }
        // A closed receiver only means the run gave up waiting for joins.
        let _ = joined.send(()).await;
        loop {
            match session.next_event().await? {
                SessionEvent::Feeds(feeds) => session.view(&feeds, spec.layer).await?,
                SessionEvent::SubscribeOffer { sdp } => {
                    let answer =
                        ask(&commands, |reply| Command::SubscribeOffer { sdp, reply }).await??;
                    session.answer(answer).await?;
                }
            }
        }
    };
    let signaling_error = tokio::select! {
        // The media task ends at the end of the window; signaling runs until then.
        outcome = &mut media_task => {
            return outcome.map_err(|_| ParticipantError::MediaGone);
        }
        result = signaling => {
            let result: Result<(), ParticipantError> = result;
            result.err()
        }
    };
    let mut outcome = media_task.await.map_err(|_| ParticipantError::MediaGone)?;
    // Signaling that stopped because the media task ended at the end of the window
    // (e.g. while a subscribe offer was being answered) is no error.
    if let Some(error) = signaling_error
        && !matches!(error, ParticipantError::MediaGone)
    {
        outcome.error.get_or_insert(error.to_string());
    }
    Ok(outcome)
}

async fn ask<T>(
    commands: &mpsc::Sender<Command>,
    command: impl FnOnce(oneshot::Sender<Result<T, ParticipantError>>) -> Command,
) -> Result<Result<T, ParticipantError>, ParticipantError> {
    let (reply, answer) = oneshot::channel();
    commands
        .send(command(reply))
        .await
        .map_err(|_| ParticipantError::MediaGone)?;
    answer.await.map_err(|_| ParticipantError::MediaGone)
}

/// Signaling → media.
enum Command {
    PublishOffer {
        video: bool,
        reply: oneshot::Sender<Result<PublishOffer, ParticipantError>>,
    },
    PublishAnswer {
        sdp: String,
        reply: oneshot::Sender<Result<(), ParticipantError>>,
    },
    SubscribeOffer {
        sdp: String,
        reply: oneshot::Sender<Result<String, ParticipantError>>,
    },
}

/// One PeerConnection: its `Rtc` and socket.
struct Peer {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    timeout: Instant,
}

impl Peer {
    async fn bind(ip: IpAddr, now: Instant) -> Result<Peer, ParticipantError> {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
        let local = socket.local_addr()?;
        let mut rtc = Rtc::builder()
            .set_rtp_mode(true)
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .build(now);
        let candidate =
            Candidate::host(local, "udp").map_err(|e| ParticipantError::Rtc(e.to_string()))?;
        rtc.add_local_candidate(candidate);
        Ok(Peer {
            rtc,
            socket,
            local,
            timeout: now,
        })
    }

    fn receive(&mut self, now: Instant, source: SocketAddr, data: &[u8]) {
        let Ok(contents) = data.try_into() else {
            return; // Not STUN, DTLS, RTP or RTCP: nothing of ours.
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination: self.local,
                contents,
            },
        );
        // A datagram str0m refuses (e.g. a late packet of a closed session) is dropped,
        // as a browser would.
        let _ = self.rtc.handle_input(input);
    }
}

/// The synthetic camera and microphone of a connected publisher.
struct Sender {
    audio: Option<(Mid, Pt)>,
    video: Option<(Mid, Pt)>,
    next_video: Instant,
    next_audio: Instant,
    frame_no: u64,
    audio_no: u64,
    video_seq: [u64; 3],
    audio_seq: u64,
    keyframe_due: [bool; 3],
    frame: Vec<u8>,
}

/// Sequence numbers start low enough that the rollover counter stays 0 (nothing to
/// signal out of band), but not at 0.
const FIRST_SEQ: u64 = 1000;

impl Sender {
    fn next_tick(&self) -> Instant {
        match (self.audio.is_some(), self.video.is_some()) {
            (true, true) => self.next_audio.min(self.next_video),
            (false, true) => self.next_video,
            _ => self.next_audio,
        }
    }
}

struct MediaLoop {
    publish: Peer,
    subscribe: Peer,
    started: Instant,
    pending_publish: Option<(SdpPendingOffer, Option<Mid>, Option<Mid>)>,
    publish_mids: (Option<Mid>, Option<Mid>),
    sender: Option<Sender>,
    stream_kinds: HashMap<u32, StreamKind>,
    window_rx: watch::Receiver<Option<Window>>,
    window: Option<Window>,
    /// Reused buffer of the events of one `drive`.
    events: Vec<Event>,
    outcome: ParticipantOutcome,
}

enum Wake {
    Command(Option<Command>),
    Datagram(bool, std::io::Result<(usize, SocketAddr)>),
    Window,
    Timer,
}

impl MediaLoop {
    async fn bind(
        ip: IpAddr,
        started: Instant,
        window_rx: watch::Receiver<Option<Window>>,
    ) -> Result<MediaLoop, ParticipantError> {
        let window = *window_rx.borrow();
        Ok(MediaLoop {
            publish: Peer::bind(ip, started).await?,
            subscribe: Peer::bind(ip, started).await?,
            started,
            pending_publish: None,
            publish_mids: (None, None),
            sender: None,
            stream_kinds: HashMap::new(),
            window,
            window_rx,
            events: Vec::new(),
            outcome: ParticipantOutcome::default(),
        })
    }

    async fn run(mut self, mut commands: mpsc::Receiver<Command>) -> ParticipantOutcome {
        let mut publish_buf = vec![0u8; 2000];
        let mut subscribe_buf = vec![0u8; 2000];
        let mut commands_open = true;
        loop {
            let mut deadline = self.publish.timeout.min(self.subscribe.timeout);
            if let Some(sender) = &self.sender {
                deadline = deadline.min(sender.next_tick());
            }
            if let Some(window) = self.window {
                deadline = deadline.min(window.end);
            }
            let wake = tokio::select! {
                biased;
                command = commands.recv(), if commands_open => Wake::Command(command),
                changed = self.window_rx.changed() => match changed {
                    Ok(()) => Wake::Window,
                    // The run is gone: nothing will be measured.
                    Err(_) => return self.outcome,
                },
                r = self.publish.socket.recv_from(&mut publish_buf) => Wake::Datagram(true, r),
                r = self.subscribe.socket.recv_from(&mut subscribe_buf) => Wake::Datagram(false, r),
                () = tokio::time::sleep_until(deadline.into()) => Wake::Timer,
            };
            let now = Instant::now();
            let result = match wake {
                Wake::Command(Some(command)) => {
                    self.command(command, now);
                    Ok(())
                }
                Wake::Command(None) => {
                    commands_open = false;
                    Ok(())
                }
                Wake::Window => {
                    self.window = *self.window_rx.borrow_and_update();
                    Ok(())
                }
                Wake::Datagram(publish, Ok((len, source))) => {
                    let buf = if publish {
                        &publish_buf
                    } else {
                        &subscribe_buf
                    };
                    self.receive(publish, now, source, &buf[..len])
                }
                Wake::Datagram(_, Err(e)) => Err(ParticipantError::Io(e)),
                Wake::Timer => Ok(()),
            }
            // Take whatever else is waiting, then let time pass in the state machines.
            .and_then(|()| self.drain(true, &mut publish_buf, now))
            .and_then(|()| self.drain(false, &mut subscribe_buf, now));
            if let Err(e) = result {
                self.outcome.error = Some(e.to_string());
                return self.outcome;
            }
            if let Some(window) = self.window
                && now >= window.end
            {
                return self.outcome;
            }
            self.send_media(now);
            if let Err(e) = self.drive(true, now).and_then(|()| self.drive(false, now)) {
                self.outcome.error = Some(e.to_string());
                return self.outcome;
            }
        }
    }

    /// Hands a datagram to its `Rtc` and takes what follows at once: str0m expects its
    /// outputs polled after every input.
    fn receive(
        &mut self,
        publish: bool,
        now: Instant,
        source: SocketAddr,
        data: &[u8],
    ) -> Result<(), ParticipantError> {
        self.peer(publish).receive(now, source, data);
        self.drive(publish, now)
    }

    /// Receives every datagram already waiting on one socket.
    fn drain(
        &mut self,
        publish: bool,
        buf: &mut [u8],
        now: Instant,
    ) -> Result<(), ParticipantError> {
        while let Ok((len, source)) = self.peer(publish).socket.try_recv_from(buf) {
            self.receive(publish, now, source, &buf[..len])?;
        }
        Ok(())
    }

    fn peer(&mut self, publish: bool) -> &mut Peer {
        if publish {
            &mut self.publish
        } else {
            &mut self.subscribe
        }
    }

    fn command(&mut self, command: Command, now: Instant) {
        match command {
            Command::PublishOffer { video, reply } => {
                let _ = reply.send(self.publish_offer(video));
            }
            Command::PublishAnswer { sdp, reply } => {
                let _ = reply.send(self.publish_answer(&sdp));
            }
            Command::SubscribeOffer { sdp, reply } => {
                let answer = SdpOffer::from_sdp_string(&sdp)
                    .map_err(|e| ParticipantError::Rtc(format!("subscribe offer: {e}")))
                    .and_then(|offer| Ok(self.subscribe.rtc.sdp_api().accept_offer(offer)?));
                let _ = reply.send(answer.map(|a| a.to_sdp_string()));
            }
        }
        // SDP changes may have armed new timers.
        self.publish.timeout = now;
        self.subscribe.timeout = now;
    }

    fn publish_offer(&mut self, video: bool) -> Result<PublishOffer, ParticipantError> {
        let mut api = self.publish.rtc.sdp_api();
        let audio_mid = api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        let video_mid = video.then(|| {
            let mut simulcast = Simulcast::new();
            for layer in LAYERS {
                simulcast.add_send_layer(SimulcastLayer::new(layer.rid));
            }
            api.add_media(
                MediaKind::Video,
                Direction::SendOnly,
                None,
                None,
                Some(simulcast),
            )
        });
        let (offer, pending) = api
            .apply()
            .ok_or_else(|| ParticipantError::Rtc("no publish offer to make".into()))?;
        self.pending_publish = Some((pending, Some(audio_mid), video_mid));
        Ok(PublishOffer {
            sdp: offer.to_sdp_string(),
            audio_mid: Some(audio_mid.to_string()),
            video_mid: video_mid.map(|m| m.to_string()),
        })
    }

    fn publish_answer(&mut self, sdp: &str) -> Result<(), ParticipantError> {
        let (pending, audio, video) = self
            .pending_publish
            .take()
            .ok_or_else(|| ParticipantError::Rtc("publish answer without an offer".into()))?;
        let answer = SdpAnswer::from_sdp_string(sdp)
            .map_err(|e| ParticipantError::Rtc(format!("publish answer: {e}")))?;
        self.publish.rtc.sdp_api().accept_answer(pending, answer)?;
        self.publish_mids = (audio, video);
        Ok(())
    }

    /// The publisher starts sending once its connection is up.
    fn start_sending(&mut self, now: Instant) {
        let pt_of = |rtc: &Rtc, mid: Option<Mid>, codec: Codec| {
            let mid = mid?;
            // The payload type the server accepted for the codec (`Rtc::writer` is for
            // frame mode only).
            let accepted = rtc.media(mid)?.remote_pts();
            let pt = rtc
                .codec_config()
                .find(|p| p.spec().codec == codec && accepted.contains(&p.pt()))?
                .pt();
            Some((mid, pt))
        };
        let (audio, video) = self.publish_mids;
        self.sender = Some(Sender {
            audio: pt_of(&self.publish.rtc, audio, Codec::Opus),
            video: pt_of(&self.publish.rtc, video, Codec::Vp8),
            next_video: now,
            next_audio: now,
            frame_no: 0,
            audio_no: 0,
            video_seq: [FIRST_SEQ; 3],
            audio_seq: FIRST_SEQ,
            keyframe_due: [true; 3],
            frame: Vec::new(),
        });
    }

    fn counting(&self, at: Instant) -> bool {
        self.window.is_some_and(|w| w.contains(at))
    }

    fn send_media(&mut self, now: Instant) {
        let counting = self.counting(now);
        let Some(sender) = &mut self.sender else {
            return;
        };
        let stats = &mut self.outcome.stats;
        let mut api = self.publish.rtc.direct_api();
        if let Some((mid, pt)) = sender.audio {
            while sender.next_audio <= now {
                let payload = media::opus_packet(crate::clock::micros_at(now));
                let time = (sender.audio_no * u64::from(media::AUDIO_CLOCK_RATE) / 50) as u32;
                if let Some(stream) = api.stream_tx_by_mid(mid, None) {
                    let bytes = payload.len();
                    let ext = ExtensionValues {
                        audio_level: Some(-30),
                        voice_activity: Some(true),
                        ..Default::default()
                    };
                    stream.write_rtp(
                        RtpWrite::new(pt, SeqNo::from(sender.audio_seq), time, now, payload)
                            .ext_vals(ext),
                    );
                    sender.audio_seq += 1;
                    if counting {
                        stats.on_sent(bytes);
                    }
                }
                sender.audio_no += 1;
                sender.next_audio += media::AUDIO_PACKET_INTERVAL;
            }
        }
        if let Some((mid, pt)) = sender.video {
            while sender.next_video <= now {
                let sent = crate::clock::micros_at(now);
                let time = (sender.frame_no * u64::from(media::VIDEO_CLOCK_RATE)
                    / u64::from(media::VIDEO_FPS)) as u32;
                for (index, layer) in LAYERS.iter().enumerate() {
                    let Some(stream) = api.stream_tx_by_mid(mid, Some(Rid::from(layer.rid))) else {
                        continue;
                    };
                    let keyframe = std::mem::take(&mut sender.keyframe_due[index]);
                    let size = layer.frame_bytes(sender.frame_no, keyframe);
                    media::vp8_frame(&mut sender.frame, layer, keyframe, size, sent);
                    let picture_id = (sender.frame_no & 0x7fff) as u16;
                    let seq = &mut sender.video_seq[index];
                    media::vp8_packetize(&sender.frame, picture_id, |payload, marker| {
                        if counting {
                            stats.on_sent(payload.len());
                        }
                        stream.write_rtp(
                            RtpWrite::new(pt, SeqNo::from(*seq), time, now, payload)
                                .marker(marker)
                                .nackable(true),
                        );
                        *seq += 1;
                    });
                }
                sender.frame_no += 1;
                sender.next_video += media::VIDEO_FRAME_INTERVAL;
            }
        }
    }

    /// Runs one `Rtc` until it waits for time to pass: timers, sends, events.
    fn drive(&mut self, publish: bool, now: Instant) -> Result<(), ParticipantError> {
        let mut events = std::mem::take(&mut self.events);
        let peer = if publish {
            &mut self.publish
        } else {
            &mut self.subscribe
        };
        if peer.timeout <= now {
            peer.rtc.handle_input(Input::Timeout(now))?;
        }
        loop {
            match peer.rtc.poll_output()? {
                Output::Timeout(at) => {
                    peer.timeout = at;
                    break;
                }
                Output::Transmit(transmit) => {
                    if peer
                        .socket
                        .try_send_to(&transmit.contents, transmit.destination)
                        .is_err()
                    {
                        self.outcome.stats.send_drops += 1;
                    }
                }
                Output::Event(event) => events.push(event),
            }
        }
        for event in events.drain(..) {
            self.event(publish, event, now);
        }
        self.events = events;
        Ok(())
    }

    fn event(&mut self, publish: bool, event: Event, now: Instant) {
        match event {
            Event::Connected if publish => self.start_sending(now),
            Event::KeyframeRequest(request) if publish => {
                if self.counting(now) {
                    self.outcome.stats.keyframe_requests += 1;
                }
                if let Some(sender) = &mut self.sender {
                    for (index, layer) in LAYERS.iter().enumerate() {
                        if request.rid.is_none_or(|rid| rid == Rid::from(layer.rid)) {
                            sender.keyframe_due[index] = true;
                        }
                    }
                }
            }
            Event::RtpPacket(packet) if !publish => self.received(&packet),
            _ => {}
        }
    }

    fn received(&mut self, packet: &RtpPacket) {
        let arrival = packet.timestamp;
        if self.outcome.first_packet_after.is_none() {
            self.outcome.first_packet_after = Some(arrival.saturating_duration_since(self.started));
        }
        if !self.counting(arrival) {
            return;
        }
        let ssrc = *packet.header.ssrc;
        let kind = match self.stream_kinds.get(&ssrc) {
            Some(kind) => *kind,
            None => {
                let rtc = &mut self.subscribe.rtc;
                let Some(mid) = rtc
                    .direct_api()
                    .stream_rx(&packet.header.ssrc)
                    .map(|s| s.mid())
                else {
                    return;
                };
                let kind = match rtc.media(mid).map(|m| m.kind()) {
                    Some(MediaKind::Audio) => StreamKind::Audio,
                    Some(MediaKind::Video) => StreamKind::Video,
                    None => return,
                };
                self.stream_kinds.insert(ssrc, kind);
                kind
            }
        };
        self.outcome.stats.on_received(ReceivedPacket {
            ssrc,
            kind,
            seq: *packet.seq_no,
            rtp_time: packet.time.numer(),
            arrival_micros: crate::clock::micros_at(arrival),
            payload: &packet.payload,
            bytes: packet.payload.len(),
        });
    }
}

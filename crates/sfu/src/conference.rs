//! One conference: its participants, their two `Rtc`s each, and the forwarding between them.
//!
//! Everything here is owned by the conference and reached only through it, so no packet,
//! track or event of one conference can reach another. The [`crate::Sfu`] hands inputs in
//! and drains outputs; a panic in here unwinds to the `Sfu`, which drops this conference.
//!
//! Inside, work flows one way: an input goes to one `Rtc`; the conference polls the `Rtc`s it
//! touched until they report a timeout ([`Conference::drive`]), collecting what must travel
//! to other participants (media, keyframe requests, layer changes) in a queue; handling that
//! queue writes into other `Rtc`s, which are polled in turn, until nothing is left.

use crate::direct::{AudioFrame, AudioOut, DirectSender};
use crate::layer::{self, Quality};
use crate::speaker::SpeakerDetector;
use crate::srtp;
use crate::timeline::Timeline;
use crate::{Outputs, Transmit};
use plenum_protocol::bridge::{
    BridgeEvent, PublishedTrack, SubscribedTrack, TrackSource, ViewedTile,
};
use plenum_protocol::{MeetingId, ParticipantId};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use str0m::bwe::{Bitrate, BweKind};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::config::CryptoProvider;
use str0m::crypto::CryptoError;
use str0m::media::{
    Direction, KeyframeRequest, KeyframeRequestKind, MediaData, MediaKind, Mid, Pt, Rid,
};
use str0m::rtp::Extension;
use str0m::{Candidate, Event, IceConnectionState, Input, Output, PacerReason, Reason, Rtc};
use tracing::{debug, trace, warn};

/// How long an `Rtc` may stay without ICE (disconnected, or never connected after
/// negotiation) before the participant's media counts as gone.
pub const MEDIA_TIMEOUT: Duration = Duration::from_secs(30);
/// Period of the conference's own bookkeeping: active speaker, media timeouts, retries of
/// keyframe requests for pending layer switches.
const TICK: Duration = Duration::from_millis(100);
/// At most one keyframe request per published layer in this interval: a keyframe costs the
/// publisher a burst of bits, and many subscribers asking at once need only one.
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(300);
/// The bandwidth estimate a subscriber starts with: enough for a full layer and audio, so a
/// good link starts sharp; the estimator steps it down as soon as the link says otherwise.
const INITIAL_ESTIMATE: Bitrate = Bitrate::kbps(2_000);
/// How many immediate timeouts one poll serves before leaving the rest to the driver's
/// next round (each releases one paced packet).
const MAX_IMMEDIATE_TIMEOUTS: u32 = 10_000;
/// How many immediate timeouts in a row may produce nothing (no datagram, no event) before
/// the `Rtc` waits for the clock instead. str0m's delay-based estimator asks again at
/// `now + RTT` after each update, so with an RTT that rounds to zero (loopback, or the
/// simulated network of the tests and the bench) it asks for `now` forever: in the bench
/// that was 4 million useless `handle_timeout`s for 20 000 forwarded packets. At an
/// unchanged `now`, more calls cannot change the outcome.
const MAX_IDLE_TIMEOUTS: u32 = 3;
/// How far an `Rtc` whose immediate timeouts stopped producing anything is put off: the
/// clock's next step, for timers that are already due and only waiting for time to pass.
const IDLE_TIMEOUT_BACKOFF: Duration = Duration::from_millis(1);
/// How far ahead of the clock a pacer's next step may be served. str0m's leaky-bucket pacer
/// releases one packet per timeout and asks for the next a microsecond later, only so that
/// packets get distinct send times; how many may go at once is its own budget's decision
/// (about 40 ms of media at its rate, then it asks for a later time, which waits for the
/// clock). Serving those steps at once lets a subscriber's `Rtc` send the frames of a whole
/// batch of datagrams in one poll; its clock then runs ahead by a microsecond per packet,
/// bounded by this.
const PACER_LEAD: Duration = Duration::from_millis(1);
/// What each forwarded audio track is assumed to take from a subscriber's budget.
const AUDIO_RESERVE_BPS: u64 = 50_000;
/// How long a subscriber's outgoing packets are kept for retransmission. str0m keeps 3 s,
/// which in a 10 × 10 meeting was 44 % of the SFU's memory per participant; a
/// retransmission is only of use while the receiver's jitter buffer still waits for the
/// packet, and libwebrtc's own send history keeps 1 s (or 3 RTTs, on links slower than that).
const RETRANSMIT_HISTORY: Duration = Duration::from_secs(1);
/// At most this many packets per outgoing stream: 1 s of the full layer at twice its rate.
const RETRANSMIT_HISTORY_PACKETS: usize = 400;
/// Retransmissions may add at most this share to what a stream sends (str0m's default): on
/// a link losing more, they would only add to the congestion, and keyframes recover.
const RETRANSMIT_RATIO_CAP: Option<f32> = Some(0.15);
/// str0m's interval between sender reports of audio streams on subscribe `Rtc`s: never in
/// the life of a process. Forwarded audio is written by `direct`, which sends its own
/// reports; str0m's, for a stream it never wrote, would map RTP time 0 to the present.
const NO_AUDIO_REPORTS: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Which of a participant's two connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Side {
    /// The browser offers its tracks; we receive.
    Publish = 0,
    /// We offer the conference's tracks; we send.
    Subscribe = 1,
}

const SIDES: [Side; 2] = [Side::Publish, Side::Subscribe];

/// What a conference needs from the `Sfu` to build `Rtc`s.
#[derive(Debug)]
pub(crate) struct RtcFactory {
    pub(crate) candidates: Vec<Candidate>,
    pub(crate) crypto: Arc<CryptoProvider>,
}

impl RtcFactory {
    /// A new `Rtc`; for the subscribe side also what `direct` writes its audio with.
    fn build(&self, side: Side, now: Instant) -> RtcSlot {
        let config = Rtc::builder()
            .set_ice_lite(true)
            .set_crypto_provider(self.crypto.clone());
        let (mut rtc, direct) = match side {
            Side::Publish => (config.build(now), None),
            Side::Subscribe => {
                let mut config = config
                    .enable_bwe(Some(INITIAL_ESTIMATE))
                    .set_rtcp_report_interval_audio(NO_AUDIO_REPORTS);
                let audio_level_id = config.extension_map().id_of(Extension::AudioLevel);
                let (rtc, keys) = srtp::build_capturing(|| config.build(now));
                (rtc, Some(DirectSender::new(keys, audio_level_id)))
            }
        };
        for c in &self.candidates {
            rtc.add_local_candidate(c.clone());
        }
        RtcSlot::new(rtc, direct)
    }
}

/// A track a participant publishes.
#[derive(Debug)]
struct PubTrack {
    mid: Mid,
    source: TrackSource,
    /// Simulcast layers, low → high; empty without simulcast.
    layers: Vec<Rid>,
    /// Layers the publisher sends, by str0m's `StreamPaused`: a stream counts as paused until
    /// its first packet (the event that says otherwise comes before that packet's frame) and
    /// again after a silence. A browser starts a simulcast camera with its lowest layer and
    /// adds the upper ones only as its bandwidth estimate grows, seconds later (or never, on a
    /// weak link or a busy CPU); a layer that does not come can neither start a video nor be
    /// asked for a keyframe, so choosing it would leave the tile black until it comes.
    sending: Vec<Rid>,
    /// When a keyframe was last requested, per layer.
    keyframe_requested: Vec<(Option<Rid>, Instant)>,
}

/// A remote track offered to a subscriber: one sendonly m-line of its subscribe `Rtc`.
#[derive(Debug)]
struct OutTrack {
    mid: Mid,
    /// False until the subscriber's answer covering this m-line arrived.
    open: bool,
    /// Whether the subscriber's latest View shows this video (always true for audio).
    viewed: bool,
    /// The layer being forwarded (`None` also for tracks without simulcast).
    current: Option<Rid>,
    /// The layer selection wants; forwarding moves to it at its next keyframe.
    target: Option<Rid>,
    /// Whether forwarding of `current` has started (video waits for a keyframe; both
    /// rebase the timeline at their first frame, which matters on a reused m-line).
    synced: bool,
    timeline: Timeline,
    /// Audio: the subscriber's payload type for the publisher's (`Writer::match_params`,
    /// asked once per track instead of per frame).
    audio_pt: Option<(Pt, Pt)>,
}

type TrackKey = (ParticipantId, TrackSource);

/// An m-line of a subscribe `Rtc`, carrying a remote track or idle (`inactive`). M-lines are
/// never stopped: an idle one is reused for the next track of its kind (see the module doc).
#[derive(Debug)]
struct SubLine {
    kind: MediaKind,
    /// The participant whose tracks the m-line was created for: its msid stream, which a
    /// browser uses to pair audio and video for lip sync, so reuse keeps pairs together.
    stream: ParticipantId,
    /// The outgoing timeline of its last track, continued by the next one: the m-line keeps
    /// its SSRC, and the receiver expects that stream's timestamps to go on.
    timeline: Timeline,
    /// Audio m-lines: the stream `direct` writes, once the answer has created it.
    audio: Option<AudioOut>,
}

#[derive(Debug)]
struct PendingSubscribe {
    offer: SdpPendingOffer,
    /// Tracks this offer takes off their m-lines, restored if the answer is refused.
    released: Vec<(TrackKey, OutTrack)>,
    /// M-lines this offer creates, known only once the answer is accepted.
    added: Vec<(Mid, SubLine)>,
}

#[derive(Debug)]
struct RtcSlot {
    rtc: Rtc,
    /// The local ICE ufrag, by which the `Sfu` routes a STUN request from a new address.
    ufrag: String,
    /// Needs polling: an input or API call may have produced output.
    dirty: bool,
    timeout: Option<Instant>,
    /// Since when ICE is down; set at negotiation too, cleared when connected.
    down_since: Option<Instant>,
    /// Subscribe side: keys and address for the audio written by `direct`.
    direct: Option<DirectSender>,
}

impl RtcSlot {
    fn new(mut rtc: Rtc, direct: Option<DirectSender>) -> Self {
        RtcSlot {
            ufrag: rtc.direct_api().local_ice_credentials().ufrag,
            rtc,
            dirty: true,
            timeout: None,
            down_since: None,
            direct,
        }
    }
}

#[derive(Debug)]
struct Participant {
    rtcs: [RtcSlot; 2],
    /// Media connection gone; reported once, nothing more is sent or polled.
    failed: bool,
    published: Vec<PubTrack>,
    audio_allowed: bool,
    /// Tiles of the latest View; `None` before the first one.
    view: Option<BTreeMap<TrackKey, (u32, u32)>>,
    outs: BTreeMap<TrackKey, OutTrack>,
    /// Every m-line of the subscribe `Rtc`, in use by `outs` or idle.
    lines: BTreeMap<Mid, SubLine>,
    pending: Option<PendingSubscribe>,
    /// The set of remote tracks changed while an offer was outstanding.
    renegotiate: bool,
    estimate_bps: Option<u64>,
    /// What the subscribe `Rtc`'s estimator was last told the view would take
    /// (`Bwe::set_bitrate`), so an unchanged view does not reconfigure it.
    desired_bps: u64,
}

impl Participant {
    fn new(factory: &RtcFactory, now: Instant) -> Self {
        Participant {
            rtcs: [
                factory.build(Side::Publish, now),
                factory.build(Side::Subscribe, now),
            ],
            failed: false,
            published: Vec::new(),
            audio_allowed: true,
            view: None,
            outs: BTreeMap::new(),
            lines: BTreeMap::new(),
            pending: None,
            renegotiate: false,
            estimate_bps: None,
            desired_bps: 0,
        }
    }

    fn slot(&mut self, side: Side) -> &mut RtcSlot {
        &mut self.rtcs[side as usize]
    }

    fn track_by_mid(&self, mid: Mid) -> Option<&PubTrack> {
        self.published.iter().find(|t| t.mid == mid)
    }

    fn track_by_source(&self, source: TrackSource) -> Option<&PubTrack> {
        self.published.iter().find(|t| t.source == source)
    }

    fn viewed_tile(&self, key: &TrackKey) -> Option<(u32, u32)> {
        self.view.as_ref().and_then(|v| v.get(key).copied())
    }
}

/// Work that crosses from one participant to others.
// MediaData is large, but boxing it would allocate per frame; the queue holds items only
// for the duration of one drive.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Propagated {
    Media(ParticipantId, MediaData),
    /// A subscriber's decoder asks for a keyframe on one of its m-lines.
    KeyframeRequest(ParticipantId, KeyframeRequest),
    /// A subscriber's bandwidth or a publisher's layers changed: choose layers again.
    Reselect(Option<ParticipantId>),
}

/// A failed command, reported as `BridgeEvent::Error`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CommandError {
    #[error("invalid SDP: {0}")]
    InvalidSdp(String),
    #[error("{0}")]
    InvalidState(&'static str),
}

impl CommandError {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            CommandError::InvalidSdp(_) => "invalid_sdp",
            CommandError::InvalidState(_) => "invalid_state",
        }
    }
}

#[derive(Debug)]
pub(crate) struct Conference {
    id: MeetingId,
    participants: BTreeMap<ParticipantId, Participant>,
    speaker: SpeakerDetector,
    queue: VecDeque<Propagated>,
    next_tick: Instant,
    timeout: Option<Instant>,
    /// Scratch lists of `tick`, kept to reuse their allocations.
    tick_ids: Vec<ParticipantId>,
    tick_retries: Vec<(TrackKey, Option<Rid>)>,
}

impl Conference {
    pub(crate) fn new(id: MeetingId, now: Instant) -> Self {
        Conference {
            id,
            participants: BTreeMap::new(),
            speaker: SpeakerDetector::default(),
            queue: VecDeque::new(),
            next_tick: now + TICK,
            timeout: None,
            tick_ids: Vec::new(),
            tick_retries: Vec::new(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// When [`Conference::handle_timeout`] wants to be called next.
    pub(crate) fn timeout(&self) -> Option<Instant> {
        self.timeout
    }

    /// The local ICE ufrag of each of a participant's `Rtc`s.
    pub(crate) fn ice_ufrags(&self, id: ParticipantId) -> impl Iterator<Item = (Side, &str)> {
        self.participants.get(&id).into_iter().flat_map(|p| {
            SIDES
                .into_iter()
                .map(|s| (s, p.rtcs[s as usize].ufrag.as_str()))
        })
    }

    /// Whether that `Rtc` claims the datagram (STUN credentials, or its nominated address).
    pub(crate) fn accepts(&self, participant: ParticipantId, side: Side, input: &Input) -> bool {
        self.participants
            .get(&participant)
            .is_some_and(|p| !p.failed && p.rtcs[side as usize].rtc.accepts(input))
    }

    pub(crate) fn add_participant(
        &mut self,
        id: ParticipantId,
        factory: &RtcFactory,
        now: Instant,
        out: &mut Outputs,
    ) -> Result<(), CommandError> {
        if self.participants.contains_key(&id) {
            return Err(CommandError::InvalidState("participant already added"));
        }
        self.participants.insert(id, Participant::new(factory, now));
        // Offer the newcomer what the others already publish.
        self.negotiate(id, out);
        self.drive(now, out);
        Ok(())
    }

    pub(crate) fn remove_participant(
        &mut self,
        id: ParticipantId,
        now: Instant,
        out: &mut Outputs,
    ) {
        let Some(mut p) = self.participants.remove(&id) else {
            debug!(participant = %id, "remove of unknown participant ignored");
            return;
        };
        for slot in &mut p.rtcs {
            slot.rtc.disconnect();
        }
        self.speaker.remove(id);
        let had_tracks = !p.published.is_empty();
        drop(p);
        if had_tracks {
            self.negotiate_all(out);
        }
        self.drive(now, out);
    }

    pub(crate) fn close(&mut self) {
        for p in self.participants.values_mut() {
            for slot in &mut p.rtcs {
                slot.rtc.disconnect();
            }
        }
        self.participants.clear();
    }

    pub(crate) fn publish_offer(
        &mut self,
        id: ParticipantId,
        sdp: &str,
        tracks: &[PublishedTrack],
        now: Instant,
        out: &mut Outputs,
    ) -> Result<(), CommandError> {
        let p = self.live_participant(id)?;
        for (i, t) in tracks.iter().enumerate() {
            if tracks[..i]
                .iter()
                .any(|o| o.mid == t.mid || o.source == t.source)
            {
                return Err(CommandError::InvalidSdp(format!(
                    "tracks list names mid {} or source {:?} twice",
                    t.mid, t.source
                )));
            }
        }
        let offer =
            SdpOffer::from_sdp_string(sdp).map_err(|e| CommandError::InvalidSdp(e.to_string()))?;
        let slot = p.slot(Side::Publish);
        let answer = slot
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| CommandError::InvalidSdp(e.to_string()))?;
        slot.dirty = true;
        slot.down_since.get_or_insert(now);

        let mut published = Vec::with_capacity(tracks.len());
        let mut problems = Vec::new();
        for t in tracks {
            let mid = Mid::from(t.mid.as_str());
            let Some(media) = p.rtcs[Side::Publish as usize].rtc.media(mid) else {
                problems.push(format!("mid {} is not in the offer", t.mid));
                continue;
            };
            let is_video = media.kind() == MediaKind::Video;
            if is_video != t.source.is_video() {
                problems.push(format!("mid {} is not {:?}", t.mid, t.source));
                continue;
            }
            if !media.direction().is_receiving() {
                // The browser stopped this transceiver: the track is gone.
                continue;
            }
            let mut layers = match media.rids_rx() {
                str0m::media::Rids::Specific(r) if is_video => r.clone(),
                _ => Vec::new(),
            };
            layer::order_layers(&mut layers);
            let old = p.published.iter().find(|o| o.mid == mid);
            published.push(PubTrack {
                mid,
                source: t.source,
                layers,
                sending: old.map(|o| o.sending.clone()).unwrap_or_default(),
                keyframe_requested: Vec::new(),
            });
        }
        let before: BTreeSet<TrackSource> = p.published.iter().map(|t| t.source).collect();
        let after: BTreeSet<TrackSource> = published.iter().map(|t| t.source).collect();
        p.published = published;
        if !after.contains(&TrackSource::Microphone) {
            self.speaker.remove(id);
        }

        out.event(
            self.id,
            BridgeEvent::PublishAnswer {
                participant: id,
                sdp: answer.to_sdp_string(),
            },
        );
        for message in problems {
            out.event(
                self.id,
                BridgeEvent::Error {
                    participant: id,
                    code: "invalid_sdp".to_owned(),
                    message,
                },
            );
        }
        if before != after {
            self.negotiate_all(out);
        }
        self.queue.push_back(Propagated::Reselect(None));
        self.drive(now, out);
        Ok(())
    }

    pub(crate) fn subscribe_answer(
        &mut self,
        id: ParticipantId,
        sdp: &str,
        now: Instant,
        out: &mut Outputs,
    ) -> Result<(), CommandError> {
        let p = self.live_participant(id)?;
        let Some(pending) = p.pending.take() else {
            return Err(CommandError::InvalidState(
                "no subscribe offer is outstanding",
            ));
        };
        let result = SdpAnswer::from_sdp_string(sdp)
            .map_err(|e| CommandError::InvalidSdp(e.to_string()))
            .and_then(|answer| {
                p.rtcs[Side::Subscribe as usize]
                    .rtc
                    .sdp_api()
                    .accept_answer(pending.offer, answer)
                    .map_err(|e| CommandError::InvalidSdp(e.to_string()))
            });
        let slot = p.slot(Side::Subscribe);
        slot.dirty = true;
        if let Err(e) = result {
            // The offer is void: forget the tracks it added, restore the ones it released,
            // and offer again so the subscriber is not left without media.
            p.outs.retain(|_, o| o.open);
            p.outs.extend(pending.released);
            p.renegotiate = true;
            self.negotiate(id, out);
            self.drive(now, out);
            return Err(e);
        }
        slot.down_since.get_or_insert(now);
        // An m-line is created once and reused, never stopped, so setting its stream up
        // here covers every stream the connection sends.
        let mut added = pending.added;
        for (mid, line) in &mut added {
            let mut api = slot.rtc.direct_api();
            let Some(stream) = api.stream_tx_by_mid(*mid, None) else {
                continue;
            };
            match line.kind {
                MediaKind::Audio => line.audio = Some(AudioOut::new(*stream.ssrc())),
                MediaKind::Video => stream.set_rtx_cache(
                    RETRANSMIT_HISTORY_PACKETS,
                    RETRANSMIT_HISTORY,
                    RETRANSMIT_RATIO_CAP,
                ),
            }
        }
        p.lines.extend(added);
        for o in p.outs.values_mut() {
            o.open = true;
        }
        if std::mem::take(&mut p.renegotiate) {
            self.negotiate(id, out);
        }
        self.queue.push_back(Propagated::Reselect(Some(id)));
        self.drive(now, out);
        Ok(())
    }

    pub(crate) fn view(
        &mut self,
        id: ParticipantId,
        tiles: &[ViewedTile],
        now: Instant,
        out: &mut Outputs,
    ) -> Result<(), CommandError> {
        let p = self.live_participant(id)?;
        let view: BTreeMap<TrackKey, (u32, u32)> = tiles
            .iter()
            .filter(|t| t.source.is_video())
            .map(|t| ((t.participant_id, t.source), (t.width, t.height)))
            .collect();
        for (key, o) in p.outs.iter_mut() {
            if !key.1.is_video() {
                continue;
            }
            let viewed = view.contains_key(key);
            if o.viewed && !viewed {
                o.current = None;
                o.target = None;
                o.synced = false;
            }
            o.viewed = viewed;
        }
        p.view = Some(view);
        self.queue.push_back(Propagated::Reselect(Some(id)));
        self.drive(now, out);
        Ok(())
    }

    pub(crate) fn set_audio_allowed(
        &mut self,
        id: ParticipantId,
        allowed: bool,
        now: Instant,
        out: &mut Outputs,
    ) -> Result<(), CommandError> {
        let p = self.live_participant(id)?;
        p.audio_allowed = allowed;
        if !allowed {
            self.speaker.remove(id);
        }
        self.drive(now, out);
        Ok(())
    }

    /// A datagram for the given participant's `Rtc`, one of a batch: that `Rtc` is polled
    /// and what it yields is handed on at once (frames written to subscribers, keyframe
    /// requests passed to publishers), but the `Rtc`s written to are polled only by the
    /// [`Conference::drive`] after the batch, once for all the frames they got.
    pub(crate) fn handle_input(
        &mut self,
        id: ParticipantId,
        side: Side,
        input: Input,
        media_from: Option<SocketAddr>,
        now: Instant,
        out: &mut Outputs,
    ) {
        let Some(p) = self.participants.get_mut(&id) else {
            return;
        };
        if p.failed {
            return;
        }
        let slot = p.slot(side);
        if let (Some(direct), Some(source)) = (&mut slot.direct, media_from) {
            direct.heard_from(source);
        }
        if let Err(e) = slot.rtc.handle_input(input) {
            // str0m reports broken input (bad DTLS, SRTP, STUN) as errors; one bad datagram
            // must not end the connection.
            debug!(participant = %id, ?side, "datagram refused: {e}");
        }
        if !poll_rtc(id, p, side, now, out, &mut self.queue) {
            self.fail(id, out);
        }
        self.propagate(now, out);
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant, out: &mut Outputs) {
        for p in self.participants.values_mut().filter(|p| !p.failed) {
            for slot in &mut p.rtcs {
                if slot.timeout.is_some_and(|t| t <= now) {
                    if let Err(e) = slot.rtc.handle_input(Input::Timeout(now)) {
                        debug!("timeout handling failed: {e}");
                    }
                    slot.dirty = true;
                }
            }
        }
        if self.next_tick <= now {
            self.next_tick = now + TICK;
            self.tick(now, out);
        }
        self.drive(now, out);
    }

    fn live_participant(&mut self, id: ParticipantId) -> Result<&mut Participant, CommandError> {
        match self.participants.get_mut(&id) {
            None => Err(CommandError::InvalidState("unknown participant")),
            Some(p) if p.failed => Err(CommandError::InvalidState("media connection is gone")),
            Some(p) => Ok(p),
        }
    }

    /// Periodic bookkeeping.
    fn tick(&mut self, now: Instant, out: &mut Outputs) {
        if let Some(speaker) = self.speaker.poll(now) {
            out.event(
                self.id,
                BridgeEvent::ActiveSpeaker {
                    participant: speaker,
                },
            );
        }
        let mut ids = std::mem::take(&mut self.tick_ids);
        let mut retries = std::mem::take(&mut self.tick_retries);
        ids.clear();
        ids.extend(self.participants.keys().copied());
        for id in &ids {
            let Some(p) = self.participants.get_mut(id) else {
                continue;
            };
            if p.failed {
                continue;
            }
            let timed_out = p.rtcs.iter().any(|s| {
                !s.rtc.is_alive() || s.down_since.is_some_and(|t| now >= t + MEDIA_TIMEOUT)
            });
            if timed_out {
                self.fail(*id, out);
                continue;
            }
            // Layer switches whose keyframe has not come yet: ask again (throttled).
            retries.clear();
            retries.extend(
                p.outs
                    .iter()
                    .filter(|(k, o)| k.1.is_video() && awaits_keyframe(o))
                    .map(|(k, o)| (*k, o.target)),
            );
            for (key, rid) in retries.drain(..) {
                self.request_keyframe(key, rid, KeyframeRequestKind::Pli, now);
            }
        }
        self.tick_ids = ids;
        self.tick_retries = retries;
    }

    /// Whether `tick` has anything to do: a speaker to follow, a connection that may time
    /// out, a layer switch waiting for its keyframe. A conference without any of these
    /// (everyone connected and muted, say) wakes only for its `Rtc`s.
    fn needs_tick(&self) -> bool {
        self.speaker.is_following()
            || self.participants.values().any(|p| {
                !p.failed
                    && (p.rtcs.iter().any(|s| s.down_since.is_some())
                        || p.outs
                            .iter()
                            .any(|(k, o)| k.1.is_video() && awaits_keyframe(o)))
            })
    }

    fn fail(&mut self, id: ParticipantId, out: &mut Outputs) {
        let Some(p) = self.participants.get_mut(&id) else {
            return;
        };
        if p.failed {
            return;
        }
        p.failed = true;
        for slot in &mut p.rtcs {
            slot.rtc.disconnect();
            slot.timeout = None;
        }
        self.speaker.remove(id);
        out.event(self.id, BridgeEvent::MediaDisconnected { participant: id });
    }

    /// Renegotiates every participant's subscriptions (remote tracks appeared or went).
    fn negotiate_all(&mut self, out: &mut Outputs) {
        let ids: Vec<ParticipantId> = self.participants.keys().copied().collect();
        for id in ids {
            self.negotiate(id, out);
        }
    }

    /// Brings a subscriber's m-lines in line with the conference's tracks, offering the
    /// change; with an offer outstanding, only notes that another one is due.
    fn negotiate(&mut self, id: ParticipantId, out: &mut Outputs) {
        let wanted: Vec<(TrackKey, MediaKind)> = self
            .participants
            .iter()
            .filter(|(pid, _)| **pid != id)
            .flat_map(|(pid, p)| {
                p.published.iter().map(move |t| {
                    let kind = if t.source.is_video() {
                        MediaKind::Video
                    } else {
                        MediaKind::Audio
                    };
                    ((*pid, t.source), kind)
                })
            })
            .collect();
        let Some(p) = self.participants.get_mut(&id) else {
            return;
        };
        if p.failed {
            return;
        }
        if p.pending.is_some() {
            p.renegotiate = true;
            return;
        }
        let mut released = Vec::new();
        let mut added: Vec<(TrackKey, Mid, MediaKind, ParticipantId)> = Vec::new();
        let mut reused: Vec<(TrackKey, Mid)> = Vec::new();
        let rtc = &mut p.rtcs[Side::Subscribe as usize].rtc;
        let mut api = rtc.sdp_api();
        let gone: Vec<TrackKey> = p
            .outs
            .keys()
            .filter(|k| !wanted.iter().any(|(w, _)| w == *k))
            .copied()
            .collect();
        for key in gone {
            if let Some(o) = p.outs.remove(&key) {
                // Idle, not stopped: a stopped m-line leaves the BUNDLE group, and once the
                // last one (or the one that tags the group) goes, browsers refuse the offer
                // or move to a new transport. Set here, before a reuse below sets it back to
                // sendonly, so the offer also comes when a line only changes its track.
                api.set_direction(o.mid, Direction::Inactive);
                if let Some(line) = p.lines.get_mut(&o.mid) {
                    line.timeline = o.timeline.clone();
                }
                released.push((key, o));
            }
        }
        // str0m changes an m-line's direction at once, not at the answer: after a refused
        // offer, these two reconcile str0m with `outs` (otherwise they change nothing).
        for o in p.outs.values() {
            api.set_direction(o.mid, Direction::SendOnly);
        }
        for (key, kind) in &wanted {
            if p.outs.contains_key(key) {
                continue;
            }
            // The msid stream of this publisher's other tracks, if any got an m-line here:
            // browsers pair audio and video of one stream for lip sync.
            let stream = reused
                .iter()
                .find(|(k, _)| k.0 == key.0)
                .and_then(|(_, m)| p.lines.get(m).map(|l| l.stream))
                .or_else(|| {
                    added
                        .iter()
                        .find(|(k, _, _, _)| k.0 == key.0)
                        .map(|(_, _, _, s)| *s)
                });
            let live_streams: BTreeSet<ParticipantId> = p
                .lines
                .iter()
                .filter(|(mid, _)| line_in_use(&p.outs, &reused, mid))
                .map(|(_, l)| l.stream)
                .collect();
            // An idle m-line of the kind: of this publisher's stream if possible, else of a
            // stream no live track uses (a whole departed publisher), else any.
            let idle = p
                .lines
                .iter()
                .filter(|(mid, l)| l.kind == *kind && !line_in_use(&p.outs, &reused, mid))
                .min_by_key(|(_, l)| (Some(l.stream) != stream, live_streams.contains(&l.stream)))
                .map(|(mid, _)| *mid);
            if let Some(mid) = idle {
                api.set_direction(mid, Direction::SendOnly);
                reused.push((*key, mid));
                continue;
            }
            // The msid track (publisher and source, unique within the connection) helps when
            // reading browser internals; the signaled `tracks` list is the contract.
            let stream = stream.unwrap_or(key.0);
            let mid = api.add_media(
                *kind,
                Direction::SendOnly,
                Some(stream.to_string()),
                Some(format!("{}-{:?}", key.0, key.1).to_lowercase()),
                None,
            );
            added.push((*key, mid, *kind, stream));
        }
        for mid in p.lines.keys() {
            if !line_in_use(&p.outs, &reused, mid) {
                api.set_direction(*mid, Direction::Inactive);
            }
        }
        if !api.has_changes() {
            return;
        }
        let Some((offer, pending)) = api.apply() else {
            return;
        };
        let new_track = |key: &TrackKey, mid: Mid, kind: MediaKind, timeline: Timeline| {
            let video = kind == MediaKind::Video;
            OutTrack {
                mid,
                open: false,
                viewed: !video || p.viewed_tile(key).is_some(),
                current: None,
                target: None,
                synced: false,
                timeline,
                audio_pt: None,
            }
        };
        let mut tracks: Vec<(TrackKey, OutTrack)> = Vec::new();
        for (key, mid) in reused {
            if let Some(line) = p.lines.get(&mid) {
                tracks.push((key, new_track(&key, mid, line.kind, line.timeline.clone())));
            }
        }
        let mut lines = Vec::new();
        for (key, mid, kind, stream) in added {
            tracks.push((key, new_track(&key, mid, kind, Timeline::default())));
            lines.push((
                mid,
                SubLine {
                    kind,
                    stream,
                    timeline: Timeline::default(),
                    audio: None,
                },
            ));
        }
        p.outs.extend(tracks);
        p.pending = Some(PendingSubscribe {
            offer: pending,
            released,
            added: lines,
        });
        let slot = p.slot(Side::Subscribe);
        slot.dirty = true;
        let tracks = p
            .outs
            .iter()
            .map(|(key, o)| SubscribedTrack {
                mid: o.mid.to_string(),
                participant_id: key.0,
                source: key.1,
            })
            .collect();
        debug!(participant = %id, "subscribe offer");
        out.event(
            self.id,
            BridgeEvent::SubscribeOffer {
                participant: id,
                sdp: offer.to_sdp_string(),
                tracks,
            },
        );
    }

    /// Polls touched `Rtc`s and handles what they produce until everything is quiet.
    pub(crate) fn drive(&mut self, now: Instant, out: &mut Outputs) {
        loop {
            let mut failed = Vec::new();
            for (id, p) in self.participants.iter_mut() {
                if p.failed {
                    continue;
                }
                for side in SIDES {
                    if p.rtcs[side as usize].dirty
                        && !poll_rtc(*id, p, side, now, out, &mut self.queue)
                    {
                        failed.push(*id);
                    }
                }
            }
            for id in failed {
                self.fail(id, out);
            }
            if self.queue.is_empty() {
                break;
            }
            self.propagate(now, out);
        }
        self.timeout = self
            .participants
            .values()
            .filter(|p| !p.failed)
            .flat_map(|p| p.rtcs.iter().filter_map(|s| s.timeout))
            .chain(self.needs_tick().then_some(self.next_tick))
            .min();
    }

    /// Hands on what polled `Rtc`s produced; the `Rtc`s this writes to are marked dirty.
    fn propagate(&mut self, now: Instant, out: &mut Outputs) {
        while let Some(item) = self.queue.pop_front() {
            match item {
                Propagated::Media(from, data) => self.forward(from, data, now, out),
                Propagated::KeyframeRequest(from, req) => {
                    self.keyframe_request_from(from, req, now)
                }
                Propagated::Reselect(Some(id)) => self.select_layers(id, now),
                Propagated::Reselect(None) => {
                    let ids: Vec<ParticipantId> = self.participants.keys().copied().collect();
                    for id in ids {
                        self.select_layers(id, now);
                    }
                }
            }
        }
    }

    /// The hot path: one frame of a publisher to every subscriber that should get it.
    fn forward(&mut self, from: ParticipantId, data: MediaData, now: Instant, out: &mut Outputs) {
        let Some(publisher) = self.participants.get(&from) else {
            return;
        };
        let Some(track) = publisher.track_by_mid(data.mid) else {
            trace!("media for an unannounced mid dropped");
            return;
        };
        let source = track.source;
        if source == TrackSource::Microphone {
            if !publisher.audio_allowed {
                return;
            }
            if let Some(level) = data.ext_vals.audio_level {
                self.speaker.handle_level(from, level, now);
            }
        } else if !data.contiguous {
            // Frames were lost on the way in: every subscriber's decoder needs a keyframe.
            self.request_keyframe((from, source), data.rid, KeyframeRequestKind::Pli, now);
        }
        let is_keyframe = source.is_video() && data.is_keyframe();
        let key = (from, source);
        for (sid, sub) in self.participants.iter_mut() {
            if *sid == from || sub.failed {
                continue;
            }
            let Some(o) = sub.outs.get_mut(&key) else {
                continue;
            };
            if !o.open || !o.viewed {
                continue;
            }
            // Video starts or switches layers at a keyframe of the wanted layer; audio at
            // any frame.
            let can_start = !source.is_video() || (is_keyframe && data.rid == o.target);
            if can_start && (!o.synced || o.current != o.target) {
                o.current = o.target;
                o.synced = true;
                o.timeline.rebase(data.time, data.network_time);
            }
            if !o.synced || data.rid != o.current {
                continue;
            }
            let slot = &mut sub.rtcs[Side::Subscribe as usize];
            if source == TrackSource::Microphone {
                let line = sub.lines.get_mut(&o.mid);
                if let Err(e) = forward_audio(slot, line, o, &data, out) {
                    debug!(subscriber = %sid, "audio not sealed: {e}");
                }
                continue;
            }
            let Some(writer) = slot.rtc.writer(o.mid) else {
                continue;
            };
            let Some(pt) = writer.match_params(data.params) else {
                trace!("subscriber has no matching codec; frame dropped");
                continue;
            };
            let writer = match data.ext_vals.audio_level {
                Some(level) => {
                    writer.audio_level(level, data.ext_vals.voice_activity.unwrap_or(false))
                }
                None => writer,
            };
            let time = o.timeline.map(data.time, data.network_time);
            if let Err(e) = writer.write(pt, data.network_time, time, data.data.clone()) {
                debug!(subscriber = %sid, "write failed: {e}");
            }
            slot.dirty = true;
        }
    }

    /// A subscriber asked for a keyframe: pass it to the publisher, for the layer this
    /// subscriber gets.
    fn keyframe_request_from(&mut self, from: ParticipantId, req: KeyframeRequest, now: Instant) {
        let Some(sub) = self.participants.get(&from) else {
            return;
        };
        let Some((key, o)) = sub.outs.iter().find(|(_, o)| o.mid == req.mid) else {
            return;
        };
        let rid = if o.synced { o.current } else { o.target };
        let key = *key;
        self.request_keyframe(key, rid, req.kind, now);
    }

    fn request_keyframe(
        &mut self,
        (publisher, source): TrackKey,
        rid: Option<Rid>,
        kind: KeyframeRequestKind,
        now: Instant,
    ) {
        let Some(p) = self.participants.get_mut(&publisher) else {
            return;
        };
        if p.failed {
            return;
        }
        let Some(track) = p.published.iter_mut().find(|t| t.source == source) else {
            return;
        };
        if let Some((_, at)) = track.keyframe_requested.iter_mut().find(|(r, _)| *r == rid) {
            if now < *at + KEYFRAME_REQUEST_INTERVAL {
                return;
            }
            *at = now;
        } else {
            track.keyframe_requested.push((rid, now));
        }
        let mid = track.mid;
        let slot = p.slot(Side::Publish);
        let Some(mut writer) = slot.rtc.writer(mid) else {
            return;
        };
        let kind = if writer.is_request_keyframe_possible(kind) {
            kind
        } else {
            KeyframeRequestKind::Fir
        };
        if let Err(e) = writer.request_keyframe(rid, kind) {
            // Typically: the layer has not sent a packet yet, so it has no stream.
            debug!(participant = %publisher, ?rid, "keyframe request not sent: {e}");
        }
        slot.dirty = true;
    }

    /// Chooses the simulcast layer of every video a subscriber views, from tile sizes and
    /// its bandwidth estimate; starts switches by asking for a keyframe of the new layer.
    fn select_layers(&mut self, id: ParticipantId, now: Instant) {
        let Some(sub) = self.participants.get(&id) else {
            return;
        };
        if sub.failed {
            return;
        }
        let mut keys: Vec<TrackKey> = Vec::new();
        let mut layers: Vec<Vec<Rid>> = Vec::new();
        let mut wants: Vec<Quality> = Vec::new();
        let mut audio = 0u64;
        let mut fixed_video: Vec<TrackKey> = Vec::new();
        for (key, o) in &sub.outs {
            if !key.1.is_video() {
                audio += 1;
                continue;
            }
            if !o.open || !o.viewed {
                continue;
            }
            let Some(track) = self
                .participants
                .get(&key.0)
                .and_then(|p| p.track_by_source(key.1))
            else {
                continue;
            };
            if track.layers.is_empty() {
                fixed_video.push(*key);
                continue;
            }
            let Some((w, h)) = sub.viewed_tile(key) else {
                continue;
            };
            // Only layers that come can be switched to (see `PubTrack::sending`).
            let live: Vec<Rid> = track
                .layers
                .iter()
                .filter(|r| track.sending.contains(r))
                .copied()
                .collect();
            keys.push(*key);
            // Before any layer came, aim by the tile alone: the first to come chooses again.
            layers.push(if live.is_empty() {
                track.layers.clone()
            } else {
                live
            });
            wants.push(layer::quality_for_tile(w, h));
        }
        let budget = sub
            .estimate_bps
            .map(|e| e.saturating_sub(audio * AUDIO_RESERVE_BPS));
        let mut got = vec![Quality::Low; wants.len()];
        layer::allocate(budget, &wants, &mut got);
        // Audio alone needs no probing: its rate is small and fixed. A view that takes less
        // than the starting estimate asks for that much anyway: str0m's first probes go
        // up to twice what is desired and their result replaces the estimate, so a
        // thumbnail's few hundred kbit/s would become the estimate, and enlarging the
        // tile later would wait for the estimate to climb back.
        let desired = if wants.is_empty() && fixed_video.is_empty() {
            0
        } else {
            layer::view_bitrate_bps(&wants, fixed_video.len())
                .saturating_add(audio * AUDIO_RESERVE_BPS)
                .max(INITIAL_ESTIMATE.as_u64())
        };

        let mut requests = Vec::new();
        let Some(sub) = self.participants.get_mut(&id) else {
            return;
        };
        if sub.desired_bps != desired {
            // The estimator probes the link up to what the view wants. Without it, what a
            // subscriber is sent is all the estimate can learn from: nine thumbnails' worth
            // never shows that the link carries nine medium tiles. No minimum: padding is
            // not wanted beyond the probes.
            sub.desired_bps = desired;
            let slot = sub.slot(Side::Subscribe);
            slot.rtc
                .bwe()
                .set_bitrate(Bitrate::ZERO, Bitrate::bps(desired));
            slot.dirty = true;
        }
        for ((key, layers), quality) in keys.iter().zip(&layers).zip(&got) {
            let Some(o) = sub.outs.get_mut(key) else {
                continue;
            };
            let rid = layer::pick_rid(layers, *quality);
            if o.target != rid {
                debug!(subscriber = %id, publisher = %key.0, ?rid, "layer target");
                o.target = rid;
            }
            if !o.synced || o.current != o.target {
                requests.push((*key, rid));
            }
        }
        for key in fixed_video {
            if let Some(o) = sub.outs.get_mut(&key)
                && !o.synced
            {
                requests.push((key, None));
            }
        }
        for (key, rid) in requests {
            self.request_keyframe(key, rid, KeyframeRequestKind::Pli, now);
        }
    }
}

/// Writes an audio frame to a subscriber through `direct`, without its `Rtc`.
fn forward_audio(
    slot: &mut RtcSlot,
    line: Option<&mut SubLine>,
    o: &mut OutTrack,
    data: &MediaData,
    out: &mut Outputs,
) -> Result<(), CryptoError> {
    let (Some(direct), Some(stream)) = (&mut slot.direct, line.and_then(|l| l.audio.as_mut()))
    else {
        return Ok(());
    };
    let pt = match o.audio_pt {
        Some((from, to)) if from == data.pt => to,
        _ => {
            let Some(to) = slot
                .rtc
                .writer(o.mid)
                .and_then(|w| w.match_params(data.params))
            else {
                trace!("subscriber has no matching audio codec; frame dropped");
                return Ok(());
            };
            o.audio_pt = Some((data.pt, to));
            to
        }
    };
    let time = o.timeline.map(data.time, data.network_time);
    let frame = AudioFrame {
        pt: *pt,
        // RTP time is the low 32 bits of the timeline.
        time: time.numer() as u32,
        arrival: data.network_time,
        level: data
            .ext_vals
            .audio_level
            .map(|l| (l, data.ext_vals.voice_activity.unwrap_or(false))),
        payload: &data.data,
    };
    stream.write(direct, frame, &mut out.transmits)
}

/// Whether a viewed video waits for the keyframe that starts it or switches its layer.
fn awaits_keyframe(o: &OutTrack) -> bool {
    o.open && o.viewed && (!o.synced || o.current != o.target)
}

/// Whether a subscribe m-line carries a track, or is about to (`reused`).
fn line_in_use(outs: &BTreeMap<TrackKey, OutTrack>, reused: &[(TrackKey, Mid)], mid: &Mid) -> bool {
    outs.values().any(|o| o.mid == *mid) || reused.iter().any(|(_, m)| m == mid)
}

/// Polls one `Rtc` until it reports its next timeout. Returns false when the `Rtc` failed.
fn poll_rtc(
    id: ParticipantId,
    p: &mut Participant,
    side: Side,
    now: Instant,
    out: &mut Outputs,
    queue: &mut VecDeque<Propagated>,
) -> bool {
    let slot = &mut p.rtcs[side as usize];
    slot.dirty = false;
    let mut immediate_timeouts = 0;
    let mut idle_timeouts = 0;
    loop {
        if !slot.rtc.is_alive() {
            return false;
        }
        let output = match slot.rtc.poll_output() {
            Ok(o) => o,
            Err(e) => {
                warn!(participant = %id, ?side, "rtc failed: {e}");
                return false;
            }
        };
        let event = match output {
            Output::Timeout(t) => {
                // Timeouts that are due are served here, instead of on the next round of the
                // driver: packetizing what was written, and the pacer's next packet. The
                // pacer's step is due even a little ahead of the clock (PACER_LEAD), else
                // a subscriber would get one packet per round of the driver. The bounds
                // keep a misbehaving `Rtc` from spinning forever.
                let pacer_step =
                    slot.rtc.last_timeout_reason() == Reason::Pacer(PacerReason::Immediate);
                let due = t <= now || (pacer_step && t <= now + PACER_LEAD);
                if due && idle_timeouts >= MAX_IDLE_TIMEOUTS {
                    slot.timeout = Some(now + IDLE_TIMEOUT_BACKOFF);
                    return true;
                }
                if due && immediate_timeouts < MAX_IMMEDIATE_TIMEOUTS {
                    immediate_timeouts += 1;
                    idle_timeouts += 1;
                    if let Err(e) = slot.rtc.handle_input(Input::Timeout(t.max(now))) {
                        warn!(participant = %id, ?side, "rtc failed: {e}");
                        return false;
                    }
                    continue;
                }
                slot.timeout = Some(t);
                return true;
            }
            Output::Transmit(t) => {
                idle_timeouts = 0;
                if let Some(direct) = &mut slot.direct {
                    direct.sent(t.destination, t.contents.first().copied());
                }
                out.transmits.push_back(Transmit {
                    destination: t.destination,
                    contents: t.contents.into(),
                });
                continue;
            }
            Output::Event(e) => {
                idle_timeouts = 0;
                e
            }
        };
        match event {
            Event::IceConnectionStateChange(state) => match state {
                IceConnectionState::Disconnected => {
                    slot.down_since.get_or_insert(now);
                }
                IceConnectionState::Connected | IceConnectionState::Completed => {
                    slot.down_since = None;
                }
                _ => {}
            },
            Event::Closed => return false,
            Event::MediaData(data) if side == Side::Publish => {
                queue.push_back(Propagated::Media(id, data));
            }
            Event::StreamPaused(s) if side == Side::Publish => {
                if let Some(track) = p.published.iter_mut().find(|t| t.mid == s.mid)
                    && let Some(rid) = s.rid
                {
                    track.sending.retain(|r| *r != rid);
                    if !s.paused {
                        track.sending.push(rid);
                    }
                    queue.push_back(Propagated::Reselect(None));
                }
            }
            Event::KeyframeRequest(req) if side == Side::Subscribe => {
                queue.push_back(Propagated::KeyframeRequest(id, req));
            }
            Event::EgressBitrateEstimate(BweKind::Twcc { estimate, .. })
                if side == Side::Subscribe =>
            {
                let bps = estimate.as_u64();
                let changed = p.estimate_bps.is_none_or(|old| crosses_layer(old, bps));
                p.estimate_bps = Some(bps);
                if changed {
                    queue.push_back(Propagated::Reselect(Some(id)));
                }
            }
            _ => {}
        }
    }
}

/// Whether a new bandwidth estimate differs enough from the last one to choose layers
/// again: estimates move a little all the time, and small moves change no layer.
fn crosses_layer(old_bps: u64, new_bps: u64) -> bool {
    new_bps.abs_diff(old_bps).saturating_mul(10) > old_bps
}

//! plenum-sfu: the sans-IO media engine of Plenum's bridge.
//!
//! A selective forwarding unit over [str0m]: browsers send their audio and video once, the
//! SFU forwards to every other participant what that participant should get. It owns no
//! socket, no thread and no clock: [`Sfu::handle_command`], [`Sfu::handle_datagram`] and
//! [`Sfu::handle_timeout`] take inputs and the current time; [`Sfu::poll_transmit`],
//! [`Sfu::poll_event`] and [`Sfu::poll_timeout`] hand out what follows. `plenum-bridge`
//! drives it over a UDP socket; the tests drive it on a simulated clock.
//!
//! # Shape
//! - Conferences ([`MeetingId`]) are separate values. Nothing of one is reachable from
//!   another, and a panic while handling one is caught: that conference is dropped and
//!   reported ([`BridgeEvent::ConferenceFailed`]), the others go on.
//! - Each participant has two ICE-lite `Rtc`s (docs/signaling.md, "Media"): **publish** (the
//!   browser offers its microphone, camera with simulcast rids `q`/`h`/`f`, screen; we
//!   answer) and **subscribe** (we offer one sendonly m-line per remote track; the browser
//!   answers). One offer is outstanding at a time; changes meanwhile are offered after the
//!   answer.
//! - Subscribe m-lines are never stopped: when a remote track goes, its m-line turns
//!   `inactive`, and the next remote track of the same kind reuses it. A stopped m-line
//!   (port 0) leaves the BUNDLE group; once the last remote publisher left, the group was
//!   empty and Chromium refused the offer (`InvalidAccessError`), and once the m-line that
//!   tags the group went, Chromium moved to a new transport and the subscriber's connection
//!   failed. With reuse the tag stays, no offer has an empty group, and a subscriber has
//!   at most as many m-lines as it once had tracks at the same time. A reused m-line keeps
//!   its SSRC and msid: its outgoing timeline continues across tracks (like a layer
//!   switch), and a publisher's tracks prefer the m-lines of one departed publisher, so
//!   browsers still pair audio and video of one stream for lip sync. (A data channel as a
//!   never-removed anchor would keep BUNDLE alive too, but adds an SCTP association per
//!   subscriber, and str0m's own offers never recycle stopped m-lines, so they would pile
//!   up.)
//! - Datagrams are routed in O(1): by source address once an `Rtc` has claimed that address
//!   through `Rtc::accepts` (STUN credentials), and the first STUN request from a new
//!   address by the local ICE ufrag in its USERNAME (every `Rtc` has its own), checked by
//!   that one `Rtc` only — never by asking every `Rtc` in turn.
//! - Simulcast: per subscriber and camera, the layer follows the tile size in the latest
//!   View, capped by the subscriber's egress bandwidth estimate (str0m's TWCC BWE), among
//!   the layers the publisher sends: a browser starts with its lowest layer and adds the
//!   others as its own estimate grows, so a newcomer's video starts with what comes and
//!   moves up later instead of staying black for seconds. A switch asks the publisher for a
//!   keyframe of the new layer and keeps forwarding the old one until that keyframe
//!   arrives, so the picture never freezes. Timestamps are rebased at the switch so the
//!   subscriber sees one continuous stream.
//! - Active speaker: RFC 6464 audio levels, smoothed, with hysteresis (`speaker` module).
//!
//! # Frame mode, not RTP mode
//! str0m can hand an SFU either whole frames (`Event::MediaData`, written with
//! `Writer::write`) or raw RTP packets (`rtp_mode`, `StreamTx::write_rtp`). This crate uses
//! **frame mode**, because it is the mode whose every part str0m carries for us today and
//! that its own SFU example runs against Chromium and Firefox:
//! - outgoing sequence numbers are assigned per outgoing stream, and the VP8 picture id is
//!   written by str0m's packetizer, so a layer switch needs only a timestamp rebase — in RTP
//!   mode we would rewrite sequence numbers, timestamps, VP8 picture id / TL0PICIDX and the
//!   VP9/AV1 descriptors ourselves, per codec;
//! - keyframe detection is per codec (`MediaData::is_keyframe`) for VP8, VP9, H.264, AV1;
//! - NACK and RTX work on both sides without our help (str0m keeps the send buffer of what
//!   it packetized), and payload types are mapped by codec (`Writer::match_params`);
//! - the frame payload is an `Arc<[u8]>`: forwarding to N subscribers clones a pointer,
//!   not the bytes.
//!
//! The price was thought to be depacketizing and repacketizing every frame; the profile
//! says otherwise (issue 7). `benches/forward.rs` prints µs and heap allocations per
//! forwarded RTP packet; callgrind counts the instructions of its measured phase:
//!
//! ```text
//! cargo bench -p plenum-sfu --bench forward --no-run    # prints the binary's path
//! valgrind --tool=callgrind --toggle-collect='plenum_sfu::Sfu::*' \
//!   --zero-before='forward::Bench::run' target/release/deps/forward-<hash> --bench quick 1to50
//! callgrind_annotate --inclusive=yes callgrind.out.<pid>   # total Ir ÷ "rtp out"
//! ```
//!
//! # Where the time goes
//! Instructions per forwarded RTP packet before batching (2 s of media, datagrams handed
//! over one by one; 1to50: one publisher, 50 viewers
//! with 2 streams each; 10x10: ten publishers, each viewer gets 18 streams), inclusive:
//!
//! | | 1to50, BWE on | 1to50, BWE off | 10x10, BWE on | 10x10, BWE off |
//! |---|---:|---:|---:|---:|
//! | **total** | **28 250** | **22 060** | **49 760** | **37 480** |
//! | `Session::handle_timeout` (packetize, walk every stream) | 6 620 | 3 900 | 16 440 | 9 300 |
//! | `Session::poll_datagram` (RTP header, SRTP) | 7 690 | 8 200 | 7 560 | 8 760 |
//! | of which SRTP `protect_rtp` | 2 830 | 2 840 | 2 550 | 2 840 |
//! | `Media::do_payload` + `poll_sample` (packetize, depacketize) | 2 550 | 2 510 | 5 250 | 4 220 |
//! | leaky-bucket pacer / null pacer | 1 790 | 460 | 7 880 | 700 |
//! | BWE (`Bwe::update`, `Bwe::handle_timeout`) | 3 170 | – | 1 950 | – |
//! | RTCP in (`handle_rtcp_receive`, mostly TWCC feedback) | 3 380 | 1 170 | 1 550 | 420 |
//! | `Session::poll_timeout` (walk every stream) | 1 420 | 960 | 4 600 | 3 320 |
//! | `memcpy` (send buffer, packet copies) | 3 790 | 3 660 | 7 180 | 6 350 |
//!
//! BWE off means `RtcConfig::enable_bwe` not called on subscribe `Rtc`s: str0m then uses
//! its null pacer and no estimator, but still writes the transport-wide sequence number,
//! registers every sent packet and parses the browsers' TWCC feedback; leaving the TWCC
//! extension out as well gives 18 790 (1to50) and 36 610 (10x10). Trimming the other
//! subscribe header extensions (abs-send-time, rid, repaired-rid), RTCP report intervals,
//! send-buffer and reorder sizes changes less than 3 %. With BWE on, 10x10 also forwarded
//! only 14 860 packets in the window, against 18 000 (all media) with BWE off.
//!
//! So turning the estimator off saves 22–25 %, not the factor issue 7 needs, and costs the
//! delay-based estimate the layer choice rests on (without it only loss — str0m's
//! `PeerStats::egress_loss_fraction` with a stats interval, or receiver reports — is left,
//! i.e. a layer goes down only once the link already drops packets, and up blindly,
//! without probing). The larger cost is the same with and without BWE: 1–1.4
//! `Session::handle_timeout`s per forwarded packet (counted at our `Rtc::handle_input`
//! calls; callgrind's call counts show twice as many) (a frame written to a subscriber's
//! `Rtc` asks for one at once), each of which packetizes by asking every media of that
//! `Rtc` and snapshots every send queue, and each `poll_output` computes the next timeout
//! over every stream again: O(streams per subscriber) per frame. RTP mode goes
//! through the same calls, so it would save only the packetizing share.
//!
//! # Batches, and what is left in str0m
//! [`Sfu::handle_datagrams`] takes what one read of the socket returned (the bridge reads
//! with `recvmmsg`): each datagram's `Rtc` is polled at once and its frames are written to
//! their subscribers, whose `Rtc`s are polled once after the batch. With str0m's
//! leaky-bucket pacer that pays little, because the pacer releases one packet per
//! `handle_timeout` (its `needs_timeout_before_next_poll` gate) and asks for the next a
//! microsecond later. Left for the clock, that step let a subscriber send one packet per
//! round of the driver, which is why an earlier batching experiment stalled 10x10; the SFU
//! now serves it at once, ahead of the clock by at most `PACER_LEAD`, so the pacer's own
//! budget decides the burst, but every packet still costs one walk. Measured on the bench
//! (batches of up to 32; `unbatched` hands datagrams over one by one); the third row with
//! str0m's pacer changed in a scratch copy, the last with `enable_bwe` left out, neither in
//! this tree:
//!
//! | instructions per packet | 1to50 (2 s) | 10x10 (10 s) |
//! |---|---:|---:|
//! | before batching | 28 300 | 48 810 (only 74 260 of 90 000 packets left the pacer) |
//! | batched, str0m 0.25 as is | 27 020 | 43 420 |
//! | batched, the leaky pacer releasing its burst per `handle_timeout` | 22 070 | 23 160 |
//! | batched, BWE off (null pacer), str0m as is | 18 830 | 24 140 |
//!
//! The pacer change (in `LeakyBucketPacer`: `poll_queue` no longer closes the gate, and
//! `register_send` counts the packet off its queue snapshot and picks the next queue while
//! the budget allows; probes keep one packet per timeout; the row above is its first
//! version, the kept patch differs only in keeping the snapshot's send time) halves 10x10 and keeps the
//! delay-based estimate the layer choice needs; it is a change to str0m (upstream or a
//! fork), not made here. On the wire it does not pay: at the benchmark's rates a socket
//! read returns about one datagram, so a subscriber's burst is one or two packets and
//! there is no walk to save (`bench/sfu-vs-janus`, patched against unpatched: no change
//! beyond the noise; BENCHMARKS.md). It also delivered fewer packets in the first seconds
//! of the in-process 10x10 (15 900 against 20 200 in the 2 s window), a start-up effect
//! not explained. So it is not carried (`bench/str0m/leaky-burst.patch`, which passes
//! str0m's own 874 unit tests). Turning BWE off costs the estimate. What stays per packet
//! either way is `poll_datagram` (RTP header, extensions, SRTP, send buffer) and str0m's
//! allocations; our own forwarding (`Conference::forward` without str0m's writer) is
//! under 3 % of the total.
//!
//! [str0m]: https://docs.rs/str0m

mod conference;
mod direct;
mod layer;
mod speaker;
mod srtp;
mod timeline;

use conference::{CommandError, Conference, RtcFactory, Side};
use plenum_protocol::bridge::{BridgeCommand, BridgeEvent};
use plenum_protocol::{MeetingId, ParticipantId};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;
use str0m::ice::StunMessage;
use str0m::net::{DatagramRecv, Protocol, Receive};
use str0m::{Candidate, Input};
use tracing::{debug, error, trace};

pub use conference::MEDIA_TIMEOUT;

/// Configuration of an [`Sfu`].
#[derive(Clone, Debug)]
pub struct SfuConfig {
    /// Host candidates announced in every SDP: the `ip:port`s browsers send to. All of them
    /// must reach the one socket the driver reads.
    pub local_addrs: Vec<SocketAddr>,
    /// The bound socket's address, given as the destination of received datagrams. When it
    /// is not one of `local_addrs` (e.g. bound to `0.0.0.0`), datagrams are attributed to
    /// the first announced address of the same IP family.
    pub socket_addr: SocketAddr,
}

/// A datagram to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    pub destination: SocketAddr,
    pub contents: Vec<u8>,
}

/// A received datagram, one of a batch for [`Sfu::handle_datagrams`].
#[derive(Clone, Copy, Debug)]
pub struct Datagram<'a> {
    pub source: SocketAddr,
    /// The socket's address.
    pub destination: SocketAddr,
    pub contents: &'a [u8],
}

/// Why an [`Sfu`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SfuError {
    #[error("no local address to announce")]
    NoLocalAddress,
    #[error("{0} cannot be announced as a host candidate")]
    InvalidCandidate(SocketAddr),
}

/// Outputs waiting to be polled; conferences push into it directly.
#[derive(Debug, Default)]
pub(crate) struct Outputs {
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<(MeetingId, BridgeEvent)>,
}

impl Outputs {
    pub(crate) fn event(&mut self, conference: MeetingId, event: BridgeEvent) {
        self.events.push_back((conference, event));
    }
}

/// Where datagrams from one remote address go.
#[derive(Clone, Copy, Debug)]
struct Route {
    conference: MeetingId,
    participant: ParticipantId,
    side: Side,
}

/// The engine. See the crate documentation.
#[derive(Debug)]
pub struct Sfu {
    config: SfuConfig,
    factory: Arc<RtcFactory>,
    conferences: BTreeMap<MeetingId, Conference>,
    /// Where datagrams from a known remote address go.
    routes: HashMap<SocketAddr, Route>,
    /// Every live `Rtc` by its local ICE ufrag: where a STUN request from a new address
    /// goes (its USERNAME is `local-ufrag:remote-ufrag`).
    ufrags: HashMap<String, Route>,
    /// Scratch list of conferences due in `handle_timeout`, kept to reuse its allocation.
    due: Vec<MeetingId>,
    /// Scratch list of the conferences a batch of datagrams reached.
    touched: Vec<MeetingId>,
    out: Outputs,
}

impl Sfu {
    /// A new engine announcing `config.local_addrs`.
    pub fn new(config: SfuConfig) -> Result<Self, SfuError> {
        if config.local_addrs.is_empty() {
            return Err(SfuError::NoLocalAddress);
        }
        let candidates = config
            .local_addrs
            .iter()
            .map(|a| {
                if a.ip().is_unspecified() || a.port() == 0 {
                    return Err(SfuError::InvalidCandidate(*a));
                }
                Candidate::host(*a, "udp").map_err(|_| SfuError::InvalidCandidate(*a))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Sfu {
            config,
            factory: Arc::new(RtcFactory {
                candidates,
                crypto: Arc::new(srtp::capture_keys(&str0m::crypto::from_feature_flags())),
            }),
            conferences: BTreeMap::new(),
            routes: HashMap::new(),
            ufrags: HashMap::new(),
            due: Vec::new(),
            touched: Vec::new(),
            out: Outputs::default(),
        })
    }

    /// A command of the control plane.
    ///
    /// `AddParticipant` opens the conference if it is new; removing its last participant
    /// or `CloseConference` drops it. A command naming an unknown participant (or an
    /// unknown conference) answers `BridgeEvent::Error { code: "invalid_state" }`; bad SDP
    /// answers `"invalid_sdp"`. Removing or closing something unknown is ignored.
    pub fn handle_command(&mut self, cmd: BridgeCommand, now: Instant) {
        let conference = cmd.conference();
        match cmd {
            BridgeCommand::AddParticipant { participant, .. } => {
                self.conferences
                    .entry(conference)
                    .or_insert_with(|| Conference::new(conference, now));
                let factory = Arc::clone(&self.factory);
                self.with_participant(conference, participant, |c, out| {
                    c.add_participant(participant, &factory, now, out)
                });
                if let Some(c) = self.conferences.get(&conference) {
                    for (side, ufrag) in c.ice_ufrags(participant) {
                        let route = Route {
                            conference,
                            participant,
                            side,
                        };
                        self.ufrags.insert(ufrag.to_owned(), route);
                    }
                }
            }
            BridgeCommand::PublishOffer {
                participant,
                sdp,
                tracks,
                ..
            } => {
                self.with_participant(conference, participant, |c, out| {
                    c.publish_offer(participant, &sdp, &tracks, now, out)
                });
            }
            BridgeCommand::SubscribeAnswer {
                participant, sdp, ..
            } => {
                self.with_participant(conference, participant, |c, out| {
                    c.subscribe_answer(participant, &sdp, now, out)
                });
            }
            BridgeCommand::View {
                participant, tiles, ..
            } => {
                self.with_participant(conference, participant, |c, out| {
                    c.view(participant, &tiles, now, out)
                });
            }
            BridgeCommand::SetAudioAllowed {
                participant,
                allowed,
                ..
            } => {
                self.with_participant(conference, participant, |c, out| {
                    c.set_audio_allowed(participant, allowed, now, out)
                });
            }
            BridgeCommand::RemoveParticipant { participant, .. } => {
                if !self.conferences.contains_key(&conference) {
                    debug!(%conference, "remove in unknown conference ignored");
                    return;
                }
                self.forget_routes(|r| r.conference == conference && r.participant == participant);
                self.with_conference(conference, |c, out| {
                    c.remove_participant(participant, now, out)
                });
                if self
                    .conferences
                    .get(&conference)
                    .is_some_and(Conference::is_empty)
                {
                    self.conferences.remove(&conference);
                }
            }
            BridgeCommand::CloseConference { .. } => match self.conferences.remove(&conference) {
                Some(mut c) => {
                    self.forget_routes(|r| r.conference == conference);
                    // Dropping would do; disconnecting first keeps str0m from logging
                    // about live sessions going away.
                    if catch_unwind(AssertUnwindSafe(|| c.close())).is_err() {
                        error!(%conference, "panic while closing conference");
                    }
                }
                None => debug!(%conference, "close of unknown conference ignored"),
            },
        }
    }

    /// A datagram received on the socket (`destination` is the socket's address): a batch of
    /// one for [`Sfu::handle_datagrams`].
    pub fn handle_datagram(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        data: &[u8],
        now: Instant,
    ) {
        self.handle_datagrams(
            [Datagram {
                source,
                destination,
                contents: data,
            }],
            now,
        );
    }

    /// Datagrams received together (one read of the socket). Each goes to its `Rtc`, which
    /// is polled at once, and the frames it yields are written to their subscribers; the
    /// subscribers' `Rtc`s are polled once after the whole batch, so a subscriber that got
    /// frames of several publishers in one batch packetizes them in one walk over its
    /// streams instead of one walk per frame.
    pub fn handle_datagrams<'a>(
        &mut self,
        datagrams: impl IntoIterator<Item = Datagram<'a>>,
        now: Instant,
    ) {
        let mut touched = std::mem::take(&mut self.touched);
        touched.clear();
        for d in datagrams {
            let Some((route, input)) = self.route(&d, now) else {
                continue;
            };
            // SRTP and SRTCP (RFC 7983: first byte 128..=191) come over the candidate pair
            // the browser selected; what the SFU writes itself goes back the same way.
            let media_from = d.contents.first().is_some_and(|b| (128..=191).contains(b));
            let media_from = media_from.then_some(d.source);
            self.with_conference(route.conference, |c, out| {
                c.handle_input(route.participant, route.side, input, media_from, now, out)
            });
            if !touched.contains(&route.conference) {
                touched.push(route.conference);
            }
        }
        for id in &touched {
            self.with_conference(*id, |c, out| c.drive(now, out));
        }
        self.touched = touched;
    }

    /// Where a datagram goes, as the `Rtc` input it becomes; `None` drops it.
    fn route<'a>(&mut self, d: &Datagram<'a>, now: Instant) -> Option<(Route, Input<'a>)> {
        let Ok(contents) = DatagramRecv::try_from(d.contents) else {
            trace!(source = %d.source, "unparseable datagram dropped");
            return None;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source: d.source,
                destination: self.candidate_for(d.destination),
                contents,
            },
        );
        // STUN (RFC 7983: first byte 0..=3) may move a participant to a new address, or
        // come from a new participant, so it is checked against the credentials; everything
        // else from an unknown address is dropped.
        let is_stun = d.contents.first().is_some_and(|b| *b < 4);
        let mut route = self.routes.get(&d.source).copied();
        if is_stun {
            let still_ok = route.is_some_and(|r| {
                self.conferences
                    .get(&r.conference)
                    .is_some_and(|c| c.accepts(r.participant, r.side, &input))
            });
            if !still_ok {
                route = self.find_acceptor(d.contents, &input);
                match route {
                    Some(r) => {
                        self.routes.insert(d.source, r);
                    }
                    None => {
                        self.routes.remove(&d.source);
                    }
                }
            }
        }
        let Some(route) = route else {
            trace!(source = %d.source, "datagram from unknown address dropped");
            return None;
        };
        Some((route, input))
    }

    /// Time has passed; call at the latest at [`Sfu::poll_timeout`].
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut due = std::mem::take(&mut self.due);
        due.clear();
        due.extend(
            self.conferences
                .iter()
                .filter(|(_, c)| c.timeout().is_none_or(|t| t <= now))
                .map(|(id, _)| *id),
        );
        for id in &due {
            self.with_conference(*id, |c, out| c.handle_timeout(now, out));
        }
        self.due = due;
    }

    /// Next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    /// Next event for the control plane, with the conference it belongs to.
    pub fn poll_event(&mut self) -> Option<(MeetingId, BridgeEvent)> {
        self.out.events.pop_front()
    }

    /// When [`Sfu::handle_timeout`] must be called next; `None` while there is nothing to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.conferences
            .values()
            .filter_map(Conference::timeout)
            .min()
    }

    /// Number of live conferences.
    pub fn conference_count(&self) -> usize {
        self.conferences.len()
    }

    fn candidate_for(&self, destination: SocketAddr) -> SocketAddr {
        let addrs = &self.config.local_addrs;
        if addrs.contains(&destination) {
            return destination;
        }
        // One socket serves every announced address and cannot tell which one the peer
        // used; the first of the same family is the best guess, and ICE only needs the
        // datagram attributed to some local candidate.
        addrs
            .iter()
            .find(|a| a.is_ipv4() == destination.is_ipv4())
            .or(addrs.first())
            .copied()
            .unwrap_or(destination)
    }

    /// The `Rtc` a STUN request from a new address is for: the one whose local ufrag
    /// leads its USERNAME, if that `Rtc` accepts it (message integrity with its password).
    fn find_acceptor(&self, data: &[u8], input: &Input) -> Option<Route> {
        let message = StunMessage::parse(data).ok()?;
        let (local_ufrag, _) = message.split_username()?;
        let route = *self.ufrags.get(local_ufrag)?;
        self.conferences
            .get(&route.conference)?
            .accepts(route.participant, route.side, input)
            .then_some(route)
    }

    /// Forgets the datagram routes (by address and by ufrag) that match `gone`.
    fn forget_routes(&mut self, gone: impl Fn(&Route) -> bool) {
        self.routes.retain(|_, r| !gone(r));
        self.ufrags.retain(|_, r| !gone(r));
    }

    /// Runs a command on a participant; failures become `BridgeEvent::Error` for it.
    fn with_participant(
        &mut self,
        conference: MeetingId,
        participant: ParticipantId,
        f: impl FnOnce(&mut Conference, &mut Outputs) -> Result<(), CommandError>,
    ) {
        let result = if self.conferences.contains_key(&conference) {
            self.with_conference(conference, f)
        } else {
            Some(Err(CommandError::InvalidState("unknown conference")))
        };
        if let Some(Err(e)) = result {
            debug!(%conference, %participant, "command failed: {e}");
            self.out.event(
                conference,
                BridgeEvent::Error {
                    participant,
                    code: e.code().to_owned(),
                    message: e.to_string(),
                },
            );
        }
    }

    /// Runs `f` on one conference, isolated: a panic drops that conference only.
    fn with_conference<R>(
        &mut self,
        id: MeetingId,
        f: impl FnOnce(&mut Conference, &mut Outputs) -> R,
    ) -> Option<R> {
        let conf = self.conferences.get_mut(&id)?;
        let out = &mut self.out;
        match catch_unwind(AssertUnwindSafe(|| f(conf, out))) {
            Ok(r) => Some(r),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".to_owned());
                error!(conference = %id, "conference failed: {message}");
                self.conferences.remove(&id);
                self.forget_routes(|r| r.conference == id);
                self.out
                    .event(id, BridgeEvent::ConferenceFailed { message });
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn sfu() -> Sfu {
        let addr: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        Sfu::new(SfuConfig {
            local_addrs: vec![addr],
            socket_addr: addr,
        })
        .unwrap()
    }

    fn add(sfu: &mut Sfu, conference: MeetingId, now: Instant) -> ParticipantId {
        let participant = ParticipantId(Uuid::new_v4());
        sfu.handle_command(
            BridgeCommand::AddParticipant {
                conference,
                participant,
            },
            now,
        );
        participant
    }

    #[test]
    fn panic_in_one_conference_drops_only_that_one() {
        let mut sfu = sfu();
        let now = Instant::now();
        let (a, b) = (MeetingId(Uuid::from_u128(1)), MeetingId(Uuid::from_u128(2)));
        add(&mut sfu, a, now);
        let pb = add(&mut sfu, b, now);
        assert_eq!(sfu.conference_count(), 2);

        let r: Option<()> = sfu.with_conference(a, |_, _| panic!("bug in conference a"));
        assert!(r.is_none());
        assert_eq!(sfu.conference_count(), 1);
        let events: Vec<_> = std::iter::from_fn(|| sfu.poll_event()).collect();
        assert_eq!(
            events,
            [(
                a,
                BridgeEvent::ConferenceFailed {
                    message: "bug in conference a".into()
                }
            )]
        );
        // The other conference still answers commands.
        sfu.handle_command(
            BridgeCommand::SetAudioAllowed {
                conference: b,
                participant: pb,
                allowed: false,
            },
            now,
        );
        assert!(sfu.poll_event().is_none());
        // Commands for the failed one are errors, not panics.
        sfu.handle_command(
            BridgeCommand::View {
                conference: a,
                participant: pb,
                tiles: vec![],
            },
            now,
        );
        assert!(matches!(
            sfu.poll_event(),
            Some((c, BridgeEvent::Error { code, .. })) if c == a && code == "invalid_state"
        ));
    }

    #[test]
    fn config_is_validated() {
        let any: SocketAddr = "0.0.0.0:4000".parse().unwrap();
        let cases = [
            (vec![], SfuError::NoLocalAddress.to_string()),
            (vec![any], SfuError::InvalidCandidate(any).to_string()),
        ];
        for (local_addrs, want) in cases {
            let err = Sfu::new(SfuConfig {
                local_addrs,
                socket_addr: any,
            })
            .unwrap_err();
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn garbage_datagrams_are_dropped() {
        let mut sfu = sfu();
        let now = Instant::now();
        add(&mut sfu, MeetingId(Uuid::from_u128(1)), now);
        let src: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let dst: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        for data in [
            &[][..],
            &[0, 1, 0, 0][..],
            &[0x80; 12][..],
            &[22; 40][..],
            &[255; 3][..],
        ] {
            sfu.handle_datagram(src, dst, data, now);
        }
        assert!(sfu.poll_transmit().is_none());
        assert!(sfu.poll_event().is_none());
    }
}

//! The bridge over real UDP on loopback: a str0m client publishes audio, another receives
//! it through the bridge.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use plenum_bridge::{Bridge, BridgeConfig};
use plenum_protocol::bridge::{BridgeCommand, BridgeEvent, PublishedTrack, TrackSource};
use plenum_protocol::{MeetingId, ParticipantId};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::sync::mpsc::UnboundedReceiver;

/// A browser stand-in: one `Rtc` on its own loopback socket.
struct Client {
    rtc: Rtc,
    socket: UdpSocket,
    addr: SocketAddr,
    audio_frames: usize,
}

impl Client {
    fn new() -> Client {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        // Short reads let one thread serve both clients; this waits on IO, not on time.
        socket
            .set_read_timeout(Some(Duration::from_millis(2)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let mut rtc = Rtc::builder().build(Instant::now());
        rtc.add_local_candidate(Candidate::host(addr, "udp").unwrap());
        Client {
            rtc,
            socket,
            addr,
            audio_frames: 0,
        }
    }

    /// Handles due timeouts, sends what the `Rtc` wants sent, reads one datagram.
    fn pump(&mut self) {
        let mut buf = [0u8; 2048];
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
                    self.socket.send_to(&t.contents, t.destination).unwrap();
                }
                Output::Event(Event::MediaData(d)) if d.params.spec().codec == Codec::Opus => {
                    self.audio_frames += 1;
                }
                Output::Event(_) => {}
            }
        }
        if let Ok((n, source)) = self.socket.recv_from(&mut buf) {
            let input = Input::Receive(
                Instant::now(),
                Receive {
                    proto: Protocol::Udp,
                    source,
                    destination: self.addr,
                    contents: buf[..n].try_into().unwrap(),
                },
            );
            self.rtc.handle_input(input).unwrap();
        }
    }
}

fn next_event(
    events: &mut UnboundedReceiver<BridgeEvent>,
    pump: &mut [&mut Client],
) -> BridgeEvent {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(e) = events.try_recv() {
            return e;
        }
        assert!(Instant::now() < deadline, "no bridge event within 10 s");
        for c in pump.iter_mut() {
            c.pump();
        }
    }
}

#[test]
fn bridge_forwards_audio_over_udp() {
    let (bridge, handle) = Bridge::start(BridgeConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        announce: vec![],
    })
    .unwrap();
    let conference = MeetingId::random();
    let mut events = bridge.open_conference(conference);
    let (alice, bob) = (ParticipantId::random(), ParticipantId::random());
    for participant in [alice, bob] {
        bridge.send(BridgeCommand::AddParticipant {
            conference,
            participant,
        });
    }

    // Alice publishes a microphone.
    let mut publisher = Client::new();
    let mut subscriber = Client::new();
    let mut api = publisher.rtc.sdp_api();
    let mid = api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
    let (offer, pending) = api.apply().unwrap();
    let mut pending = Some(pending);
    bridge.send(BridgeCommand::PublishOffer {
        conference,
        participant: alice,
        sdp: offer.to_sdp_string(),
        tracks: vec![PublishedTrack {
            mid: mid.to_string(),
            source: TrackSource::Microphone,
        }],
    });

    // The bridge answers Alice and offers Bob her track (in either order).
    let mut answered = false;
    let mut subscribed = false;
    while !(answered && subscribed) {
        match next_event(&mut events, &mut [&mut publisher, &mut subscriber]) {
            BridgeEvent::PublishAnswer { participant, sdp } => {
                assert_eq!(participant, alice);
                let answer = SdpAnswer::from_sdp_string(&sdp).unwrap();
                assert!(sdp.contains(&bridge.local_addr().port().to_string()));
                let pending = pending.take().expect("one publish answer");
                publisher
                    .rtc
                    .sdp_api()
                    .accept_answer(pending, answer)
                    .unwrap();
                answered = true;
            }
            BridgeEvent::SubscribeOffer {
                participant,
                sdp,
                tracks,
            } => {
                assert_eq!(participant, bob);
                assert_eq!(tracks.len(), 1);
                assert_eq!(tracks[0].participant_id, alice);
                let offer = SdpOffer::from_sdp_string(&sdp).unwrap();
                let answer = subscriber.rtc.sdp_api().accept_offer(offer).unwrap();
                bridge.send(BridgeCommand::SubscribeAnswer {
                    conference,
                    participant: bob,
                    sdp: answer.to_sdp_string(),
                });
                subscribed = true;
            }
            other => panic!("unexpected event {other:?}"),
        }
    }

    // Alice speaks; Bob hears her through the bridge.
    let start = Instant::now();
    let deadline = start + Duration::from_secs(10);
    let mut next_frame = start;
    while subscriber.audio_frames < 25 {
        assert!(
            Instant::now() < deadline,
            "Bob got {} frames",
            subscriber.audio_frames
        );
        let now = Instant::now();
        if publisher.rtc.is_connected() && now >= next_frame {
            let writer = publisher.rtc.writer(mid).unwrap();
            let pt = writer
                .payload_params()
                .find(|p| p.spec().codec == Codec::Opus)
                .unwrap()
                .pt();
            let ms = (now - start).as_millis() as u64;
            writer
                .write(
                    pt,
                    now,
                    MediaTime::new(ms * 48, Frequency::FORTY_EIGHT_KHZ),
                    vec![1u8; 40],
                )
                .unwrap();
            next_frame = now + Duration::from_millis(20);
        }
        publisher.pump();
        subscriber.pump();
    }

    bridge.send(BridgeCommand::CloseConference { conference });
    bridge.shutdown();
    handle.join().unwrap().unwrap();
}

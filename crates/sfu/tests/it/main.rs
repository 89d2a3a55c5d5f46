//! Behaviour of the SFU against real str0m client `Rtc`s, in process, on a simulated clock.

// The harness is test code outside `#[test]` functions: a failed unwrap there is a failed
// test, as clippy.toml already allows inside them.
#![allow(clippy::unwrap_used)]

mod harness;

use harness::{Publish, Received, World, assert_continuous, meeting, publisher_and_viewer};
use plenum_protocol::bridge::{BridgeCommand, BridgeEvent, TrackSource};
use std::collections::BTreeSet;
use std::time::Duration;
use str0m::format::Codec;
use str0m::media::KeyframeRequestKind;

const SEC: Duration = Duration::from_secs(1);

#[test]
fn two_publishers_receive_each_other() {
    let mut w = World::new();
    let m = meeting(1);
    let a = w.join(m, Publish::AV);
    let b = w.join(m, Publish::AV);
    w.view(a, &[(b, 640, 360)]);
    w.view(b, &[(a, 640, 360)]);
    w.run(3 * SEC);

    for (rx, tx) in [(a, b), (b, a)] {
        let from = w.participants[tx].id;
        let p = &w.participants[rx];
        let audio = p.count_from(from, TrackSource::Microphone);
        let video = p.count_from(from, TrackSource::Camera);
        // 3 s of 50 audio and 25 video frames per second, less connection setup.
        assert!(audio > 100, "participant {rx} got {audio} audio frames");
        assert!(video > 40, "participant {rx} got {video} video frames");
        assert_continuous(&p.from(from, TrackSource::Camera));
        assert_continuous(&p.from(from, TrackSource::Microphone));
        // Nobody receives their own media.
        assert_eq!(p.count_from(p.id, TrackSource::Microphone), 0);
    }
    // Audio levels travel with the audio.
    let from = w.participants[a].id;
    let levels: Vec<_> = w.participants[b]
        .from(from, TrackSource::Microphone)
        .iter()
        .map(|r| r.audio_level)
        .collect();
    assert!(levels.iter().all(|l| *l == Some(-30)), "{levels:?}");
}

/// Lip sync: a browser plays a stream's audio and video in step by mapping both to
/// wall-clock time through each one's sender reports. The SFU writes forwarded audio
/// itself and str0m writes the video, so both reports must tell one clock (and str0m must
/// send none of its own for audio it never wrote).
#[test]
fn forwarded_audio_and_video_report_one_clock() {
    let mut w = World::new();
    let m = meeting(1);
    let a = w.join(m, Publish::AV);
    let b = w.join(m, Publish::AV);
    w.view(b, &[(a, 640, 360)]);
    // Long enough for str0m's audio report interval (5 s) to pass.
    w.run(8 * SEC);

    let from = w.participants[a].id;
    let p = &w.participants[b];
    // A frame's wall-clock time by its stream's latest report, and when it arrived.
    let on_clock = |r: &Received, rate: f64| {
        let info = r
            .sender_info
            .unwrap_or_else(|| panic!("no sender report by {:?}", r.at));
        let ticks = r.time as f64 - info.rtp_time.numer() as f64;
        let ntp = info.ntp_time + Duration::from_secs_f64(ticks.max(0.0) / rate);
        (ntp, r.at)
    };
    let audio = p.from(from, TrackSource::Microphone);
    let video = p.from(from, TrackSource::Camera);
    // The first report of each comes with its first frames (str0m's video: within 1 s).
    let late = |frames: &[&Received]| -> Vec<Received> {
        frames
            .iter()
            .filter(|r| r.at >= w.start + 2 * SEC)
            .map(|r| (*r).clone())
            .collect()
    };
    let (audio, video) = (late(&audio), late(&video));
    assert!(
        audio.len() > 50 && video.len() > 25,
        "{} audio, {} video",
        audio.len(),
        video.len()
    );
    for v in &video {
        let (v_ntp, v_at) = on_clock(v, 90_000.0);
        // The audio frame that arrived nearest in time.
        let Some(a) = audio.iter().min_by_key(|a| a.at.max(v_at) - a.at.min(v_at)) else {
            continue;
        };
        let (a_ntp, a_at) = on_clock(a, 48_000.0);
        // Both on one clock: their wall-clock times differ as their arrivals do.
        let by_reports = a_ntp
            .duration_since(v_ntp)
            .map_or_else(|e| -e.duration().as_secs_f64(), |d| d.as_secs_f64());
        let by_arrival = if a_at >= v_at {
            (a_at - v_at).as_secs_f64()
        } else {
            -(v_at - a_at).as_secs_f64()
        };
        assert!(
            (by_reports - by_arrival).abs() < 0.02,
            "audio and video apart by {by_reports:.3} s on the reports' clock, \
             {by_arrival:.3} s on arrival"
        );
    }
}

#[test]
fn simulcast_layer_follows_view_with_continuous_stream() {
    let (mut w, pubr, sub) = publisher_and_viewer(Publish::AV_SIMULCAST);
    let from = w.participants[pubr].id;

    // A thumbnail gets the quarter layer only.
    w.view(sub, &[(pubr, 320, 180)]);
    w.run(2 * SEC);
    let tags: Vec<u8> = w.participants[sub]
        .from(from, TrackSource::Camera)
        .iter()
        .map(|r| r.tag)
        .collect();
    assert!(tags.len() > 20, "got {} frames", tags.len());
    assert!(tags.iter().all(|t| *t == b'q'), "small tile got {:?}", tags);
    let first = &w.participants[sub].from(from, TrackSource::Camera)[0];
    assert!(first.keyframe, "forwarding must start at a keyframe");

    // Enlarged: the full layer after its keyframe, without a gap in the stream.
    let before = w.participants[sub].count_from(from, TrackSource::Camera);
    let requests_before = w.participants[pubr].keyframe_requests_seen;
    w.view(sub, &[(pubr, 1280, 720)]);
    w.run(2 * SEC);
    let frames = w.participants[sub].from(from, TrackSource::Camera);
    let after: Vec<_> = frames[before..].to_vec();
    let switch = after
        .iter()
        .position(|r| r.tag == b'f')
        .expect("never switched to f");
    assert!(after[switch].keyframe, "switch must land on a keyframe");
    assert!(after[..switch].iter().all(|r| r.tag == b'q'));
    assert!(after[switch..].iter().all(|r| r.tag == b'f'));
    assert!(
        w.participants[pubr].keyframe_requests_seen > requests_before,
        "the switch asks the publisher for a keyframe"
    );
    // Across the switch: one continuous stream whose timestamps keep pace with the wall
    // clock despite the layers' different RTP origins. (The new layer's keyframe was
    // captured at the same instant as the last old-layer frame, so it follows it closely.)
    assert_continuous(&frames);
    let step = after[switch].time - after[switch - 1].time;
    assert!(step <= 3600, "timestamp step across switch: {step}");
    let (first, last) = (&after[0], after.last().unwrap());
    let wall_ticks = (last.at - first.at).as_secs_f64() * 90_000.0;
    let rtp_ticks = (last.time - first.time) as f64;
    assert!(
        (rtp_ticks - wall_ticks).abs() <= 3600.0,
        "RTP time drifted from the wall clock: {rtp_ticks} vs {wall_ticks}"
    );

    // Medium tile: back down to h.
    let before = w.participants[sub].count_from(from, TrackSource::Camera);
    w.view(sub, &[(pubr, 640, 360)]);
    w.run(2 * SEC);
    let frames = w.participants[sub].from(from, TrackSource::Camera);
    assert_eq!(frames.last().map(|r| r.tag), Some(b'h'));
    assert!(frames[before..].iter().all(|r| r.tag != b'q'));
    assert_continuous(&frames);
}

#[test]
fn video_starts_with_the_layer_that_comes_and_moves_up_when_the_wanted_one_comes() {
    // A viewer whose link already carries the full layer (it watched someone else), as
    // everyone's does in a meeting that someone rejoins after a network drop.
    let mut w = World::new();
    let m = meeting(1);
    let viewer = w.join(m, Publish::NOTHING);
    let earlier = w.join(m, Publish::AV_SIMULCAST);
    w.view(viewer, &[(earlier, 1280, 720)]);
    w.run(3 * SEC);
    let last_tag = |w: &World, idx: usize| {
        let from = w.participants[idx].id;
        w.participants[viewer]
            .from(from, TrackSource::Camera)
            .last()
            .map(|r| r.tag)
    };
    assert_eq!(last_tag(&w, earlier), Some(b'f'), "the full layer fits");

    // A newcomer whose browser sends only its quarter layer so far (its own estimate is
    // still low): the full tile shows that at once rather than staying black.
    let newcomer = w.join(m, Publish::AV_SIMULCAST);
    w.participants[newcomer].layers_sent = 1;
    w.view(viewer, &[(newcomer, 1280, 720)]);
    w.run(SEC);
    let from = w.participants[newcomer].id;
    let frames = w.participants[viewer].from(from, TrackSource::Camera);
    assert!(
        frames.len() > 10,
        "the video waited for a layer that does not come: {} frames",
        frames.len()
    );
    assert!(frames[0].keyframe, "forwarding must start at a keyframe");
    assert!(frames.iter().all(|r| r.tag == b'q'));

    // The upper layers come: up to the full one, each step at a keyframe of the new
    // layer, in one continuous stream.
    let before = frames.len();
    w.participants[newcomer].layers_sent = 3;
    w.run(SEC);
    let frames = w.participants[viewer].from(from, TrackSource::Camera);
    let switch = frames[before..]
        .iter()
        .position(|r| r.tag == b'f')
        .expect("never switched to f")
        + before;
    assert!(frames[switch..].iter().all(|r| r.tag == b'f'));
    for pair in frames.windows(2) {
        assert!(
            pair[0].tag == pair[1].tag || pair[1].keyframe,
            "a layer change without a keyframe: {pair:?}"
        );
    }
    assert_continuous(&frames);
}

#[test]
fn only_viewed_video_is_forwarded_audio_always() {
    let mut w = World::new();
    let m = meeting(1);
    let a = w.join(m, Publish::AV);
    let b = w.join(m, Publish::AV);
    let c = w.join(m, Publish::AV);
    let (ia, ib) = (w.participants[a].id, w.participants[b].id);
    // Before any View: no video at all, audio flows.
    w.run(2 * SEC);
    assert_eq!(w.participants[c].count_from(ia, TrackSource::Camera), 0);
    assert!(w.participants[c].count_from(ia, TrackSource::Microphone) > 50);

    // C views only A.
    w.view(c, &[(a, 640, 360)]);
    w.run(2 * SEC);
    let p = &w.participants[c];
    assert!(p.count_from(ia, TrackSource::Camera) > 20);
    assert_eq!(p.count_from(ib, TrackSource::Camera), 0);
    assert!(p.count_from(ib, TrackSource::Microphone) > 100);

    // C switches to B: A's video stops.
    w.view(c, &[(b, 640, 360)]);
    w.run(SEC / 2);
    let a_video = w.participants[c].count_from(ia, TrackSource::Camera);
    w.run(2 * SEC);
    let p = &w.participants[c];
    assert_eq!(p.count_from(ia, TrackSource::Camera), a_video);
    assert!(p.count_from(ib, TrackSource::Camera) > 20);
}

#[test]
fn audio_not_allowed_is_not_forwarded() {
    let mut w = World::new();
    let m = meeting(1);
    let a = w.join(m, Publish::AV);
    let b = w.join(m, Publish::AV);
    let ia = w.participants[a].id;
    w.run(2 * SEC);
    assert!(w.participants[b].count_from(ia, TrackSource::Microphone) > 50);

    w.command(BridgeCommand::SetAudioAllowed {
        conference: m,
        participant: ia,
        allowed: false,
    });
    let muted_at = w.participants[b].count_from(ia, TrackSource::Microphone);
    w.run(2 * SEC);
    assert_eq!(
        w.participants[b].count_from(ia, TrackSource::Microphone),
        muted_at,
        "audio forwarded after SetAudioAllowed false"
    );

    w.command(BridgeCommand::SetAudioAllowed {
        conference: m,
        participant: ia,
        allowed: true,
    });
    w.run(SEC);
    assert!(w.participants[b].count_from(ia, TrackSource::Microphone) > muted_at + 20);
}

#[test]
fn conferences_never_exchange_media() {
    let mut w = World::new();
    let (m1, m2) = (meeting(1), meeting(2));
    let a1 = w.join(m1, Publish::AV);
    let b1 = w.join(m1, Publish::AV);
    let a2 = w.join(m2, Publish::AV);
    let b2 = w.join(m2, Publish::AV);
    w.view(a1, &[(b1, 640, 360), (a2, 640, 360), (b2, 640, 360)]);
    w.view(a2, &[(b2, 640, 360), (a1, 640, 360), (b1, 640, 360)]);
    w.run(2 * SEC);

    for (rx, same, others) in [(a1, b1, [a2, b2]), (a2, b2, [a1, b1])] {
        let p = &w.participants[rx];
        assert!(p.count_from(w.participants[same].id, TrackSource::Camera) > 20);
        for o in others {
            let id = w.participants[o].id;
            assert!(
                p.sub_tracks.values().all(|(pid, _)| *pid != id),
                "offered a track of another conference"
            );
            assert_eq!(p.count_from(id, TrackSource::Microphone), 0);
        }
        // Every frame it received belongs to a track of its own conference.
        assert!(p.received.iter().all(|r| p.sub_tracks.contains_key(&r.mid)));
    }
    // Events are labelled with the conference of the participant they name.
    for (conf, ev) in &w.events {
        if let BridgeEvent::SubscribeOffer { participant, .. } = ev {
            let p = w
                .participants
                .iter()
                .find(|p| p.id == *participant)
                .unwrap();
            assert_eq!(p.conference, *conf);
        }
    }
}

#[test]
fn bad_commands_are_errors_and_engine_keeps_working() {
    let mut w = World::new();
    let m = meeting(1);
    let a = w.join(m, Publish::AV);
    let b = w.join(m, Publish::AV);
    let ia = w.participants[a].id;
    w.view(b, &[(a, 640, 360)]);
    w.run(SEC);

    let unknown = plenum_protocol::ParticipantId::random();
    let bad_offer = |sdp: &str| {
        (
            BridgeCommand::PublishOffer {
                conference: m,
                participant: ia,
                sdp: sdp.into(),
                tracks: vec![],
            },
            ia,
            "invalid_sdp",
        )
    };
    let cases: Vec<(BridgeCommand, plenum_protocol::ParticipantId, &str)> = vec![
        bad_offer("this is not sdp"),
        bad_offer(""),
        bad_offer(
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
        ),
        (
            BridgeCommand::SubscribeAnswer {
                conference: m,
                participant: ia,
                sdp: "garbage".into(),
            },
            ia,
            "invalid_state",
        ),
        (
            BridgeCommand::View {
                conference: m,
                participant: unknown,
                tiles: vec![],
            },
            unknown,
            "invalid_state",
        ),
        (
            BridgeCommand::AddParticipant {
                conference: m,
                participant: ia,
            },
            ia,
            "invalid_state",
        ),
    ];
    for (cmd, who, code) in cases {
        let n = w.events.len();
        w.command(cmd.clone());
        let errors: Vec<_> = w.events[n..]
            .iter()
            .filter_map(|(c, e)| match e {
                BridgeEvent::Error {
                    participant, code, ..
                } => Some((*c, *participant, code.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(errors, [(m, who, code.to_owned())], "for {cmd:?}");
    }
    // Commands for unknown conferences: ignored or errors, never a panic.
    w.command(BridgeCommand::CloseConference {
        conference: meeting(99),
    });
    w.command(BridgeCommand::RemoveParticipant {
        conference: meeting(99),
        participant: ia,
    });

    // Media still flows.
    let before = w.participants[b].count_from(ia, TrackSource::Camera);
    w.run(SEC);
    assert!(w.participants[b].count_from(ia, TrackSource::Camera) > before + 15);
}

#[test]
fn invalid_subscribe_answer_is_reoffered() {
    let mut w = World::new();
    let m = meeting(1);
    let a = w.join(m, Publish::AV);
    w.participants[a].auto_answer = false;
    let b = w.join(m, Publish::AV);
    let (ia, ib) = (w.participants[a].id, w.participants[b].id);
    assert_eq!(w.participants[a].offers_seen, 1);
    w.command(BridgeCommand::SubscribeAnswer {
        conference: m,
        participant: ia,
        sdp: "garbage".into(),
    });
    let errors = w.events_matching(
        |e| matches!(e, BridgeEvent::Error { participant, code, .. } if *participant == ia && code == "invalid_sdp"),
    );
    assert_eq!(errors.len(), 1);
    // A fresh offer of the same tracks follows; answering it brings the media.
    assert_eq!(w.participants[a].offers_seen, 2);
    assert_eq!(w.participants[a].sub_tracks.len(), 2);
    w.settle();
    w.answer_last_offer(a);
    w.settle();
    w.run(2 * SEC);
    assert!(w.participants[a].count_from(ib, TrackSource::Microphone) > 50);
}

#[test]
fn removing_a_participant_renegotiates_the_others() {
    let mut w = World::new();
    let m = meeting(1);
    let a = w.join(m, Publish::AV);
    let b = w.join(m, Publish::AV);
    let c = w.join(m, Publish::AV);
    w.run(SEC);
    let ib = w.participants[b].id;
    for x in [a, c] {
        let offered: Vec<_> = w.participants[x].sub_tracks.values().map(|t| t.0).collect();
        assert!(offered.contains(&ib));
        assert_eq!(offered.len(), 4, "two tracks each of the two others");
    }
    let offers_before: Vec<usize> = [a, c]
        .iter()
        .map(|x| w.participants[*x].offers_seen)
        .collect();
    w.command(BridgeCommand::RemoveParticipant {
        conference: m,
        participant: ib,
    });
    w.run(SEC);
    for (i, x) in [a, c].into_iter().enumerate() {
        let p = &w.participants[x];
        assert_eq!(p.offers_seen, offers_before[i] + 1, "one new offer");
        assert!(
            p.sub_tracks.values().all(|t| t.0 != ib),
            "{:?}",
            p.sub_tracks
        );
        assert_eq!(p.sub_tracks.len(), 2);
    }
    // The removed participant's addresses get nothing more.
    let (pa, sa) = (w.participants[b].pub_addr, w.participants[b].sub_addr);
    let sent = |w: &World| {
        w.sent_to.get(&pa).copied().unwrap_or(0) + w.sent_to.get(&sa).copied().unwrap_or(0)
    };
    let before = sent(&w);
    w.run(SEC);
    assert_eq!(sent(&w), before);
    // The others still exchange media.
    let ia = w.participants[a].id;
    let n = w.participants[c].count_from(ia, TrackSource::Microphone);
    w.run(SEC);
    assert!(w.participants[c].count_from(ia, TrackSource::Microphone) > n + 30);
}

/// The subscribe offers a participant got, in order.
fn subscribe_offers(w: &World, idx: usize) -> Vec<String> {
    let id = w.participants[idx].id;
    w.events
        .iter()
        .filter_map(|(_, e)| match e {
            BridgeEvent::SubscribeOffer {
                participant, sdp, ..
            } if *participant == id => Some(sdp.clone()),
            _ => None,
        })
        .collect()
}

/// Checks what browsers need of every subscribe offer: a BUNDLE group that holds the first
/// m-line (the one that tags it, whose transport the group uses) and no stopped m-line
/// (port 0), since stopping empties the group or moves its tag. Returns the m-line count.
fn assert_bundle_alive(sdp: &str) -> usize {
    let bundle: Vec<&str> = sdp
        .lines()
        .find_map(|l| l.strip_prefix("a=group:BUNDLE"))
        .map(|g| g.split_whitespace().collect())
        .unwrap_or_default();
    let first_mid = sdp.lines().find_map(|l| l.strip_prefix("a=mid:"));
    assert!(
        first_mid.is_some_and(|m| bundle.first() == Some(&m)),
        "the first m-line must tag the BUNDLE group {bundle:?}:\n{sdp}"
    );
    let m_lines: Vec<&str> = sdp.lines().filter(|l| l.starts_with("m=")).collect();
    assert!(
        m_lines
            .iter()
            .all(|l| l.split_whitespace().nth(1) != Some("0")),
        "a stopped m-line in {m_lines:?}"
    );
    assert_eq!(bundle.len(), m_lines.len(), "every m-line is bundled");
    m_lines.len()
}

#[test]
fn last_publisher_leaving_idles_the_m_lines_and_the_next_one_reuses_them() {
    let mut w = World::new();
    let m = meeting(1);
    let a = w.join(m, Publish::AV);
    let mut previous: Option<usize> = None;
    // Two people, one of whom leaves and someone else comes, again and again.
    for _ in 0..4 {
        let b = w.join(m, Publish::AV);
        w.view(a, &[(b, 640, 360)]);
        w.run(SEC);
        let ib = w.participants[b].id;
        let p = &w.participants[a];
        let offered: Vec<_> = p.sub_tracks.values().map(|t| t.0).collect();
        assert_eq!(
            offered,
            [ib, ib],
            "the newcomer's two tracks, on the same m-lines"
        );
        let audio = p.count_from(ib, TrackSource::Microphone);
        let video = p.count_from(ib, TrackSource::Camera);
        w.run(SEC);
        let p = &w.participants[a];
        assert!(p.count_from(ib, TrackSource::Microphone) > audio + 40);
        assert!(p.count_from(ib, TrackSource::Camera) > video + 20);
        if let Some(gone) = previous {
            assert_ne!(w.participants[gone].id, ib);
        }
        let offers = w.participants[a].offers_seen;
        w.participants[b].sending = false;
        w.command(BridgeCommand::RemoveParticipant {
            conference: m,
            participant: ib,
        });
        w.run(SEC);
        // The leave is offered (the m-lines go idle), and the offer was answered.
        let p = &w.participants[a];
        assert_eq!(p.offers_seen, offers + 1);
        let sdp = subscribe_offers(&w, a).pop().unwrap();
        assert_eq!(sdp.matches("a=inactive").count(), 2, "{sdp}");
        assert!(p.sub_tracks.is_empty(), "{:?}", p.sub_tracks);
        previous = Some(b);
    }
    let offers = subscribe_offers(&w, a);
    assert_eq!(offers.len(), 8, "one offer per join and per leave");
    for sdp in &offers {
        assert_eq!(
            assert_bundle_alive(sdp),
            2,
            "m-lines reused, not added:\n{sdp}"
        );
    }
    // Over all those publishers the audio m-line carried one continuous stream.
    let p = &w.participants[a];
    let audio_mid = p
        .received
        .iter()
        .find(|r| r.audio_level.is_some())
        .unwrap()
        .mid;
    let audio: Vec<_> = p.received.iter().filter(|r| r.mid == audio_mid).collect();
    assert!(audio.len() > 4 * 90);
    assert_continuous(&audio);
}

#[test]
fn m_lines_stay_bounded_by_the_peak_over_leaves_and_joins() {
    let mut w = World::new();
    let m = meeting(1);
    let a = w.join(m, Publish::AV);
    let mut others = vec![w.join(m, Publish::AV), w.join(m, Publish::AV)];
    w.run(SEC);
    for round in 0..3 {
        // The earliest other leaves: its m-lines come first and tag the BUNDLE group.
        let gone = others.remove(0);
        w.participants[gone].sending = false;
        let id = w.participants[gone].id;
        w.command(BridgeCommand::RemoveParticipant {
            conference: m,
            participant: id,
        });
        w.run(SEC);
        // A screen sharer the second time: three tracks, one m-line more.
        let spec = if round == 1 {
            Publish {
                screen: true,
                ..Publish::AV
            }
        } else {
            Publish::AV
        };
        let newcomer = w.join(m, spec);
        others.push(newcomer);
        w.run(SEC);
        let ic = w.participants[newcomer].id;
        let mic = w.participants[a].count_from(ic, TrackSource::Microphone);
        w.run(SEC);
        assert!(w.participants[a].count_from(ic, TrackSource::Microphone) > mic + 40);
    }
    let counts: Vec<usize> = subscribe_offers(&w, a)
        .iter()
        .map(|sdp| assert_bundle_alive(sdp))
        .collect();
    // Peak: two others with audio and video, plus one screen share.
    assert_eq!(counts.iter().max(), Some(&5), "{counts:?}");
    // Tracks of one publisher share one msid stream (browsers pair audio and video of a
    // stream for lip sync), also on reused m-lines and on one added next to reused ones.
    let last = subscribe_offers(&w, a).pop().unwrap();
    let mut stream_of_mid = std::collections::BTreeMap::new();
    let mut mid = String::new();
    for line in last.lines() {
        if let Some(m) = line.strip_prefix("a=mid:") {
            mid = m.to_owned();
        }
        if let Some(msid) = line.strip_prefix("a=msid:") {
            let stream = msid.split_whitespace().next().unwrap().to_owned();
            stream_of_mid.insert(mid.clone(), stream);
        }
    }
    let p = &w.participants[a];
    let mut streams_of_publisher: std::collections::BTreeMap<_, BTreeSet<&String>> =
        Default::default();
    for (mid, (publisher, _)) in &p.sub_tracks {
        let stream = &stream_of_mid[&mid.to_string()];
        streams_of_publisher
            .entry(*publisher)
            .or_default()
            .insert(stream);
    }
    assert_eq!(streams_of_publisher.len(), 2);
    for (publisher, streams) in &streams_of_publisher {
        assert_eq!(streams.len(), 1, "{publisher}: {streams:?}");
    }
}

#[test]
fn loudest_participant_becomes_active_speaker() {
    let mut w = World::new();
    let m = meeting(1);
    let loud = w.join(
        m,
        Publish {
            level: -15,
            ..Publish::AV
        },
    );
    let _quiet = w.join(
        m,
        Publish {
            level: -80,
            ..Publish::AV
        },
    );
    w.run(4 * SEC);
    let speakers = w.events_matching(|e| matches!(e, BridgeEvent::ActiveSpeaker { .. }));
    assert_eq!(
        speakers,
        [(
            m,
            BridgeEvent::ActiveSpeaker {
                participant: w.participants[loud].id
            }
        )]
    );
}

#[test]
fn silent_client_times_out_as_media_disconnected() {
    let mut w = World::new();
    let m = meeting(1);
    let a = w.join(m, Publish::AV);
    let _b = w.join(m, Publish::AV);
    w.run(2 * SEC);
    let ia = w.participants[a].id;
    // A's browser vanishes: its Rtcs stop answering and sending.
    w.participants[a].publish.rtc.disconnect();
    w.participants[a].subscribe.rtc.disconnect();
    w.run(20 * SEC);
    let gone = |w: &World| {
        w.events_matching(
            |e| matches!(e, BridgeEvent::MediaDisconnected { participant } if *participant == ia),
        )
    };
    assert!(gone(&w).is_empty(), "reported before the timeout");
    w.run(30 * SEC);
    assert_eq!(gone(&w).len(), 1);
}

#[test]
fn screen_share_is_its_own_video() {
    let (mut w, presenter, viewer) = publisher_and_viewer(Publish {
        screen: true,
        ..Publish::AV_SIMULCAST
    });
    let from = w.participants[presenter].id;
    let mut offered: Vec<TrackSource> = w.participants[viewer]
        .sub_tracks
        .values()
        .map(|t| t.1)
        .collect();
    offered.sort();
    assert_eq!(
        offered,
        [
            TrackSource::Microphone,
            TrackSource::Camera,
            TrackSource::Screen
        ]
    );

    // Viewing the camera does not bring the screen, and vice versa.
    w.view_sources(viewer, &[(presenter, TrackSource::Camera, 320, 180)]);
    w.run(2 * SEC);
    assert!(w.participants[viewer].count_from(from, TrackSource::Camera) > 20);
    assert_eq!(
        w.participants[viewer].count_from(from, TrackSource::Screen),
        0
    );

    w.view_sources(viewer, &[(presenter, TrackSource::Screen, 1920, 1080)]);
    let camera = w.participants[viewer].count_from(from, TrackSource::Camera);
    w.run(2 * SEC);
    let p = &w.participants[viewer];
    let screen = p.from(from, TrackSource::Screen);
    assert!(screen.len() > 20, "got {} screen frames", screen.len());
    assert!(screen[0].keyframe, "screen forwarding starts at a keyframe");
    assert!(screen.iter().all(|r| r.tag == b's'));
    assert_continuous(&screen);
    // At most the camera frames that were already on their way.
    assert!(p.count_from(from, TrackSource::Camera) <= camera + 1);
}

#[test]
fn codecs_are_mapped_between_publisher_and_subscriber() {
    for codec in [Codec::Vp8, Codec::Vp9, Codec::H264] {
        let (mut w, pubr, sub) = publisher_and_viewer(Publish {
            codec,
            ..Publish::AV
        });
        let from = w.participants[pubr].id;
        w.view(sub, &[(pubr, 640, 360)]);
        w.run(2 * SEC);
        let frames = w.participants[sub].from(from, TrackSource::Camera);
        assert!(frames.len() > 20, "{codec:?}: {} frames", frames.len());
        assert!(frames[0].keyframe, "{codec:?}: starts at a keyframe");
        assert_continuous(&frames);
    }
}

#[test]
fn lost_packets_to_a_subscriber_are_retransmitted() {
    let (mut w, pubr, sub) = publisher_and_viewer(Publish::AV);
    let from = w.participants[pubr].id;
    w.view(sub, &[(pubr, 640, 360)]);
    w.run(SEC);
    let before = w.participants[sub].count_from(from, TrackSource::Camera);
    // Every 10th video packet on the way to the subscriber is lost (str0m stops resending
    // above 15 % loss, leaving recovery to keyframes).
    w.lose_every = Some((w.participants[sub].sub_addr, 10));
    w.run(3 * SEC);
    w.lose_every = None;
    w.run(SEC / 2);
    assert!(w.lost >= 7, "only {} packets lost", w.lost);
    let frames = w.participants[sub].from(from, TrackSource::Camera);
    // Every frame arrived (NACK → RTX repaired the gaps), as one continuous stream.
    // 3.5 s at 25 frames/s; without repair every 10th frame would be missing.
    assert!(
        frames.len() - before >= 85,
        "{} frames after loss",
        frames.len() - before
    );
    assert_continuous(&frames);
}

#[test]
fn subscriber_keyframe_request_reaches_the_publisher() {
    let (mut w, pubr, sub) = publisher_and_viewer(Publish::AV_SIMULCAST);
    w.view(sub, &[(pubr, 640, 360)]);
    w.run(2 * SEC);
    let from = w.participants[pubr].id;
    let keyframes = |w: &World| {
        w.participants[sub]
            .from(from, TrackSource::Camera)
            .iter()
            .filter(|r| r.keyframe)
            .count()
    };
    let (requests, keys) = (w.participants[pubr].keyframe_requests_seen, keyframes(&w));
    let mid = *w.participants[sub]
        .sub_tracks
        .iter()
        .find(|(_, t)| t.1 == TrackSource::Camera)
        .unwrap()
        .0;
    w.participants[sub]
        .subscribe
        .rtc
        .direct_api()
        .stream_rx_by_mid(mid, None)
        .expect("receiving the camera")
        .request_keyframe(KeyframeRequestKind::Pli);
    w.run(SEC);
    assert!(w.participants[pubr].keyframe_requests_seen > requests);
    assert!(
        keyframes(&w) > keys,
        "a new keyframe reached the subscriber"
    );
    // Of the layer the subscriber gets: the medium one.
    let last_key = w.participants[sub]
        .from(from, TrackSource::Camera)
        .into_iter()
        .rev()
        .find(|r| r.keyframe)
        .map(|r| r.tag);
    assert_eq!(last_key, Some(b'h'));
}

#[test]
fn everyone_receives_everyone_in_a_larger_conference() {
    let mut w = World::new();
    let m = meeting(1);
    let n = 5;
    let all: Vec<usize> = (0..n).map(|_| w.join(m, Publish::AV)).collect();
    for &me in &all {
        let tiles: Vec<(usize, u32, u32)> = all
            .iter()
            .filter(|o| **o != me)
            .map(|o| (*o, 320, 180))
            .collect();
        w.view(me, &tiles);
    }
    w.run(3 * SEC);
    for &rx in &all {
        for &tx in &all {
            if rx == tx {
                continue;
            }
            let from = w.participants[tx].id;
            let p = &w.participants[rx];
            let (a, v) = (
                p.count_from(from, TrackSource::Microphone),
                p.count_from(from, TrackSource::Camera),
            );
            assert!(a > 100 && v > 60, "{rx} from {tx}: {a} audio, {v} video");
        }
    }
}

#[test]
fn a_viewer_of_many_tiles_gets_the_layer_they_want_when_the_link_carries_it() {
    // A 10-person meeting: the viewer shows nine medium tiles. Their medium layers with
    // audio take more than a subscriber's starting estimate, and what is sent at the low
    // layer can never show that the link carries more: only probing the link for what the
    // view wants (str0m's allocation probes) gets there. The simulated link has no limit.
    let mut w = World::new();
    let m = meeting(1);
    let viewer = w.join(m, Publish::NOTHING);
    let publishers: Vec<usize> = (0..9).map(|_| w.join(m, Publish::AV_SIMULCAST)).collect();
    let tiles: Vec<(usize, u32, u32)> = publishers.iter().map(|p| (*p, 640, 360)).collect();
    w.view(viewer, &tiles);
    w.run(4 * SEC);
    let last_tags: Vec<Option<u8>> = publishers
        .iter()
        .map(|p| {
            let from = w.participants[*p].id;
            w.participants[viewer]
                .from(from, TrackSource::Camera)
                .last()
                .map(|r| r.tag)
        })
        .collect();
    assert_eq!(last_tags, vec![Some(b'h'); 9]);
    for p in &publishers {
        let from = w.participants[*p].id;
        assert_continuous(&w.participants[viewer].from(from, TrackSource::Camera));
    }
}

//! The bridge over real UDP on loopback: str0m clients publish audio and receive each
//! other through the bridge.

// Helpers outside `#[test]` functions are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod client;

use client::Meeting;
use plenum_bridge::{Bridge, BridgeConfig, MediaThreads};
use plenum_protocol::MeetingId;
use plenum_protocol::bridge::BridgeCommand;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

fn start(threads: usize) -> (Bridge, MediaThreads) {
    Bridge::start(BridgeConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        announce: vec![],
        threads: NonZeroUsize::new(threads).unwrap(),
    })
    .unwrap()
}

/// Runs `meetings` until every peer got `frames` audio frames — and as many video frames
/// of `video_bytes` (sent with every audio frame, a keyframe every second) if not 0 — from
/// each other peer.
fn talk_until_heard(bridge: &Bridge, meetings: &mut [Meeting], frames: u64, video_bytes: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut next_frame = Instant::now();
    let mut frame_no = 0u64;
    loop {
        let heard = meetings.iter().all(|m| {
            let expected = frames * (m.peers.len() as u64 - 1);
            m.peers.iter().all(|p| {
                p.subscribe.audio_frames >= expected
                    && (video_bytes == 0 || p.subscribe.video_frames >= expected)
            })
        });
        if heard {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not every peer heard the others in 10 s"
        );
        if Instant::now() >= next_frame {
            let keyframe = frame_no.is_multiple_of(50);
            meetings
                .iter_mut()
                .for_each(|m| m.speak(video_bytes, keyframe));
            frame_no += 1;
            next_frame += Duration::from_millis(20);
        }
        let mut busy = false;
        for m in meetings.iter_mut() {
            busy |= m.pump(bridge);
        }
        if !busy {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn close(bridge: Bridge, threads: MediaThreads, meetings: &[Meeting]) {
    for m in meetings {
        bridge.send(BridgeCommand::CloseConference { conference: m.id });
    }
    bridge.shutdown();
    threads.join().unwrap();
}

/// Audio, and video frames of several packets each (sent in one GSO batch where the kernel
/// offers it).
#[test]
fn bridge_forwards_audio_and_video_over_udp() {
    let (bridge, threads) = start(1);
    let mut meeting = Meeting::join(&bridge, MeetingId::random(), 2, true);
    meeting.negotiate(&bridge);
    meeting.view_all(&bridge);
    assert!(
        meeting
            .sdp_ports()
            .all(|p| p == bridge.local_addrs()[0].port())
    );
    talk_until_heard(&bridge, std::slice::from_mut(&mut meeting), 25, 4000);
    close(bridge, threads, &[meeting]);
}

/// A conference on each of two media threads: each uses its own thread's socket, and
/// both forward at once.
#[test]
fn conferences_on_two_shards_forward_independently() {
    let (bridge, threads) = start(2);
    let addrs = bridge.local_addrs();
    assert_eq!(addrs.len(), 2);
    assert_ne!(addrs[0].port(), addrs[1].port());
    // Meeting ids pick the shard; draw until each shard has one.
    let mut ids = std::iter::repeat_with(MeetingId::random);
    let first = ids.find(|id| bridge.shard_of(*id) == 0).unwrap();
    let second = ids.find(|id| bridge.shard_of(*id) == 1).unwrap();
    let mut meetings = [
        Meeting::join(&bridge, first, 2, false),
        Meeting::join(&bridge, second, 3, false),
    ];
    for (m, addr) in meetings.iter_mut().zip(&addrs) {
        m.negotiate(&bridge);
        assert_eq!(bridge.local_addr_of(m.id), *addr);
        // Every SDP of the conference announces its own thread's port only.
        assert!(m.sdp_ports().all(|p| p == addr.port()));
    }
    talk_until_heard(&bridge, &mut meetings, 25, 0);

    // Closing one conference leaves the other forwarding.
    let [closed, mut open] = meetings;
    bridge.send(BridgeCommand::CloseConference {
        conference: closed.id,
    });
    let heard_before = open.peers[0].subscribe.audio_frames;
    let more = heard_before / 2 + 25;
    talk_until_heard(&bridge, std::slice::from_mut(&mut open), more, 0);
    close(bridge, threads, &[open]);
}

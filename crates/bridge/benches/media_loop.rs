//! CPU and datagrams of the bridge's media threads under real UDP load on loopback.
//!
//! `conferences` meetings of `size` participants; everyone publishes audio (50 frames/s)
//! and a VP8 camera (25 frames/s of `video_bytes`, so several equal-sized packets per
//! frame) and views everyone else. str0m clients in this process play the browsers; the
//! figures count only the bridge's threads: their CPU time from /proc (utime + stime) and
//! the datagrams the clients exchanged with them. The thread ids are printed so that
//! `strace -c -p TID` (or `strace -f -o … -ff`) can count the bridge's system calls.
//!
//! Run: `cargo bench -p plenum-bridge --bench media_loop -- [quick] [threads=N]
//! [conferences=N] [size=N] [video_bytes=N] [seconds=N]`.

// A failed setup step is a failed benchmark.
#![allow(clippy::unwrap_used)]

#[path = "../tests/it/client.rs"]
mod client;

use client::Meeting;
use plenum_bridge::{Bridge, BridgeConfig};
use plenum_protocol::MeetingId;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

struct Args {
    threads: NonZeroUsize,
    conferences: usize,
    size: usize,
    video_bytes: usize,
    seconds: u64,
}

fn args() -> Args {
    let mut a = Args {
        threads: NonZeroUsize::MIN,
        conferences: 2,
        size: 4,
        video_bytes: 3000,
        seconds: 10,
    };
    for arg in std::env::args().skip(1) {
        let (key, value) = arg.split_once('=').unwrap_or((arg.as_str(), ""));
        let number = || value.parse::<usize>().unwrap();
        match key {
            "quick" => a.seconds = 3,
            "threads" => a.threads = NonZeroUsize::new(number()).unwrap(),
            "conferences" => a.conferences = number(),
            "size" => a.size = number(),
            "video_bytes" => a.video_bytes = number(),
            "seconds" => a.seconds = number() as u64,
            // cargo bench passes `--bench`.
            _ => {}
        }
    }
    a
}

/// The bridge's media threads: (tid, CPU time in clock ticks).
fn media_threads() -> Vec<(u32, u64)> {
    let mut threads = vec![];
    for entry in std::fs::read_dir("/proc/self/task").unwrap() {
        let path = entry.unwrap().path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if !comm.starts_with("plenum-") {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap();
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split(' ').collect();
        let ticks = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        let tid = path.file_name().unwrap().to_str().unwrap().parse().unwrap();
        threads.push((tid, ticks));
    }
    threads
}

fn datagrams(meetings: &[Meeting]) -> (u64, u64) {
    let clients = meetings
        .iter()
        .flat_map(|m| &m.peers)
        .flat_map(|p| [&p.publish, &p.subscribe]);
    clients.fold((0, 0), |(to, from), c| {
        (to + c.datagrams_sent, from + c.datagrams_received)
    })
}

fn run(bridge: &Bridge, meetings: &mut [Meeting], video_bytes: usize, d: Duration) {
    let end = Instant::now() + d;
    let mut next_frame = Instant::now();
    let mut frame_no = 0u64;
    while Instant::now() < end {
        if Instant::now() >= next_frame {
            frame_no += 1;
            // Video every second audio frame; a keyframe every 4 s.
            let video = if frame_no.is_multiple_of(2) {
                video_bytes
            } else {
                0
            };
            let keyframe = frame_no % 200 == 2;
            meetings.iter_mut().for_each(|m| m.speak(video, keyframe));
            next_frame += Duration::from_millis(20);
        }
        let mut busy = false;
        for m in meetings.iter_mut() {
            busy |= m.pump(bridge);
        }
        if !busy {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
}

fn main() {
    let a = args();
    let (bridge, threads) = Bridge::start(BridgeConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        announce: vec![],
        threads: a.threads,
    })
    .unwrap();
    let mut meetings: Vec<Meeting> = (0..a.conferences)
        .map(|_| Meeting::join(&bridge, MeetingId::random(), a.size, true))
        .collect();
    for m in &mut meetings {
        m.negotiate(&bridge);
        // Each conference's media runs on its own shard's port.
        let port = bridge.local_addr_of(m.id).port();
        assert!(m.sdp_ports().all(|p| p == port));
        m.view_all(&bridge);
    }
    // Connection setup (ICE, DTLS, first keyframes) is not forwarding: warm up first.
    run(
        &bridge,
        &mut meetings,
        a.video_bytes,
        Duration::from_secs(3),
    );
    let threads_before = media_threads();
    let (to_before, from_before) = datagrams(&meetings);
    let started = Instant::now();
    run(
        &bridge,
        &mut meetings,
        a.video_bytes,
        Duration::from_secs(a.seconds),
    );
    let elapsed = started.elapsed().as_secs_f64();
    let (to, from) = datagrams(&meetings);
    let threads_after = media_threads();
    let ticks: u64 = threads_after.iter().map(|t| t.1).sum::<u64>()
        - threads_before.iter().map(|t| t.1).sum::<u64>();
    // Linux's USER_HZ is 100 on every architecture Plenum runs on.
    let cpu_us = ticks as f64 * 10_000.0;
    let (received, sent) = (to - to_before, from - from_before);
    let video_frames: u64 = meetings
        .iter()
        .flat_map(|m| &m.peers)
        .map(|p| p.subscribe.video_frames)
        .sum();
    println!(
        "bridge threads {} ({:?}), {} conferences × {}, {} s",
        a.threads,
        threads_after.iter().map(|t| t.0).collect::<Vec<_>>(),
        a.conferences,
        a.size,
        a.seconds
    );
    println!(
        "datagrams in {:.0}/s, out {:.0}/s; CPU {:.1} %; {:.2} µs per datagram out; video frames received {video_frames}",
        received as f64 / elapsed,
        sent as f64 / elapsed,
        cpu_us / elapsed / 1e4,
        cpu_us / sent.max(1) as f64,
    );
    assert!(sent > 0 && video_frames > 0, "nothing was forwarded");
    bridge.shutdown();
    threads.join().unwrap();
}

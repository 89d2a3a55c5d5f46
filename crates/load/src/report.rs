//! The per-run report: a table for people, JSON for scripts.

use crate::run::{RunConfig, Totals, latencies};
use serde::Serialize;
use std::fmt;

/// The SFU process over the measuring window.
#[derive(Clone, Copy, Debug)]
pub struct SfuUsage {
    pub cpu_micros: u64,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
}

/// One run's figures. Rates are over the measuring window; "in" is what the publishers
/// sent, "out" what the subscribers received (= what the SFU forwarded and arrived).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub server: String,
    pub participants: usize,
    pub rooms: usize,
    pub processes: usize,
    pub warmup_s: f64,
    pub measure_s: f64,
    pub streams_expected: usize,
    pub streams_received: usize,
    pub packets_in: u64,
    pub packets_out: u64,
    pub packets_in_per_s: f64,
    pub packets_out_per_s: f64,
    pub mbit_in_per_s: f64,
    pub mbit_out_per_s: f64,
    pub lost_packets: u64,
    pub loss_pct: f64,
    /// RFC 3550 jitter, mean over the received streams.
    pub jitter_ms: Option<f64>,
    pub delay_p50_ms: Option<f64>,
    pub delay_p99_ms: Option<f64>,
    pub join_first_packet_p50_ms: Option<f64>,
    pub join_first_packet_max_ms: Option<f64>,
    pub keyframe_requests: u64,
    pub send_drops: u64,
    pub sfu_cpu_s: Option<f64>,
    /// SFU CPU time over the window as a share of one core.
    pub sfu_cpu_pct: Option<f64>,
    pub sfu_cpu_us_per_forwarded_packet: Option<f64>,
    pub sfu_rss_before_kib: Option<u64>,
    pub sfu_rss_after_kib: Option<u64>,
    pub sfu_rss_per_participant_kib: Option<f64>,
    /// The load tool's own CPU over the window (all its processes), as seconds and as a
    /// share of one core.
    pub load_cpu_s: f64,
    pub load_cpu_pct: f64,
    pub errors: Vec<String>,
}

impl Report {
    pub fn new(
        config: &RunConfig,
        server: &str,
        processes: usize,
        mut totals: Totals,
        sfu: Option<SfuUsage>,
    ) -> Report {
        let scenario = &config.scenario;
        let seconds = config.measure.as_secs_f64().max(1e-9);
        let (delay_p50_ms, delay_p99_ms, first_p50, first_max) = latencies(&mut totals);
        let participants = scenario.total_participants();
        let sfu_cpu_s = sfu.map(|u| u.cpu_micros as f64 / 1e6);
        Report {
            scenario: scenario.name.clone(),
            server: server.to_owned(),
            participants,
            rooms: scenario.rooms,
            processes,
            warmup_s: config.warmup.as_secs_f64(),
            measure_s: seconds,
            streams_expected: scenario.expected_streams(),
            streams_received: totals.streams_received,
            packets_in: totals.sent_packets,
            packets_out: totals.received_packets,
            packets_in_per_s: totals.sent_packets as f64 / seconds,
            packets_out_per_s: totals.received_packets as f64 / seconds,
            mbit_in_per_s: totals.sent_bytes as f64 * 8.0 / seconds / 1e6,
            mbit_out_per_s: totals.received_bytes as f64 * 8.0 / seconds / 1e6,
            lost_packets: totals.lost_packets,
            loss_pct: if totals.expected_packets == 0 {
                0.0
            } else {
                totals.lost_packets as f64 * 100.0 / totals.expected_packets as f64
            },
            jitter_ms: (totals.streams_received > 0)
                .then(|| totals.jitter_ms_sum / totals.streams_received as f64),
            delay_p50_ms,
            delay_p99_ms,
            join_first_packet_p50_ms: first_p50,
            join_first_packet_max_ms: first_max,
            keyframe_requests: totals.keyframe_requests,
            send_drops: totals.send_drops,
            sfu_cpu_s,
            sfu_cpu_pct: sfu_cpu_s.map(|s| s * 100.0 / seconds),
            sfu_cpu_us_per_forwarded_packet: sfu
                .filter(|_| totals.received_packets > 0)
                .map(|u| u.cpu_micros as f64 / totals.received_packets as f64),
            sfu_rss_before_kib: sfu.map(|u| u.rss_before_kib),
            sfu_rss_after_kib: sfu.map(|u| u.rss_after_kib),
            sfu_rss_per_participant_kib: sfu.map(|u| {
                (u.rss_after_kib as f64 - u.rss_before_kib as f64) / participants.max(1) as f64
            }),
            load_cpu_s: totals.load_cpu_micros as f64 / 1e6,
            load_cpu_pct: totals.load_cpu_micros as f64 / 1e4 / seconds,
            errors: totals.errors,
        }
    }
}

fn opt(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.digits$}"))
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} against {}: {} participants in {} room(s), {} process(es); warm-up {:.0} s, measured {:.0} s",
            self.scenario,
            self.server,
            self.participants,
            self.rooms,
            self.processes,
            self.warmup_s,
            self.measure_s
        )?;
        let rows = [
            (
                "streams received / expected",
                format!("{} / {}", self.streams_received, self.streams_expected),
            ),
            (
                "packets/s in (sent by publishers)",
                format!(
                    "{:.0} ({:.1} Mbit/s)",
                    self.packets_in_per_s, self.mbit_in_per_s
                ),
            ),
            (
                "packets/s out (received)",
                format!(
                    "{:.0} ({:.1} Mbit/s)",
                    self.packets_out_per_s, self.mbit_out_per_s
                ),
            ),
            (
                "loss",
                format!("{:.3} % ({} packets)", self.loss_pct, self.lost_packets),
            ),
            (
                "jitter (RFC 3550, mean)",
                format!("{} ms", opt(self.jitter_ms, 2)),
            ),
            (
                "one-way delay p50 / p99",
                format!(
                    "{} / {} ms",
                    opt(self.delay_p50_ms, 2),
                    opt(self.delay_p99_ms, 2)
                ),
            ),
            (
                "join → first packet p50 / max",
                format!(
                    "{} / {} ms",
                    opt(self.join_first_packet_p50_ms, 0),
                    opt(self.join_first_packet_max_ms, 0)
                ),
            ),
            (
                "keyframe requests to publishers",
                self.keyframe_requests.to_string(),
            ),
            (
                "SFU CPU",
                format!(
                    "{} s ({} % of a core)",
                    opt(self.sfu_cpu_s, 2),
                    opt(self.sfu_cpu_pct, 1)
                ),
            ),
            (
                "SFU CPU per forwarded packet",
                format!("{} µs", opt(self.sfu_cpu_us_per_forwarded_packet, 2)),
            ),
            (
                "SFU RSS before → after",
                match (self.sfu_rss_before_kib, self.sfu_rss_after_kib) {
                    (Some(b), Some(a)) => format!(
                        "{:.1} → {:.1} MiB ({} KiB per participant)",
                        b as f64 / 1024.0,
                        a as f64 / 1024.0,
                        opt(self.sfu_rss_per_participant_kib, 0)
                    ),
                    _ => "– (no --sfu-pid)".to_owned(),
                },
            ),
            (
                "load tool CPU",
                format!(
                    "{:.2} s ({:.1} % of a core)",
                    self.load_cpu_s, self.load_cpu_pct
                ),
            ),
        ];
        for (name, value) in rows {
            writeln!(f, "  {name:<36} {value}")?;
        }
        if self.send_drops > 0 {
            writeln!(
                f,
                "  {:<36} {}",
                "datagrams dropped at send", self.send_drops
            )?;
        }
        for error in &self.errors {
            writeln!(f, "  error: {error}")?;
        }
        Ok(())
    }
}

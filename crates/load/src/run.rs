//! One run of a scenario: join everyone, wait the warm-up, count over the measuring
//! window, add up what the participants counted and what `/proc` says about the SFU.

use crate::driver::{Driver, DriverError, Layer, RoomHandle};
use crate::participant::{ParticipantOutcome, ParticipantSpec, Window};
use crate::procfs::Process;
use crate::report::{Report, SfuUsage};
use crate::scenario::Scenario;
use crate::stats;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Which share of the participants this process runs: those whose index modulo `count`
/// is `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    fn runs(&self, participant: usize) -> bool {
        participant % self.count == self.index
    }
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub scenario: Scenario,
    pub warmup: Duration,
    pub measure: Duration,
    pub layer: Layer,
    pub bind_ip: IpAddr,
    pub shard: Shard,
    /// How long joining may take before the run gives up on the missing participants.
    pub join_timeout: Duration,
}

/// Why a run failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("creating room {index}: {source}")]
    CreateRoom {
        index: usize,
        #[source]
        source: DriverError,
    },
    #[error("the scenario has {wanted} rooms, {given} room handles were given")]
    RoomCount { wanted: usize, given: usize },
}

/// Creates the scenario's rooms.
pub async fn create_rooms<D: Driver>(
    driver: &D,
    scenario: &Scenario,
) -> Result<Vec<RoomHandle>, RunError> {
    let mut rooms = Vec::with_capacity(scenario.rooms);
    for index in 0..scenario.rooms {
        let room = driver
            .create_room(index)
            .await
            .map_err(|source| RunError::CreateRoom { index, source })?;
        rooms.push(room);
    }
    Ok(rooms)
}

/// What the participants of one process counted together; shards' totals add up.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Totals {
    pub participants: usize,
    pub sent_packets: u64,
    pub sent_bytes: u64,
    pub received_packets: u64,
    pub received_bytes: u64,
    pub expected_packets: u64,
    pub lost_packets: u64,
    /// Streams with at least one packet in the window.
    pub streams_received: usize,
    pub jitter_ms_sum: f64,
    pub keyframe_requests: u64,
    pub send_drops: u64,
    pub delays_micros: Vec<u32>,
    pub first_packet_ms: Vec<f64>,
    /// This process's CPU time over the window.
    pub load_cpu_micros: u64,
    pub errors: Vec<String>,
}

/// At most this many error messages are kept.
const MAX_ERRORS: usize = 20;

impl Totals {
    fn add(&mut self, outcome: ParticipantOutcome) {
        self.participants += 1;
        let stats = outcome.stats;
        self.sent_packets += stats.sent_packets;
        self.sent_bytes += stats.sent_bytes;
        self.keyframe_requests += stats.keyframe_requests;
        self.send_drops += stats.send_drops;
        for stream in stats.streams.values() {
            self.received_packets += stream.packets;
            self.received_bytes += stream.bytes;
            self.expected_packets += stream.expected();
            self.lost_packets += stream.lost();
            self.jitter_ms_sum += stream.jitter_ms();
            self.streams_received += 1;
        }
        self.delays_micros.extend(stats.delays_micros);
        if let Some(first) = outcome.first_packet_after {
            self.first_packet_ms.push(first.as_secs_f64() * 1000.0);
        }
        if let Some(error) = outcome.error {
            self.error(error);
        }
    }

    fn error(&mut self, error: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(error);
        }
    }

    /// Adds another shard's totals.
    pub fn merge(&mut self, other: Totals) {
        self.participants += other.participants;
        self.sent_packets += other.sent_packets;
        self.sent_bytes += other.sent_bytes;
        self.received_packets += other.received_packets;
        self.received_bytes += other.received_bytes;
        self.expected_packets += other.expected_packets;
        self.lost_packets += other.lost_packets;
        self.streams_received += other.streams_received;
        self.jitter_ms_sum += other.jitter_ms_sum;
        self.keyframe_requests += other.keyframe_requests;
        self.send_drops += other.send_drops;
        self.delays_micros.extend(other.delays_micros);
        self.first_packet_ms.extend(other.first_packet_ms);
        self.load_cpu_micros += other.load_cpu_micros;
        for error in other.errors {
            self.error(error);
        }
    }
}

/// What [`run_share`] found.
#[derive(Debug)]
pub struct Share {
    pub totals: Totals,
    pub window: Window,
    /// The SFU process at the window's start and end.
    pub sfu: Option<(SfuSample, SfuSample)>,
}

/// The SFU process at one moment.
#[derive(Clone, Copy, Debug)]
pub struct SfuSample {
    pub cpu_micros: u64,
    pub rss_kib: u64,
}

fn sample(process: Process) -> Option<SfuSample> {
    Some(SfuSample {
        cpu_micros: process.cpu_micros().ok()?,
        rss_kib: process.rss_kib().ok()?,
    })
}

/// Runs this process's share of `config.scenario` in `rooms`. Without `window`, the
/// window starts `config.warmup` after everyone joined; a coordinator gives it instead,
/// so all shards count over the same interval. `sfu` is sampled at the window's edges.
pub async fn run_share<D: Driver>(
    driver: Arc<D>,
    config: &RunConfig,
    rooms: &[RoomHandle],
    window: Option<Window>,
    sfu: Option<Process>,
) -> Result<Share, RunError> {
    let scenario = &config.scenario;
    if rooms.len() != scenario.rooms {
        return Err(RunError::RoomCount {
            wanted: scenario.rooms,
            given: rooms.len(),
        });
    }
    let (window_tx, window_rx) = watch::channel(window);
    let (joined_tx, mut joined_rx) = mpsc::channel(64);
    let mut tasks = Vec::new();
    for index in (0..scenario.total_participants()).filter(|i| config.shard.runs(*i)) {
        let (room, publish) = scenario.role(index);
        let spec = ParticipantSpec {
            name: format!("load-{index}"),
            room: rooms[room].clone(),
            publish,
            layer: config.layer,
            bind_ip: config.bind_ip,
        };
        tasks.push(tokio::spawn(driver.clone().run_participant(
            spec,
            joined_tx.clone(),
            window_rx.clone(),
        )));
    }
    drop(joined_tx);
    let mut totals = Totals::default();
    let window = match window {
        Some(window) => window,
        None => {
            let deadline = tokio::time::Instant::now() + config.join_timeout;
            let mut joined = 0;
            while joined < tasks.len() {
                match tokio::time::timeout_at(deadline, joined_rx.recv()).await {
                    Ok(Some(())) => joined += 1,
                    // Every participant has either joined or failed (reported below).
                    Ok(None) => break,
                    Err(_) => {
                        totals.error(format!(
                            "only {joined} of {} participants joined within {:?}",
                            tasks.len(),
                            config.join_timeout
                        ));
                        break;
                    }
                }
            }
            let start = Instant::now() + config.warmup;
            let window = Window {
                start,
                end: start + config.measure,
            };
            // Receivers are gone only if every participant failed; that is reported below.
            let _ = window_tx.send(Some(window));
            window
        }
    };
    tokio::time::sleep_until(window.start.into()).await;
    let own_before = Process::Own.cpu_micros().unwrap_or(0);
    let sfu_before = sfu.and_then(sample);
    tokio::time::sleep_until(window.end.into()).await;
    let own_after = Process::Own.cpu_micros().unwrap_or(0);
    let sfu_after = sfu.and_then(sample);
    totals.load_cpu_micros = own_after.saturating_sub(own_before);
    for task in tasks {
        match task.await {
            Ok(Ok(outcome)) => totals.add(outcome),
            Ok(Err(e)) => {
                totals.participants += 1;
                totals.error(e.to_string());
            }
            Err(e) => totals.error(format!("participant task: {e}")),
        }
    }
    drop(window_tx);
    Ok(Share {
        totals,
        window,
        sfu: sfu_before.zip(sfu_after),
    })
}

/// Runs a whole scenario in this process (all shards, or the given one) and reports.
pub async fn run<D: Driver>(
    driver: Arc<D>,
    config: &RunConfig,
    server: &str,
    sfu_pid: Option<u32>,
) -> Result<Report, RunError> {
    let rooms = create_rooms(driver.as_ref(), &config.scenario).await?;
    let sfu = sfu_pid.map(Process::Pid);
    let rss_before = sfu.and_then(|p| p.rss_kib().ok());
    let share = run_share(driver, config, &rooms, None, sfu).await?;
    let usage = share.sfu.map(|(before, after)| SfuUsage {
        cpu_micros: after.cpu_micros.saturating_sub(before.cpu_micros),
        rss_before_kib: rss_before.unwrap_or(before.rss_kib),
        rss_after_kib: after.rss_kib,
    });
    Ok(Report::new(config, server, 1, share.totals, usage))
}

/// The delay percentiles of `totals` in ms, and join → first packet p50/max in ms.
pub fn latencies(totals: &mut Totals) -> (Option<f64>, Option<f64>, Option<f64>, Option<f64>) {
    totals.delays_micros.sort_unstable();
    let ms = |v: Option<u32>| v.map(|v| f64::from(v) / 1000.0);
    let p50 = ms(stats::percentile(&totals.delays_micros, 50.0));
    let p99 = ms(stats::percentile(&totals.delays_micros, 99.0));
    totals.first_packet_ms.sort_by(f64::total_cmp);
    let first = &totals.first_packet_ms;
    let first_p50 = (!first.is_empty()).then(|| first[(first.len() - 1) / 2]);
    let first_max = first.last().copied();
    (p50, p99, first_p50, first_max)
}

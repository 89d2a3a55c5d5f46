//! `plenum-load`: runs a load scenario against an SFU and reports (docs/load-tool.md).

use anyhow::Context;
use clap::{Parser, ValueEnum};
use plenum_load::driver::{Driver, Layer};
use plenum_load::floor::participant::FloorNetwork;
use plenum_load::janus::JanusDriver;
use plenum_load::plenum::PlenumDriver;
use plenum_load::run::{self, RunConfig, Shard};
use plenum_load::scenario::Scenario;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Synthetic WebRTC participants against an SFU: packets, loss, jitter, delay, and the
/// SFU's CPU per forwarded packet.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// broadcast:PxV, meeting:PxN, meetings:RxN or audio:PxV (docs/load-tool.md).
    #[arg(long, default_value = "meeting:3x3")]
    scenario: Scenario,
    /// Which kind of server `--url` is.
    #[arg(long, value_enum, default_value_t = ServerKind::Plenum)]
    server: ServerKind,
    /// The server's web address.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Account that creates the rooms (Plenum: the demo admin that `plenum serve` prints).
    #[arg(long, env = "PLENUM_LOAD_USER", default_value = "admin")]
    user: String,
    #[arg(long, env = "PLENUM_LOAD_PASSWORD", hide_env_values = true)]
    password: String,
    /// Seconds of traffic before counting starts.
    #[arg(long, default_value_t = 8.0, value_parser = seconds)]
    warmup: f64,
    /// Seconds counted.
    #[arg(long, default_value_t = 20.0, value_parser = seconds)]
    measure: f64,
    /// Runs, each in fresh rooms.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    repeat: u32,
    /// The simulcast layer subscribers view.
    #[arg(long, value_enum, default_value_t = LayerArg::Mid)]
    layer: LayerArg,
    /// The SFU's process id: its CPU time and memory are reported.
    #[arg(long)]
    sfu_pid: Option<u32>,
    /// Address the participants' sockets bind to.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Seconds joining may take before the run goes on without the missing participants.
    #[arg(long, default_value_t = 60.0, value_parser = seconds)]
    join_timeout: f64,
    /// Worker threads of the participant engine.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: u16,
    /// Print the reports as JSON (one array) instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ServerKind {
    Plenum,
    /// Janus's VideoRoom plugin; `--url` is its WebSocket API (e.g. ws://127.0.0.1:8188).
    Janus,
    /// The floor forwarder (`plenum-floor`) with raw-SRTP participants; `--url` is
    /// `floor://MEDIA_ADDR/CONTROL_ADDR` (e.g. floor://127.0.0.2:7000/127.0.0.1:7001).
    Floor,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LayerArg {
    #[value(name = "q")]
    Low,
    #[value(name = "h")]
    Mid,
    #[value(name = "f")]
    High,
}

impl From<LayerArg> for Layer {
    fn from(layer: LayerArg) -> Layer {
        match layer {
            LayerArg::Low => Layer::Low,
            LayerArg::Mid => Layer::Mid,
            LayerArg::High => Layer::High,
        }
    }
}

/// Seconds between 0 and one hour.
fn seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=3600.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not between 0 and 3600 seconds"))
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(usize::from(cli.threads))
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = RunConfig {
        scenario: cli.scenario.clone(),
        warmup: Duration::from_secs_f64(cli.warmup),
        measure: Duration::from_secs_f64(cli.measure.max(0.001)),
        layer: cli.layer.into(),
        bind_ip: cli.bind,
        shard: Shard::WHOLE,
        join_timeout: Duration::from_secs_f64(cli.join_timeout),
    };
    match cli.server {
        ServerKind::Plenum => {
            let driver = PlenumDriver::login(&cli.url, &cli.user, &cli.password)
                .await
                .with_context(|| format!("logging in to {} as {}", cli.url, cli.user))?;
            run_repeats(Arc::new(driver), &cli, &config, "plenum").await
        }
        ServerKind::Janus => {
            let driver = JanusDriver::new(cli.url.as_str());
            run_repeats(Arc::new(driver), &cli, &config, "janus").await
        }
        ServerKind::Floor => {
            let (media, control) = floor_addresses(&cli.url)?;
            let network = FloorNetwork::connect(media, control)
                .await
                .with_context(|| format!("connecting to the floor forwarder at {control}"))?;
            run_repeats(Arc::new(network), &cli, &config, "floor").await
        }
    }
}

/// The media and control addresses of `floor://MEDIA/CONTROL`.
fn floor_addresses(url: &str) -> anyhow::Result<(SocketAddr, SocketAddr)> {
    let addresses = url
        .strip_prefix("floor://")
        .and_then(|rest| rest.split_once('/'));
    let (media, control) = addresses
        .with_context(|| format!("--url {url:?}: expected floor://MEDIA_ADDR/CONTROL_ADDR"))?;
    let parse = |text: &str| {
        text.parse::<SocketAddr>()
            .with_context(|| format!("--url {url:?}: {text:?} is not an address:port"))
    };
    Ok((parse(media)?, parse(control)?))
}

/// Runs the scenario `--repeat` times against one server and prints the reports.
async fn run_repeats<D: Driver>(
    driver: Arc<D>,
    cli: &Cli,
    config: &RunConfig,
    server: &str,
) -> anyhow::Result<()> {
    let mut reports = Vec::new();
    for repeat in 0..cli.repeat {
        let report = run::run(driver.clone(), config, server, cli.sfu_pid)
            .await
            .with_context(|| format!("run {}", repeat + 1))?;
        if !cli.json {
            println!("{report}");
        }
        reports.push(report);
    }
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(())
}

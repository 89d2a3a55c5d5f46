//! The command line: `plenum serve`, `plenum config check FILE`, `plenum migrate`,
//! `plenum audit verify BUNDLE [--witness CHECKPOINT_FILE]` (see [`crate::audit_cli`]),
//! `plenum vote verify PROTOCOL [--receipt RECEIPT]...` (see [`crate::vote_cli`]).
//!
//! Flags are the last configuration layer (see [`crate::config`]). Exit codes: 0 success,
//! 1 runtime failure, 2 invalid configuration or usage.

use crate::config::{Config, Layer, Origin, RawValue, Sources};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "plenum", version, about = "Self-hosted video conferencing")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default when no command is given).
    Serve(ServeArgs),
    /// Work with configuration files.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Apply database migrations and exit.
    Migrate {
        /// TOML configuration file.
        #[arg(long, env = "PLENUM_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Work with the audit trail.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Work with vote protocols.
    Vote {
        #[command(subcommand)]
        action: VoteAction,
    },
    /// Delete data older than its `[retention]` period (what `plenum serve` does daily);
    /// removed audit entries are sealed first and the run is recorded.
    Retention {
        #[command(subcommand)]
        action: RetentionAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionAction {
    /// Run the retention job once and print what it removed.
    Run {
        /// TOML configuration file.
        #[arg(long, env = "PLENUM_CONFIG")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Verify an exported audit bundle offline; prints a one-line summary or the first bad
    /// entry. Exit code 0 verified, 1 failed, 2 unreadable input.
    Verify {
        /// The bundle (JSON, see docs/audit-format.md).
        bundle: PathBuf,
        /// A checkpoint kept outside the server (e.g. by the SIEM); detects truncation
        /// and forks.
        #[arg(long, value_name = "CHECKPOINT_FILE")]
        witness: Option<PathBuf>,
    },
    /// Export the stored trail (the database the configuration names) as a bundle that
    /// `plenum audit verify` checks; the range widens to the enclosing checkpoints.
    Export {
        /// First entry: a seq number or an RFC 3339 time.
        #[arg(long, default_value = "0")]
        from: String,
        /// Last entry: a seq number or an RFC 3339 time (default: the newest sealed).
        #[arg(long)]
        to: Option<String>,
        /// TOML configuration file.
        #[arg(long, env = "PLENUM_CONFIG")]
        config: Option<PathBuf>,
        /// Where to write the bundle (JSON).
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum VoteAction {
    /// Verify a vote protocol offline (signatures, Merkle proofs, tally, result statement)
    /// and each voter's receipt against it. Exit code 0 verified, 1 failed, 2 unreadable.
    Verify {
        /// The protocol (JSON, see docs/vote-protocol.md).
        protocol: PathBuf,
        /// A voter's receipt; checks that the ballot is in the log and counted.
        #[arg(long = "receipt", value_name = "RECEIPT")]
        receipts: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate a configuration file (with the PLENUM_* environment applied); prints "ok"
    /// or the error, exit code 2 on error.
    Check { file: PathBuf },
}

#[derive(Debug, Default, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file.
    #[arg(long, env = "PLENUM_CONFIG")]
    pub config: Option<PathBuf>,
    /// store.data_dir
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<String>,
    /// http.bind, e.g. 127.0.0.1:8080
    #[arg(long, value_name = "ADDR")]
    pub http_bind: Option<String>,
    /// http.public_url, e.g. https://meet.example.org
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// media.bind (UDP), e.g. 127.0.0.1:10000
    #[arg(long, value_name = "ADDR")]
    pub media_bind: Option<String>,
    /// media.announce: comma-separated IPs announced to browsers
    #[arg(long, value_name = "IP,...")]
    pub media_announce: Option<String>,
    /// log.format: text or json
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// log.level, e.g. info or plenum_server=debug
    #[arg(long, value_name = "FILTER")]
    pub log_level: Option<String>,
}

impl ServeArgs {
    /// The flags as the last configuration layer.
    pub fn layer(&self) -> Layer {
        let mut layer = Layer::default();
        let flags: [(&str, &str, &Option<String>); 7] = [
            ("store.data_dir", "--data-dir", &self.data_dir),
            ("http.bind", "--http-bind", &self.http_bind),
            ("http.public_url", "--public-url", &self.public_url),
            ("media.bind", "--media-bind", &self.media_bind),
            ("media.announce", "--media-announce", &self.media_announce),
            ("log.format", "--log-format", &self.log_format),
            ("log.level", "--log-level", &self.log_level),
        ];
        for (key, flag, value) in flags {
            if let Some(value) = value {
                layer.set(
                    key,
                    RawValue::Text(value.clone()),
                    Origin::Cli(flag.to_owned()),
                );
            }
        }
        layer
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: Vec<(String, String)> = std::env::vars().collect();
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Config {
            action: ConfigAction::Check { file },
        } => match Config::load(Sources {
            file: Some(file),
            env,
            cli: Layer::default(),
        }) {
            Ok(_) => {
                println!("ok");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        Command::Audit {
            action: AuditAction::Verify { bundle, witness },
        } => crate::audit_cli::verify(&bundle, witness.as_deref()),
        Command::Vote {
            action: VoteAction::Verify { protocol, receipts },
        } => crate::vote_cli::verify(&protocol, &receipts),
        Command::Audit {
            action:
                AuditAction::Export {
                    from,
                    to,
                    config,
                    out,
                },
        } => {
            let config = match load_config(config, env, Layer::default()) {
                Ok(config) => config,
                Err(code) => return code,
            };
            run_async(crate::audit_cli::export(config, from, to, out))
        }
        Command::Retention {
            action: RetentionAction::Run { config },
        } => {
            let config = match load_config(config, env, Layer::default()) {
                Ok(config) => config,
                Err(code) => return code,
            };
            run_async(async move {
                let store = crate::serve::open_store(&config).await?;
                let signer = crate::audit::checkpoints::Signer::default();
                signer.load(&config.audit).await?;
                let report = crate::audit::retention::run_once(&store, &config, &signer).await?;
                println!(
                    "retention: removed {} audit entries and {} votes",
                    report.audit_entries, report.votes
                );
                store.close().await;
                Ok(())
            })
        }
        Command::Migrate { config } => {
            let config = match load_config(config, env, Layer::default()) {
                Ok(config) => config,
                Err(code) => return code,
            };
            run_async(async move {
                crate::serve::open_store(&config).await?;
                println!("migrations applied");
                Ok(())
            })
        }
        Command::Serve(args) => {
            let config = match load_config(args.config.clone(), env, args.layer()) {
                Ok(config) => config,
                Err(code) => return code,
            };
            run_async(crate::serve::run(config))
        }
    }
}

/// Loads the configuration of a subcommand that runs Plenum's code (serve, migrate, audit
/// export, retention) and starts logging by it; a bad configuration is printed (file, key,
/// reason) and becomes exit code 2.
fn load_config(
    file: Option<PathBuf>,
    env: Vec<(String, String)>,
    cli: Layer,
) -> Result<Config, ExitCode> {
    match Config::load(Sources { file, env, cli }) {
        Ok(config) => {
            crate::serve::init_logging(&config);
            Ok(config)
        }
        Err(e) => {
            eprintln!("{e}");
            Err(ExitCode::from(2))
        }
    }
}

fn run_async(task: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(task) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! `plenum-floor`: the floor forwarder of `bench/sfu-vs-janus` (see `plenum_load::floor`):
//! SRTP decrypt, re-encrypt per receiver, batched send — nothing else.

use std::net::SocketAddr;

use clap::Parser;

/// A minimal SRTP forwarder with pre-shared keys, to measure the cost floor of forwarding.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// UDP address media arrives at and leaves from.
    #[arg(long, default_value = "127.0.0.2:7000")]
    media: SocketAddr,
    /// TCP address the load tool sends the routing plan to (keys and receivers).
    #[arg(long, default_value = "127.0.0.1:7001")]
    control: SocketAddr,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    plenum_load::floor::forwarder::run(cli.media, cli.control)?;
    Ok(())
}

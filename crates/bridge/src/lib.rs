//! plenum-bridge: the IO shell around the sans-IO [`plenum_sfu::Sfu`].
//!
//! One UDP socket, one OS thread. The thread runs a single-threaded tokio runtime of its
//! own, so the media loop never competes with the control plane's tasks and `start` works
//! from inside or outside a runtime. The loop waits for whichever comes first — a datagram,
//! a command, the engine's next timeout — feeds it to the engine with the current time and
//! then drains the engine: datagrams go out on the socket, events go to the channel of the
//! conference they belong to ([`Bridge::open_conference`]).
//!
//! The [`Bridge`] handle is cheap to clone and never blocks: commands travel over an
//! unbounded channel to the thread, which owns all state (no locks).

use plenum_protocol::MeetingId;
use plenum_protocol::bridge::{BridgeCommand, BridgeEvent};
use plenum_sfu::{Sfu, SfuConfig, SfuError};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// Largest datagram read; WebRTC keeps packets under ~1200 bytes, this leaves ample room.
const RECV_BUFFER: usize = 2048;
/// Datagrams read in one go before the engine's output is drained: amortises the drain
/// without letting a flood starve timeouts and commands.
const RECV_BATCH: usize = 64;
/// How long the loop sleeps when the engine has no timeout at all (no conferences).
const IDLE_WAIT: Duration = Duration::from_secs(1);

/// Where the bridge listens and what it announces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeConfig {
    /// The UDP address to bind (port 0 picks a free port).
    pub bind: SocketAddr,
    /// IPs announced to browsers as host candidates (with the bound port). Empty means the
    /// bind IP, which then must be a concrete address: the bridge never guesses an
    /// interface.
    pub announce: Vec<IpAddr>,
}

/// Why the bridge could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("bind address {0} is unspecified and no announce address is configured")]
    NoAnnounceAddress(SocketAddr),
    #[error("cannot bind UDP {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("socket setup failed: {0}")]
    Socket(#[source] std::io::Error),
    #[error("media engine configuration: {0}")]
    Engine(#[from] SfuError),
    #[error("cannot start the bridge thread: {0}")]
    Thread(#[source] std::io::Error),
}

enum Control {
    Command(BridgeCommand),
    Open(MeetingId, mpsc::UnboundedSender<BridgeEvent>),
    Shutdown,
}

/// Handle to a running bridge.
#[derive(Clone, Debug)]
pub struct Bridge {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    local_addr: SocketAddr,
    control: mpsc::UnboundedSender<Control>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Control::Command(c) => f.debug_tuple("Command").field(c).finish(),
            Control::Open(id, _) => f.debug_tuple("Open").field(id).finish(),
            Control::Shutdown => f.write_str("Shutdown"),
        }
    }
}

impl Bridge {
    /// Binds the socket and starts the media thread. The thread ends after
    /// [`Bridge::shutdown`] or when every handle is dropped.
    pub fn start(
        config: BridgeConfig,
    ) -> Result<(Bridge, JoinHandle<Result<(), BridgeError>>), BridgeError> {
        if config.announce.is_empty() && config.bind.ip().is_unspecified() {
            return Err(BridgeError::NoAnnounceAddress(config.bind));
        }
        let socket = StdUdpSocket::bind(config.bind).map_err(|source| BridgeError::Bind {
            addr: config.bind,
            source,
        })?;
        socket.set_nonblocking(true).map_err(BridgeError::Socket)?;
        let local_addr = socket.local_addr().map_err(BridgeError::Socket)?;
        let ips = if config.announce.is_empty() {
            vec![local_addr.ip()]
        } else {
            config.announce.clone()
        };
        let sfu = Sfu::new(SfuConfig {
            local_addrs: ips
                .iter()
                .map(|ip| SocketAddr::new(*ip, local_addr.port()))
                .collect(),
            socket_addr: local_addr,
        })?;
        let (control, rx) = mpsc::unbounded_channel();
        let handle = std::thread::Builder::new()
            .name("plenum-bridge".into())
            .spawn(move || run(socket, local_addr, sfu, rx))
            .map_err(BridgeError::Thread)?;
        info!(%local_addr, announce = ?ips, "media bridge started");
        Ok((
            Bridge {
                inner: Arc::new(Inner {
                    local_addr,
                    control,
                }),
            },
            handle,
        ))
    }

    /// The bound socket's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// Subscribes to the events of one conference. Call before sending its first command;
    /// a second call replaces the first receiver. Events of conferences nobody opened are
    /// dropped, and the channel closes when the conference is closed or fails.
    pub fn open_conference(&self, conference: MeetingId) -> mpsc::UnboundedReceiver<BridgeEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.control(Control::Open(conference, tx));
        rx
    }

    /// Sends a command to the engine. Never blocks.
    pub fn send(&self, cmd: BridgeCommand) {
        self.control(Control::Command(cmd));
    }

    /// Stops the media thread; its `JoinHandle` then returns.
    pub fn shutdown(&self) {
        self.control(Control::Shutdown);
    }

    fn control(&self, c: Control) {
        if self.inner.control.send(c).is_err() {
            debug!("bridge thread has stopped; control message dropped");
        }
    }
}

fn run(
    socket: StdUdpSocket,
    local_addr: SocketAddr,
    sfu: Sfu,
    control: mpsc::UnboundedReceiver<Control>,
) -> Result<(), BridgeError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(BridgeError::Socket)?;
    runtime.block_on(async move {
        let socket = UdpSocket::from_std(socket).map_err(BridgeError::Socket)?;
        Driver {
            socket,
            local_addr,
            sfu,
            channels: HashMap::new(),
        }
        .run(control)
        .await;
        Ok(())
    })
}

struct Driver {
    socket: UdpSocket,
    local_addr: SocketAddr,
    sfu: Sfu,
    channels: HashMap<MeetingId, mpsc::UnboundedSender<BridgeEvent>>,
}

impl Driver {
    async fn run(mut self, mut control: mpsc::UnboundedReceiver<Control>) {
        let mut buf = vec![0u8; RECV_BUFFER];
        loop {
            let deadline = self
                .sfu
                .poll_timeout()
                .unwrap_or_else(|| Instant::now() + IDLE_WAIT);
            tokio::select! {
                c = control.recv() => match c {
                    None | Some(Control::Shutdown) => break,
                    Some(Control::Open(id, tx)) => {
                        self.channels.insert(id, tx);
                    }
                    Some(Control::Command(cmd)) => self.command(cmd),
                },
                r = self.socket.recv_from(&mut buf) => {
                    self.received(r, &buf);
                    // Read what else is already queued before draining the engine.
                    for _ in 1..RECV_BATCH {
                        let r = self.socket.try_recv_from(&mut buf);
                        if matches!(&r, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock) {
                            break;
                        }
                        self.received(r, &buf);
                    }
                }
                _ = tokio::time::sleep_until(deadline.into()) => {}
            }
            let now = Instant::now();
            if self.sfu.poll_timeout().is_some_and(|t| t <= now) {
                self.sfu.handle_timeout(now);
            }
            self.drain().await;
        }
        debug!("media bridge stopped");
    }

    fn command(&mut self, cmd: BridgeCommand) {
        let closing = match &cmd {
            BridgeCommand::CloseConference { conference } => Some(*conference),
            _ => None,
        };
        self.sfu.handle_command(cmd, Instant::now());
        if let Some(id) = closing {
            // Deliver what the engine said before closing, then close the channel.
            self.route_events();
            self.channels.remove(&id);
        }
    }

    fn received(&mut self, r: std::io::Result<(usize, SocketAddr)>, buf: &[u8]) {
        match r {
            Ok((n, source)) => {
                let data = buf.get(..n).unwrap_or_default();
                self.sfu
                    .handle_datagram(source, self.local_addr, data, Instant::now());
            }
            // ICMP errors surface as receive errors on some systems; they concern one
            // peer and must not stop the loop.
            Err(e) => debug!("UDP receive error: {e}"),
        }
    }

    async fn drain(&mut self) {
        while let Some(t) = self.sfu.poll_transmit() {
            let sent = match self.socket.try_send_to(&t.contents, t.destination) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.socket.send_to(&t.contents, t.destination).await
                }
                other => other,
            };
            if let Err(e) = sent {
                debug!(destination = %t.destination, "UDP send failed: {e}");
            }
        }
        self.route_events();
    }

    fn route_events(&mut self) {
        while let Some((conference, event)) = self.sfu.poll_event() {
            let failed = matches!(event, BridgeEvent::ConferenceFailed { .. });
            match self.channels.get(&conference) {
                Some(tx) => {
                    if tx.send(event).is_err() {
                        self.channels.remove(&conference);
                    }
                }
                None => debug!(%conference, "event for a conference nobody listens to dropped"),
            }
            if failed {
                warn!(%conference, "conference failed in the media engine");
                self.channels.remove(&conference);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_bind_needs_announce() {
        let err = Bridge::start(BridgeConfig {
            bind: "0.0.0.0:0".parse().unwrap(),
            announce: vec![],
        })
        .unwrap_err();
        assert!(matches!(err, BridgeError::NoAnnounceAddress(_)), "{err}");
    }

    #[test]
    fn starts_and_shuts_down() {
        let (bridge, handle) = Bridge::start(BridgeConfig {
            bind: "0.0.0.0:0".parse().unwrap(),
            announce: vec!["127.0.0.1".parse().unwrap()],
        })
        .unwrap();
        assert_ne!(bridge.local_addr().port(), 0);
        bridge.shutdown();
        handle.join().unwrap().unwrap();
        // A handle to a stopped bridge still never blocks or panics.
        bridge.send(BridgeCommand::CloseConference {
            conference: MeetingId::random(),
        });
    }
}

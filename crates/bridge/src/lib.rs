//! plenum-bridge: the IO shell around the sans-IO [`plenum_sfu::Sfu`].
//!
//! The bridge runs `threads` media threads (shards). Each shard owns one UDP socket, one
//! [`Sfu`] and a single-threaded tokio runtime of its own, so the media loops never compete
//! with the control plane's tasks and `start` works from inside or outside a runtime. A
//! conference lives on one shard, chosen from its id ([`Bridge::shard_of`]); shards share no
//! lock, socket or engine, so meetings on different shards never contend. Shard `i` binds
//! the configured port + `i` and announces that port in its conferences' candidates.
//!
//! A shard's loop waits for whichever comes first — datagrams, a command, the engine's next
//! timeout — feeds it to the engine with the current time and then drains the engine:
//! datagrams go out on the socket, events go to the channel of the conference they belong
//! to ([`Bridge::open_conference`]).
//!
//! IO is batched through `quinn-udp`: one `recvmmsg` reads up to [`quinn_udp::BATCH_SIZE`]
//! datagrams (each possibly several, coalesced by UDP GRO), and consecutive datagrams to one
//! destination of one size (the packets of a video frame) leave in one `sendmsg` with UDP
//! GSO (`UDP_SEGMENT`) where the kernel supports it, else one `sendmsg` each. Receive and
//! send buffers are allocated once per shard.
//!
//! The [`Bridge`] handle is cheap to clone and never blocks: commands travel over an
//! unbounded channel to their conference's shard, which owns all its state (no locks).

use plenum_protocol::MeetingId;
use plenum_protocol::bridge::{BridgeCommand, BridgeEvent};
use plenum_sfu::{Datagram, Sfu, SfuConfig, SfuError, Transmit};
use quinn_udp::{RecvMeta, UdpSocketState};
use std::collections::HashMap;
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, SocketAddr, UdpSocket as StdUdpSocket};
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// Largest datagram expected without GRO; WebRTC keeps packets under ~1200 bytes.
const RECV_DATAGRAM: usize = 2048;
/// Largest datagram on the Ethernet MTU, the unit of a GRO-coalesced receive buffer.
const GRO_SEGMENT: usize = 1500;
/// Most bytes in one GSO send (a UDP datagram's payload limit, with room for headers).
const GSO_BYTES: usize = 65_000;
/// Control messages handled in one go before the engine is drained: a burst of commands
/// cannot starve the socket.
const CONTROL_BATCH: usize = 64;
/// How long a loop sleeps when its engine has no timeout at all (no conferences).
const IDLE_WAIT: Duration = Duration::from_secs(1);

/// Where the bridge listens, what it announces and how many media threads it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BridgeConfig {
    /// The UDP address of shard 0; shard `i` binds its port + `i`. Port 0 lets every shard
    /// pick a free port.
    pub bind: SocketAddr,
    /// IPs announced to browsers as host candidates (with the shard's bound port). Empty
    /// means the bind IP, which then must be a concrete address: the bridge never guesses
    /// an interface.
    pub announce: Vec<IpAddr>,
    /// Media threads (shards), each with its own socket and engine.
    pub threads: NonZeroUsize,
}

/// Why the bridge could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("bind address {0} is unspecified and no announce address is configured")]
    NoAnnounceAddress(SocketAddr),
    #[error("{threads} media threads need ports {bind_port}..{bind_port}+{threads}, past 65535")]
    PortRange { bind_port: u16, threads: usize },
    #[error("cannot bind UDP {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("socket setup failed: {0}")]
    Socket(#[source] std::io::Error),
    #[error("media engine configuration: {0}")]
    Engine(#[from] SfuError),
    #[error("cannot start a media thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("media thread {0} panicked")]
    Panicked(usize),
}

enum Control {
    Command(BridgeCommand),
    Open(MeetingId, mpsc::UnboundedSender<BridgeEvent>),
    Shutdown,
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

/// Handle to a running bridge.
#[derive(Clone, Debug)]
pub struct Bridge {
    shards: Arc<[ShardHandle]>,
}

#[derive(Debug)]
struct ShardHandle {
    local_addr: SocketAddr,
    control: mpsc::UnboundedSender<Control>,
}

/// The media threads of a started bridge.
#[derive(Debug)]
pub struct MediaThreads(Vec<JoinHandle<Result<(), BridgeError>>>);

impl MediaThreads {
    /// Waits for every media thread to end (after [`Bridge::shutdown`]); the first error
    /// wins.
    pub fn join(self) -> Result<(), BridgeError> {
        let mut result = Ok(());
        for (i, thread) in self.0.into_iter().enumerate() {
            let ended = thread.join().unwrap_or(Err(BridgeError::Panicked(i)));
            if result.is_ok() {
                result = ended;
            }
        }
        result
    }
}

impl Bridge {
    /// Binds one socket per media thread and starts the threads. They end after
    /// [`Bridge::shutdown`] or when every handle is dropped.
    pub fn start(config: BridgeConfig) -> Result<(Bridge, MediaThreads), BridgeError> {
        if config.announce.is_empty() && config.bind.ip().is_unspecified() {
            return Err(BridgeError::NoAnnounceAddress(config.bind));
        }
        // Bind every socket before starting any thread: a port in use fails the start
        // as a whole.
        let sockets = (0..config.threads.get())
            .map(|i| bind_shard(&config, i))
            .collect::<Result<Vec<_>, _>>()?;
        let mut shards = Vec::with_capacity(sockets.len());
        let mut threads = Vec::with_capacity(sockets.len());
        for (i, (socket, local_addr)) in sockets.into_iter().enumerate() {
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
            let thread = std::thread::Builder::new()
                .name(format!("plenum-media-{i}"))
                .spawn(move || run(socket, local_addr, sfu, rx))
                .map_err(BridgeError::Thread)?;
            info!(shard = i, %local_addr, announce = ?ips, "media thread started");
            shards.push(ShardHandle {
                local_addr,
                control,
            });
            threads.push(thread);
        }
        Ok((
            Bridge {
                shards: shards.into(),
            },
            MediaThreads(threads),
        ))
    }

    /// The bound sockets' addresses, by shard.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.shards.iter().map(|s| s.local_addr).collect()
    }

    /// The shard that carries `conference`: its id modulo the number of shards (ids are
    /// random UUIDs, so conferences spread evenly).
    pub fn shard_of(&self, conference: MeetingId) -> usize {
        let shards = self.shards.len() as u128;
        // The remainder is below the shard count, a usize.
        (conference.0.as_u128() % shards) as usize
    }

    /// The socket address `conference`'s media uses.
    pub fn local_addr_of(&self, conference: MeetingId) -> SocketAddr {
        self.shard(conference).local_addr
    }

    /// Subscribes to the events of one conference. Call before sending its first command;
    /// a second call replaces the first receiver. Events of conferences nobody opened are
    /// dropped, and the channel closes when the conference is closed or fails.
    pub fn open_conference(&self, conference: MeetingId) -> mpsc::UnboundedReceiver<BridgeEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.shard(conference)
            .control(Control::Open(conference, tx));
        rx
    }

    /// Sends a command to the shard of its conference. Never blocks.
    pub fn send(&self, cmd: BridgeCommand) {
        self.shard(cmd.conference()).control(Control::Command(cmd));
    }

    /// Stops every media thread; [`MediaThreads::join`] then returns.
    pub fn shutdown(&self) {
        for shard in self.shards.iter() {
            shard.control(Control::Shutdown);
        }
    }

    fn shard(&self, conference: MeetingId) -> &ShardHandle {
        // shard_of is below the length, which start made at least 1.
        &self.shards[self.shard_of(conference)]
    }
}

impl ShardHandle {
    fn control(&self, c: Control) {
        if self.control.send(c).is_err() {
            debug!(local_addr = %self.local_addr, "media thread has stopped; control message dropped");
        }
    }
}

/// Binds shard `i`'s socket: the configured port + `i`, or any free port for port 0.
fn bind_shard(config: &BridgeConfig, i: usize) -> Result<(StdUdpSocket, SocketAddr), BridgeError> {
    let port = if config.bind.port() == 0 {
        0
    } else {
        u16::try_from(i)
            .ok()
            .and_then(|i| config.bind.port().checked_add(i))
            .ok_or(BridgeError::PortRange {
                bind_port: config.bind.port(),
                threads: config.threads.get(),
            })?
    };
    let addr = SocketAddr::new(config.bind.ip(), port);
    let socket = StdUdpSocket::bind(addr).map_err(|source| BridgeError::Bind { addr, source })?;
    let local_addr = socket.local_addr().map_err(BridgeError::Socket)?;
    Ok((socket, local_addr))
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
        // Sets non-blocking mode, GRO, packet info and don't-fragment on the socket.
        let state = UdpSocketState::new((&socket).into()).map_err(BridgeError::Socket)?;
        let socket = UdpSocket::from_std(socket).map_err(BridgeError::Socket)?;
        Shard {
            inbox: Inbox::new(state.gro_segments()),
            outbox: Outbox::default(),
            control_batch: Vec::with_capacity(CONTROL_BATCH),
            socket,
            state,
            local_addr,
            sfu,
            channels: HashMap::new(),
        }
        .run(control)
        .await;
        Ok(())
    })
}

/// The receive buffers: [`quinn_udp::BATCH_SIZE`] slots, each large enough for one
/// GRO-coalesced read.
struct Inbox {
    bytes: Box<[u8]>,
    slot: usize,
    meta: [RecvMeta; quinn_udp::BATCH_SIZE],
}

impl Inbox {
    fn new(gro_segments: usize) -> Inbox {
        let slot = (gro_segments * GRO_SEGMENT).max(RECV_DATAGRAM);
        Inbox {
            bytes: vec![0; slot * quinn_udp::BATCH_SIZE].into_boxed_slice(),
            slot,
            meta: [RecvMeta::default(); quinn_udp::BATCH_SIZE],
        }
    }
}

/// Datagrams waiting to leave together: one destination, equal-sized segments (the last
/// may be shorter), sent as one GSO `sendmsg`.
#[derive(Default)]
struct Outbox {
    bytes: Vec<u8>,
    destination: Option<SocketAddr>,
    segment: usize,
    segments: usize,
}

impl Outbox {
    /// Whether `t` may join the waiting datagrams in one send of at most `max_segments`.
    fn fits(&self, t: &Transmit, max_segments: usize) -> bool {
        self.destination == Some(t.destination)
            && self.segments < max_segments
            // Only the last segment may be shorter: a short one ends the batch.
            && self.bytes.len() == self.segments * self.segment
            && t.contents.len() <= self.segment
            && self.bytes.len() + t.contents.len() <= GSO_BYTES
    }

    fn push(&mut self, t: &Transmit) {
        if self.segments == 0 {
            self.destination = Some(t.destination);
            self.segment = t.contents.len();
        }
        self.bytes.extend_from_slice(&t.contents);
        self.segments += 1;
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.destination = None;
        self.segments = 0;
    }
}

struct Shard {
    socket: UdpSocket,
    state: UdpSocketState,
    local_addr: SocketAddr,
    sfu: Sfu,
    channels: HashMap<MeetingId, mpsc::UnboundedSender<BridgeEvent>>,
    inbox: Inbox,
    outbox: Outbox,
    /// The control messages of one round, kept to reuse its allocation.
    control_batch: Vec<Control>,
}

/// Collects one round of control messages: `first` (what `recv` returned) and whatever else
/// is already waiting, at most [`CONTROL_BATCH`] in all. Everything taken from the channel
/// is in `batch`, because a message received and then not handled is a command lost (in a
/// join storm: a participant the engine never adds, or a publish offer never answered).
fn take_control_batch(
    first: Control,
    control: &mut mpsc::UnboundedReceiver<Control>,
    batch: &mut Vec<Control>,
) {
    batch.push(first);
    while batch.len() < CONTROL_BATCH {
        match control.try_recv() {
            Ok(c) => batch.push(c),
            Err(_) => break,
        }
    }
}

impl Shard {
    async fn run(mut self, mut control: mpsc::UnboundedReceiver<Control>) {
        let mut timeout = None;
        loop {
            let deadline = timeout.unwrap_or_else(|| Instant::now() + IDLE_WAIT);
            tokio::select! {
                c = control.recv() => {
                    // Every handle gone: nobody can send a command any more.
                    let first = c.unwrap_or(Control::Shutdown);
                    let mut batch = std::mem::take(&mut self.control_batch);
                    take_control_batch(first, &mut control, &mut batch);
                    for c in batch.drain(..) {
                        match c {
                            Control::Shutdown => {
                                debug!(local_addr = %self.local_addr, "media thread stopped");
                                return;
                            }
                            Control::Open(id, tx) => {
                                self.channels.insert(id, tx);
                            }
                            Control::Command(cmd) => self.command(cmd),
                        }
                    }
                    self.control_batch = batch;
                }
                r = self.socket.readable() => match r {
                    Ok(()) => self.receive(),
                    Err(e) => debug!("UDP readiness error: {e}"),
                },
                _ = tokio::time::sleep_until(deadline.into()) => {}
            }
            // One timeout query per round; inputs may have moved it, so it is asked after
            // them, and again only when the engine handled a due timeout.
            let now = Instant::now();
            timeout = self.sfu.poll_timeout();
            if timeout.is_some_and(|t| t <= now) {
                self.sfu.handle_timeout(now);
                timeout = self.sfu.poll_timeout();
            }
            self.drain().await;
        }
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

    /// Reads one batch of datagrams (one `recvmmsg`) into the engine, as one batch.
    fn receive(&mut self) {
        let Shard {
            socket,
            state,
            inbox,
            sfu,
            local_addr,
            ..
        } = self;
        let mut slots = inbox.bytes.chunks_mut(inbox.slot);
        let mut bufs: [IoSliceMut<'_>; quinn_udp::BATCH_SIZE] =
            std::array::from_fn(|_| IoSliceMut::new(slots.next().unwrap_or_default()));
        let read = socket.try_io(Interest::READABLE, || {
            state.recv((&*socket).into(), &mut bufs, &mut inbox.meta)
        });
        let count = match read {
            Ok(count) => count,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            // ICMP errors surface as receive errors on some systems; they concern one peer
            // and must not stop the loop.
            Err(e) => {
                debug!("UDP receive error: {e}");
                return;
            }
        };
        let local_addr = *local_addr;
        let datagrams = inbox
            .meta
            .iter()
            .zip(&bufs)
            .take(count)
            .flat_map(|(meta, buf)| {
                // The address the peer sent to (packet info), so a socket bound to an
                // unspecified address attributes datagrams to the right candidate.
                let destination =
                    SocketAddr::new(meta.dst_ip.unwrap_or(local_addr.ip()), local_addr.port());
                let received = buf.get(..meta.len).unwrap_or_default();
                received
                    .chunks(meta.stride.max(1))
                    .map(move |contents| Datagram {
                        source: meta.addr,
                        destination,
                        contents,
                    })
            });
        sfu.handle_datagrams(datagrams, Instant::now());
    }

    /// Sends what the engine produced, batching runs to one destination, then routes its
    /// events.
    async fn drain(&mut self) {
        while let Some(t) = self.sfu.poll_transmit() {
            if self.outbox.segments > 0 && !self.outbox.fits(&t, self.state.max_gso_segments()) {
                self.flush().await;
            }
            self.outbox.push(&t);
        }
        self.flush().await;
        self.route_events();
    }

    /// Sends the outbox: one GSO `sendmsg`, or one per datagram when the kernel refused
    /// segmentation offload (quinn-udp then turns it off for this socket).
    async fn flush(&mut self) {
        let Some(destination) = self.outbox.destination else {
            return;
        };
        let batch = quinn_udp::Transmit {
            destination,
            ecn: None,
            contents: &self.outbox.bytes,
            segment_size: (self.outbox.segments > 1).then_some(self.outbox.segment),
            src_ip: None,
        };
        if let Err(e) = send(&self.socket, &self.state, &batch).await {
            if batch.segment_size.is_some() && self.state.max_gso_segments() == 1 {
                warn!("UDP GSO refused ({e}); sending datagrams one by one from now on");
                for segment in self.outbox.bytes.chunks(self.outbox.segment) {
                    let single = quinn_udp::Transmit {
                        contents: segment,
                        segment_size: None,
                        ..batch.clone()
                    };
                    if let Err(e) = send(&self.socket, &self.state, &single).await {
                        debug!(%destination, "UDP send failed: {e}");
                    }
                }
            } else {
                debug!(%destination, "UDP send failed: {e}");
            }
        }
        self.outbox.clear();
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

/// One `sendmsg`, waiting for room in the socket buffer when it is full.
async fn send(
    socket: &UdpSocket,
    state: &UdpSocketState,
    transmit: &quinn_udp::Transmit<'_>,
) -> io::Result<()> {
    loop {
        match socket.try_io(Interest::WRITABLE, || {
            state.try_send(socket.into(), transmit)
        }) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => socket.writable().await?,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plenum_protocol::ParticipantId;

    fn config(bind: &str, threads: usize) -> BridgeConfig {
        BridgeConfig {
            bind: bind.parse().unwrap(),
            announce: vec!["127.0.0.1".parse().unwrap()],
            threads: NonZeroUsize::new(threads).unwrap(),
        }
    }

    #[test]
    fn unspecified_bind_needs_announce() {
        let err = Bridge::start(BridgeConfig {
            announce: vec![],
            ..config("0.0.0.0:0", 1)
        })
        .unwrap_err();
        assert!(matches!(err, BridgeError::NoAnnounceAddress(_)), "{err}");
    }

    #[test]
    fn starts_and_shuts_down() {
        let (bridge, threads) = Bridge::start(config("0.0.0.0:0", 3)).unwrap();
        let addrs = bridge.local_addrs();
        assert_eq!(addrs.len(), 3);
        assert!(addrs.iter().all(|a| a.port() != 0));
        bridge.shutdown();
        threads.join().unwrap();
        // A handle to a stopped bridge still never blocks or panics.
        bridge.send(BridgeCommand::CloseConference {
            conference: MeetingId::random(),
        });
    }

    #[test]
    fn shards_bind_consecutive_ports() {
        // Find a free pair by binding shard 0 at a free port, then asking for two.
        let free = StdUdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        match Bridge::start(config(&free.to_string(), 2)) {
            Ok((bridge, threads)) => {
                let ports: Vec<u16> = bridge.local_addrs().iter().map(|a| a.port()).collect();
                assert_eq!(ports, [free.port(), free.port() + 1]);
                bridge.shutdown();
                threads.join().unwrap();
            }
            // The neighbour port may be taken by another process: then the start fails as
            // a whole, naming it.
            Err(BridgeError::Bind { addr, .. }) => assert_eq!(addr.port(), free.port() + 1),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn ports_past_65535_are_refused() {
        let err = Bridge::start(config("127.0.0.1:65535", 2)).unwrap_err();
        assert!(matches!(err, BridgeError::PortRange { .. }), "{err}");
    }

    #[test]
    fn conferences_spread_over_shards_and_stay_put() {
        let (bridge, threads) = Bridge::start(config("127.0.0.1:0", 4)).unwrap();
        let ids: Vec<MeetingId> = (0..400).map(|_| MeetingId::random()).collect();
        let mut per_shard = [0usize; 4];
        for id in &ids {
            let shard = bridge.shard_of(*id);
            assert_eq!(bridge.shard_of(*id), shard);
            assert_eq!(bridge.local_addr_of(*id), bridge.local_addrs()[shard]);
            per_shard[shard] += 1;
        }
        // 100 expected each; 40 is more than 6 standard deviations away.
        assert!(per_shard.iter().all(|n| *n > 40), "{per_shard:?}");
        bridge.shutdown();
        threads.join().unwrap();
    }

    fn view_of(participant: ParticipantId, conference: MeetingId) -> BridgeCommand {
        BridgeCommand::View {
            conference,
            participant,
            tiles: vec![],
        }
    }

    #[test]
    fn a_control_batch_keeps_everything_it_takes() {
        let conference = MeetingId::random();
        let sent: Vec<ParticipantId> = (0..3 * CONTROL_BATCH + 7)
            .map(|_| ParticipantId::random())
            .collect();
        let (tx, mut rx) = mpsc::unbounded_channel();
        for id in &sent {
            tx.send(Control::Command(view_of(*id, conference))).unwrap();
        }
        let mut handled = Vec::new();
        let mut sizes = Vec::new();
        let mut batch = Vec::new();
        while let Ok(first) = rx.try_recv() {
            take_control_batch(first, &mut rx, &mut batch);
            sizes.push(batch.len());
            for c in batch.drain(..) {
                let Control::Command(BridgeCommand::View { participant, .. }) = c else {
                    panic!("unexpected {c:?}");
                };
                handled.push(participant);
            }
        }
        assert_eq!(sizes, [CONTROL_BATCH, CONTROL_BATCH, CONTROL_BATCH, 7]);
        assert_eq!(handled, sent);
    }

    #[test]
    fn a_burst_of_commands_is_handled_in_full() {
        let (bridge, threads) = Bridge::start(config("127.0.0.1:0", 1)).unwrap();
        let conference = MeetingId::random();
        let mut events = bridge.open_conference(conference);
        // Views for a conference the engine does not have: each answers one error event,
        // so every command that got lost would be an event missing.
        let sent: Vec<ParticipantId> = (0..20 * CONTROL_BATCH)
            .map(|_| ParticipantId::random())
            .collect();
        for id in &sent {
            bridge.send(view_of(*id, conference));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let answered: Vec<ParticipantId> = runtime.block_on(async {
            let mut answered = Vec::new();
            while answered.len() < sent.len() {
                let next = tokio::time::timeout(Duration::from_secs(10), events.recv()).await;
                match next {
                    Ok(Some(BridgeEvent::Error { participant, .. })) => answered.push(participant),
                    Ok(other) => panic!("unexpected {other:?}"),
                    Err(_) => break,
                }
            }
            answered
        });
        assert_eq!(answered.len(), sent.len(), "commands lost");
        assert_eq!(answered, sent);
        bridge.shutdown();
        threads.join().unwrap();
    }

    fn transmit(destination: &str, len: usize) -> Transmit {
        Transmit {
            destination: destination.parse().unwrap(),
            contents: vec![1; len],
        }
    }

    #[test]
    fn outbox_batches_equal_sized_datagrams_to_one_destination() {
        let mut outbox = Outbox::default();
        outbox.push(&transmit("10.0.0.1:5000", 1200));
        assert!(outbox.fits(&transmit("10.0.0.1:5000", 1200), 64));
        // Another destination, a larger datagram or a full batch start a new send.
        assert!(!outbox.fits(&transmit("10.0.0.2:5000", 1200), 64));
        assert!(!outbox.fits(&transmit("10.0.0.1:5000", 1201), 64));
        assert!(!outbox.fits(&transmit("10.0.0.1:5000", 1200), 1));
        // A shorter datagram may end the batch, but nothing may follow it.
        outbox.push(&transmit("10.0.0.1:5000", 700));
        assert!(!outbox.fits(&transmit("10.0.0.1:5000", 700), 64));
        assert_eq!(outbox.bytes.len(), 1900);
        assert_eq!((outbox.segment, outbox.segments), (1200, 2));
        outbox.clear();
        assert_eq!(outbox.destination, None);
    }

    #[test]
    fn outbox_stays_under_the_datagram_limit() {
        let mut outbox = Outbox::default();
        let t = transmit("10.0.0.1:5000", 1200);
        while outbox.fits(&t, usize::MAX) || outbox.segments == 0 {
            outbox.push(&t);
        }
        assert!(outbox.bytes.len() <= GSO_BYTES);
        assert!(outbox.bytes.len() + 1200 > GSO_BYTES);
    }
}

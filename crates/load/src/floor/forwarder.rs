//! The floor forwarder: one UDP socket, one thread, a route per incoming SSRC; per packet
//! one AEAD open and one AEAD seal per receiver, sends batched with `sendmmsg`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::mpsc;
use std::time::Duration;

use rustix::net::{MMsgHdr, RecvFlags, SendAncillaryBuffer, SendFlags, SocketAddrAny};

use super::plan::{MAX_LINE_BYTES, PlanEntry};
use super::srtp::{self, IndexTracker, SrtpKey};

/// Datagrams sent per `sendmmsg`.
const SEND_BATCH: usize = 64;
/// Datagrams taken per wake-up before the queued sends go out.
const RECEIVE_BATCH: usize = 32;
/// Largest datagram handled (anything longer is not the load tool's media).
const MAX_DATAGRAM: usize = 1500;
/// Limits of the routing table: far above the largest scenario (200 receivers of one
/// publisher; 100 publishers × 4 streams).
const MAX_ROUTES: usize = 10_000;
const MAX_OUTPUTS_PER_ROUTE: usize = 1_000;
/// How often the forwarding loop looks for plan changes when no media arrives.
const IDLE_WAKE: Duration = Duration::from_millis(20);
/// Kernel socket buffers: a 64-datagram burst to one receiver must fit.
const SOCKET_BUFFER_BYTES: usize = 4 << 20;

/// Why the forwarder stopped.
#[derive(Debug, thiserror::Error)]
pub enum ForwarderError {
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("socket: {0}")]
    Errno(#[from] rustix::io::Errno),
}

/// What the forwarder did, printed when its control connection closes.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Counters {
    pub received: u64,
    pub forwarded: u64,
    pub unknown_ssrc: u64,
    pub rejected: u64,
}

struct Output {
    to: SocketAddrAny,
    key: SrtpKey,
}

struct Route {
    key: SrtpKey,
    index: IndexTracker,
    outputs: Vec<Output>,
}

/// Runs the forwarder: media on `media`, plan entries from connections to `control`.
/// Returns when the socket fails; the benchmark ends it with a signal.
pub fn run(media: SocketAddr, control: SocketAddr) -> Result<(), ForwarderError> {
    let socket = UdpSocket::bind(media)?;
    rustix::net::sockopt::set_socket_recv_buffer_size(&socket, SOCKET_BUFFER_BYTES)?;
    rustix::net::sockopt::set_socket_send_buffer_size(&socket, SOCKET_BUFFER_BYTES)?;
    socket.set_read_timeout(Some(IDLE_WAKE))?;
    let listener = TcpListener::bind(control)?;
    let (plan_tx, plan_rx) = mpsc::channel();
    std::thread::spawn(move || accept_plans(listener, plan_tx));
    Forwarder::new(socket).run(&plan_rx)
}

/// Reads plan lines from each control connection and hands them to the forwarding loop.
fn accept_plans(listener: TcpListener, plans: mpsc::Sender<PlanEntry>) {
    for stream in listener.incoming().flatten() {
        let plans = plans.clone();
        std::thread::spawn(move || read_plan(stream, &plans));
    }
}

fn read_plan(stream: TcpStream, plans: &mpsc::Sender<PlanEntry>) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        let limited = (&mut reader)
            .take(MAX_LINE_BYTES as u64)
            .read_line(&mut line);
        match limited {
            Ok(0) | Err(_) => return,
            Ok(_) => match serde_json::from_str::<PlanEntry>(&line) {
                Ok(entry) => {
                    if plans.send(entry).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    eprintln!("floor: refused plan line ({e}): {}", line.trim_end());
                    return;
                }
            },
        }
    }
}

struct Forwarder {
    socket: UdpSocket,
    routes: HashMap<u32, Route>,
    /// Ciphertexts waiting for the next `sendmmsg`, with their destinations' route and
    /// output indexes (the addresses live in the routes).
    slots: Vec<[u8; MAX_DATAGRAM]>,
    queued: Vec<(usize, u32, usize)>,
    input: [u8; MAX_DATAGRAM],
    counters: Counters,
}

impl Forwarder {
    fn new(socket: UdpSocket) -> Self {
        Self {
            socket,
            routes: HashMap::new(),
            slots: vec![[0u8; MAX_DATAGRAM]; SEND_BATCH],
            queued: Vec::with_capacity(SEND_BATCH),
            input: [0u8; MAX_DATAGRAM],
            counters: Counters::default(),
        }
    }

    fn run(mut self, plans: &mpsc::Receiver<PlanEntry>) -> Result<(), ForwarderError> {
        loop {
            while let Ok(entry) = plans.try_recv() {
                self.apply(entry);
            }
            // The first receive waits (up to IDLE_WAKE); the rest of the batch takes only
            // what is already queued.
            let mut flags = RecvFlags::empty();
            for _ in 0..RECEIVE_BATCH {
                match rustix::net::recv(&self.socket, &mut self.input, flags) {
                    Ok((len, _)) => self.forward(len.min(MAX_DATAGRAM))?,
                    Err(rustix::io::Errno::AGAIN) => break,
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(e.into()),
                }
                flags = RecvFlags::DONTWAIT;
            }
            self.flush()?;
        }
    }

    fn apply(&mut self, entry: PlanEntry) {
        match entry {
            PlanEntry::Input { ssrc, key } => {
                let Ok(key) = key.srtp_key() else { return };
                if self.routes.len() < MAX_ROUTES {
                    self.routes.entry(ssrc).or_insert(Route {
                        key,
                        index: IndexTracker::default(),
                        outputs: Vec::new(),
                    });
                }
            }
            PlanEntry::Output { ssrc, to, key } => {
                let (Some(route), Ok(key)) = (self.routes.get_mut(&ssrc), key.srtp_key()) else {
                    return;
                };
                if route.outputs.len() < MAX_OUTPUTS_PER_ROUTE {
                    route.outputs.push(Output {
                        to: SocketAddrAny::from(to),
                        key,
                    });
                }
            }
        }
    }

    /// Decrypts the datagram in `input` and queues one re-encrypted copy per output.
    fn forward(&mut self, len: usize) -> Result<(), ForwarderError> {
        self.counters.received += 1;
        let packet = &mut self.input[..len];
        let (Some(seq), Some(ssrc)) = (srtp::sequence_number(packet), srtp::ssrc(packet)) else {
            self.counters.rejected += 1;
            return Ok(());
        };
        let Some(route) = self.routes.get_mut(&ssrc) else {
            self.counters.unknown_ssrc += 1;
            return Ok(());
        };
        let index = route.index.estimate(seq);
        let Ok(plain_len) = route.key.unprotect(packet, index) else {
            self.counters.rejected += 1;
            return Ok(());
        };
        route.index.accept(index);
        for output in 0..route.outputs.len() {
            if self.queued.len() == SEND_BATCH {
                self.flush()?;
            }
            let slot_index = self.queued.len();
            let slot = &mut self.slots[slot_index];
            slot[..plain_len].copy_from_slice(&self.input[..plain_len]);
            let route = &self.routes[&ssrc];
            // The plaintext fits the slot with its tag: it came in with one.
            let Ok(sealed) = route.outputs[output].key.protect(slot, plain_len, index) else {
                continue;
            };
            self.queued.push((sealed, ssrc, output));
        }
        Ok(())
    }

    /// Sends every queued datagram (`sendmmsg`, repeated until all are taken).
    fn flush(&mut self) -> Result<(), ForwarderError> {
        let mut sent = 0;
        while sent < self.queued.len() {
            let iovs: Vec<[std::io::IoSlice<'_>; 1]> = self.queued[sent..]
                .iter()
                .enumerate()
                .map(|(offset, (len, _, _))| {
                    [std::io::IoSlice::new(&self.slots[sent + offset][..*len])]
                })
                .collect();
            let mut controls: Vec<SendAncillaryBuffer<'_, '_, '_>> = iovs
                .iter()
                .map(|_| SendAncillaryBuffer::default())
                .collect();
            let mut messages: Vec<MMsgHdr<'_>> = self.queued[sent..]
                .iter()
                .zip(&iovs)
                .zip(controls.iter_mut())
                .map(|(((_, ssrc, output), iov), control)| {
                    let to = &self.routes[ssrc].outputs[*output].to;
                    MMsgHdr::new_with_addr(to, iov, control)
                })
                .collect();
            match rustix::net::sendmmsg(&self.socket, &mut messages, SendFlags::empty()) {
                Ok(count) => sent += count.max(1),
                Err(rustix::io::Errno::INTR) => {}
                // A receiver's full buffer: that datagram is lost, as on a real network.
                Err(rustix::io::Errno::AGAIN | rustix::io::Errno::CONNREFUSED) => sent += 1,
                Err(e) => return Err(e.into()),
            }
        }
        self.counters.forwarded += self.queued.len() as u64;
        self.queued.clear();
        Ok(())
    }
}

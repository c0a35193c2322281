//! Lean IEC 60870-5-104 outstations inside the bench process, one listener per link, on the
//! codec's own link layer in the controlled role ([`Link104`]).
//!
//! Each link makes `rate` spontaneous changes per second of one short float with a CP56Time2a
//! (M_ME_TF_1, IOA [`IOA`], COT 3), evenly spaced, the value being the link's own change count
//! (1.0, 2.0, ...). Just before the frame carrying change `n` is written to the socket, its time
//! (microseconds since the bench's base instant) is stored at index `n - 1` of the link's send
//! log: the subscriber's receive time of sample `n` minus that is the field-to-subscriber
//! latency. The links start `1/rate / links` apart after their STARTDT, so that the bridge sees
//! a steady stream and not all links at the same instant.
//!
//! A station interrogation (C_IC_NA_1) is answered as an outstation must: actcon, the point's
//! current value with COT 20 (M_ME_NC_1), actterm. Anything else the bridge sends is ignored.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, Cot, Element, InformationObject, OwnedAsdu, TimeTag, TypeId,
};
use fieldbridge_iec60870::link104::{Event, Link104, Params, Role, State};
use fieldbridge_iec60870::types::Qds;
use fieldbridge_iec60870::{CivilDateTime, Cp56Time2a};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The information object address of the changing point.
pub(crate) const IOA: u32 = 1;
/// The common address of every station.
const CA: u16 = 1;
const CONFIG: AsduConfig = AsduConfig::IEC104;
/// How far a link may fall behind its schedule before it starts again from now.
const MAX_LAG: Duration = Duration::from_secs(1);

/// What the outstations share with the bench.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The clock every time in the bench is measured from.
    pub(crate) base: std::time::Instant,
    /// Per link, the send time of each change (index = count - 1), µs since `base`.
    pub(crate) sent: Vec<Mutex<Vec<u64>>>,
    /// Links whose data transfer started (each STARTDT act confirmed).
    pub(crate) started: AtomicUsize,
    /// TCP connections accepted; more than the links means the bridge reconnected.
    pub(crate) accepted: AtomicUsize,
    /// Connections that ended.
    pub(crate) closed: AtomicUsize,
    /// Changes are made while set.
    pub(crate) sending: AtomicBool,
}

impl Shared {
    /// Microseconds since `base`.
    pub(crate) fn now_us(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// `links` outstations, each on its own port of 127.0.0.1; aborted on drop.
#[derive(Debug)]
pub(crate) struct Outstations {
    pub(crate) ports: Vec<u16>,
    pub(crate) shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl Outstations {
    /// Binds `links` listeners and serves each on a task of the current runtime.
    pub(crate) async fn start(
        links: usize,
        rate: u32,
        base: std::time::Instant,
    ) -> io::Result<Outstations> {
        let shared = Arc::new(Shared {
            base,
            sent: (0..links).map(|_| Mutex::new(Vec::new())).collect(),
            started: AtomicUsize::new(0),
            accepted: AtomicUsize::new(0),
            closed: AtomicUsize::new(0),
            sending: AtomicBool::new(true),
        });
        let period = Duration::from_secs(1) / rate.max(1);
        let mut ports = Vec::with_capacity(links);
        let mut tasks = Vec::with_capacity(links);
        for index in 0..links {
            let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
            ports.push(listener.local_addr()?.port());
            let phase = period.mul_f64(index as f64 / links as f64);
            let shared = shared.clone();
            tasks.push(tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    shared.accepted.fetch_add(1, Ordering::Relaxed);
                    if let Err(error) = serve(stream, index, period, phase, &shared).await {
                        eprintln!("outstation {index}: {error}");
                    }
                    shared.closed.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        Ok(Outstations {
            ports,
            shared,
            tasks,
        })
    }
}

impl Drop for Outstations {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The wall clock as CP56Time2a, UTC.
fn wall_clock_tag() -> Cp56Time2a {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0));
    CivilDateTime::from_unix_millis(ms)
        .and_then(|civil| Cp56Time2a::from_civil(&civil).ok())
        .unwrap_or_default()
}

fn float(value: u64) -> Element {
    Element::Float {
        value: value as f32,
        qds: Qds::GOOD,
    }
}

/// The encoded ASDU of change `count`: M_ME_TF_1, COT 3, the wall clock as its time tag.
fn change(count: u64, out: &mut Vec<u8>) {
    out.clear();
    let object = InformationObject::with_time(IOA, float(count), TimeTag::Cp56(wall_clock_tag()));
    let asdu = OwnedAsdu::new(CONFIG, TypeId::M_ME_TF_1, Cot::SPONTANEOUS, CA).with(object);
    if let Err(error) = asdu.encode(out) {
        eprintln!("cannot encode a change: {error}");
    }
}

/// `bytes` with its cause of transmission replaced (P/N and T cleared).
fn mirror(bytes: &[u8], cause: Cot) -> Vec<u8> {
    let mut reply = bytes.to_vec();
    if let Some(octet) = reply.get_mut(2) {
        *octet = cause.0 & 0x3F;
    }
    reply
}

/// Answers a station interrogation: actcon, the value with COT 20, actterm.
fn on_asdu(bytes: &[u8], count: u64, replies: &mut VecDeque<Vec<u8>>) {
    let Ok(asdu) = Asdu::decode(bytes, &CONFIG) else {
        return;
    };
    if asdu.header.type_id != TypeId::C_IC_NA_1 || asdu.header.cause != Cot::ACTIVATION {
        return;
    }
    replies.push_back(mirror(bytes, Cot::ACTIVATION_CON));
    let value = OwnedAsdu::new(CONFIG, TypeId::M_ME_NC_1, Cot::INTERROGATED_BY_STATION, CA)
        .with(InformationObject::new(IOA, float(count)));
    let mut encoded = Vec::with_capacity(value.encoded_len());
    if value.encode(&mut encoded).is_ok() {
        replies.push_back(encoded);
    }
    replies.push_back(mirror(bytes, Cot::ACTIVATION_TERMINATION));
}

/// Serves one connection of link `index` until it closes.
async fn serve(
    mut stream: TcpStream,
    index: usize,
    period: Duration,
    phase: Duration,
    shared: &Shared,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let log = shared
        .sent
        .get(index)
        .ok_or_else(|| io::Error::other("no such link"))?;
    let mut link = Link104::new(
        Role::Controlled,
        Params::default(),
        Instant::now().into_std(),
    )
    .map_err(io::Error::other)?;
    let mut buf = [0u8; 2048];
    let mut wire = Vec::with_capacity(512);
    let mut asdu = Vec::with_capacity(64);
    let mut replies: VecDeque<Vec<u8>> = VecDeque::new();
    let mut next_change: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let count = log.lock().map_or(0, |l| l.len()) as u64;
        while link.can_send() {
            let Some(reply) = replies.pop_front() else {
                break;
            };
            let _ = link.send_asdu(&reply, now.into_std());
        }
        let mut stamped = false;
        if let Some(at) = next_change {
            if at <= now && link.can_send() && shared.sending.load(Ordering::Relaxed) {
                change(count + 1, &mut asdu);
                if link.send_asdu(&asdu, now.into_std()).is_ok() {
                    stamped = true;
                    let next = at + period;
                    next_change = Some(if next + MAX_LAG < now { now } else { next });
                }
            }
        }
        wire.clear();
        while let Some(frame) = link.poll_transmit() {
            wire.extend_from_slice(frame.as_bytes());
        }
        if !wire.is_empty() {
            if stamped {
                if let Ok(mut l) = log.lock() {
                    l.push(shared.now_us());
                }
            }
            stream.write_all(&wire).await?;
        }
        if link.state() == State::Closed {
            return Ok(());
        }
        let mut wake = link.poll_timeout().map(Instant::from_std);
        if let Some(at) = next_change.filter(|_| link.can_send()) {
            wake = Some(wake.map_or(at, |w| w.min(at)));
        }
        let timer = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = stream.read(&mut buf) => {
                let n = read?;
                if n == 0 {
                    return Ok(());
                }
                let now = Instant::now();
                link.on_bytes(buf.get(..n).unwrap_or_default(), now.into_std(), |event| match event {
                    Event::Received(bytes) => on_asdu(bytes, count, &mut replies),
                    Event::Started => {
                        shared.started.fetch_add(1, Ordering::Relaxed);
                        next_change = Some(now + phase);
                    }
                    _ => {}
                });
            }
            () = timer => {
                let _ = link.on_timeout(Instant::now().into_std());
            }
        }
    }
}

//! The field connection: TCP or RTU, and the one place that issues requests.
//!
//! Every request goes through [`Connection::call`]: it selects the unit, applies the timeout, retries
//! a request that timed out within that same timeout, and counts. On Modbus TCP the socket is
//! wrapped in a [`MbapGuard`] that checks every answer against its request, so that a late answer
//! never passes for the next one and the connection survives a unit that does not answer. One request is in flight at a time because the connection
//! is borrowed mutably for the whole exchange; a later write path queues through the same method.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use fieldbridge_core::config::{ModbusTransport, Parity, SerialSettings};
use fieldbridge_core::point::ModbusTable;
use tokio_modbus::client::{Client, Context};
use tokio_modbus::slave::{Slave, SlaveContext};
use tokio_modbus::{Request, Response};
use tokio_serial::{ClearBuffer, SerialPort};

use crate::ascii::AsciiLink;
use crate::error::{Error, Garbage};
use crate::guard::{GarbageSlot, MbapGuard};
use fieldbridge_core::source::{Counter, SourceStats};
use fieldbridge_core::throttle::Throttle;

/// The values one read returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadData {
    /// Coils or discrete inputs, exactly as many as requested.
    Bits(Vec<bool>),
    /// Registers, exactly as many as requested.
    Words(Vec<u16>),
}

/// An open transport: tokio-modbus (TCP, RTU, RTU over TCP), or our own ASCII exchange.
enum Link {
    Modbus(Context),
    Ascii(AsciiLink<tokio_serial::SerialStream>),
}

impl Link {
    fn set_unit(&mut self, unit: u8) {
        match self {
            Link::Modbus(ctx) => ctx.set_slave(Slave(unit)),
            Link::Ascii(link) => link.set_unit(unit),
        }
    }

    async fn call(&mut self, request: Request<'static>) -> tokio_modbus::Result<Response> {
        match self {
            Link::Modbus(ctx) => ctx.call(request).await,
            Link::Ascii(link) => link.call(request).await,
        }
    }
}

/// A Modbus client connection that reconnects on demand.
pub(crate) struct Connection {
    device: Arc<str>,
    transport: ModbusTransport,
    timeout: Duration,
    retries: u32,
    stats: Arc<SourceStats>,
    ctx: Option<Link>,
    attempts: u64,
    /// Where the TCP guard names a refused answer.
    garbage: GarbageSlot,
    /// Garbage answers are logged once, then once a minute with a count (each one is counted in
    /// the decode errors).
    garbage_log: Throttle,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("device", &self.device)
            .field("transport", &self.transport)
            .field("connected", &self.ctx.is_some())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection, not yet open.
    pub(crate) fn new(
        device: Arc<str>,
        transport: ModbusTransport,
        timeout: Duration,
        retries: u32,
        stats: Arc<SourceStats>,
    ) -> Self {
        let timeout = timeout.max(Duration::from_millis(1));
        Connection {
            device,
            transport,
            timeout,
            retries,
            stats,
            ctx: None,
            attempts: 0,
            garbage: GarbageSlot::default(),
            garbage_log: Throttle::default(),
        }
    }

    /// Whether the transport is open.
    pub(crate) fn is_connected(&self) -> bool {
        self.ctx.is_some()
    }

    /// Drops the transport (the socket or serial port closes).
    pub(crate) fn disconnect(&mut self) {
        self.ctx = None;
    }

    /// Opens the transport: a TCP connection within the request timeout, or the serial port.
    pub(crate) async fn connect(&mut self) -> Result<(), Error> {
        self.ctx = None;
        if self.attempts > 0 {
            self.stats.bump(Counter::Reconnects);
        }
        self.attempts += 1;
        let ctx = match &self.transport {
            ModbusTransport::Tcp { address } => {
                let stream = open_tcp(&self.device, self.timeout, address).await?;
                self.garbage.take();
                let guarded = MbapGuard::new(stream, self.device.clone(), self.garbage.clone());
                tokio_modbus::client::tcp::attach_slave(guarded, Slave::tcp_device())
            }
            // RTU frames to a serial gateway: no MBAP, the CRC and the unit id carry the frame.
            ModbusTransport::RtuOverTcp { address } => {
                let stream = open_tcp(&self.device, self.timeout, address).await?;
                tokio_modbus::client::rtu::attach_slave(stream, Slave::broadcast())
            }
            ModbusTransport::Rtu(serial) | ModbusTransport::Ascii(serial) => {
                let serial_error = |source| Error::Serial {
                    path: serial.path.clone(),
                    source,
                };
                let port = tokio_serial::SerialStream::open(&serial_builder(serial))
                    .map_err(serial_error)?;
                if self.attempts > 1 {
                    // After a failure: let a late answer still on the line arrive, then drop it, so
                    // it is never taken for the answer to the next request (tokio-modbus matches
                    // answers by unit and function only).
                    tokio::time::sleep(self.timeout.min(Duration::from_millis(200))).await;
                }
                port.clear(ClearBuffer::Input).map_err(serial_error)?;
                if matches!(self.transport, ModbusTransport::Ascii(_)) {
                    self.garbage.take();
                    let link = AsciiLink::new(port, self.device.clone(), self.garbage.clone());
                    self.ctx = Some(Link::Ascii(link));
                    return Ok(());
                }
                tokio_modbus::client::rtu::attach_slave(port, Slave::broadcast())
            }
        };
        self.ctx = Some(Link::Modbus(ctx));
        Ok(())
    }

    /// Sends one request to `unit` and waits for its answer: the one place requests are issued.
    ///
    /// The exchange, retries included, takes at most the configured timeout: with `retries` = n
    /// the request is sent again after each (n+1)-th of it, so that a silent device is found
    /// within one timeout. On Modbus TCP the retry goes on the same connection and an answer to
    /// any attempt counts (the guard matches transaction ids); on a serial line or RTU over TCP
    /// the connection is reopened first (and a serial line's input flushed), because a late
    /// answer could be taken for the next request's. A timeout on Modbus TCP keeps the connection:
    /// behind a gateway other units may still answer. A transport error on a connection that was
    /// already open is retried once on a new connection, since many devices close idle sockets;
    /// on a fresh connection it fails at once. An exception answer is [`Error::Exception`]; an
    /// answer that is not one is [`Error::Garbage`], counted as a decode error.
    pub(crate) async fn call(
        &mut self,
        unit: u8,
        request: Request<'static>,
    ) -> Result<Response, Error> {
        self.exchange(unit, request, self.retries, None).await
    }

    /// [`Connection::call`] with one attempt of a (n+1)-th of the timeout: for a unit known not
    /// to answer, polled only to notice its return without holding the connection long.
    pub(crate) async fn probe(
        &mut self,
        unit: u8,
        request: Request<'static>,
    ) -> Result<Response, Error> {
        let window = self.timeout / (self.retries.saturating_add(1));
        self.exchange_within(unit, request, 0, None, window).await
    }

    /// [`Connection::call`] for a write of a command: never sent once `deadline` has passed, and
    /// never sent twice. A write whose answer timed out may have been applied (a pulse coil would
    /// act twice), so it is not repeated: the read-back or the operator decides. Only a send on a
    /// socket the device closed while idle goes again on a new connection (it never left), and
    /// only before the deadline.
    pub(crate) async fn call_write(
        &mut self,
        unit: u8,
        request: Request<'static>,
        deadline: Instant,
    ) -> Result<Response, Error> {
        if Instant::now() >= deadline {
            return Err(Error::DeadlinePassed("before the write"));
        }
        self.exchange(unit, request, 0, Some(deadline)).await
    }

    async fn exchange(
        &mut self,
        unit: u8,
        request: Request<'static>,
        retries: u32,
        deadline: Option<Instant>,
    ) -> Result<Response, Error> {
        self.exchange_within(unit, request, retries, deadline, self.timeout)
            .await
    }

    async fn exchange_within(
        &mut self,
        unit: u8,
        request: Request<'static>,
        retries: u32,
        deadline: Option<Instant>,
        budget: Duration,
    ) -> Result<Response, Error> {
        let started = Instant::now();
        let attempts = retries.saturating_add(1);
        let mut attempt = 0u32;
        let mut reopened_after_idle_close = false;
        loop {
            let fresh = self.ctx.is_none();
            if fresh {
                self.connect().await?;
            }
            let guarded = matches!(self.transport, ModbusTransport::Tcp { .. });
            let Some(ctx) = self.ctx.as_mut() else {
                return Err(Error::Transport(std::io::ErrorKind::NotConnected.into()));
            };
            ctx.set_unit(unit);
            self.stats.bump(Counter::Requests);
            // Attempt k of n ends at k/n of the budget, never sooner than 1 ms from now.
            let window_end = started + budget.mul_f64(f64::from(attempt + 1) / f64::from(attempts));
            let window_end = window_end.max(Instant::now() + Duration::from_millis(1));
            let failure = match tokio::time::timeout_at(window_end, ctx.call(request.clone())).await
            {
                Ok(Ok(Ok(response))) => {
                    self.stats.bump(Counter::Responses);
                    return Ok(response);
                }
                Ok(Ok(Err(exception))) => {
                    self.stats.bump(Counter::Responses);
                    self.stats.bump(Counter::Exceptions);
                    return Err(Error::exception(exception));
                }
                Ok(Err(tokio_modbus::Error::Transport(e))) => {
                    self.ctx = None;
                    let in_time = deadline.is_none_or(|d| Instant::now() < d);
                    if !fresh && !reopened_after_idle_close && in_time {
                        reopened_after_idle_close = true;
                        tracing::debug!(device = %self.device, unit, error = %e, "connection closed while idle; reopening");
                        continue;
                    }
                    return Err(Error::Transport(e));
                }
                Ok(Err(tokio_modbus::Error::Protocol(e))) => {
                    // The guard or the ASCII link refused the answer and named why (and logged
                    // it); else tokio-modbus found it does not belong to the request.
                    let named = self.garbage.take();
                    let garbage = named.unwrap_or(Garbage::Mismatch);
                    self.stats.bump(Counter::Responses);
                    self.stats.bump(Counter::DecodeErrors);
                    let detail = named.map_or_else(|| e.to_string(), |_| String::new());
                    fieldbridge_core::throttled!(
                        self.garbage_log,
                        garbage.as_str(),
                        warn,
                        device = %self.device,
                        unit,
                        problem = garbage.as_str(),
                        detail,
                        "garbage answer from the modbus device"
                    );
                    if !guarded {
                        // A serial line: start over clean.
                        self.ctx = None;
                    }
                    return Err(Error::Garbage(garbage));
                }
                Err(_) => {
                    self.stats.bump(Counter::Timeouts);
                    Error::Timeout(budget)
                }
            };
            if !guarded {
                self.ctx = None;
            }
            if attempt + 1 >= attempts {
                return Err(failure);
            }
            attempt += 1;
            tracing::debug!(device = %self.device, unit, attempt, error = %failure, "modbus request failed; retrying");
        }
    }

    /// Reads `count` registers or bits from `start` of `table` on `unit`.
    pub(crate) async fn read(
        &mut self,
        unit: u8,
        table: ModbusTable,
        start: u16,
        count: u16,
    ) -> Result<ReadData, Error> {
        self.read_as(unit, table, start, count, false).await
    }

    /// [`Connection::read`], as a [`Connection::probe`] when `probe` (a unit known not to answer).
    pub(crate) async fn read_as(
        &mut self,
        unit: u8,
        table: ModbusTable,
        start: u16,
        count: u16,
        probe: bool,
    ) -> Result<ReadData, Error> {
        let request = match table {
            ModbusTable::Coil => Request::ReadCoils(start, count),
            ModbusTable::Discrete => Request::ReadDiscreteInputs(start, count),
            ModbusTable::Input => Request::ReadInputRegisters(start, count),
            ModbusTable::Holding => Request::ReadHoldingRegisters(start, count),
        };
        let expected = usize::from(count);
        let answer = if probe {
            self.probe(unit, request).await?
        } else {
            self.call(unit, request).await?
        };
        let (data, got) = match answer {
            Response::ReadCoils(mut bits) | Response::ReadDiscreteInputs(mut bits) => {
                let got = bits.len();
                bits.truncate(expected);
                (ReadData::Bits(bits), got)
            }
            Response::ReadInputRegisters(words) | Response::ReadHoldingRegisters(words) => {
                let got = words.len();
                (ReadData::Words(words), got)
            }
            _ => (ReadData::Words(Vec::new()), 0),
        };
        // Bits come padded to a multiple of 8; registers must match exactly.
        let ok = match &data {
            ReadData::Bits(_) => got >= expected && table.is_bits(),
            ReadData::Words(_) => got == expected && !table.is_bits(),
        };
        if ok {
            Ok(data)
        } else {
            Err(Error::ShortResponse { expected, got })
        }
    }
}

/// The serial port settings of an RTU line.
pub(crate) fn serial_builder(s: &SerialSettings) -> tokio_serial::SerialPortBuilder {
    let parity = match s.parity {
        Parity::None => tokio_serial::Parity::None,
        Parity::Even => tokio_serial::Parity::Even,
        Parity::Odd => tokio_serial::Parity::Odd,
    };
    let data_bits = match s.data_bits {
        5 => tokio_serial::DataBits::Five,
        6 => tokio_serial::DataBits::Six,
        7 => tokio_serial::DataBits::Seven,
        _ => tokio_serial::DataBits::Eight,
    };
    let stop_bits = if s.stop_bits == 2 {
        tokio_serial::StopBits::Two
    } else {
        tokio_serial::StopBits::One
    };
    tokio_serial::new(s.path.as_str(), s.baud)
        .parity(parity)
        .data_bits(data_bits)
        .stop_bits(stop_bits)
}

/// A TCP connection to `address` within the request timeout.
async fn open_tcp(
    device: &str,
    timeout: Duration,
    address: &str,
) -> Result<tokio::net::TcpStream, Error> {
    let stream = match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(address)).await
    {
        Ok(Ok(s)) => s,
        Ok(Err(source)) => {
            return Err(Error::Connect {
                address: address.to_owned(),
                source,
            })
        }
        Err(_) => {
            return Err(Error::ConnectTimeout {
                address: address.to_owned(),
                timeout,
            })
        }
    };
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(device = %device, error = %e, "cannot set TCP_NODELAY");
    }
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_settings_map_onto_the_port_builder() {
        let s = SerialSettings {
            path: "/dev/ttyX".into(),
            baud: 9600,
            parity: Parity::Odd,
            data_bits: 7,
            stop_bits: 2,
        };
        let b = format!("{:?}", serial_builder(&s));
        for expected in ["/dev/ttyX", "9600", "Odd", "Seven", "Two"] {
            assert!(b.contains(expected), "{expected} missing from {b}");
        }
    }
}

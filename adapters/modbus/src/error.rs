//! The crate's one error type.

use std::io;
use std::time::Duration;

use tokio_modbus::ExceptionCode;

/// Everything that can go wrong between the bridge and a Modbus device.
///
/// Decode failures ([`Error::NotFinite`], [`Error::InvalidUtf8`], [`Error::MissingData`]) make a
/// point's quality bad; exceptions make the points of the request bad while the device stays online;
/// every other variant means the device is unreachable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A write of a command was not sent: its deadline had passed (`docs/commands.md`).
    #[error("not sent: the command's deadline passed {0}")]
    DeadlinePassed(&'static str),
    /// `host:port` could not be resolved or connected.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// The configured address.
        address: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The TCP connection was not established within the request timeout.
    #[error("no connection to {address} within {timeout:?}")]
    ConnectTimeout {
        /// The configured address.
        address: String,
        /// The time allowed.
        timeout: Duration,
    },
    /// The serial port could not be opened.
    #[error("cannot open serial port {path}: {source}")]
    Serial {
        /// The device path.
        path: String,
        /// Why.
        #[source]
        source: tokio_serial::Error,
    },
    /// No answer within the request timeout, on every attempt.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection failed (reset, closed, broken pipe).
    #[error("transport: {0}")]
    Transport(#[source] io::Error),
    /// The answer did not belong to the request (a late answer, a wrong function or unit).
    #[error("protocol: {0}")]
    Protocol(#[source] tokio_modbus::ProtocolError),
    /// The device answered with a Modbus exception (Modbus Application Protocol V1.1b3 §7).
    #[error("modbus exception {code:#04x}: {exception}")]
    Exception {
        /// The exception code on the wire.
        code: u8,
        /// The exception.
        exception: ExceptionCode,
    },
    /// The answer had fewer values than requested, or the wrong kind.
    #[error("answer has {got} values where {expected} were requested")]
    ShortResponse {
        /// Values requested.
        expected: usize,
        /// Values received.
        got: usize,
    },
    /// The device answered a write with a function or echo that does not belong to it.
    #[error("unexpected answer to {function}: {answer}")]
    UnexpectedAnswer {
        /// The function sent (`fc6`, ...).
        function: &'static str,
        /// What came back.
        answer: String,
    },
    /// A float is NaN or infinite (before or after scale and offset).
    #[error("value {0} is not finite")]
    NotFinite(f64),
    /// A string is not valid UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// Fewer registers were given to the decoder than the type spans (a bug in the plan).
    #[error("{got} registers given where the type needs {needed}")]
    MissingData {
        /// Registers the type spans.
        needed: usize,
        /// Registers given.
        got: usize,
    },
    /// The device answered something that is not a Modbus answer to the request.
    #[error("garbage answer: {}", .0.as_str())]
    Garbage(Garbage),
    /// The event channel is closed: the bridge is shutting down.
    #[error("event channel closed")]
    ChannelClosed,
}

/// What is wrong with an answer that is not a Modbus answer to the request sent (Modbus
/// Messaging on TCP/IP Implementation Guide V1.0b §3.1.3 for the MBAP header; Modbus Application
/// Protocol V1.1b3 §6 and §7 for the PDU).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Garbage {
    /// The MBAP protocol identifier is not 0: not Modbus TCP at all (random bytes).
    ProtocolId,
    /// The MBAP length is outside 2..=254.
    Length,
    /// The transaction id is not the request's, nor that of an earlier request.
    TransactionId,
    /// The unit id is not the request's.
    UnitId,
    /// The function code is neither the request's nor its exception code.
    FunctionCode,
    /// The byte count does not match the bytes that follow it.
    ByteCount,
    /// The byte count does not match the quantity requested.
    Quantity,
    /// The PDU is too short or too long for its function code.
    PduLength,
    /// The answer does not belong to the request (a serial line's mismatch, found by tokio-modbus).
    Mismatch,
}

impl Garbage {
    /// The problem's name, as logged (`problem = "wrong transaction id"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Garbage::ProtocolId => "protocol id not 0",
            Garbage::Length => "length out of range",
            Garbage::TransactionId => "wrong transaction id",
            Garbage::UnitId => "wrong unit id",
            Garbage::FunctionCode => "wrong function code",
            Garbage::ByteCount => "byte count does not match",
            Garbage::Quantity => "wrong quantity",
            Garbage::PduLength => "wrong PDU length",
            Garbage::Mismatch => "answer does not match the request",
        }
    }
}

impl Error {
    /// An exception answer from the device.
    pub fn exception(exception: ExceptionCode) -> Self {
        Error::Exception {
            code: u8::from(exception),
            exception,
        }
    }

    /// Whether the device answered (an exception or an undecodable answer): it is still online.
    ///
    /// The gateway exceptions 0x0A (GATEWAY PATH UNAVAILABLE) and 0x0B (GATEWAY TARGET DEVICE
    /// FAILED TO RESPOND, Modbus Application Protocol §7) come from a gateway on behalf of a device
    /// it cannot reach: the device did not answer, so they count as a communication failure.
    pub fn device_answered(&self) -> bool {
        match self {
            Error::Exception { code, .. } => !matches!(code, 0x0A | 0x0B),
            Error::ShortResponse { .. } | Error::UnexpectedAnswer { .. } | Error::Garbage(_) => {
                true
            }
            _ => false,
        }
    }

    /// Whether this unit did not answer while the connection works: a timeout, or a gateway's
    /// exception 0x0A (GATEWAY PATH UNAVAILABLE) or 0x0B (GATEWAY TARGET DEVICE FAILED TO RESPOND,
    /// Modbus Application Protocol V1.1b3 §7). Other units behind the same connection may answer.
    pub fn unit_silent(&self) -> bool {
        match self {
            Error::Exception { code, .. } => matches!(code, 0x0A | 0x0B),
            Error::Timeout(_) => true,
            _ => false,
        }
    }

    /// A short reason for `$state`, such as `timeout` or `connection refused`.
    pub fn reason(&self) -> String {
        fn io_reason(e: &io::Error) -> String {
            match e.kind() {
                io::ErrorKind::ConnectionRefused => "connection refused".into(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                    "connection reset".into()
                }
                io::ErrorKind::UnexpectedEof
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::NotConnected => "connection closed".into(),
                // tokio-modbus reports a TCP end of stream as the last OS error, often errno 0.
                _ if e.raw_os_error() == Some(0) => "connection closed".into(),
                io::ErrorKind::TimedOut => "timeout".into(),
                _ => e.to_string(),
            }
        }
        match self {
            Error::Connect { source, .. } | Error::Transport(source) => io_reason(source),
            Error::ConnectTimeout { .. } | Error::Timeout(_) => "timeout".into(),
            Error::Serial { source, .. } => format!("serial port: {source}"),
            Error::Protocol(_) => "protocol error".into(),
            Error::Exception { code: 0x0A, .. } => "gateway path unavailable".into(),
            Error::Exception { code: 0x0B, .. } => "gateway target device failed to respond".into(),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_short_words_for_the_common_failures() {
        let refused = Error::Connect {
            address: "127.0.0.1:1".into(),
            source: io::Error::from(io::ErrorKind::ConnectionRefused),
        };
        assert_eq!(refused.reason(), "connection refused");
        assert_eq!(Error::Timeout(Duration::from_millis(5)).reason(), "timeout");
        assert_eq!(
            Error::Transport(io::Error::from_raw_os_error(0)).reason(),
            "connection closed"
        );
        assert_eq!(
            Error::Transport(io::Error::from(io::ErrorKind::ConnectionReset)).reason(),
            "connection reset"
        );
    }

    #[test]
    fn exceptions_keep_their_wire_code_and_mean_the_device_answered() {
        let e = Error::exception(ExceptionCode::IllegalDataAddress);
        assert!(matches!(e, Error::Exception { code: 2, .. }));
        assert!(e.device_answered());
        assert!(!Error::Timeout(Duration::ZERO).device_answered());
    }
}

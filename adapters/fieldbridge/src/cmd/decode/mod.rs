//! `fieldbridge decode`: Modbus frames from hex or from a capture, one JSON object per frame on
//! stdout, so an engineer can read a capture from site without Wireshark.
//!
//! ```text
//! fieldbridge decode --protocol modbus-tcp --pcap site.pcapng [--port 5020]
//! fieldbridge decode --protocol modbus-rtu --hex "01 03 00 00 00 02 C4 0B"
//! fieldbridge decode --protocol modbus-ascii --response --hex ":0103020001F9"
//! ```
//!
//! From a capture, every line starts with `frame` (the number, as Wireshark counts, of the packet
//! that carried the frame's last bytes), `time` (its capture time, RFC 3339 UTC with
//! microseconds), `src` and `dst`. Every line holds the frame's fields with their standard names
//! (see `modbus_json`); a frame that does not decode gives a line with `error` (the codec's
//! message, with its byte offset), `error_offset`, `error_in` and the `raw` bytes, and decoding
//! goes on with the next frame.
//! Exit code 0 when the input was read (even with frame errors), 1 when it could not be read or is
//! not a capture, 2 for a usage mistake.

mod json;
mod modbus_json;
mod modbus_tcp;
mod net;
mod pcap;
mod tcp_stream;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgGroup, Args, ValueEnum};
use fieldbridge_modbus::{ascii, rtu, tcp, Error};

use json::{hex, Obj};
use modbus_json::{error_fields, pdu_fields, Direction};

/// The framings `decode` reads; the variants are the command-line values (`modbus-tcp`, ...),
/// and other protocols will join them.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Protocol {
    /// Modbus TCP: MBAP header and PDU (`--hex` or `--pcap`).
    ModbusTcp,
    /// Modbus RTU: address, PDU, CRC (`--hex` only).
    ModbusRtu,
    /// Modbus ASCII: ':', hex digits, LRC, CR LF (`--hex` only).
    ModbusAscii,
}

/// Options of `decode`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("input").required(true).args(["hex", "pcap"])))]
pub(crate) struct DecodeArgs {
    /// The protocol.
    #[arg(long, value_enum)]
    protocol: Protocol,
    /// Frames as hex, spaces allowed (e.g. "00 01 00 00 00 06 01 03 00 00 00 02"). For
    /// modbus-ascii, the frame as text starting with ':' works too.
    #[arg(long, conflicts_with = "pcap")]
    hex: Option<String>,
    /// A pcap or pcapng capture (modbus-tcp only).
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// The Modbus server's TCP port in the capture: only connections using it are decoded.
    /// Default: 502 if a connection uses it, else the side that received the first SYN, else the
    /// lower port.
    #[arg(long, requires = "pcap", conflicts_with = "hex")]
    port: Option<u16>,
    /// `--hex` holds responses (server to client), not requests.
    #[arg(long, conflicts_with = "pcap")]
    response: bool,
}

/// Runs `decode`: prints the lines, notes and errors on stderr, and returns the exit code.
pub(crate) fn run(args: &DecodeArgs) -> ExitCode {
    let mut out = Output::default();
    let result = match (&args.hex, &args.pcap) {
        (Some(text), _) => decode_hex(args.protocol, text, args.response, &mut out),
        (None, Some(path)) => decode_pcap(args.protocol, path, args.port, &mut out),
        (None, None) => Err(Failure::Usage("give --hex or --pcap".to_owned())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(message)) => {
            eprintln!("fieldbridge decode: {message}");
            ExitCode::FAILURE
        }
        Err(Failure::Usage(message)) => {
            eprintln!("fieldbridge decode: {message}");
            ExitCode::from(2)
        }
    }
}

/// Why `decode` stops.
#[derive(Debug)]
enum Failure {
    /// The input cannot be read: exit code 1.
    Input(String),
    /// The command line asks for something `decode` does not do: exit code 2.
    Usage(String),
}

/// Lines to stdout; stops quietly when stdout is closed (`| head`).
#[derive(Debug, Default)]
struct Output {
    closed: bool,
}

impl Output {
    /// Prints one object as a line.
    fn line(&mut self, obj: &Obj) {
        if !self.closed {
            let mut stdout = std::io::stdout().lock();
            self.closed = writeln!(stdout, "{}", obj.to_line()).is_err();
        }
    }
}

/// Decodes a capture's Modbus TCP frames.
fn decode_pcap(
    protocol: Protocol,
    path: &Path,
    port: Option<u16>,
    out: &mut Output,
) -> Result<(), Failure> {
    if protocol != Protocol::ModbusTcp {
        return Err(Failure::Usage(
            "--pcap reads modbus-tcp only: Modbus RTU and ASCII captured on a serial line are out of \
             scope (decode their frames with --hex)"
                .to_owned(),
        ));
    }
    let capture = pcap::read(path).map_err(|e| Failure::Input(e.to_string()))?;
    let decoded = modbus_tcp::decode(&capture.packets, port);
    for line in &decoded.lines {
        out.line(line);
    }
    for note in &decoded.notes {
        eprintln!("fieldbridge decode: note: {note}");
    }
    match capture.error {
        Some(e) => Err(Failure::Input(e.to_string())),
        None => Ok(()),
    }
}

/// Decodes the frames of a hex string.
fn decode_hex(
    protocol: Protocol,
    text: &str,
    response: bool,
    out: &mut Output,
) -> Result<(), Failure> {
    let direction = if response {
        Direction::Response
    } else {
        Direction::Request
    };
    let trimmed = text.trim();
    let bytes = if protocol == Protocol::ModbusAscii && trimmed.starts_with(':') {
        let mut frame = trimmed.as_bytes().to_vec();
        if !frame.ends_with(b"\r\n") {
            frame.extend_from_slice(b"\r\n");
        }
        frame
    } else {
        parse_hex(trimmed).map_err(Failure::Input)?
    };
    let mut rest = bytes.as_slice();
    while !rest.is_empty() {
        let (obj, used) = match hex_frame(protocol, rest, direction) {
            Ok(Some((obj, used))) => (obj, Some(used)),
            Ok(None) => {
                let mut obj = Obj::new();
                obj.put(
                    "error",
                    format!(
                        "the input ends inside a frame: {} {} not a whole frame",
                        count(rest.len(), "byte"),
                        if rest.len() == 1 { "is" } else { "are" }
                    ),
                )
                .put("raw", hex(rest));
                (obj, None)
            }
            Err(e) => {
                let mut obj = Obj::new();
                error_fields(&mut obj, &e, framing_name(protocol), rest);
                (obj, None)
            }
        };
        out.line(&obj);
        match used {
            Some(used) => rest = rest.get(used..).unwrap_or_default(),
            None => break,
        }
    }
    Ok(())
}

/// What a framing error is in, for `error_in`.
fn framing_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::ModbusTcp => "mbap",
        Protocol::ModbusRtu => "rtu",
        Protocol::ModbusAscii => "ascii",
    }
}

/// One frame from the start of `buf`: its line and its length, `None` when `buf` ends inside it.
fn hex_frame(
    protocol: Protocol,
    buf: &[u8],
    direction: Direction,
) -> Result<Option<(Obj, usize)>, Error> {
    let mut obj = Obj::new();
    match protocol {
        Protocol::ModbusTcp => {
            let Some((frame, used)) = tcp::decode(buf)? else {
                return Ok(None);
            };
            obj.put("transaction_id", frame.header.transaction_id)
                .put("protocol_id", tcp::PROTOCOL_ID)
                .put("length", frame.pdu.len() + 1)
                .put("unit_id", frame.header.unit_id);
            pdu_fields(&mut obj, frame.pdu, direction, None, None);
            Ok(Some((obj, used)))
        }
        Protocol::ModbusRtu => {
            let rtu_direction = match direction {
                Direction::Request => rtu::Direction::Request,
                Direction::Response => rtu::Direction::Response,
            };
            let Some((frame, used)) = rtu::decode(buf, rtu_direction)? else {
                return Ok(None);
            };
            let crc = buf
                .get(used.saturating_sub(2)..used)
                .map_or(0, |c| u16::from_le_bytes([c[0], c[1]]));
            obj.put("unit_id", frame.address);
            pdu_fields(&mut obj, frame.pdu, direction, None, None);
            obj.put("crc", format!("{crc:#06x}"));
            Ok(Some((obj, used)))
        }
        Protocol::ModbusAscii => {
            let Some((frame, used)) = ascii::decode(buf)? else {
                return Ok(None);
            };
            let lrc = buf
                .get(used.saturating_sub(4)..used.saturating_sub(2))
                .and_then(|d| std::str::from_utf8(d).ok())
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .unwrap_or(0);
            obj.put("unit_id", frame.address);
            pdu_fields(&mut obj, frame.pdu(), direction, None, None);
            obj.put("lrc", format!("{lrc:#04x}"));
            Ok(Some((obj, used)))
        }
    }
}

/// "1 byte", "2 bytes".
pub(crate) fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// Hex digits to bytes; whitespace, ':' and '-' between bytes are ignored, as is a leading "0x".
fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':' && *c != '-')
        .collect();
    if digits.is_empty() {
        return Err("--hex is empty".to_owned());
    }
    hex::decode(&digits).map_err(|e| format!("--hex is not hex: {e}"))
}

//! `fieldbridge decode`: Modbus, IEC 60870-5-104/-101 and DLMS/COSEM frames from hex or from a
//! capture, one JSON object per frame on stdout, so an engineer can read a capture from site
//! without Wireshark.
//!
//! ```text
//! fieldbridge decode --protocol modbus-tcp --pcap site.pcapng [--port 5020]
//! fieldbridge decode --protocol modbus-rtu --hex "01 03 00 00 00 02 C4 0B"
//! fieldbridge decode --protocol modbus-ascii --response --hex ":0103020001F9"
//! fieldbridge decode --protocol iec104 --pcap site.pcapng [--port 2404] [--cot-size 2 ...]
//! fieldbridge decode --protocol iec101 --hex "10 49 01 4A 16 E5" [--link-address-size 1]
//! fieldbridge decode --protocol iec101 --pcap ft12-in-tcp.pcap --port 2405
//! fieldbridge decode --protocol iec101 --serial-dump captures/iec101/unbalanced.hex
//! fieldbridge decode --protocol dlms-wrapper --pcap meter.pcapng [--port 4059] [--keys keys.json]
//! fieldbridge decode --protocol dlms-hdlc --hex "7E A0 08 02 23 21 93 BD 64 7E"
//! fieldbridge decode --protocol dlms-hdlc --pcap hdlc-in-tcp.pcapng --encryption-key-file ek \
//!     --authentication-key-file ak
//! ```
//!
//! From a capture, every line starts with `frame` (the number, as Wireshark counts, of the packet
//! that carried the frame's last bytes), `time` (its capture time, RFC 3339 UTC with
//! microseconds), `src` and `dst` (and, for IEC and DLMS, `from`: `server` or `client`). From
//! `--hex`, IEC and DLMS lines start with `offset`, where the frame starts in the input; from `--serial-dump`,
//! with `line` and `offset` in that line, and `from` (`master` or `slave`) where the line says. Every line holds the
//! frame's fields with their standard names (see `modbus_json`, `iec_json` and the `dlms*`
//! modules: the HDLC or wrapper header, then the APDU, deciphered with `--keys`); a frame that does
//! not decode gives a line with `error` (the codec's message, with its byte offset),
//! `error_offset` (counted from the first byte of `raw`), `error_in` and the `raw` bytes, and
//! decoding goes on with the next frame.
//! Exit code 0 when the input was read (even with frame errors), 1 when it could not be read or is
//! not a capture, 2 for a usage mistake.

mod connections;
mod dlms;
mod dlms_apdu;
mod dlms_assoc;
mod dlms_cipher;
mod dlms_data;
mod dlms_hdlc;
mod dlms_keys;
mod dlms_wrapper;
mod iec101;
mod iec104;
mod iec_file_json;
mod iec_json;
mod iec_tcp;
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
use fieldbridge_iec60870::asdu::{CaLen, CotLen, IoaLen};
use fieldbridge_iec60870::ft12::{AddressLen, LinkConfig};
use fieldbridge_iec60870::AsduConfig;
use fieldbridge_modbus::{ascii, rtu, tcp, Error};

use connections::Decoded;
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
    /// IEC 60870-5-104: APCI and ASDU (`--hex` or `--pcap`; port 2404 unless `--port`).
    Iec104,
    /// IEC 60870-5-101: FT1.2 frames, as a serial dump (`--hex`) or carried in TCP (`--pcap`).
    Iec101,
    /// DLMS/COSEM over HDLC (IEC 62056-46): a serial dump (`--hex`) or HDLC carried in TCP
    /// (`--pcap`).
    DlmsHdlc,
    /// DLMS/COSEM over the TCP wrapper (IEC 62056-47): `--hex` or `--pcap` (port 4059 unless
    /// `--port`).
    DlmsWrapper,
}

impl Protocol {
    /// Whether this is one of the IEC 60870-5 framings.
    fn is_iec(self) -> bool {
        matches!(self, Self::Iec104 | Self::Iec101)
    }

    /// Whether this is one of the DLMS/COSEM framings.
    fn is_dlms(self) -> bool {
        matches!(self, Self::DlmsHdlc | Self::DlmsWrapper)
    }

    /// The DLMS transport, for the DLMS framings.
    fn dlms_transport(self) -> Option<dlms::Transport> {
        match self {
            Self::DlmsHdlc => Some(dlms::Transport::Hdlc),
            Self::DlmsWrapper => Some(dlms::Transport::Wrapper),
            _ => None,
        }
    }
}

/// Options of `decode`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("input").required(true).args(["hex", "pcap", "serial_dump"])))]
pub(crate) struct DecodeArgs {
    /// The protocol.
    #[arg(long, value_enum)]
    protocol: Protocol,
    /// Frames as hex, spaces allowed (e.g. "00 01 00 00 00 06 01 03 00 00 00 02"). For
    /// modbus-ascii, the frame as text starting with ':' works too.
    #[arg(long, conflicts_with = "pcap")]
    hex: Option<String>,
    /// A pcap or pcapng capture (modbus-tcp, iec104, iec101, dlms-hdlc, dlms-wrapper).
    #[arg(long)]
    pcap: Option<PathBuf>,
    /// A serial-line dump as a text file (iec101): hex octets, lines starting with `#` are
    /// comments, and a line may start with `M` (sent by the master) or `S` (by the slave), as
    /// in `captures/iec101/*.hex`. Each line is framed on its own.
    #[arg(long)]
    serial_dump: Option<PathBuf>,
    /// The server's TCP port in the capture: only connections using it are decoded. Default:
    /// 502 (Modbus), 2404 (IEC 104) or 4059 (DLMS wrapper) if a connection uses it, else the
    /// side that received the first SYN, else the lower port.
    #[arg(long, requires = "pcap", conflicts_with = "hex")]
    port: Option<u16>,
    /// `--hex` holds responses (server to client), not requests (Modbus).
    #[arg(long, conflicts_with = "pcap")]
    response: bool,
    /// IEC: octets of the cause of transmission, 1 or 2 (with the originator address).
    /// Default 2 for iec104, 1 for iec101.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    cot_size: Option<u8>,
    /// IEC: octets of the common address of the ASDU, 1 or 2. Default 2 for iec104, 1 for
    /// iec101.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    ca_size: Option<u8>,
    /// IEC: octets of the information object address, 1, 2 or 3. Default 3 for iec104, 2 for
    /// iec101.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=3))]
    ioa_size: Option<u8>,
    /// IEC 101: octets of the link address, 0, 1 or 2. Default 1.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=2))]
    link_address_size: Option<u8>,
    /// DLMS: a keys file to decipher ciphered APDUs with, JSON or TOML, hex strings:
    /// `block_cipher_key` (or `encryption_key`: the global unicast key), `authentication_key`,
    /// optional `global_broadcast_key` and `dedicated_key`, and the system titles
    /// `client_system_title` and `server_system_title` (used when no AARQ/AARE gives them), as
    /// in captures/dlms/keys.json.
    #[arg(long)]
    keys: Option<PathBuf>,
    /// DLMS: a file holding the global unicast encryption key, 16 bytes as hex (the format of the
    /// configuration's `encryption_key_file`).
    #[arg(long)]
    encryption_key_file: Option<PathBuf>,
    /// DLMS: a file holding the authentication key, 16 bytes as hex (the configuration's
    /// `authentication_key_file`).
    #[arg(long)]
    authentication_key_file: Option<PathBuf>,
}

impl DecodeArgs {
    /// The ASDU field sizes: the options, else the protocol's defaults (those of Wireshark:
    /// 2/2/3 for 104, 1/1/2 for 101).
    fn asdu_config(&self) -> AsduConfig {
        let (cot, ca, ioa) = match self.protocol {
            Protocol::Iec101 => (1, 1, 2),
            _ => (2, 2, 3),
        };
        let cot = match self.cot_size.unwrap_or(cot) {
            1 => CotLen::One,
            _ => CotLen::Two,
        };
        let ca = match self.ca_size.unwrap_or(ca) {
            1 => CaLen::One,
            _ => CaLen::Two,
        };
        let ioa = match self.ioa_size.unwrap_or(ioa) {
            1 => IoaLen::One,
            2 => IoaLen::Two,
            _ => IoaLen::Three,
        };
        AsduConfig::new(cot, ca, ioa)
    }

    /// The 101 link configuration.
    fn link_config(&self) -> LinkConfig {
        LinkConfig::new(match self.link_address_size.unwrap_or(1) {
            0 => AddressLen::Zero,
            1 => AddressLen::One,
            _ => AddressLen::Two,
        })
    }

    /// A usage mistake in the combination of options, if any.
    fn misuse(&self) -> Option<String> {
        let iec_options = [
            ("--cot-size", self.cot_size.is_some()),
            ("--ca-size", self.ca_size.is_some()),
            ("--ioa-size", self.ioa_size.is_some()),
            ("--link-address-size", self.link_address_size.is_some()),
        ];
        let dlms_options = [
            ("--keys", self.keys.is_some()),
            ("--encryption-key-file", self.encryption_key_file.is_some()),
            (
                "--authentication-key-file",
                self.authentication_key_file.is_some(),
            ),
        ];
        if !self.protocol.is_iec() {
            if let Some((name, _)) = iec_options.iter().find(|(_, given)| *given) {
                return Some(format!("{name} is an option of iec104 and iec101"));
            }
        }
        if !self.protocol.is_dlms() {
            if let Some((name, _)) = dlms_options.iter().find(|(_, given)| *given) {
                return Some(format!("{name} is an option of dlms-hdlc and dlms-wrapper"));
            }
        }
        if (self.protocol.is_iec() || self.protocol.is_dlms()) && self.response {
            return Some("--response is an option of the Modbus framings".to_owned());
        }
        if self.serial_dump.is_some() && self.protocol != Protocol::Iec101 {
            return Some("--serial-dump is an input of iec101".to_owned());
        }
        if self.protocol == Protocol::Iec104 && self.link_address_size.is_some() {
            return Some(
                "--link-address-size is an option of iec101 (104 has no link address)".to_owned(),
            );
        }
        None
    }
}

/// Runs `decode`: prints the lines, notes and errors on stderr, and returns the exit code.
pub(crate) fn run(args: &DecodeArgs) -> ExitCode {
    let mut out = Output::default();
    let result = match (&args.hex, &args.pcap, args.misuse()) {
        (_, _, Some(message)) => Err(Failure::Usage(message)),
        (None, None, None) if args.serial_dump.is_some() => {
            decode_serial_dump(args, args.serial_dump.as_deref(), &mut out)
        }
        (Some(text), _, None) if args.protocol.is_dlms() => decode_dlms_hex(args, text, &mut out),
        (None, Some(path), None) if args.protocol.is_dlms() => {
            decode_dlms_pcap(args, path, &mut out)
        }
        (Some(text), _, None) if args.protocol.is_iec() => decode_iec_hex(args, text, &mut out),
        (None, Some(path), None) if args.protocol.is_iec() => decode_iec_pcap(args, path, &mut out),
        (Some(text), _, None) => decode_hex(args.protocol, text, args.response, &mut out),
        (None, Some(path), None) => decode_pcap(args.protocol, path, args.port, &mut out),
        (None, None, None) => Err(Failure::Usage(
            "give --hex, --pcap or --serial-dump".to_owned(),
        )),
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

/// The framing of an IEC protocol; `resync` after a 104 framing error (hex input).
fn iec_framing(args: &DecodeArgs, resync: bool) -> Box<dyn iec_tcp::Framing> {
    match args.protocol {
        Protocol::Iec101 => Box::new(iec101::Ft12Frames {
            link: args.link_config(),
            config: args.asdu_config(),
        }),
        _ => Box::new(iec104::Apdus {
            config: args.asdu_config(),
            resync,
        }),
    }
}

/// The DLMS keys the options name, if any.
fn dlms_keys(args: &DecodeArgs) -> Result<Option<dlms_keys::KeySet>, Failure> {
    dlms_keys::load(
        args.keys.as_deref(),
        args.encryption_key_file.as_deref(),
        args.authentication_key_file.as_deref(),
    )
    .map_err(Failure::Input)
}

/// Decodes the DLMS HDLC frames or wrapper PDUs of a hex string.
fn decode_dlms_hex(args: &DecodeArgs, text: &str, out: &mut Output) -> Result<(), Failure> {
    let keys = dlms_keys(args)?;
    let buf = parse_hex(text.trim()).map_err(Failure::Input)?;
    let Some(transport) = args.protocol.dlms_transport() else {
        return Ok(());
    };
    for line in dlms::decode_hex(buf, transport, keys.as_ref()) {
        out.line(&line);
    }
    Ok(())
}

/// Decodes a capture's DLMS wrapper PDUs, or HDLC frames carried in TCP.
fn decode_dlms_pcap(args: &DecodeArgs, path: &Path, out: &mut Output) -> Result<(), Failure> {
    let keys = dlms_keys(args)?;
    let capture = pcap::read(path).map_err(|e| Failure::Input(e.to_string()))?;
    let Some(transport) = args.protocol.dlms_transport() else {
        return Ok(());
    };
    let decoded = dlms::decode_capture(&capture.packets, args.port, transport, keys.as_ref());
    print_capture(&decoded, capture.error, out)
}

/// Decodes a capture's IEC 104 APDUs, or FT1.2 frames carried in TCP.
fn decode_iec_pcap(args: &DecodeArgs, path: &Path, out: &mut Output) -> Result<(), Failure> {
    let capture = pcap::read(path).map_err(|e| Failure::Input(e.to_string()))?;
    let (registered, name) = match args.protocol {
        Protocol::Iec101 => (None, "IEC 101 FT1.2 frames"),
        _ => (Some(iec104::IEC104_PORT), "IEC 104"),
    };
    let mut framing = iec_framing(args, false);
    let decoded = iec_tcp::decode(
        &capture.packets,
        args.port,
        registered,
        name,
        framing.as_mut(),
    );
    print_capture(&decoded, capture.error, out)
}

/// Prints what a capture decoded to; the damage that stopped reading it, if any, is the error.
fn print_capture(
    decoded: &Decoded,
    error: Option<pcap::ReadError>,
    out: &mut Output,
) -> Result<(), Failure> {
    for line in &decoded.lines {
        out.line(line);
    }
    for note in &decoded.notes {
        eprintln!("fieldbridge decode: note: {note}");
    }
    match error {
        Some(e) => Err(Failure::Input(e.to_string())),
        None => Ok(()),
    }
}

/// Decodes a 101 serial-line dump (`--serial-dump`): each line on its own, with its direction.
fn decode_serial_dump(
    args: &DecodeArgs,
    path: Option<&Path>,
    out: &mut Output,
) -> Result<(), Failure> {
    let Some(path) = path else {
        return Err(Failure::Usage("give --serial-dump FILE".to_owned()));
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("{}: {e}", path.display())))?;
    let mut framing = iec_framing(args, true);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (from, octets) = match line.split_once(char::is_whitespace) {
            Some(("M", rest)) => (Some("master"), rest),
            Some(("S", rest)) => (Some("slave"), rest),
            _ => (None, line),
        };
        let buf = parse_hex(octets.trim())
            .map_err(|e| Failure::Input(format!("{}:{}: {e}", path.display(), n + 1)))?;
        let at = |offset: usize| {
            let mut obj = Obj::new();
            obj.put("line", n + 1).put("offset", offset);
            if let Some(from) = from {
                obj.put("from", from);
            }
            obj
        };
        print_iec_frames(framing.as_mut(), buf, &at, "line", args.protocol, out);
    }
    Ok(())
}

/// Decodes the IEC frames of a hex string (a 101 serial dump, or 104 APDUs one after the other).
fn decode_iec_hex(args: &DecodeArgs, text: &str, out: &mut Output) -> Result<(), Failure> {
    let buf = parse_hex(text.trim()).map_err(Failure::Input)?;
    let mut framing = iec_framing(args, true);
    let at = |offset: usize| {
        let mut obj = Obj::new();
        obj.put("offset", offset);
        obj
    };
    print_iec_frames(framing.as_mut(), buf, &at, "input", args.protocol, out);
    Ok(())
}

/// Prints the IEC frames of the whole `input` ("input", "line") `buf`, each line starting with
/// what `at` gives for its offset; then the error line for bytes that start a frame the input
/// cuts short.
fn print_iec_frames(
    framing: &mut dyn iec_tcp::Framing,
    mut buf: Vec<u8>,
    at: &dyn Fn(usize) -> Obj,
    input: &str,
    protocol: Protocol,
    out: &mut Output,
) {
    let total = buf.len();
    let mut lines = Vec::new();
    framing.frames(&mut buf, at, true, &mut lines);
    for line in &lines {
        out.line(line);
    }
    if !buf.is_empty() {
        let mut obj = at(total - buf.len());
        obj.put("error", cut_short(input, &buf))
            .put("error_in", framing_name(protocol))
            .put("raw", hex(&buf));
        out.line(&obj);
    }
}

/// The error for the `rest` of an `input` ("input", "line") that starts a frame and ends before
/// it does.
fn cut_short(input: &str, rest: &[u8]) -> String {
    format!(
        "the {input} ends inside a frame: {} {} not a whole frame",
        count(rest.len(), "byte"),
        if rest.len() == 1 { "is" } else { "are" }
    )
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
    print_capture(&decoded, capture.error, out)
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
                obj.put("error", cut_short("input", rest))
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
        Protocol::Iec104 => "apci",
        Protocol::Iec101 => "ft12",
        Protocol::DlmsHdlc => "hdlc",
        Protocol::DlmsWrapper => "wrapper",
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
        // `decode_iec_hex` and `decode_dlms_hex` read these.
        Protocol::Iec104 | Protocol::Iec101 | Protocol::DlmsHdlc | Protocol::DlmsWrapper => {
            Ok(None)
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

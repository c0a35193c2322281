//! Benchmarks of the fieldbridge codecs, and the peer implementations they are compared with.
//!
//! This crate is not published. It holds the workloads shared by the criterion bench
//! (`benches/modbus_decode.rs`) and the report binary (`src/bin/codec_report.rs`), so that both
//! time exactly the same code:
//!
//! - the frames: a Modbus TCP FC3 (Read Holding Registers) response carrying 125 registers, the
//!   most one read may return, and an FC16 (Write Multiple Registers) request carrying 123
//!   registers, the most one write may carry. Both are 259 bytes: a 7-byte MBAP header and a
//!   252-byte PDU;
//! - one decode function per implementation and frame kind, each doing the same work (see
//!   [`fieldbridge`] and [`sawp_peer`]);
//! - [`verify`], run before any timing, which checks that both implementations accept each frame
//!   and hand back the same register values, so a peer that silently fails cannot look fast.
//!
//! [`iec`] holds the same for IEC 60870-5-104 I frames (fieldbridge's view and owned form, the
//! `iec104` crate), used by the `iec_report` binary, which also runs lib60870-C as a separate
//! program. [`counting_alloc`] and [`report`] hold what the two report binaries share; [`load`],
//! [`bare`], [`procfs`] and [`scrape`] what the end-to-end and scale reports share.
//!
//! `unsafe` is denied, and allowed on one item only: the `GlobalAlloc` impl of
//! [`counting_alloc::CountingAlloc`].

#![deny(unsafe_code)]

pub mod bare;
pub mod counting_alloc;
pub mod dlms;
pub mod iec;
pub mod load;
pub mod process;
pub mod procfs;
pub mod report;
pub mod scrape;

use fieldbridge_modbus::{tcp, Registers, Request, Response};

/// Registers in the FC3 response: the specification's maximum for one read (§6.3).
pub const FC3_REGISTERS: usize = 125;
/// Registers in the FC16 request: the specification's maximum for one write (§6.12).
pub const FC16_REGISTERS: usize = 123;
/// The start address written by the FC16 request.
pub const FC16_ADDRESS: u16 = 0x1000;

/// The frame kinds measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// An FC3 response with [`FC3_REGISTERS`] registers, server to client.
    Fc3Response,
    /// An FC16 request with [`FC16_REGISTERS`] registers, client to server.
    Fc16Request,
}

impl FrameKind {
    /// Both kinds, in report order.
    pub const ALL: [FrameKind; 2] = [FrameKind::Fc3Response, FrameKind::Fc16Request];

    /// The criterion group name, also used in the report.
    pub fn name(self) -> &'static str {
        match self {
            FrameKind::Fc3Response => "fc3_response_125_registers",
            FrameKind::Fc16Request => "fc16_request_123_registers",
        }
    }

    /// The Modbus TCP bytes (MBAP header and PDU) of this kind of frame.
    pub fn frame(self) -> Vec<u8> {
        match self {
            FrameKind::Fc3Response => fc3_response_frame(),
            FrameKind::Fc16Request => fc16_request_frame(),
        }
    }

    /// The register values the frame carries.
    pub fn values(self) -> Vec<u16> {
        match self {
            FrameKind::Fc3Response => register_values(FC3_REGISTERS),
            FrameKind::Fc16Request => register_values(FC16_REGISTERS),
        }
    }

    /// Decodes `frame` with fieldbridge; see [`fieldbridge`].
    #[inline]
    pub fn decode_fieldbridge(self, frame: &[u8]) -> Option<u32> {
        match self {
            FrameKind::Fc3Response => fieldbridge::fc3_response(frame),
            FrameKind::Fc16Request => fieldbridge::fc16_request(frame),
        }
    }

    /// Decodes `frame` with sawp-modbus; see [`sawp_peer`].
    #[inline]
    pub fn decode_sawp(self, frame: &[u8]) -> Option<u32> {
        match self {
            FrameKind::Fc3Response => sawp_peer::fc3_response(frame),
            FrameKind::Fc16Request => sawp_peer::fc16_request(frame),
        }
    }
}

/// `count` register values that are all different and use both bytes, so a byte-order mistake
/// in either decoder changes the values and fails [`verify`].
pub fn register_values(count: usize) -> Vec<u16> {
    (0..count)
        .map(|i| {
            let i = u16::try_from(i).unwrap_or(u16::MAX);
            i.wrapping_mul(0x0301) ^ 0xA55A
        })
        .collect()
}

/// The Modbus TCP bytes of an FC3 response with [`FC3_REGISTERS`] registers (transaction 0x1234,
/// unit 0x11), encoded by fieldbridge.
///
/// # Panics
/// If the encoder rejects the frame, which would be a bug.
pub fn fc3_response_frame() -> Vec<u8> {
    let values = register_values(FC3_REGISTERS);
    let pdu = Response::ReadHoldingRegisters(Registers::from_values(&values))
        .to_pdu()
        .expect("125 registers is a legal FC3 response");
    tcp_frame(pdu.as_slice())
}

/// The Modbus TCP bytes of an FC16 request writing [`FC16_REGISTERS`] registers from
/// [`FC16_ADDRESS`] (transaction 0x1234, unit 0x11), encoded by fieldbridge.
///
/// # Panics
/// If the encoder rejects the frame, which would be a bug.
pub fn fc16_request_frame() -> Vec<u8> {
    let values = register_values(FC16_REGISTERS);
    let pdu = Request::WriteMultipleRegisters {
        address: FC16_ADDRESS,
        registers: Registers::from_values(&values),
    }
    .to_pdu()
    .expect("123 registers is a legal FC16 request");
    tcp_frame(pdu.as_slice())
}

fn tcp_frame(pdu: &[u8]) -> Vec<u8> {
    let header = tcp::Header {
        transaction_id: 0x1234,
        unit_id: 0x11,
    };
    let mut wire = Vec::with_capacity(tcp::MAX_FRAME_LEN);
    tcp::Frame::new(header, pdu)
        .encode(&mut wire)
        .expect("a PDU of at most 253 bytes frames");
    wire
}

/// Both decoders' register values for `frame`, checked: each must accept the whole frame, take
/// all of it, and return exactly `kind.values()`.
///
/// # Errors
/// A description of the first disagreement.
pub fn verify(kind: FrameKind, frame: &[u8]) -> Result<(), String> {
    let expected = kind.values();
    let ours = fieldbridge::register_values(kind, frame)?;
    if ours != expected {
        return Err(format!("{}: fieldbridge decoded other values", kind.name()));
    }
    let theirs = sawp_peer::register_values(kind, frame)?;
    if theirs != expected {
        return Err(format!("{}: sawp-modbus decoded other values", kind.name()));
    }
    let sum: u32 = expected.iter().copied().map(u32::from).sum();
    for (name, got) in [
        ("fieldbridge", kind.decode_fieldbridge(frame)),
        ("sawp-modbus", kind.decode_sawp(frame)),
    ] {
        if got != Some(sum) {
            return Err(format!(
                "{}: the timed {name} function returned {got:?}, expected Some({sum})",
                kind.name()
            ));
        }
    }
    Ok(())
}

/// The fieldbridge side: `tcp::decode` (MBAP header), then `Request::parse` or `Response::parse`
/// (the whole PDU, with every specification check), then every register value.
///
/// fieldbridge's decode is lazy: the parsed message borrows the frame and the register values
/// are read from it only when iterated. Stopping after `parse` would skip the work sawp-modbus
/// does eagerly, so each function here also iterates every register value and returns their sum
/// (the caller `black_box`es it). The sawp side sums the same values, so both end with the same
/// result from the same bytes.
pub mod fieldbridge {
    use super::FrameKind;
    use fieldbridge_modbus::{tcp, Request, Response};

    /// Decodes an FC3 response frame and sums its register values; `None` if the frame is not a
    /// whole, valid FC3 response.
    #[inline]
    pub fn fc3_response(frame: &[u8]) -> Option<u32> {
        let (frame, _used) = tcp::decode(frame).ok()??;
        match Response::parse(frame.pdu).ok()? {
            Response::ReadHoldingRegisters(registers) => {
                Some(registers.iter().map(u32::from).sum())
            }
            _ => None,
        }
    }

    /// Decodes an FC16 request frame and sums its register values; `None` if the frame is not a
    /// whole, valid FC16 request.
    #[inline]
    pub fn fc16_request(frame: &[u8]) -> Option<u32> {
        let (frame, _used) = tcp::decode(frame).ok()??;
        match Request::parse(frame.pdu).ok()? {
            Request::WriteMultipleRegisters { registers, .. } => {
                Some(registers.iter().map(u32::from).sum())
            }
            _ => None,
        }
    }

    /// The register values, collected, for [`verify`](super::verify); also checks the frame is
    /// used whole and, for FC16, the address.
    ///
    /// # Errors
    /// What went wrong.
    pub fn register_values(kind: FrameKind, frame: &[u8]) -> Result<Vec<u16>, String> {
        let name = kind.name();
        let (decoded, used) = tcp::decode(frame)
            .map_err(|e| format!("{name}: fieldbridge rejected the frame: {e}"))?
            .ok_or_else(|| format!("{name}: fieldbridge wants more bytes"))?;
        if used != frame.len() {
            return Err(format!(
                "{name}: fieldbridge used {used} of {}",
                frame.len()
            ));
        }
        let registers = match kind {
            FrameKind::Fc3Response => match Response::parse(decoded.pdu) {
                Ok(Response::ReadHoldingRegisters(registers)) => registers,
                other => return Err(format!("{name}: fieldbridge parsed {other:?}")),
            },
            FrameKind::Fc16Request => match Request::parse(decoded.pdu) {
                Ok(Request::WriteMultipleRegisters { address, registers })
                    if address == super::FC16_ADDRESS =>
                {
                    registers
                }
                other => return Err(format!("{name}: fieldbridge parsed {other:?}")),
            },
        };
        Ok(registers.iter().collect())
    }
}

/// The sawp-modbus side: `Modbus::parse` with the frame's direction (`ToClient` for the
/// response, `ToServer` for the request). It reads the MBAP header and the whole PDU, checks them
/// (reporting problems as `error_flags` rather than as an error) and copies the register bytes
/// into a `Vec<u8>`, still as big-endian pairs.
///
/// To end with the same result as the fieldbridge side, each function checks that the message
/// carries no error flag and is the expected function (fieldbridge returns an error for a bad
/// frame, so its consumer gets that check for free), then combines every byte pair into its value
/// and returns the sum: the work any consumer of sawp-modbus does to get at the registers.
pub mod sawp_peer {
    use super::FrameKind;
    use sawp::parser::{Direction, Parse};
    use sawp_modbus::{Data, FunctionCode, Message, Modbus, Read, Write};

    fn sum_be_pairs(bytes: &[u8]) -> u32 {
        bytes
            .chunks_exact(2)
            .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair[1]])))
            .sum()
    }

    fn parse(frame: &[u8], direction: Direction) -> Option<Message> {
        match Modbus::default().parse(frame, direction) {
            Ok((_rest, Some(message))) if message.error_flags.is_empty() => Some(message),
            _ => None,
        }
    }

    /// Decodes an FC3 response frame and sums its register values; `None` if sawp-modbus does
    /// not accept it cleanly as an FC3 response.
    #[inline]
    pub fn fc3_response(frame: &[u8]) -> Option<u32> {
        let message = parse(frame, Direction::ToClient)?;
        match (&message.function.code, &message.data) {
            (FunctionCode::RdHoldRegs, Data::Read(Read::Response(bytes))) => {
                Some(sum_be_pairs(bytes))
            }
            _ => None,
        }
    }

    /// Decodes an FC16 request frame and sums its register values; `None` if sawp-modbus does
    /// not accept it cleanly as an FC16 request.
    #[inline]
    pub fn fc16_request(frame: &[u8]) -> Option<u32> {
        let message = parse(frame, Direction::ToServer)?;
        match (&message.function.code, &message.data) {
            (FunctionCode::WrMultRegs, Data::Write(Write::MultReq { data, .. })) => {
                Some(sum_be_pairs(data))
            }
            _ => None,
        }
    }

    /// The register values, collected, for [`verify`](super::verify); also checks the frame is
    /// used whole, the MBAP fields and, for FC16, the address and quantity.
    ///
    /// # Errors
    /// What went wrong.
    pub fn register_values(kind: FrameKind, frame: &[u8]) -> Result<Vec<u16>, String> {
        let name = kind.name();
        let direction = match kind {
            FrameKind::Fc3Response => Direction::ToClient,
            FrameKind::Fc16Request => Direction::ToServer,
        };
        let (rest, message) = Modbus::default()
            .parse(frame, direction)
            .map_err(|e| format!("{name}: sawp-modbus rejected the frame: {e:?}"))?;
        let message = message.ok_or_else(|| format!("{name}: sawp-modbus returned no message"))?;
        if !rest.is_empty() {
            return Err(format!("{name}: sawp-modbus left {} bytes", rest.len()));
        }
        if !message.error_flags.is_empty() {
            return Err(format!(
                "{name}: sawp-modbus flagged {:?}",
                message.error_flags
            ));
        }
        if message.transaction_id != 0x1234 || message.unit_id != 0x11 {
            return Err(format!("{name}: sawp-modbus read another MBAP header"));
        }
        let bytes = match (kind, &message.data) {
            (FrameKind::Fc3Response, Data::Read(Read::Response(bytes))) => bytes,
            (
                FrameKind::Fc16Request,
                Data::Write(Write::MultReq {
                    address,
                    quantity,
                    data,
                }),
            ) if *address == super::FC16_ADDRESS
                && usize::from(*quantity) == super::FC16_REGISTERS =>
            {
                data
            }
            (_, other) => return Err(format!("{name}: sawp-modbus parsed {other:?}")),
        };
        Ok(bytes
            .chunks_exact(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_259_bytes_and_both_decoders_agree() {
        for kind in FrameKind::ALL {
            let frame = kind.frame();
            assert_eq!(frame.len(), 259, "{}", kind.name());
            verify(kind, &frame).unwrap();
        }
    }

    #[test]
    fn a_corrupted_frame_fails_both_timed_functions() {
        for kind in FrameKind::ALL {
            let mut frame = kind.frame();
            // The FC3 byte count (offset 8) and the FC16 byte count (offset 12); the other byte
            // is a register value (FC3) or the address (FC16), which both accept.
            frame[8] ^= 0x40;
            frame[12] ^= 0x40;
            assert_eq!(kind.decode_fieldbridge(&frame), None, "{}", kind.name());
            assert_eq!(kind.decode_sawp(&frame), None, "{}", kind.name());
        }
    }
}

//! The Modbus ASCII client exchange (Modbus over serial line V1.02 §2.5.2), which tokio-modbus
//! does not have: requests framed with our own codec (`fieldbridge_modbus::ascii`: ':', hex, LRC,
//! CR LF) on a serial port, answers hunted for past noise (§2.5.2.1) and checked against the
//! request like the TCP guard does.

use std::borrow::Cow;
use std::io;
use std::sync::Arc;

use fieldbridge_modbus::ascii;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_modbus::bytes::Bytes;
use tokio_modbus::{ExceptionResponse, ProtocolError, Request, Response};

use crate::error::Garbage;
use crate::guard::{check_pdu, GarbageSlot};

/// One ASCII line: the port, the unit addressed, and the characters received.
#[derive(Debug)]
pub(crate) struct AsciiLink<S> {
    port: S,
    unit: u8,
    device: Arc<str>,
    slot: GarbageSlot,
    received: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsciiLink<S> {
    pub(crate) fn new(port: S, device: Arc<str>, slot: GarbageSlot) -> Self {
        AsciiLink {
            port,
            unit: 0,
            device,
            slot,
            received: Vec::new(),
        }
    }

    /// The unit (slave address, §2.5.2) the next requests go to.
    pub(crate) fn set_unit(&mut self, unit: u8) {
        self.unit = unit;
    }

    /// Sends `request` and waits for the frame that answers it (no timeout here: the caller's).
    /// What tokio-modbus would return: an answer, an exception, or an error; a frame that does
    /// not answer the request is a protocol error whose [`Garbage`] is left in the slot.
    pub(crate) async fn call(&mut self, request: Request<'_>) -> tokio_modbus::Result<Response> {
        let pdu = request_pdu(&request)?;
        let frame = ascii::Frame::new(self.unit, &pdu)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        let mut out = Vec::with_capacity(frame.encoded_len());
        frame
            .encode(&mut out)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        // Anything left from before belongs to no request now.
        self.received.clear();
        self.port.write_all(&out).await?;
        self.port.flush().await?;
        let answer = self.next_frame().await?;
        if answer.address != self.unit {
            return Err(self.refuse(Garbage::UnitId, &answer));
        }
        if let Err(garbage) = check_pdu(&pdu, answer.pdu()) {
            return Err(self.refuse(garbage, &answer));
        }
        let bytes = Bytes::copy_from_slice(answer.pdu());
        if answer.pdu().first().is_some_and(|f| f & 0x80 != 0) {
            let exception = ExceptionResponse::try_from(bytes)?;
            return Ok(Err(exception.exception));
        }
        Ok(Ok(Response::try_from(bytes)?))
    }

    /// The next whole frame with a good LRC; noise and broken frames before it are dropped.
    async fn next_frame(&mut self) -> io::Result<ascii::Frame> {
        loop {
            let found = ascii::decode_resync(&self.received);
            let consumed = found.consumed();
            if let Some(e) = &found.first_error {
                tracing::debug!(device = %self.device, error = %e, skipped = found.skipped, "modbus ascii: characters dropped before a frame");
            }
            self.received.drain(..consumed.min(self.received.len()));
            if let Some((frame, _)) = found.frame {
                return Ok(frame);
            }
            if self.received.len() > 2 * ascii::MAX_FRAME_LEN {
                self.received.clear();
            }
            let mut chunk = [0u8; 256];
            let n = self.port.read(&mut chunk).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            self.received
                .extend_from_slice(chunk.get(..n).unwrap_or(&[]));
        }
    }

    /// Records a frame that does not answer the request (the connection logs it, throttled).
    fn refuse(&self, garbage: Garbage, answer: &ascii::Frame) -> tokio_modbus::Error {
        tracing::debug!(
            device = %self.device,
            unit = self.unit,
            problem = garbage.as_str(),
            address = answer.address,
            "garbage answer from the modbus device"
        );
        self.slot.put(garbage);
        ProtocolError::HeaderMismatch {
            message: garbage.as_str().to_owned(),
            result: Err(ExceptionResponse {
                function: tokio_modbus::FunctionCode::Custom(0),
                exception: tokio_modbus::ExceptionCode::Custom(0),
            }),
        }
        .into()
    }
}

/// The PDU of a request (Modbus Application Protocol V1.1b3 §6): the functions the source uses.
fn request_pdu(request: &Request<'_>) -> io::Result<Vec<u8>> {
    let be = |v: u16| v.to_be_bytes();
    let two = |f: u8, a: u16, b: u16| {
        let mut pdu = vec![f];
        pdu.extend(be(a));
        pdu.extend(be(b));
        pdu
    };
    Ok(match request {
        Request::ReadCoils(a, n) => two(1, *a, *n),
        Request::ReadDiscreteInputs(a, n) => two(2, *a, *n),
        Request::ReadHoldingRegisters(a, n) => two(3, *a, *n),
        Request::ReadInputRegisters(a, n) => two(4, *a, *n),
        // §6.5: 0xFF00 on, 0x0000 off.
        Request::WriteSingleCoil(a, v) => two(5, *a, if *v { 0xFF00 } else { 0 }),
        Request::WriteSingleRegister(a, w) => two(6, *a, *w),
        Request::WriteMultipleCoils(a, coils) => {
            let n = u16::try_from(coils.len()).unwrap_or(u16::MAX);
            let mut pdu = two(15, *a, n);
            let mut packed = vec![0u8; coils.len().div_ceil(8)];
            for (i, _) in coils.iter().enumerate().filter(|(_, on)| **on) {
                if let Some(byte) = packed.get_mut(i / 8) {
                    *byte |= 1 << (i % 8);
                }
            }
            pdu.push(u8::try_from(packed.len()).unwrap_or(u8::MAX));
            pdu.extend(packed);
            pdu
        }
        Request::WriteMultipleRegisters(a, words) => {
            let words: &Cow<'_, [u16]> = words;
            let n = u16::try_from(words.len()).unwrap_or(u16::MAX);
            let mut pdu = two(16, *a, n);
            pdu.push(u8::try_from(words.len() * 2).unwrap_or(u8::MAX));
            words.iter().for_each(|w| pdu.extend(be(*w)));
            pdu
        }
        Request::MaskWriteRegister(a, and, or) => {
            let mut pdu = two(22, *a, *and);
            pdu.extend(be(*or));
            pdu
        }
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "function {} is not sent over Modbus ASCII",
                    other.function_code().value()
                ),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_goes_out_in_ascii_and_its_answer_comes_back_past_noise() {
        let (near, mut far) = tokio::io::duplex(1024);
        let mut link = AsciiLink::new(near, "d".into(), GarbageSlot::default());
        link.set_unit(1);
        let peer = tokio::spawn(async move {
            let mut got = vec![0u8; 17];
            far.read_exact(&mut got).await.expect("request");
            // Noise, a frame with a bad LRC, then the answer: 2 registers 0x1234 0x0001.
            far.write_all(b"\x00zz:010304123400010000\r\n:01030412340001B1\r\n")
                .await
                .expect("answer");
            got
        });
        let answer = link.call(Request::ReadHoldingRegisters(0, 2)).await;
        assert!(
            matches!(answer, Ok(Ok(Response::ReadHoldingRegisters(ref w))) if w == &[0x1234, 1]),
            "{answer:?}"
        );
        // §2.5.2: ':' 01 03 0000 0002 LRC=FA CR LF.
        assert_eq!(peer.await.expect("peer"), b":010300000002FA\r\n");
    }

    #[tokio::test]
    async fn an_answer_from_another_unit_is_named() {
        let (near, mut far) = tokio::io::duplex(1024);
        let slot = GarbageSlot::default();
        let mut link = AsciiLink::new(near, "d".into(), slot.clone());
        link.set_unit(1);
        tokio::spawn(async move {
            let mut got = vec![0u8; 17];
            far.read_exact(&mut got).await.expect("request");
            far.write_all(b":02030412340001B0\r\n")
                .await
                .expect("answer");
            far
        });
        let answer = link.call(Request::ReadHoldingRegisters(0, 2)).await;
        assert!(
            matches!(answer, Err(tokio_modbus::Error::Protocol(_))),
            "{answer:?}"
        );
        assert_eq!(slot.take(), Some(Garbage::UnitId));
    }
}

//! IEC 60870-5-104 APDUs: the APCI (start byte, length, control field) and the ASDU it carries
//! (IEC 60870-5-104 clause 5).
//!
//! ```text
//! offset 0  start      0x68
//!        1  length     4..=253: the control field and the ASDU
//!        2  control    4 octets, one of
//!                      I  N(S) << 1        | N(S) >> 7 | N(R) << 1 | N(R) >> 7
//!                      S  0x01             | 0x00      | N(R) << 1 | N(R) >> 7
//!                      U  function | 0x03  | 0x00      | 0x00      | 0x00
//!        6  ASDU       length - 4 octets: I frames only, 1..=249
//! ```
//!
//! TCP carries no checksum: the length octet says where an APDU ends, and a bad start byte or
//! length means the stream is out of step. There is no resync on TCP: close the connection
//! (clause 5.1). [`decode`] reads one APDU from the start of a buffer; [`split`] iterates over the
//! APDUs of a buffer; [`StreamSplitter`] owns a buffer and takes the bytes of each read.

mod seq;
mod stream;

pub use seq::SeqNo;
pub use stream::{split, Split, StreamSplitter};

use crate::error::ensure_room;
use crate::Error;
use bytes::BufMut;

/// The start byte of every APDU: 0x68 (IEC 60870-5-104 clause 5.1).
pub const START: u8 = 0x68;
/// The length of the APCI: start, length and the four control octets (clause 5.1).
pub const APCI_LEN: usize = 6;
/// The shortest length octet: the control field alone, 4 (clause 5.1).
pub const MIN_LENGTH: u8 = 4;
/// The longest length octet: 253, for an APDU of at most 255 octets (clause 5.1).
pub const MAX_LENGTH: u8 = 253;
/// The longest APDU on the wire, start and length octets included: 255 octets.
pub const MAX_APDU_LEN: usize = 2 + MAX_LENGTH as usize;
/// The longest ASDU an I frame carries: 249 octets (clause 5.1).
pub const MAX_ASDU_LEN: usize = MAX_APDU_LEN - APCI_LEN;

/// The six functions of a U-format frame (IEC 60870-5-104 clause 5.3); the value is the
/// function's bit in the first control octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum UFunction {
    /// STARTDT act: start data transfer (first octet 0x07).
    StartDtAct = 0x04,
    /// STARTDT con: data transfer started (0x0B).
    StartDtCon = 0x08,
    /// STOPDT act: stop data transfer (0x13).
    StopDtAct = 0x10,
    /// STOPDT con: data transfer stopped (0x23).
    StopDtCon = 0x20,
    /// TESTFR act: test the connection (0x43).
    TestFrAct = 0x40,
    /// TESTFR con: the connection works (0x83).
    TestFrCon = 0x80,
}

impl UFunction {
    /// All six, in the order of their bits.
    pub const ALL: [Self; 6] = [
        Self::StartDtAct,
        Self::StartDtCon,
        Self::StopDtAct,
        Self::StopDtCon,
        Self::TestFrAct,
        Self::TestFrCon,
    ];

    /// The function's bit in the first control octet (clause 5.3).
    pub const fn bit(self) -> u8 {
        self as u8
    }

    /// The function whose bit alone is set in `bits` (the two format bits masked off), if exactly
    /// one is.
    pub const fn from_bits(bits: u8) -> Option<Self> {
        Some(match bits & 0xFC {
            0x04 => Self::StartDtAct,
            0x08 => Self::StartDtCon,
            0x10 => Self::StopDtAct,
            0x20 => Self::StopDtCon,
            0x40 => Self::TestFrAct,
            0x80 => Self::TestFrCon,
            _ => return None,
        })
    }

    /// Whether this is an activation (act) rather than a confirmation (con).
    pub const fn is_act(self) -> bool {
        matches!(self, Self::StartDtAct | Self::StopDtAct | Self::TestFrAct)
    }

    /// The confirmation that answers this activation; `None` for a confirmation (clause 5.3).
    pub const fn confirmation(self) -> Option<Self> {
        match self {
            Self::StartDtAct => Some(Self::StartDtCon),
            Self::StopDtAct => Some(Self::StopDtCon),
            Self::TestFrAct => Some(Self::TestFrCon),
            Self::StartDtCon | Self::StopDtCon | Self::TestFrCon => None,
        }
    }

    /// The standard's name, such as `"STARTDT act"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::StartDtAct => "STARTDT act",
            Self::StartDtCon => "STARTDT con",
            Self::StopDtAct => "STOPDT act",
            Self::StopDtCon => "STOPDT con",
            Self::TestFrAct => "TESTFR act",
            Self::TestFrCon => "TESTFR con",
        }
    }
}

/// The control field of an APDU: one of the three formats (IEC 60870-5-104 clause 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Apci {
    /// Numbered information transfer, carrying an ASDU (clause 5.1, figure 6).
    I {
        /// N(S): this frame's send sequence number.
        send: SeqNo,
        /// N(R): the next sequence number the sender expects, acknowledging every I frame before.
        recv: SeqNo,
    },
    /// Numbered supervisory function: an acknowledgement alone (clause 5.2, figure 7).
    S {
        /// N(R): the next sequence number the sender expects.
        recv: SeqNo,
    },
    /// Unnumbered control function (clause 5.3, figure 8).
    U(UFunction),
}

impl Apci {
    /// Reads the four control octets of an APDU whose length octet is `length`.
    ///
    /// Offsets in errors count from the start of the APDU (the control field is at 2).
    ///
    /// # Errors
    /// [`Error::BadApduLength`] when the length does not suit the format (S and U: 4; I: 5 or
    /// more), [`Error::BadUFunction`], [`Error::ReservedBitsSet`].
    pub fn decode_control(control: [u8; 4], length: u8) -> Result<Self, Error> {
        let [c1, c2, c3, c4] = control;
        let kind_length = |min: u8, max: u8| {
            if (min..=max).contains(&length) {
                Ok(())
            } else {
                Err(Error::BadApduLength {
                    offset: 1,
                    min,
                    max,
                    found: length,
                })
            }
        };
        let reserved = |offset: usize, octet: u8, mask: u8| {
            if octet & mask == 0 {
                Ok(())
            } else {
                Err(Error::ReservedBitsSet {
                    offset,
                    mask,
                    found: octet,
                })
            }
        };
        if c1 & 0x01 == 0 {
            kind_length(MIN_LENGTH + 1, MAX_LENGTH)?;
            reserved(4, c3, 0x01)?;
            return Ok(Self::I {
                send: seq_from(c1, c2),
                recv: seq_from(c3, c4),
            });
        }
        kind_length(MIN_LENGTH, MIN_LENGTH)?;
        if c1 & 0x02 == 0 {
            reserved(2, c1, 0xFC)?;
            reserved(3, c2, 0xFF)?;
            reserved(4, c3, 0x01)?;
            return Ok(Self::S {
                recv: seq_from(c3, c4),
            });
        }
        let function = UFunction::from_bits(c1).ok_or(Error::BadUFunction {
            offset: 2,
            found: c1,
        })?;
        reserved(3, c2, 0xFF)?;
        reserved(4, c3, 0xFF)?;
        reserved(5, c4, 0xFF)?;
        Ok(Self::U(function))
    }

    /// The four control octets (clause 5).
    pub const fn encode_control(&self) -> [u8; 4] {
        match *self {
            Self::I { send, recv } => {
                let [s1, s2] = seq_octets(send);
                let [r1, r2] = seq_octets(recv);
                [s1, s2, r1, r2]
            }
            Self::S { recv } => {
                let [r1, r2] = seq_octets(recv);
                [0x01, 0x00, r1, r2]
            }
            Self::U(function) => [function.bit() | 0x03, 0, 0, 0],
        }
    }
}

/// A sequence number from its two octets: seven bits above the format bit, then eight.
const fn seq_from(low: u8, high: u8) -> SeqNo {
    SeqNo::wrapping(((high as u16) << 7) | (low as u16 >> 1))
}

/// The two octets of a sequence number, the format bit (bit 1) clear.
const fn seq_octets(seq: SeqNo) -> [u8; 2] {
    let n = seq.get();
    [((n << 1) & 0xFE) as u8, (n >> 7) as u8]
}

/// One APDU, with the ASDU borrowed from the decoded buffer (IEC 60870-5-104 clause 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Apdu<'a> {
    /// The control field.
    pub apci: Apci,
    /// The ASDU: 1..=249 octets in an I frame, empty in S and U frames.
    pub asdu: &'a [u8],
}

/// Decodes one APDU from the start of a TCP stream (IEC 60870-5-104 clause 5).
///
/// Returns `Ok(None)` while the buffer holds less than a whole APDU, else the APDU and the number
/// of bytes it took. Each check runs as soon as its bytes are there: a bad start byte is reported
/// from the first byte, a bad length from the second.
///
/// # Errors
/// [`Error::BadStartByte`] (offset 0), [`Error::BadApduLength`] (offset 1), and the control
/// field's errors from [`Apci::decode_control`].
pub fn decode(buf: &[u8]) -> Result<Option<(Apdu<'_>, usize)>, Error> {
    let Some(&start) = buf.first() else {
        return Ok(None);
    };
    if start != START {
        return Err(Error::BadStartByte {
            offset: 0,
            expected: START,
            found: start,
        });
    }
    let Some(&length) = buf.get(1) else {
        return Ok(None);
    };
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Err(Error::BadApduLength {
            offset: 1,
            min: MIN_LENGTH,
            max: MAX_LENGTH,
            found: length,
        });
    }
    let Some(&[c1, c2, c3, c4]) = buf.get(2..APCI_LEN) else {
        return Ok(None);
    };
    let apci = Apci::decode_control([c1, c2, c3, c4], length)?;
    let total = 2 + usize::from(length);
    let Some(asdu) = buf.get(APCI_LEN..total) else {
        return Ok(None);
    };
    Ok(Some((Apdu { apci, asdu }, total)))
}

impl<'a> Apdu<'a> {
    /// An I frame carrying `asdu` (1..=249 octets; checked by [`Apdu::encode`]).
    pub const fn i(send: SeqNo, recv: SeqNo, asdu: &'a [u8]) -> Self {
        Self {
            apci: Apci::I { send, recv },
            asdu,
        }
    }

    /// An S frame acknowledging every I frame before `recv`.
    pub const fn s(recv: SeqNo) -> Self {
        Self {
            apci: Apci::S { recv },
            asdu: &[],
        }
    }

    /// A U frame.
    pub const fn u(function: UFunction) -> Self {
        Self {
            apci: Apci::U(function),
            asdu: &[],
        }
    }

    /// The number of bytes [`Apdu::encode`] writes: 6 plus the ASDU.
    pub const fn encoded_len(&self) -> usize {
        APCI_LEN + self.asdu.len()
    }

    /// Writes the APDU. Nothing is written on error.
    ///
    /// # Errors
    /// [`Error::UserDataLength`] (offset 6) for an I frame without an ASDU or with more than 249
    /// octets, or an S or U frame with one; [`Error::BufferTooSmall`].
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        let (min, max) = match self.apci {
            Apci::I { .. } => (1, MAX_ASDU_LEN),
            Apci::S { .. } | Apci::U(_) => (0, 0),
        };
        if !(min..=max).contains(&self.asdu.len()) {
            return Err(Error::UserDataLength {
                offset: APCI_LEN,
                min,
                max,
                found: self.asdu.len(),
            });
        }
        ensure_room(buf, self.encoded_len())?;
        buf.put_u8(START);
        // At most 4 + 249 = 253: checked above.
        buf.put_u8((usize::from(MIN_LENGTH) + self.asdu.len()) as u8);
        buf.put_slice(&self.apci.encode_control());
        buf.put_slice(self.asdu);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_u_function_round_trips_through_its_octet() {
        for f in UFunction::ALL {
            let control = Apci::U(f).encode_control();
            assert_eq!(
                Apci::decode_control(control, 4),
                Ok(Apci::U(f)),
                "{}",
                f.name()
            );
        }
    }

    #[test]
    fn sequence_numbers_use_fifteen_bits_across_two_octets() {
        let apci = Apci::I {
            send: SeqNo::MAX,
            recv: SeqNo::wrapping(128),
        };
        assert_eq!(apci.encode_control(), [0xFE, 0xFF, 0x00, 0x01]);
        assert_eq!(Apci::decode_control([0xFE, 0xFF, 0x00, 0x01], 5), Ok(apci));
    }

    #[test]
    fn activations_name_their_confirmations() {
        assert_eq!(
            UFunction::TestFrAct.confirmation(),
            Some(UFunction::TestFrCon)
        );
        assert_eq!(UFunction::TestFrCon.confirmation(), None);
        assert!(UFunction::StopDtAct.is_act());
        assert!(!UFunction::StartDtCon.is_act());
    }
}

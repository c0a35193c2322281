//! The HDLC control field (IEC 62056-46 clause 6.4.3.3, DLMS UA 1000-2 Ed. 10 clause 8.4.3.3,
//! after ISO/IEC 13239 with modulo 8 numbering), and the information field of FRMR.
//!
//! ```text
//! bit       7 6 5 | 4 | 3 2 1 | 0
//! I         N(R)  |P/F| N(S)  | 0
//! RR        N(R)  |P/F| 0 0 0 | 1      0x01
//! RNR       N(R)  |P/F| 0 1 0 | 1      0x05
//! SNRM      1 0 0 | P | 0 0 1 | 1      0x83 (0x93 with P)
//! DISC      0 1 0 | P | 0 0 1 | 1      0x43 (0x53)
//! UA        0 1 1 | F | 0 0 1 | 1      0x63 (0x73)
//! DM        0 0 0 | F | 1 1 1 | 1      0x0F (0x1F)
//! FRMR      1 0 0 | F | 0 1 1 | 1      0x87 (0x97)
//! UI        0 0 0 |P/F| 0 0 1 | 1      0x03 (0x13)
//! ```

use crate::Error;

/// The P/F bit: poll in a command, final in a response.
pub const PF: u8 = 0x10;

/// A control field. Values DLMS does not use (REJ, SREJ, other unnumbered commands) decode as
/// [`Control::Unknown`], so that a monitor can show them; the link state machines refuse them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Control {
    /// Information: a numbered frame carrying (a segment of) an LLC-prefixed APDU.
    I {
        /// N(S), the send sequence number, 0..=7.
        ns: u8,
        /// N(R), the receive sequence number (the next N(S) expected), 0..=7.
        nr: u8,
        /// The P/F bit.
        pf: bool,
    },
    /// Receive ready: acknowledges up to N(R) - 1, and polls (P) or ends a response (F).
    Rr {
        /// N(R), 0..=7.
        nr: u8,
        /// The P/F bit.
        pf: bool,
    },
    /// Receive not ready: as RR, and the sender is busy.
    Rnr {
        /// N(R), 0..=7.
        nr: u8,
        /// The P/F bit.
        pf: bool,
    },
    /// Set normal response mode: the primary station opens the link, optionally with parameters.
    Snrm {
        /// The P bit.
        pf: bool,
    },
    /// Disconnect.
    Disc {
        /// The P bit.
        pf: bool,
    },
    /// Unnumbered acknowledgement of SNRM or DISC, optionally with parameters.
    Ua {
        /// The F bit.
        pf: bool,
    },
    /// Disconnected mode: the secondary is not connected.
    Dm {
        /// The F bit.
        pf: bool,
    },
    /// Frame reject, with a [`FrameReject`] information field.
    Frmr {
        /// The F bit.
        pf: bool,
    },
    /// Unnumbered information (DLMS push over HDLC, e.g. on a HAN port).
    Ui {
        /// The P/F bit.
        pf: bool,
    },
    /// Any other octet, as received.
    Unknown(u8),
}

impl Control {
    /// The control field of `octet`.
    pub const fn from_octet(octet: u8) -> Self {
        let pf = octet & PF != 0;
        let nr = octet >> 5;
        if octet & 0x01 == 0 {
            return Control::I {
                ns: (octet >> 1) & 0x07,
                nr,
                pf,
            };
        }
        if octet & 0x03 == 0x01 {
            return match octet & 0x0F {
                0x01 => Control::Rr { nr, pf },
                0x05 => Control::Rnr { nr, pf },
                _ => Control::Unknown(octet),
            };
        }
        match octet & !PF {
            0x83 => Control::Snrm { pf },
            0x43 => Control::Disc { pf },
            0x63 => Control::Ua { pf },
            0x0F => Control::Dm { pf },
            0x87 => Control::Frmr { pf },
            0x03 => Control::Ui { pf },
            _ => Control::Unknown(octet),
        }
    }

    /// The octet on the wire. Sequence numbers are taken modulo 8.
    pub const fn to_octet(self) -> u8 {
        match self {
            Control::I { ns, nr, pf } => ((nr & 7) << 5) | pf_bit(pf) | ((ns & 7) << 1),
            Control::Rr { nr, pf } => ((nr & 7) << 5) | pf_bit(pf) | 0x01,
            Control::Rnr { nr, pf } => ((nr & 7) << 5) | pf_bit(pf) | 0x05,
            Control::Snrm { pf } => 0x83 | pf_bit(pf),
            Control::Disc { pf } => 0x43 | pf_bit(pf),
            Control::Ua { pf } => 0x63 | pf_bit(pf),
            Control::Dm { pf } => 0x0F | pf_bit(pf),
            Control::Frmr { pf } => 0x87 | pf_bit(pf),
            Control::Ui { pf } => 0x03 | pf_bit(pf),
            Control::Unknown(octet) => octet,
        }
    }

    /// The P/F bit (of the octet, for an unknown control field).
    pub const fn pf(self) -> bool {
        match self {
            Control::I { pf, .. }
            | Control::Rr { pf, .. }
            | Control::Rnr { pf, .. }
            | Control::Snrm { pf }
            | Control::Disc { pf }
            | Control::Ua { pf }
            | Control::Dm { pf }
            | Control::Frmr { pf }
            | Control::Ui { pf } => pf,
            Control::Unknown(octet) => octet & PF != 0,
        }
    }

    /// N(R), for I, RR and RNR frames.
    pub const fn nr(self) -> Option<u8> {
        match self {
            Control::I { nr, .. } | Control::Rr { nr, .. } | Control::Rnr { nr, .. } => Some(nr),
            _ => None,
        }
    }

    /// Whether the control field is one of those DLMS uses.
    pub const fn is_known(self) -> bool {
        !matches!(self, Control::Unknown(_))
    }
}

const fn pf_bit(pf: bool) -> u8 {
    if pf {
        PF
    } else {
        0
    }
}

/// The information field of an FRMR frame (ISO/IEC 13239 clause 5.5.3.4.2, modulo 8): why a
/// secondary station refused a frame.
///
/// ```text
/// octet 1   the rejected control field
/// octet 2   V(R) (bits 7..5) | C/R (bit 4) | V(S) (bits 3..1) | 0
/// octet 3   0 0 0 V Z Y X W
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameReject {
    /// The control field of the rejected frame.
    pub control: u8,
    /// The rejecting station's V(S), 0..=7.
    pub vs: u8,
    /// Whether the rejected frame was a response (C/R = 1).
    pub response: bool,
    /// The rejecting station's V(R), 0..=7.
    pub vr: u8,
    /// The reason bits: [`FrameReject::W`], [`FrameReject::X`], [`FrameReject::Y`],
    /// [`FrameReject::Z`], [`FrameReject::V`].
    pub reasons: u8,
}

impl FrameReject {
    /// W: the control field is undefined or not implemented.
    pub const W: u8 = 0x01;
    /// X: an information field in a frame that must have none (with W set).
    pub const X: u8 = 0x02;
    /// Y: the information field exceeds the maximum the station can receive.
    pub const Y: u8 = 0x04;
    /// Z: an invalid N(R).
    pub const Z: u8 = 0x08;
    /// V: an invalid N(S).
    pub const V: u8 = 0x10;
    /// The length of the information field.
    pub const LEN: usize = 3;

    /// Reads the 3-octet information field of an FRMR frame.
    ///
    /// # Errors
    /// [`Error::Truncated`] for fewer than 3 octets, [`Error::TrailingBytes`] for more.
    pub fn decode(info: &[u8]) -> Result<Self, Error> {
        let mut r = crate::reader::Reader::new(info);
        let [control, state, reasons] = r.array::<3>("FRMR information field")?;
        if !r.is_empty() {
            return Err(Error::TrailingBytes {
                offset: Self::LEN,
                what: "FRMR information field",
                count: r.remaining(),
            });
        }
        Ok(FrameReject {
            control,
            vs: (state >> 1) & 0x07,
            response: state & 0x10 != 0,
            vr: state >> 5,
            reasons,
        })
    }

    /// The 3 octets of the information field.
    pub const fn to_bytes(&self) -> [u8; 3] {
        let cr = if self.response { 0x10 } else { 0 };
        [
            self.control,
            ((self.vr & 7) << 5) | cr | ((self.vs & 7) << 1),
            self.reasons,
        ]
    }
}

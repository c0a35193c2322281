//! The HDLC parameters negotiated by SNRM and UA (IEC 62056-46 clause 6.4.4.4.3.2, DLMS UA 1000-2
//! Ed. 10 clause 8.4.5.3.2, after ISO/IEC 13239 clause 5.5.3.2).
//!
//! ```text
//! 81 | 80 | group length | 05 L value | 06 L value | 07 L value | 08 L value
//! format identifier, group identifier (HDLC parameters), then each parameter: identifier,
//! length (1, 2 or 4 octets here), big-endian value
//! 05 maximum information field length, transmit      06 ... receive
//! 07 window size, transmit                            08 ... receive
//! ```
//!
//! Each station states its own values, "transmit" being what it sends. A parameter left out has
//! its default: 128 octets and a window of 1. An SNRM or UA without an information field leaves
//! all four out. Each station then uses the smaller of its own value and the peer's opposite one
//! ([`Parameters::negotiate`]).

use crate::reader::Reader;
use crate::Error;

/// The format identifier.
pub const FORMAT_IDENTIFIER: u8 = 0x81;
/// The group identifier of the HDLC parameter set.
pub const GROUP_IDENTIFIER: u8 = 0x80;
/// Parameter identifier: maximum information field length, transmit.
pub const MAX_INFO_TX: u8 = 0x05;
/// Parameter identifier: maximum information field length, receive.
pub const MAX_INFO_RX: u8 = 0x06;
/// Parameter identifier: window size, transmit.
pub const WINDOW_TX: u8 = 0x07;
/// Parameter identifier: window size, receive.
pub const WINDOW_RX: u8 = 0x08;
/// The default maximum information field length.
pub const DEFAULT_MAX_INFO: u32 = 128;
/// The default window size.
pub const DEFAULT_WINDOW: u8 = 1;
/// The largest window with modulo 8 sequence numbers.
pub const MAX_WINDOW: u8 = 7;
/// The smallest maximum information field length [`Parameters::decode_lenient`] accepts from a
/// peer: 32 octets, the lower end of the range IEC 62056-46 allows (32..=2030, the range
/// u9n/dlms-cosem checks too). A smaller value is raised to it.
pub const MIN_INFO: u32 = 32;

/// The four negotiated HDLC parameters, from one station's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Parameters {
    /// The longest information field this station sends.
    pub max_info_tx: u32,
    /// The longest information field this station receives.
    pub max_info_rx: u32,
    /// How many I frames this station sends before waiting for an acknowledgement, 1..=7.
    pub window_tx: u8,
    /// How many I frames this station receives before acknowledging, 1..=7.
    pub window_rx: u8,
}

impl Default for Parameters {
    fn default() -> Self {
        Parameters {
            max_info_tx: DEFAULT_MAX_INFO,
            max_info_rx: DEFAULT_MAX_INFO,
            window_tx: DEFAULT_WINDOW,
            window_rx: DEFAULT_WINDOW,
        }
    }
}

impl Parameters {
    /// Reads the information field of an SNRM or UA: defaults for an empty one or for a parameter
    /// left out; parameters with other identifiers are skipped.
    ///
    /// # Errors
    /// [`Error::BadByte`] for the format identifier (offset 0) or group identifier (1);
    /// [`Error::BadLength`] for a group length beyond the input (2); [`Error::TrailingBytes`]
    /// after the group; [`Error::Truncated`] inside a parameter; [`Error::BadValue`] for a
    /// parameter length other than 1, 2 or 4, a maximum length of 0 or a window outside 1..=7.
    pub fn decode(info: &[u8]) -> Result<Self, Error> {
        Self::read(info, false)
    }

    /// As [`Parameters::decode`], but a value out of range is brought into it instead of refused,
    /// as a link does with a peer's SNRM or UA: a window of 0 becomes 1 and one above 7 becomes
    /// 7; a maximum information field length below [`MIN_INFO`] (0 included) becomes
    /// [`MIN_INFO`]. What is too long for a frame is cut by the link itself.
    ///
    /// # Errors
    /// As [`Parameters::decode`], for the structure only: the identifiers, the group length,
    /// a truncated parameter and a parameter length other than 1, 2 or 4.
    pub fn decode_lenient(info: &[u8]) -> Result<Self, Error> {
        Self::read(info, true)
    }

    fn read(info: &[u8], lenient: bool) -> Result<Self, Error> {
        let mut params = Parameters::default();
        if info.is_empty() {
            return Ok(params);
        }
        let mut r = Reader::new(info);
        let format = r.u8("HDLC parameter format identifier")?;
        if format != FORMAT_IDENTIFIER {
            return Err(Error::BadByte {
                offset: 0,
                what: "HDLC parameter format identifier",
                expected: "0x81",
                found: format,
            });
        }
        let group = r.u8("HDLC parameter group identifier")?;
        if group != GROUP_IDENTIFIER {
            return Err(Error::BadByte {
                offset: 1,
                what: "HDLC parameter group identifier",
                expected: "0x80",
                found: group,
            });
        }
        let group_len = usize::from(r.u8("HDLC parameter group length")?);
        if group_len > r.remaining() {
            return Err(Error::BadLength {
                offset: 2,
                what: "HDLC parameter group length",
                min: 0,
                max: r.remaining() as u64,
                found: group_len as u64,
            });
        }
        if r.remaining() > group_len {
            return Err(Error::TrailingBytes {
                offset: 3 + group_len,
                what: "HDLC parameter group",
                count: r.remaining() - group_len,
            });
        }
        while !r.is_empty() {
            let id = r.u8("HDLC parameter identifier")?;
            let len_at = r.offset();
            let len = r.u8("HDLC parameter length")?;
            let value = r.bytes(usize::from(len), "HDLC parameter value")?;
            if !matches!(id, MAX_INFO_TX | MAX_INFO_RX | WINDOW_TX | WINDOW_RX) {
                continue;
            }
            if !matches!(len, 1 | 2 | 4) {
                return Err(Error::BadValue {
                    offset: len_at,
                    what: "HDLC parameter length",
                    expected: "1, 2 or 4 octets",
                    found: u64::from(len),
                });
            }
            let value = value.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
            let value_at = len_at + 1;
            match id {
                MAX_INFO_TX | MAX_INFO_RX => {
                    let value = if lenient { value.max(MIN_INFO) } else { value };
                    if value == 0 {
                        return Err(Error::BadValue {
                            offset: value_at,
                            what: "HDLC maximum information field length",
                            expected: "1 or more",
                            found: 0,
                        });
                    }
                    if id == MAX_INFO_TX {
                        params.max_info_tx = value;
                    } else {
                        params.max_info_rx = value;
                    }
                }
                _ => {
                    let window = match u8::try_from(value) {
                        Ok(w @ 1..=MAX_WINDOW) => w,
                        _ if lenient => value.clamp(1, u32::from(MAX_WINDOW)) as u8,
                        _ => {
                            return Err(Error::BadValue {
                                offset: value_at,
                                what: "HDLC window size",
                                expected: "1..=7",
                                found: u64::from(value),
                            })
                        }
                    };
                    if id == WINDOW_TX {
                        params.window_tx = window;
                    } else {
                        params.window_rx = window;
                    }
                }
            }
        }
        Ok(params)
    }

    /// The four values with their identifiers, in the order they are sent.
    fn entries(&self) -> [(u8, u32); 4] {
        [
            (MAX_INFO_TX, self.max_info_tx),
            (MAX_INFO_RX, self.max_info_rx),
            (WINDOW_TX, u32::from(self.window_tx)),
            (WINDOW_RX, u32::from(self.window_rx)),
        ]
    }

    /// The number of bytes [`Parameters::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        3 + self
            .entries()
            .iter()
            .map(|&(_, v)| 2 + value_len(v))
            .sum::<usize>()
    }

    /// Appends the parameters, all four, each value in the fewest octets (1, 2 or 4).
    pub fn encode(&self, out: &mut Vec<u8>) {
        // At most 3 + 4 * 6 = 27 octets: the group length fits one octet.
        let group_len = (self.encoded_len() - 3) as u8;
        out.extend_from_slice(&[FORMAT_IDENTIFIER, GROUP_IDENTIFIER, group_len]);
        for (id, value) in self.entries() {
            let n = value_len(value);
            out.push(id);
            out.push(n as u8);
            out.extend_from_slice(value.to_be_bytes().get(4 - n..).unwrap_or_default());
        }
    }

    /// The parameters as an owned information field.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }

    /// What this station uses once the `peer` stated its values: it sends no longer frames and no
    /// more of them than the peer receives, and receives no more than the peer sends.
    pub fn negotiate(&self, peer: &Parameters) -> Parameters {
        Parameters {
            max_info_tx: self.max_info_tx.min(peer.max_info_rx),
            max_info_rx: self.max_info_rx.min(peer.max_info_tx),
            window_tx: self.window_tx.min(peer.window_rx),
            window_rx: self.window_rx.min(peer.window_tx),
        }
    }
}

/// The fewest octets of 1, 2 or 4 that hold `value`.
fn value_len(value: u32) -> usize {
    if value <= 0xFF {
        1
    } else if value <= 0xFFFF {
        2
    } else {
        4
    }
}

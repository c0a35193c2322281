//! The xDLMS conformance block (DLMS UA 1000-2 Ed. 10 clause 9.4.6.1, IEC 62056-5-3 clause 7.3.1):
//! 24 named bits that a client proposes in its InitiateRequest and the server narrows in its
//! InitiateResponse.
//!
//! ```text
//! 0x5F 0x1F   [APPLICATION 31], high tag number form
//! 0x04        length: the unused-bits octet and three octets
//! 0x00        no unused bits
//! b0 b1 b2    bit 0 (reserved-zero) is bit 8 of b0, bit 23 (action) is bit 1 of b2
//! ```
//!
//! [`Conformance`] is a `Copy` set of these bits; its value, [`Conformance::bits`], is the three
//! octets read big-endian, so `0x00_7E1F` is what a wire dump shows.

use crate::apdu::ber::Sink;
use crate::reader::Reader;
use crate::Error;

/// A set of conformance bits (DLMS UA 1000-2 Ed. 10 clause 9.4.6.1); bit `n` of the standard is
/// `1 << (23 - n)` here.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Conformance(u32);

/// Every bit in the standard's order, with its ASN.1 name.
const NAMED: [(&str, Conformance); 24] = [
    ("reserved-zero", Conformance::RESERVED_ZERO),
    ("general-protection", Conformance::GENERAL_PROTECTION),
    (
        "general-block-transfer",
        Conformance::GENERAL_BLOCK_TRANSFER,
    ),
    ("read", Conformance::READ),
    ("write", Conformance::WRITE),
    ("unconfirmed-write", Conformance::UNCONFIRMED_WRITE),
    ("delta-value-encoding", Conformance::DELTA_VALUE_ENCODING),
    ("reserved-seven", Conformance::RESERVED_SEVEN),
    (
        "attribute0-supported-with-set",
        Conformance::ATTRIBUTE0_SUPPORTED_WITH_SET,
    ),
    (
        "priority-mgmt-supported",
        Conformance::PRIORITY_MGMT_SUPPORTED,
    ),
    (
        "attribute0-supported-with-get",
        Conformance::ATTRIBUTE0_SUPPORTED_WITH_GET,
    ),
    (
        "block-transfer-with-get-or-read",
        Conformance::BLOCK_TRANSFER_WITH_GET_OR_READ,
    ),
    (
        "block-transfer-with-set-or-write",
        Conformance::BLOCK_TRANSFER_WITH_SET_OR_WRITE,
    ),
    (
        "block-transfer-with-action",
        Conformance::BLOCK_TRANSFER_WITH_ACTION,
    ),
    ("multiple-references", Conformance::MULTIPLE_REFERENCES),
    ("information-report", Conformance::INFORMATION_REPORT),
    ("data-notification", Conformance::DATA_NOTIFICATION),
    ("access", Conformance::ACCESS),
    ("parameterized-access", Conformance::PARAMETERIZED_ACCESS),
    ("get", Conformance::GET),
    ("set", Conformance::SET),
    ("selective-access", Conformance::SELECTIVE_ACCESS),
    ("event-notification", Conformance::EVENT_NOTIFICATION),
    ("action", Conformance::ACTION),
];

/// Bit `n` of the standard's numbering.
const fn bit(n: u32) -> Conformance {
    Conformance(1 << (23 - n))
}

impl Conformance {
    /// Bit 0, reserved-zero: always 0.
    pub const RESERVED_ZERO: Conformance = bit(0);
    /// Bit 1, general-protection: general-glo-ciphering, general-ded-ciphering,
    /// general-ciphering and general-signing (LN and SN).
    pub const GENERAL_PROTECTION: Conformance = bit(1);
    /// Bit 2, general-block-transfer (LN and SN).
    pub const GENERAL_BLOCK_TRANSFER: Conformance = bit(2);
    /// Bit 3, read: the ReadRequest service (SN).
    pub const READ: Conformance = bit(3);
    /// Bit 4, write: the WriteRequest service (SN).
    pub const WRITE: Conformance = bit(4);
    /// Bit 5, unconfirmed-write (SN).
    pub const UNCONFIRMED_WRITE: Conformance = bit(5);
    /// Bit 6, delta-value-encoding (Ed. 10; reserved-six before).
    pub const DELTA_VALUE_ENCODING: Conformance = bit(6);
    /// Bit 7, reserved-seven.
    pub const RESERVED_SEVEN: Conformance = bit(7);
    /// Bit 8, attribute0-supported-with-set (LN).
    pub const ATTRIBUTE0_SUPPORTED_WITH_SET: Conformance = bit(8);
    /// Bit 9, priority-mgmt-supported (LN).
    pub const PRIORITY_MGMT_SUPPORTED: Conformance = bit(9);
    /// Bit 10, attribute0-supported-with-get (LN).
    pub const ATTRIBUTE0_SUPPORTED_WITH_GET: Conformance = bit(10);
    /// Bit 11, block-transfer-with-get-or-read (LN and SN).
    pub const BLOCK_TRANSFER_WITH_GET_OR_READ: Conformance = bit(11);
    /// Bit 12, block-transfer-with-set-or-write (LN and SN).
    pub const BLOCK_TRANSFER_WITH_SET_OR_WRITE: Conformance = bit(12);
    /// Bit 13, block-transfer-with-action (LN).
    pub const BLOCK_TRANSFER_WITH_ACTION: Conformance = bit(13);
    /// Bit 14, multiple-references (LN and SN).
    pub const MULTIPLE_REFERENCES: Conformance = bit(14);
    /// Bit 15, information-report (SN).
    pub const INFORMATION_REPORT: Conformance = bit(15);
    /// Bit 16, data-notification (LN and SN).
    pub const DATA_NOTIFICATION: Conformance = bit(16);
    /// Bit 17, access: the ACCESS service (LN).
    pub const ACCESS: Conformance = bit(17);
    /// Bit 18, parameterized-access (SN).
    pub const PARAMETERIZED_ACCESS: Conformance = bit(18);
    /// Bit 19, get (LN).
    pub const GET: Conformance = bit(19);
    /// Bit 20, set (LN).
    pub const SET: Conformance = bit(20);
    /// Bit 21, selective-access (LN).
    pub const SELECTIVE_ACCESS: Conformance = bit(21);
    /// Bit 22, event-notification (LN).
    pub const EVENT_NOTIFICATION: Conformance = bit(22);
    /// Bit 23, action (LN).
    pub const ACTION: Conformance = bit(23);

    /// No bit set.
    pub const EMPTY: Conformance = Conformance(0);
    /// All 24 bits, reserved ones included.
    pub const ALL: Conformance = Conformance(0x00FF_FFFF);
    /// The bits that apply to logical name referencing (the "LN" column of the Green Book's
    /// conformance table).
    pub const LN: Conformance = Conformance(
        Self::GENERAL_PROTECTION.0
            | Self::GENERAL_BLOCK_TRANSFER.0
            | Self::DELTA_VALUE_ENCODING.0
            | Self::ATTRIBUTE0_SUPPORTED_WITH_SET.0
            | Self::PRIORITY_MGMT_SUPPORTED.0
            | Self::ATTRIBUTE0_SUPPORTED_WITH_GET.0
            | Self::BLOCK_TRANSFER_WITH_GET_OR_READ.0
            | Self::BLOCK_TRANSFER_WITH_SET_OR_WRITE.0
            | Self::BLOCK_TRANSFER_WITH_ACTION.0
            | Self::MULTIPLE_REFERENCES.0
            | Self::DATA_NOTIFICATION.0
            | Self::ACCESS.0
            | Self::GET.0
            | Self::SET.0
            | Self::SELECTIVE_ACCESS.0
            | Self::EVENT_NOTIFICATION.0
            | Self::ACTION.0,
    );
    /// The bits that apply to short name referencing (the "SN" column).
    pub const SN: Conformance = Conformance(
        Self::GENERAL_PROTECTION.0
            | Self::GENERAL_BLOCK_TRANSFER.0
            | Self::READ.0
            | Self::WRITE.0
            | Self::UNCONFIRMED_WRITE.0
            | Self::DELTA_VALUE_ENCODING.0
            | Self::BLOCK_TRANSFER_WITH_GET_OR_READ.0
            | Self::BLOCK_TRANSFER_WITH_SET_OR_WRITE.0
            | Self::MULTIPLE_REFERENCES.0
            | Self::INFORMATION_REPORT.0
            | Self::DATA_NOTIFICATION.0
            | Self::PARAMETERIZED_ACCESS.0,
    );

    /// How many octets [`Conformance::encode`] writes: 7.
    pub const ENCODED_LEN: usize = 7;

    /// The three octets read big-endian.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// The set whose three octets, read big-endian, are `bits`; `None` above 24 bits.
    pub const fn from_bits(bits: u32) -> Option<Conformance> {
        if bits > Self::ALL.0 {
            None
        } else {
            Some(Conformance(bits))
        }
    }

    /// The set of the low 24 bits of `bits`.
    pub const fn from_bits_truncate(bits: u32) -> Conformance {
        Conformance(bits & Self::ALL.0)
    }

    /// The set carried by three octets, as on the wire.
    pub const fn from_octets(octets: [u8; 3]) -> Conformance {
        Conformance(u32::from_be_bytes([0, octets[0], octets[1], octets[2]]))
    }

    /// The three octets, as on the wire.
    pub const fn octets(self) -> [u8; 3] {
        let [_, a, b, c] = self.0.to_be_bytes();
        [a, b, c]
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every bit of `other` is set here.
    pub const fn contains(self, other: Conformance) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set here.
    pub const fn intersects(self, other: Conformance) -> bool {
        self.0 & other.0 != 0
    }

    /// The bits set in both: what a server grants of what a client proposed.
    pub const fn intersection(self, other: Conformance) -> Conformance {
        Conformance(self.0 & other.0)
    }

    /// The bits set in either.
    pub const fn union(self, other: Conformance) -> Conformance {
        Conformance(self.0 | other.0)
    }

    /// The bits set here and not in `other`.
    pub const fn difference(self, other: Conformance) -> Conformance {
        Conformance(self.0 & !other.0)
    }

    /// Sets the bits of `other`.
    pub fn insert(&mut self, other: Conformance) {
        self.0 |= other.0;
    }

    /// Clears the bits of `other`.
    pub fn remove(&mut self, other: Conformance) {
        self.0 &= !other.0;
    }

    /// The standard's name of a single bit; `None` for an empty set or several bits.
    pub fn name(self) -> Option<&'static str> {
        NAMED
            .iter()
            .find(|(_, flag)| *flag == self)
            .map(|(name, _)| *name)
    }

    /// The bits set, in the standard's order (bit 0 first), each with its name.
    pub fn iter(self) -> impl Iterator<Item = (&'static str, Conformance)> {
        NAMED
            .into_iter()
            .filter(move |(_, flag)| self.contains(*flag))
    }

    /// The names of the bits set, in the standard's order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        self.iter().map(|(name, _)| name)
    }

    /// Appends the `[APPLICATION 31] IMPLICIT BIT STRING (SIZE(24))`: `5F 1F 04 00` and the
    /// three octets.
    pub fn encode(self, out: &mut Vec<u8>) {
        self.write(out);
    }

    /// Writes the seven octets to a sink.
    pub(crate) fn write(self, s: &mut dyn Sink) {
        s.put(&[0x5F, 0x1F, 0x04, 0x00]);
        s.put(&self.octets());
    }

    /// Decodes the seven octets [`Conformance::encode`] writes, which must fill `input`.
    ///
    /// # Errors
    /// [`Error::Truncated`] when shorter, [`Error::BadByte`] for another tag, length or
    /// unused-bits octet, [`Error::TrailingBytes`] when longer.
    pub fn decode(input: &[u8]) -> Result<Conformance, Error> {
        let mut r = Reader::new(input);
        let conformance = Conformance::read(&mut r, "conformance")?;
        if !r.is_empty() {
            return Err(Error::TrailingBytes {
                offset: r.offset(),
                what: "conformance",
                count: r.remaining(),
            });
        }
        Ok(conformance)
    }

    /// Reads the seven octets at the reader's position; `what` names the component
    /// (`"proposed-conformance"`, `"negotiated-conformance"`).
    pub(crate) fn read(r: &mut Reader<'_>, what: &'static str) -> Result<Conformance, Error> {
        const HEADER: [(u8, &str); 4] = [
            (0x5F, "0x5F 0x1F ([APPLICATION 31])"),
            (0x1F, "0x5F 0x1F ([APPLICATION 31])"),
            (0x04, "length 0x04"),
            (0x00, "0x00 unused bits"),
        ];
        for (expected_byte, expected) in HEADER {
            let at = r.offset();
            let found = r.u8(what)?;
            if found != expected_byte {
                return Err(Error::BadByte {
                    offset: at,
                    what,
                    expected,
                    found,
                });
            }
        }
        Ok(Conformance::from_octets(r.array(what)?))
    }
}

impl std::ops::BitOr for Conformance {
    type Output = Conformance;
    fn bitor(self, rhs: Conformance) -> Conformance {
        self.union(rhs)
    }
}

impl std::ops::BitOrAssign for Conformance {
    fn bitor_assign(&mut self, rhs: Conformance) {
        self.insert(rhs);
    }
}

impl std::ops::BitAnd for Conformance {
    type Output = Conformance;
    fn bitand(self, rhs: Conformance) -> Conformance {
        self.intersection(rhs)
    }
}

impl std::ops::BitAndAssign for Conformance {
    fn bitand_assign(&mut self, rhs: Conformance) {
        self.0 &= rhs.0;
    }
}

impl std::ops::Sub for Conformance {
    type Output = Conformance;
    fn sub(self, rhs: Conformance) -> Conformance {
        self.difference(rhs)
    }
}

impl std::ops::Not for Conformance {
    type Output = Conformance;
    fn not(self) -> Conformance {
        Conformance(!self.0 & Self::ALL.0)
    }
}

impl std::fmt::Display for Conformance {
    /// The names of the bits set, joined by `" | "`; `"(none)"` for the empty set.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            return f.write_str("(none)");
        }
        for (i, name) in self.names().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Conformance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Conformance({:#08x}: {self})", self.0)
    }
}

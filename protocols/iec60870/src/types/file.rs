//! The information elements of file transfer (IEC 60870-5-101 clauses 7.2.6.28 to 7.2.6.38):
//! names and lengths of files, sections and segments, the qualifiers of each step, the status
//! of a file in a directory and the checksum.
//!
//! ```text
//! NOF   2 octets  UI16 name of file (0 default, no name)
//! NOS   1 octet   UI8  name of section (0 default, no section)
//! LOF   3 octets  UI24 length of file or section
//! LOS   1 octet   UI8  length of segment
//! FRQ   bit 7 BS1 (0 positive, 1 negative confirm of select, request, deactivate, delete) |
//!       bits 6-0 UI7 (0 default, 1..=63 reserved, 64..=127 private)
//! SRQ   bit 7 BS1 (0 section ready to load, 1 not ready) | bits 6-0 UI7 as FRQ
//! SCQ   bits 7-4 UI4 error | bits 3-0 UI4 what to do (1 select file, 2 request file,
//!       3 deactivate file, 4 delete file, 5 select section, 6 request section,
//!       7 deactivate section)
//! LSQ   8 bits: 1 file transfer without deactivation, 2 with deactivation,
//!       3 section transfer without deactivation, 4 with deactivation
//! AFQ   bits 7-4 UI4 error | bits 3-0 UI4 (1 positive and 2 negative ack of a file transfer,
//!       3 positive and 4 negative ack of a section transfer)
//! SOF   bit 7 FA (transfer active) | bit 6 FOR (name of a subdirectory) |
//!       bit 5 LFD (last file of the directory) | bits 4-0 STATUS
//! CHS   1 octet   the sum modulo 256 of the octets of a section (or of the whole file)
//! ```
//!
//! The error of SCQ and AFQ: 1 requested memory space not available, 2 checksum failed,
//! 3 unexpected communication service, 4 unexpected name of file, 5 unexpected name of
//! section. The single-octet elements are newtypes over the octet sent, reserved and private
//! values included, so every octet decodes and re-encodes unchanged.

/// NOF, the name of a file or subdirectory (IEC 60870-5-101 clause 7.2.6.33).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Nof(pub u16);

/// NOS, the name of a section (IEC 60870-5-101 clause 7.2.6.34).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Nos(pub u8);

/// LOF, the length of a file or section in octets, 24 bits (IEC 60870-5-101 clause 7.2.6.35).
///
/// The value is private so that it always fits its three octets: build one with
/// [`Lof::new`] or [`Lof::from_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Lof(u32);

impl Lof {
    /// The largest length three octets hold, 16 777 215.
    pub const MAX: u32 = 0xFF_FFFF;
    /// Its length on the wire.
    pub const LEN: usize = 3;

    /// A length, or `None` above [`Lof::MAX`].
    pub const fn new(value: u32) -> Option<Self> {
        if value <= Self::MAX {
            Some(Self(value))
        } else {
            None
        }
    }

    /// The length, 0..=[`Lof::MAX`].
    pub const fn value(self) -> u32 {
        self.0
    }

    /// Reads the three octets, little-endian.
    pub const fn from_bytes(bytes: [u8; 3]) -> Self {
        let [a, b, c] = bytes;
        Self(a as u32 | (b as u32) << 8 | (c as u32) << 16)
    }

    /// The three octets, little-endian.
    pub const fn to_bytes(self) -> [u8; 3] {
        let [a, b, c, _] = self.0.to_le_bytes();
        [a, b, c]
    }
}

/// LOS, the length of a segment in octets (IEC 60870-5-101 clause 7.2.6.36).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Los(pub u8);

/// FRQ, the file ready qualifier (IEC 60870-5-101 clause 7.2.6.28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Frq(pub u8);

impl Frq {
    /// A qualifier: UI7 (its low seven bits) and BS1, a negative confirmation.
    pub const fn new(value: u8, negative: bool) -> Self {
        Self((value & 0x7F) | if negative { 0x80 } else { 0 })
    }

    /// UI7: 0 default, 1..=63 reserved, 64..=127 private.
    pub const fn value(self) -> u8 {
        self.0 & 0x7F
    }

    /// BS1: a negative confirmation of select, request, deactivate or delete.
    pub const fn negative(self) -> bool {
        self.0 & 0x80 != 0
    }
}

/// SRQ, the section ready qualifier (IEC 60870-5-101 clause 7.2.6.29).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Srq(pub u8);

impl Srq {
    /// A qualifier: UI7 (its low seven bits) and BS1, the section not ready.
    pub const fn new(value: u8, not_ready: bool) -> Self {
        Self((value & 0x7F) | if not_ready { 0x80 } else { 0 })
    }

    /// UI7: 0 default, 1..=63 reserved, 64..=127 private.
    pub const fn value(self) -> u8 {
        self.0 & 0x7F
    }

    /// BS1: the section is not ready to load.
    pub const fn not_ready(self) -> bool {
        self.0 & 0x80 != 0
    }
}

/// The error half of SCQ and AFQ (their high four bits), 0..=15.
pub mod file_error {
    /// 0: no error (default).
    pub const NONE: u8 = 0;
    /// 1: requested memory space not available.
    pub const NO_MEMORY: u8 = 1;
    /// 2: checksum failed.
    pub const CHECKSUM: u8 = 2;
    /// 3: unexpected communication service.
    pub const UNEXPECTED_SERVICE: u8 = 3;
    /// 4: unexpected name of file.
    pub const UNEXPECTED_FILE: u8 = 4;
    /// 5: unexpected name of section.
    pub const UNEXPECTED_SECTION: u8 = 5;
}

/// SCQ, the select and call qualifier (IEC 60870-5-101 clause 7.2.6.30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Scq(pub u8);

impl Scq {
    /// 1: select file.
    pub const SELECT_FILE: Self = Self(1);
    /// 2: request file.
    pub const REQUEST_FILE: Self = Self(2);
    /// 3: deactivate file.
    pub const DEACTIVATE_FILE: Self = Self(3);
    /// 4: delete file.
    pub const DELETE_FILE: Self = Self(4);
    /// 5: select section.
    pub const SELECT_SECTION: Self = Self(5);
    /// 6: request section.
    pub const REQUEST_SECTION: Self = Self(6);
    /// 7: deactivate section.
    pub const DEACTIVATE_SECTION: Self = Self(7);

    /// A qualifier: the action (low four bits) and the error (low four bits; [`file_error`]).
    pub const fn new(action: u8, error: u8) -> Self {
        Self((action & 0x0F) | (error & 0x0F) << 4)
    }

    /// The action, 0..=15 (8..=10 reserved, 11..=15 private).
    pub const fn action(self) -> u8 {
        self.0 & 0x0F
    }

    /// The error, 0..=15 ([`file_error`]; 6..=10 reserved, 11..=15 private).
    pub const fn error(self) -> u8 {
        self.0 >> 4
    }
}

/// LSQ, the last section or segment qualifier (IEC 60870-5-101 clause 7.2.6.31).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Lsq(pub u8);

impl Lsq {
    /// 1: file transfer without deactivation.
    pub const FILE_TRANSFER: Self = Self(1);
    /// 2: file transfer with deactivation.
    pub const FILE_TRANSFER_DEACTIVATED: Self = Self(2);
    /// 3: section transfer without deactivation.
    pub const SECTION_TRANSFER: Self = Self(3);
    /// 4: section transfer with deactivation.
    pub const SECTION_TRANSFER_DEACTIVATED: Self = Self(4);
}

/// AFQ, the acknowledge file or section qualifier (IEC 60870-5-101 clause 7.2.6.32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Afq(pub u8);

impl Afq {
    /// 1: positive acknowledgement of a file transfer.
    pub const FILE_POSITIVE: Self = Self(1);
    /// 2: negative acknowledgement of a file transfer.
    pub const FILE_NEGATIVE: Self = Self(2);
    /// 3: positive acknowledgement of a section transfer.
    pub const SECTION_POSITIVE: Self = Self(3);
    /// 4: negative acknowledgement of a section transfer.
    pub const SECTION_NEGATIVE: Self = Self(4);

    /// A qualifier: the acknowledgement (low four bits) and the error (low four bits;
    /// [`file_error`]).
    pub const fn new(ack: u8, error: u8) -> Self {
        Self((ack & 0x0F) | (error & 0x0F) << 4)
    }

    /// The acknowledgement, 0..=15 (5..=10 reserved, 11..=15 private).
    pub const fn ack(self) -> u8 {
        self.0 & 0x0F
    }

    /// The error, 0..=15 ([`file_error`]).
    pub const fn error(self) -> u8 {
        self.0 >> 4
    }
}

/// SOF, the status of a file in a directory (IEC 60870-5-101 clause 7.2.6.38).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Sof(pub u8);

impl Sof {
    /// A status: STATUS (its low five bits), LFD, FOR and FA.
    pub const fn new(status: u8, last_file: bool, subdirectory: bool, active: bool) -> Self {
        Self(
            (status & 0x1F)
                | if last_file { 0x20 } else { 0 }
                | if subdirectory { 0x40 } else { 0 }
                | if active { 0x80 } else { 0 },
        )
    }

    /// STATUS, 0..=31 (0 default, 1..=15 reserved, 16..=31 private).
    pub const fn status(self) -> u8 {
        self.0 & 0x1F
    }

    /// LFD: this is the last file of the directory.
    pub const fn last_file(self) -> bool {
        self.0 & 0x20 != 0
    }

    /// FOR: the name is that of a subdirectory, not a file.
    pub const fn subdirectory(self) -> bool {
        self.0 & 0x40 != 0
    }

    /// FA: the transfer of this file is active (else it waits).
    pub const fn active(self) -> bool {
        self.0 & 0x80 != 0
    }
}

/// CHS, the checksum of a section or file: the sum modulo 256 of its octets (IEC 60870-5-101
/// clause 7.2.6.37).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Chs(pub u8);

impl Chs {
    /// The checksum of `octets`.
    pub fn of(octets: &[u8]) -> Self {
        Self(0).update(octets)
    }

    /// The checksum with `octets` added: fold the segments of a section through it.
    #[must_use]
    pub fn update(self, octets: &[u8]) -> Self {
        Self(octets.iter().fold(self.0, |sum, b| sum.wrapping_add(*b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lof_is_three_octets_little_endian() {
        let lof = Lof::from_bytes([0x56, 0x34, 0x12]);
        assert_eq!(lof.value(), 0x12_3456);
        assert_eq!(lof.to_bytes(), [0x56, 0x34, 0x12]);
        assert_eq!(Lof::new(Lof::MAX).map(Lof::to_bytes), Some([0xFF; 3]));
        assert_eq!(Lof::new(Lof::MAX + 1), None);
    }

    #[test]
    fn qualifier_halves_are_read_as_the_standard_places_them() {
        assert_eq!(Frq(0xC1).value(), 0x41);
        assert!(Frq(0x80).negative() && !Frq(0x7F).negative());
        assert_eq!(Frq::new(0xFF, false), Frq(0x7F));
        assert!(Srq::new(3, true).not_ready());
        // SCQ 0x25: low nibble 5 select section, high nibble 2 checksum failed.
        let scq = Scq(0x25);
        assert_eq!((scq.action(), scq.error()), (5, file_error::CHECKSUM));
        assert_eq!(Scq::new(2, 4), Scq(0x42));
        let afq = Afq(0x32);
        assert_eq!(
            (afq.ack(), afq.error()),
            (2, file_error::UNEXPECTED_SERVICE)
        );
        assert_eq!(Afq::new(0x13, 0x11), Afq(0x13));
    }

    #[test]
    fn sof_bits_are_status_lfd_for_fa_from_the_low_bit() {
        let sof = Sof(0b1010_0011);
        assert_eq!(sof.status(), 3);
        assert!(sof.last_file() && !sof.subdirectory() && sof.active());
        assert_eq!(Sof::new(0x3F, false, true, false), Sof(0x5F));
    }

    #[test]
    fn the_checksum_is_the_sum_modulo_256_and_folds_over_segments() {
        assert_eq!(Chs::of(&[]), Chs(0));
        assert_eq!(Chs::of(&[0x80, 0x80, 0x05]), Chs(0x05));
        assert_eq!(
            Chs::of(&[1, 2]).update(&[3, 0xFF]),
            Chs::of(&[1, 2, 3, 0xFF])
        );
    }
}

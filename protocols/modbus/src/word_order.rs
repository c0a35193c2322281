//! How devices lay out values wider than one register.
//!
//! The Modbus Application Protocol (V1.1b3 §4.2) fixes big-endian bytes inside one 16-bit
//! register and says nothing about values that span several. Devices differ, and the field names
//! the four layouts after where the bytes `a b c d` of a big-endian 32-bit value land when the
//! registers are read in address order. For 64-bit values the same rule is generalised to four
//! registers:
//!
//! | order  | 32-bit `0xAABBCCDD` | 64-bit `0x1122334455667788` |
//! |--------|---------------------|-----------------------------|
//! | `abcd` | `AABB CCDD`         | `1122 3344 5566 7788`: big-endian |
//! | `cdab` | `CCDD AABB`         | `7788 5566 3344 1122`: registers reversed, bytes big-endian in each |
//! | `badc` | `BBAA DDCC`         | `2211 4433 6655 8877`: bytes swapped in each register |
//! | `dcba` | `DDCC BBAA`         | `8877 6655 4433 2211`: fully little-endian |
//!
//! For one register, `abcd` and `cdab` are the plain register and `badc` and `dcba` swap its bytes.

/// Byte and word order of a value spanning one to four registers (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WordOrder {
    /// Big-endian registers, big-endian bytes in each (Modbus's natural order).
    #[default]
    Abcd,
    /// Registers in reverse order ("word swap"), big-endian bytes in each.
    Cdab,
    /// Registers in big-endian order, bytes swapped in each ("byte swap").
    Badc,
    /// Fully little-endian.
    Dcba,
}

impl WordOrder {
    /// The four orders.
    pub const ALL: [WordOrder; 4] = [
        WordOrder::Abcd,
        WordOrder::Cdab,
        WordOrder::Badc,
        WordOrder::Dcba,
    ];

    /// The name: `"abcd"`, `"cdab"`, `"badc"` or `"dcba"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            WordOrder::Abcd => "abcd",
            WordOrder::Cdab => "cdab",
            WordOrder::Badc => "badc",
            WordOrder::Dcba => "dcba",
        }
    }

    /// The order named `name`, in any case.
    pub fn from_name(name: &str) -> Option<WordOrder> {
        WordOrder::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether the least significant register comes first.
    pub const fn reverses_registers(self) -> bool {
        matches!(self, WordOrder::Cdab | WordOrder::Dcba)
    }

    /// Whether the two bytes inside each register are swapped.
    pub const fn swaps_bytes(self) -> bool {
        matches!(self, WordOrder::Badc | WordOrder::Dcba)
    }

    /// The value held by `regs` (read in address order; at most the first four are used) as one
    /// big-endian integer: two registers give a `u32` in the low bits, four a `u64`.
    pub fn assemble(self, regs: &[u16]) -> u64 {
        let regs = regs.get(..regs.len().min(4)).unwrap_or_default();
        let word = |w: u16| {
            u64::from(if self.swaps_bytes() {
                w.swap_bytes()
            } else {
                w
            })
        };
        if self.reverses_registers() {
            regs.iter().rev().fold(0, |v, &w| (v << 16) | word(w))
        } else {
            regs.iter().fold(0, |v, &w| (v << 16) | word(w))
        }
    }

    /// The inverse of [`WordOrder::assemble`]: fills `out` (in address order; at most four
    /// registers) with the low `16 × out.len()` bits of `value`.
    pub fn split(self, value: u64, out: &mut [u16]) {
        let n = out.len().min(4);
        for (i, slot) in out.iter_mut().take(n).enumerate() {
            // Register i (big-endian order) holds bits 16 × (n - 1 - i) and up.
            let position = if self.reverses_registers() {
                i
            } else {
                n - 1 - i
            };
            let w = (value >> (16 * position)) as u16;
            *slot = if self.swaps_bytes() {
                w.swap_bytes()
            } else {
                w
            };
        }
    }
}

impl core::fmt::Display for WordOrder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::WordOrder::{self, *};
    use proptest::prelude::*;

    #[test]
    fn the_documented_32_and_64_bit_layouts_hold() {
        #[rustfmt::skip]
        let cases: [(WordOrder, [u16; 2], [u16; 4]); 4] = [
            (Abcd, [0xAABB, 0xCCDD], [0x1122, 0x3344, 0x5566, 0x7788]),
            (Cdab, [0xCCDD, 0xAABB], [0x7788, 0x5566, 0x3344, 0x1122]),
            (Badc, [0xBBAA, 0xDDCC], [0x2211, 0x4433, 0x6655, 0x8877]),
            (Dcba, [0xDDCC, 0xBBAA], [0x8877, 0x6655, 0x4433, 0x2211]),
        ];
        for (order, regs32, regs64) in cases {
            assert_eq!(order.assemble(&regs32), 0xAABB_CCDD, "{order} 32-bit");
            assert_eq!(
                order.assemble(&regs64),
                0x1122_3344_5566_7788,
                "{order} 64-bit"
            );
            let mut out = [0u16; 4];
            order.split(0x1122_3344_5566_7788, &mut out);
            assert_eq!(out, regs64, "{order} split");
        }
    }

    #[test]
    fn one_register_is_byte_swapped_only_by_badc_and_dcba() {
        let swapped: Vec<u64> = WordOrder::ALL
            .iter()
            .map(|o| o.assemble(&[0x1234]))
            .collect();
        assert_eq!(swapped, [0x1234, 0x1234, 0x3412, 0x3412]);
    }

    #[test]
    fn names_round_trip_in_any_case() {
        for order in WordOrder::ALL {
            assert_eq!(
                WordOrder::from_name(&order.as_str().to_uppercase()),
                Some(order)
            );
        }
        assert_eq!(WordOrder::from_name("abdc"), None);
    }

    proptest! {
        #[test]
        fn split_then_assemble_gives_the_value_back(value: u64, order in 0usize..4, n in 1usize..=4) {
            let order = WordOrder::ALL[order];
            let mut regs = [0u16; 4];
            order.split(value, &mut regs[..n]);
            let mask = if n == 4 { u64::MAX } else { (1u64 << (16 * n)) - 1 };
            prop_assert_eq!(order.assemble(&regs[..n]), value & mask);
        }
    }
}

//! CRC-16/MODBUS, the RTU frame check (Modbus over serial line V1.02 §2.5.1.2, §6.2.2).
//!
//! Polynomial 0x8005 reflected (0xA001), initial value 0xFFFF, no final XOR. On the wire the CRC
//! follows the frame low byte first.

/// The byte-at-a-time lookup table, built at compile time.
const TABLE: [u16; 256] = build_table();

// Evaluated at compile time, where an out-of-range index is a build error, not a panic.
#[allow(clippy::indexing_slicing)]
const fn build_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut crc = byte as u16;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[byte] = crc;
        byte += 1;
    }
    table
}

/// The CRC's value before any byte (§6.2.2: "preload a 16-bit register with 0xFFFF").
pub const INIT: u16 = 0xFFFF;

/// Feeds one byte into a running CRC.
#[inline]
pub fn update(crc: u16, byte: u8) -> u16 {
    let index = usize::from((crc ^ u16::from(byte)) & 0xFF);
    let entry = TABLE.get(index).copied().unwrap_or_default();
    (crc >> 8) ^ entry
}

/// The CRC-16/MODBUS of `bytes` (§6.2.2). Write it low byte first (`u16::to_le_bytes`).
pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(INIT, |crc, &byte| update(crc, byte))
}

#[cfg(test)]
mod tests {
    use super::crc16;

    #[test]
    fn crc_of_the_standard_check_string_is_0x4b37() {
        // CRC-16/MODBUS catalogue check value.
        assert_eq!(crc16(b"123456789"), 0x4B37);
    }

    #[test]
    fn crc_of_the_read_holding_registers_example_is_c5_cd_on_the_wire() {
        // 01 03 00 00 00 0A  C5 CD: slave 1, FC3, address 0, 10 registers.
        assert_eq!(
            crc16(&[0x01, 0x03, 0x00, 0x00, 0x00, 0x0A]).to_le_bytes(),
            [0xC5, 0xCD]
        );
    }

    #[test]
    fn crc_of_nothing_is_the_initial_value() {
        assert_eq!(crc16(&[]), 0xFFFF);
    }
}

//! CRC-16/X.25, the HCS and FCS of HDLC frames (IEC 62056-46 clause 6.4.4.5 and 6.4.4.6, which
//! refer to ISO/IEC 13239 clause 4.2.5): polynomial 0x1021 reflected (0x8408), initial value and
//! final XOR 0xFFFF. The result goes on the wire low byte first.

/// The 256-entry table of the reflected polynomial, built at compile time.
const TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u16;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x8408
            } else {
                crc >> 1
            };
            bit += 1;
        }
        #[allow(clippy::indexing_slicing)] // ok: const context, i < 256 by the loop
        {
            table[i] = crc;
        }
        i += 1;
    }
    table
};

/// The CRC-16/X.25 of `data` (check value: `crc16(b"123456789") == 0x906E`).
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        let index = usize::from((crc ^ u16::from(byte)) & 0xFF);
        // `index` is below 256 by the mask: the lookup cannot fail.
        crc = (crc >> 8) ^ TABLE.get(index).copied().unwrap_or(0);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::crc16;

    #[test]
    fn check_value_of_the_catalogue() {
        assert_eq!(crc16(b"123456789"), 0x906E);
    }

    #[test]
    fn fcs_of_an_rr_frame_header() {
        // 7E A0 07 03 21 93 | 0F 01 | 7E: the FCS is sent low byte first.
        assert_eq!(
            crc16(&[0xA0, 0x07, 0x03, 0x21, 0x93]).to_le_bytes(),
            [0x0F, 0x01]
        );
    }
}

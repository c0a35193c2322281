//! LRC, the ASCII frame check (Modbus over serial line V1.02 §2.5.2.2, §6.2.1).
//!
//! The two's complement of the 8-bit sum of the frame's bytes (address through data, as binary
//! values, not as hex characters).

/// The LRC of `bytes` (§6.2.1): the sum modulo 256, negated.
pub fn lrc(bytes: &[u8]) -> u8 {
    bytes
        .iter()
        .fold(0u8, |sum, &byte| sum.wrapping_add(byte))
        .wrapping_neg()
}

#[cfg(test)]
mod tests {
    use super::lrc;

    #[test]
    fn lrc_of_the_read_one_holding_register_example_is_fb() {
        // :01 03 0000 0001 FB CR LF
        assert_eq!(lrc(&[0x01, 0x03, 0x00, 0x00, 0x00, 0x01]), 0xFB);
    }

    #[test]
    fn lrc_of_a_frame_plus_its_lrc_sums_to_zero() {
        let frame = [0x11, 0x03, 0x00, 0x6B, 0x00, 0x03];
        assert_eq!(lrc(&frame), 0x7E);
        let sum = frame.iter().fold(lrc(&frame), |s, &b| s.wrapping_add(b));
        assert_eq!(sum, 0);
    }
}

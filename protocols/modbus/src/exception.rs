//! Exception codes (Modbus Application Protocol Specification V1.1b3 §7).

use core::fmt;

/// The exception code of an exception response (Application Protocol Specification V1.1b3 §7).
///
/// Any byte is representable; the codes the specification defines have named constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExceptionCode(pub u8);

impl ExceptionCode {
    /// 0x01 ILLEGAL FUNCTION.
    pub const ILLEGAL_FUNCTION: Self = Self(0x01);
    /// 0x02 ILLEGAL DATA ADDRESS.
    pub const ILLEGAL_DATA_ADDRESS: Self = Self(0x02);
    /// 0x03 ILLEGAL DATA VALUE.
    pub const ILLEGAL_DATA_VALUE: Self = Self(0x03);
    /// 0x04 SERVER DEVICE FAILURE.
    pub const SERVER_DEVICE_FAILURE: Self = Self(0x04);
    /// 0x05 ACKNOWLEDGE.
    pub const ACKNOWLEDGE: Self = Self(0x05);
    /// 0x06 SERVER DEVICE BUSY.
    pub const SERVER_DEVICE_BUSY: Self = Self(0x06);
    /// 0x08 MEMORY PARITY ERROR.
    pub const MEMORY_PARITY_ERROR: Self = Self(0x08);
    /// 0x0A GATEWAY PATH UNAVAILABLE.
    pub const GATEWAY_PATH_UNAVAILABLE: Self = Self(0x0A);
    /// 0x0B GATEWAY TARGET DEVICE FAILED TO RESPOND.
    pub const GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND: Self = Self(0x0B);

    /// The standard name from the specification's table (§7), e.g. `"ILLEGAL DATA ADDRESS"`, or
    /// `"UNKNOWN EXCEPTION"`.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x01 => "ILLEGAL FUNCTION",
            0x02 => "ILLEGAL DATA ADDRESS",
            0x03 => "ILLEGAL DATA VALUE",
            0x04 => "SERVER DEVICE FAILURE",
            0x05 => "ACKNOWLEDGE",
            0x06 => "SERVER DEVICE BUSY",
            0x08 => "MEMORY PARITY ERROR",
            0x0A => "GATEWAY PATH UNAVAILABLE",
            0x0B => "GATEWAY TARGET DEVICE FAILED TO RESPOND",
            _ => "UNKNOWN EXCEPTION",
        }
    }
}

impl From<u8> for ExceptionCode {
    fn from(value: u8) -> Self {
        Self(value)
    }
}

impl From<ExceptionCode> for u8 {
    fn from(value: ExceptionCode) -> Self {
        value.0
    }
}

/// Shows the name and the code, e.g. `ILLEGAL DATA ADDRESS (0x02)`.
impl fmt::Display for ExceptionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:#04x})", self.name(), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::ExceptionCode;

    #[test]
    fn exception_codes_have_their_standard_names() {
        assert_eq!(
            ExceptionCode::ILLEGAL_DATA_ADDRESS.name(),
            "ILLEGAL DATA ADDRESS"
        );
        assert_eq!(
            ExceptionCode(0x0B).name(),
            "GATEWAY TARGET DEVICE FAILED TO RESPOND"
        );
        assert_eq!(ExceptionCode(0x07).name(), "UNKNOWN EXCEPTION");
        assert_eq!(
            ExceptionCode::ILLEGAL_FUNCTION.to_string(),
            "ILLEGAL FUNCTION (0x01)"
        );
    }
}

//! Function codes (Modbus Application Protocol Specification V1.1b3 §5.1, §6).

use core::fmt;

/// A Modbus function code: the first byte of every PDU (Application Protocol Specification
/// V1.1b3 §4.1, §5.1).
///
/// Any byte is representable, so unknown codes still parse and can be shown. Public codes this
/// crate parses into typed messages have named constants; a few other public codes are named too so
/// a monitoring tool can label them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FunctionCode(pub u8);

impl FunctionCode {
    /// 0x01 Read Coils (§6.1).
    pub const READ_COILS: Self = Self(0x01);
    /// 0x02 Read Discrete Inputs (§6.2).
    pub const READ_DISCRETE_INPUTS: Self = Self(0x02);
    /// 0x03 Read Holding Registers (§6.3).
    pub const READ_HOLDING_REGISTERS: Self = Self(0x03);
    /// 0x04 Read Input Registers (§6.4).
    pub const READ_INPUT_REGISTERS: Self = Self(0x04);
    /// 0x05 Write Single Coil (§6.5).
    pub const WRITE_SINGLE_COIL: Self = Self(0x05);
    /// 0x06 Write Single Register (§6.6).
    pub const WRITE_SINGLE_REGISTER: Self = Self(0x06);
    /// 0x07 Read Exception Status, serial line only (§6.7). Parsed as unknown.
    pub const READ_EXCEPTION_STATUS: Self = Self(0x07);
    /// 0x08 Diagnostics, serial line only (§6.8). Parsed as unknown.
    pub const DIAGNOSTICS: Self = Self(0x08);
    /// 0x0B Get Comm Event Counter, serial line only (§6.9). Parsed as unknown.
    pub const GET_COMM_EVENT_COUNTER: Self = Self(0x0B);
    /// 0x0C Get Comm Event Log, serial line only (§6.10). Parsed as unknown.
    pub const GET_COMM_EVENT_LOG: Self = Self(0x0C);
    /// 0x0F Write Multiple Coils (§6.11).
    pub const WRITE_MULTIPLE_COILS: Self = Self(0x0F);
    /// 0x10 Write Multiple Registers (§6.12).
    pub const WRITE_MULTIPLE_REGISTERS: Self = Self(0x10);
    /// 0x11 Report Server ID, serial line only (§6.13). Parsed as unknown.
    pub const REPORT_SERVER_ID: Self = Self(0x11);
    /// 0x14 Read File Record (§6.14). Parsed as unknown.
    pub const READ_FILE_RECORD: Self = Self(0x14);
    /// 0x15 Write File Record (§6.15). Parsed as unknown.
    pub const WRITE_FILE_RECORD: Self = Self(0x15);
    /// 0x16 Mask Write Register (§6.16).
    pub const MASK_WRITE_REGISTER: Self = Self(0x16);
    /// 0x17 Read/Write Multiple Registers (§6.17).
    pub const READ_WRITE_MULTIPLE_REGISTERS: Self = Self(0x17);
    /// 0x18 Read FIFO Queue (§6.18). Parsed as unknown.
    pub const READ_FIFO_QUEUE: Self = Self(0x18);
    /// 0x2B Encapsulated Interface Transport (§6.19); MEI type 0x0E, Read Device Identification
    /// (§6.21), is parsed, other MEI types are unknown.
    pub const ENCAPSULATED_INTERFACE_TRANSPORT: Self = Self(0x2B);

    /// The bit set in the function code of an exception response (§7).
    pub const EXCEPTION_BIT: u8 = 0x80;

    /// The function's name as the specification's function code table gives it (§5.1), or
    /// `"Unknown"`. For an exception response's code (0x80 and above) it names the function the
    /// exception answers.
    pub fn name(self) -> &'static str {
        match self.0 & !Self::EXCEPTION_BIT {
            0x01 => "Read Coils",
            0x02 => "Read Discrete Inputs",
            0x03 => "Read Holding Registers",
            0x04 => "Read Input Registers",
            0x05 => "Write Single Coil",
            0x06 => "Write Single Register",
            0x07 => "Read Exception Status",
            0x08 => "Diagnostics",
            0x0B => "Get Comm Event Counter",
            0x0C => "Get Comm Event Log",
            0x0F => "Write Multiple Coils",
            0x10 => "Write Multiple Registers",
            0x11 => "Report Server ID",
            0x14 => "Read File Record",
            0x15 => "Write File Record",
            0x16 => "Mask Write Register",
            0x17 => "Read/Write Multiple Registers",
            0x18 => "Read FIFO Queue",
            0x2B => "Encapsulated Interface Transport",
            _ => "Unknown",
        }
    }

    /// True for the function code of an exception response (high bit set, §7).
    pub fn is_exception(self) -> bool {
        self.0 & Self::EXCEPTION_BIT != 0
    }
}

impl From<u8> for FunctionCode {
    fn from(value: u8) -> Self {
        Self(value)
    }
}

impl From<FunctionCode> for u8 {
    fn from(value: FunctionCode) -> Self {
        value.0
    }
}

/// Shows the name and the code, e.g. `Read Holding Registers (0x03)`.
impl fmt::Display for FunctionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:#04x})", self.name(), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::FunctionCode;

    #[test]
    fn function_codes_are_named_as_in_the_spec_table() {
        assert_eq!(
            FunctionCode::READ_HOLDING_REGISTERS.name(),
            "Read Holding Registers"
        );
        assert_eq!(FunctionCode(0x83).name(), "Read Holding Registers");
        assert_eq!(FunctionCode(0x42).name(), "Unknown");
        assert_eq!(
            FunctionCode::READ_WRITE_MULTIPLE_REGISTERS.to_string(),
            "Read/Write Multiple Registers (0x17)"
        );
        assert!(FunctionCode(0x81).is_exception());
        assert!(!FunctionCode::READ_COILS.is_exception());
    }
}

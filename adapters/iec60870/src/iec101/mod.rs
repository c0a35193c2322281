//! The IEC 60870-5-101 source: a controlling station on a serial line. Filled in by issue 16's
//! IEC 101 work.

/// The IEC 60870-5-101 driver for the bridge's registry: `protocol = "iec101"` (not yet running
/// sources: its [`unsupported`](fieldbridge_core::source::Driver::unsupported) says so).
#[derive(Debug, Clone, Copy, Default)]
pub struct Iec101Driver;

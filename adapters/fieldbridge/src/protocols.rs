//! The protocols built into this binary: one registration line each (`docs/architecture.md`,
//! "Adding a protocol").

use fieldbridge_core::source::Registry;

/// Every protocol driver of the `fieldbridge` binary.
pub fn registry() -> Registry {
    Registry::new()
        .with(fieldbridge_source_modbus::Driver)
        .with(fieldbridge_source_iec60870::Iec104Driver)
        .with(fieldbridge_source_iec60870::Iec101Driver)
        .with(fieldbridge_source_dlms::Driver)
        .with(fieldbridge_source_dlms::PushDriver)
}

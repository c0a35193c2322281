//! The DLMS/COSEM client source of fieldbridge (IEC 62056-5-3, DLMS UA 1000-2 Ed. 10 "Green
//! Book").
//!
//! [`session`] is the sans-IO client: the association (AARQ/AARE with no or low-level
//! authentication), GET with block transfer, the release, the invoke-id and the reply timer. It
//! takes APDUs in and hands APDUs out; the transport (the TCP wrapper, HDLC) is the caller's.
//!
//! [`Driver`] (`protocol = "dlms"`) runs a source over the TCP wrapper ([`link`]) or HDLC
//! over TCP ([`hdlc_link`]): it polls registers (scaled, with their unit), data and the clock
//! (with its offset from the bridge's clock) every `poll`, reports `$state` and its counters,
//! and associates again after any error.
//!
//! Not yet here (refused by [`refusals`], so `fieldbridge check` says so): HDLC on a serial
//! line, high-level (GMAC) authentication and ciphering, Profile generic and commands (SET,
//! ACTION).

#![deny(missing_docs)]

pub mod catchup;
pub mod convert;
mod driver;
pub mod hdlc_link;
pub mod invocation;
pub mod keys;
pub mod link;
pub mod profile;
pub mod push;
pub mod session;
pub mod state_file;

pub use driver::{meta, refusals, Driver};
pub use push::PushDriver;
pub use session::{Authentication, Received, Session, SessionConfig, SessionError};

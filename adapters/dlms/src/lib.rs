//! The DLMS/COSEM client source of fieldbridge (IEC 62056-5-3, DLMS UA 1000-2 Ed. 10 "Green
//! Book").
//!
//! [`session`] is the sans-IO client: the association (AARQ/AARE with no or low-level
//! authentication), GET with block transfer, the release, the invoke-id and the reply timer. It
//! takes APDUs in and hands APDUs out; the transport (the TCP wrapper, HDLC) is the caller's.
//!
//! Not yet here: high-level (GMAC) authentication and ciphering, the driver that polls the
//! configured points through the source seam, Profile generic and commands.

#![deny(missing_docs)]

pub mod convert;
pub mod session;

pub use session::{Authentication, Received, Session, SessionConfig, SessionError};

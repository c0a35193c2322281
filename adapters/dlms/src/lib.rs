//! The DLMS/COSEM sources of fieldbridge (IEC 62056-5-3, IEC 62056-6-2, DLMS UA 1000-2 Ed. 10
//! "Green Book"). `docs/dlms.md` says what they support and how it lands on MQTT.
//!
//! [`session`] is the sans-IO client: the association (AARQ/AARE with no, low-level or HLS-GMAC
//! authentication, suite-0 ciphering, logical or short name referencing), GET with block
//! transfer and selective access, SET, ACTION, the release, invoke-ids and the reply timer. It
//! takes APDUs in and hands APDUs out; the transport is the caller's.
//!
//! [`Driver`] (`protocol = "dlms"`) reads a meter over the TCP wrapper ([`link`]) or HDLC on a
//! serial line or over TCP ([`hdlc_link`]), one cycle per `poll` (connect, associate, read,
//! release, close): registers scaled with their unit (the raw value and scaler kept as facts),
//! data, the clock (with its offset from the bridge's clock) and profile generic buffers with
//! catch-up ([`profile`], [`catchup`]); it keeps the client's invocation counter on disk
//! ([`invocation`]) and reads the keys of the configuration ([`keys`]).
//!
//! [`PushDriver`] (`protocol = "dlms-push"`) listens for the DataNotification and
//! EventNotification pushes of meters ([`push`]).

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

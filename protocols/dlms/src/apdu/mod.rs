//! xDLMS APDUs (IEC 62056-5-3, DLMS UA 1000-2 Ed. 10 clause 9.5): the association (ACSE) and
//! data-transfer services, each as a borrowed view for decoding and an owned value for encoding.

pub mod association;
pub mod ber;
pub mod conformance;
pub mod initiate;
pub mod release;

pub mod action;
pub mod exception;
pub mod get;
pub mod notification;
pub mod selective;
pub mod set;
pub mod sn;

mod any;
pub use any::Apdu;

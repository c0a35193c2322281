//! Information elements shared by IEC 60870-5-101 and -104 (IEC 60870-5-101 clause 7.2.6).
//!
//! So far the time tags; quality descriptors and values follow with the ASDU.

pub mod time;

pub use time::{CivilDateTime, Cp16Time2a, Cp24Time2a, Cp56Time2a};

//! The IEC 60870-5 sources of fieldbridge: controlling stations (masters) of IEC 60870-5-104 over
//! TCP and IEC 60870-5-101 over a serial line, turning every information object of the monitoring
//! direction into a normalized point and carrying commands of the control direction from the
//! command router to the field (issue 16; `docs/iec104.md`, `docs/iec101.md`).
//!
//! Both profiles share the application layer (IEC 60870-5-101 clause 7, which -104 clause 8
//! adopts), and so do their sources: the point table ([`points`]), the conversion of information
//! elements to values and quality ([`convert`]), the follow-up of station interrogations
//! ([`interrogation`]) and the select-before-operate command exchange ([`command`]). What differs
//! is the link: [`iec104`] runs the APCI link over TCP with redundant endpoints, [`iec101`] the
//! FT1.2 link procedures, unbalanced or balanced, over a serial line.
//!
//! Each profile is one driver for the bridge's registry: [`Iec104Driver`] and [`Iec101Driver`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod command;
pub mod convert;
pub mod iec101;
pub mod iec104;
mod interrogation;
mod master;
mod points;

pub use iec101::Iec101Driver;
pub use iec104::Iec104Driver;

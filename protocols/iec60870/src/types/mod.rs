//! Information elements shared by IEC 60870-5-101 and -104 (IEC 60870-5-101 clause 7.2.6).
//!
//! Time tags, quality descriptors, values, command elements, qualifiers and the elements of
//! file transfer. Single-octet elements are newtypes over the octet sent, reserved bits
//! included, so every octet decodes and re-encodes unchanged; the scaled value (SVA), short
//! float (R32) and bitstring (BSI) are plain `i16`, `f32` and `u32`.

pub mod commands;
pub mod file;
pub mod qualifiers;
pub mod quality;
pub mod time;
pub mod values;

pub use commands::{Dco, Qos, Qu, Rco, Sco};
pub use file::{Afq, Chs, Frq, Lof, Los, Lsq, Nof, Nos, Scq, Sof, Srq};
pub use qualifiers::{Coi, Qcc, Qoi, Qpa, Qpm, Qrp};
pub use quality::{Diq, DoublePoint, Oci, Qdp, Qds, Sep, Siq, Spe};
pub use time::{CivilDateTime, Cp16Time2a, Cp24Time2a, Cp56Time2a};
pub use values::{Bcr, Nva, Scd, Vti};

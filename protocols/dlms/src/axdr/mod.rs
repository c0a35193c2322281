//! A-XDR Data: the `Data` CHOICE of COSEM (IEC 62056-6-2 clause 4.1.5, DLMS UA 1000-1 "Blue Book"
//! 4.1.5) in its A-XDR encoding (IEC 61334-6 clause 6, DLMS UA 1000-2 Ed. 10 clause 9.6).
//!
//! [`DataRef`] is a validated view of one encoded element: decoding walks the whole tree once,
//! without recursion and without allocating, checks every declared length and element count
//! against the bytes left and bounds the nesting depth ([`Limits`]); after that every accessor is
//! infallible. [`Data`] is the owned tree, for building values and for [`DataRef::to_owned`].
//!
//! Layout of one element: a type tag octet ([`DataType`]), then
//! - nothing for null-data and dont-care;
//! - a fixed number of big-endian octets for the numbers, boolean, enum, bcd, floats and the
//!   12-, 5- and 4-octet date-time, date and time;
//! - an A-XDR length then that many octets for octet-, visible- and utf8-string; for a bit-string
//!   the length counts bits and `ceil(bits / 8)` octets follow;
//! - an A-XDR element count then the elements, each with its own tag, for array and structure;
//! - for compact-array, a type description then the contents as one octet string in which the
//!   values follow each other without tags ([`compact`]).

pub mod compact;
mod datetime;
mod owned;
mod tag;
mod view;
mod walk;

pub use compact::{CompactArrayRef, TypeDescription};
pub use datetime::{ClockStatus, Date, DateTime, Time, DEVIATION_NOT_SPECIFIED, NOT_SPECIFIED};
pub use owned::{BitString, Data};
pub use tag::DataType;
pub use view::{BitStr, DataRef, Items, Value};
pub use walk::Limits;

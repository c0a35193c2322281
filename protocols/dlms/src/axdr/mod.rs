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
//! - a fixed number of big-endian octets for the numbers (delta types included), boolean (0x00 is
//!   false, any other octet true; the encoder writes 0x01), enum, bcd, floats and the 12-, 5- and
//!   4-octet date-time, date and time ([`DateTime`], with conversions to and from UTC);
//! - an A-XDR length then that many octets for octet-, visible- and utf8-string; for a bit-string
//!   the length counts bits and `ceil(bits / 8)` octets follow;
//! - an A-XDR element count then the elements, each with its own tag, for array and structure;
//! - for compact-array, a type description then the contents as one octet string in which the
//!   values follow each other without tags ([`compact`]).
//!
//! # Allocation
//! The view path allocates nothing: [`DataRef::decode`] (and `decode_with`, `decode_all`),
//! [`DataRef::value`], [`DataRef::events`], [`Items`] and [`CompactArrayRef`]'s
//! `description_bytes`/`contents` work in fixed stack space (the walks' depth stacks and the
//! compact-array description table are arrays).
//! Owned values allocate: [`DataRef::to_owned`], [`Value::to_data`],
//! [`CompactArrayRef::description`], [`CompactArrayRef::values`], and the `Display` of a
//! compact-array, which shows its values.
//!
//! # Work
//! Decoding is linear in the input: every element is visited once, and compact-array contents are
//! checked against their description in work bounded per octet ([`MAX_DESCRIPTION_NODES`]).
//! After that nothing is checked again. [`DataRef::events`] reads the whole tree in one more pass
//! ([`Event`]s: array or structure with its count, value, end), linear too. [`Items`] hands out
//! whole elements, finding each one's end by skipping it (one counter, no validation), so
//! iterating a whole tree level by level with [`Items`] costs its size times its depth: prefer
//! [`DataRef::events`] to read every value.

pub mod compact;
mod datetime;
mod events;
mod owned;
mod render;
mod shape;
mod tag;
mod view;
mod walk;

pub use compact::{CompactArrayRef, CompactValues, TypeDescription, EXPANSION_SLACK};
pub use datetime::{
    ClockStatus, Date, DateTime, DeviationSign, Time, UtcTime, DEVIATION_NOT_SPECIFIED,
    NOT_SPECIFIED,
};
pub use events::{Event, Events};
pub use owned::{BitString, Data};
pub use shape::MAX_DESCRIPTION_NODES;
pub use tag::DataType;
pub use view::{BitStr, DataRef, Items, Value};
pub use walk::{Limits, DEPTH_CEILING};

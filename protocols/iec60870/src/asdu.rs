//! The application service data unit shared by IEC 60870-5-101 and -104 (IEC 60870-5-101 clause
//! 7, IEC 60870-5-104 clause 8): the data unit identifier and the information objects.
//!
//! ```text
//! data unit identifier   type ID | VSQ (SQ, count) | COT (T, P/N, cause) [originator] | CA
//! information objects    IOA element [time tag] ...  (SQ = 0)
//!                        IOA element [time tag] element [time tag] ...  (SQ = 1)
//! ```
//!
//! Two forms: [`Asdu`], a view borrowed from the buffer whose [`Asdu::objects`] reads the
//! objects lazily without allocating (and [`Asdu::segments`] the file segments of F_SG_NA_1),
//! and [`OwnedAsdu`], for building frames. The field sizes are a system parameter:
//! [`AsduConfig`].

mod element;
mod header;
mod owned;
mod segment;
mod type_id;
mod view;

pub use element::{
    Element, ElementKind, InformationObject, Layout, TimeKind, TimeTag, FIXED_TEST_PATTERN,
};
pub use header::{AsduConfig, CaLen, Cot, CotLen, Header, IoaLen};
pub use owned::{OwnedAsdu, OwnedBody};
pub use segment::{OwnedSegment, Segment, Segments};
pub use type_id::TypeId;
pub use view::{Asdu, Objects};

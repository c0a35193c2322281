//! One information object: its address, its element and its time tag (IEC 60870-5-101 clause
//! 7.3).

use super::layout::{Layout, TimeKind};
use super::{Element, Reader};
use crate::types::{Cp24Time2a, Cp56Time2a};

/// A time tag as sent after an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeTag {
    /// Three octets: milliseconds and minutes (101 only).
    Cp24(Cp24Time2a),
    /// Seven octets: date and time.
    Cp56(Cp56Time2a),
}

impl TimeTag {
    /// Which kind of tag.
    pub const fn kind(&self) -> TimeKind {
        match self {
            Self::Cp24(_) => TimeKind::Cp24,
            Self::Cp56(_) => TimeKind::Cp56,
        }
    }
}

/// One information object: its address, its element and the time tag its type ID calls for
/// (IEC 60870-5-101 clause 7.3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InformationObject {
    /// The information object address. With SQ = 1, the first object's address plus its index.
    pub address: u32,
    /// The element.
    pub element: Element,
    /// The time tag, for the type IDs that carry one.
    pub time: Option<TimeTag>,
}

impl InformationObject {
    /// An object without a time tag.
    pub const fn new(address: u32, element: Element) -> Self {
        Self {
            address,
            element,
            time: None,
        }
    }

    /// An object with a time tag.
    pub const fn with_time(address: u32, element: Element, time: TimeTag) -> Self {
        Self {
            address,
            element,
            time: Some(time),
        }
    }

    /// Whether the element and time tag are those `layout` calls for.
    pub fn fits(&self, layout: &Layout) -> bool {
        self.element.kind() == layout.element
            && self.time.map_or(TimeKind::None, |t| t.kind()) == layout.time
    }

    /// Reads the element and time tag of `layout` from `bytes` (exactly
    /// [`Layout::element_len`] octets; a short slice reads as zeros).
    #[inline]
    pub(crate) fn decode(address: u32, layout: &Layout, bytes: &[u8]) -> Self {
        let (element, time) = bytes
            .split_at_checked(layout.element.len())
            .unwrap_or((bytes, &[]));
        let mut r = Reader(time);
        Self {
            address,
            element: Element::decode(layout.element, element),
            time: match layout.time {
                TimeKind::None => None,
                TimeKind::Cp24 => Some(TimeTag::Cp24(Cp24Time2a::from_bytes(r.take()))),
                TimeKind::Cp56 => Some(TimeTag::Cp56(Cp56Time2a::from_bytes(r.take()))),
            },
        }
    }
}

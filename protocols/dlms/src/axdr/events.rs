//! A single pass over a validated Data tree: its arrays, structures and values as events, in
//! document order.
//!
//! ```text
//! 02 02                      structure of 2       Event::Structure(2)
//!    09 06 01 00 01 08 00 FF   octet-string       Event::Value(Value::OctetString(..))
//!    01 00                     array of 0         Event::Array(0)
//!                                                 Event::End
//!                                                 Event::End
//! ```
//!
//! [`Items`](super::Items) hands out whole elements, so walking a tree level by level finds the
//! end of each element once per level above it; [`Events`] reads every octet once. The open
//! containers' counts live in a fixed array of [`DEPTH_CEILING`](super::DEPTH_CEILING) entries,
//! which every validated tree fits (validation bounds the depth by [`Limits`](super::Limits)).

use super::compact::CompactArrayRef;
use super::tag::{class, class_of, DataType};
use super::view::{body_value, Value};
use super::walk::{read_length, skip_description, DEPTH_CEILING};

/// One step of a walk over a Data tree ([`DataRef::events`](super::DataRef::events)).
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// An array opens: its number of elements. Its elements' events follow, then [`Event::End`].
    Array(usize),
    /// A structure opens: its number of elements. Its elements' events follow, then
    /// [`Event::End`].
    Structure(usize),
    /// The innermost open array or structure closes.
    End,
    /// An element that is not an array or structure (compact-arrays included: their values are
    /// read with [`CompactArrayRef`]).
    Value(Value<'a>),
}

/// The events of a validated Data element ([`DataRef::events`](super::DataRef::events)): every
/// octet read once, nothing allocated.
#[derive(Debug, Clone)]
pub struct Events<'a> {
    /// The octets after the last event.
    rest: &'a [u8],
    /// Elements still to read in each open container, innermost last.
    open: [u32; DEPTH_CEILING],
    /// Open containers.
    depth: usize,
    /// Whether the top element is still to read.
    top: bool,
}

impl<'a> Events<'a> {
    /// The events of the validated element at the start of `bytes`.
    #[inline]
    pub(crate) fn new(bytes: &'a [u8]) -> Events<'a> {
        Events {
            rest: bytes,
            open: [0; DEPTH_CEILING],
            depth: 0,
            top: true,
        }
    }

    /// Whether every event was handed out.
    pub fn is_done(&self) -> bool {
        !self.top && self.depth == 0
    }

    /// The number of containers open: 0 before the top element and after its last event.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The next event, or `None` at the end and for bytes that turn out not to be a validated
    /// element (then the walk stays ended).
    #[inline(always)]
    fn step(&mut self) -> Option<Event<'a>> {
        match self.depth.checked_sub(1) {
            None if self.top => self.top = false,
            None => return None,
            Some(inner) => {
                let left = self.open.get_mut(inner)?;
                if *left == 0 {
                    self.depth = inner;
                    return Some(Event::End);
                }
                *left -= 1;
            }
        }
        let (&tag, body) = self.rest.split_first()?;
        let kind = class_of(tag);
        let data_type = DataType::from_tag(tag)?;
        if kind <= class::MAX_FIXED {
            let (value, rest) = body.split_at_checked(usize::from(kind))?;
            self.rest = rest;
            return Some(Event::Value(body_value(data_type, value)));
        }
        if kind == class::COMPACT {
            let description_len = skip_description(body)?;
            let (description, after) = body.split_at_checked(description_len)?;
            let (len, header) = read_length(after)?;
            let (contents, rest) = after.get(header..)?.split_at_checked(len)?;
            self.rest = rest;
            return Some(Event::Value(Value::CompactArray(CompactArrayRef {
                description,
                contents,
            })));
        }
        let (value, header) = read_length(body)?;
        match kind {
            class::ELEMENTS => {
                self.rest = body.get(header..)?;
                *self.open.get_mut(self.depth)? = u32::try_from(value).ok()?;
                self.depth += 1;
                Some(if data_type == DataType::Array {
                    Event::Array(value)
                } else {
                    Event::Structure(value)
                })
            }
            class::OCTETS | class::BITS => {
                let octets = if kind == class::BITS {
                    value.div_ceil(8)
                } else {
                    value
                };
                let (element, rest) = body.split_at_checked(header.checked_add(octets)?)?;
                self.rest = rest;
                Some(Event::Value(body_value(data_type, element)))
            }
            _ => None,
        }
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Event<'a>;

    #[inline]
    fn next(&mut self) -> Option<Event<'a>> {
        let event = self.step();
        if event.is_none() {
            self.rest = &[];
            self.depth = 0;
            self.top = false;
        }
        event
    }
}

impl std::iter::FusedIterator for Events<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::axdr::view::Items;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bytes_that_were_never_validated_end_the_walks_without_a_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..48),
            left in 0usize..8,
        ) {
            let events = Events::new(&bytes);
            prop_assert!(events.take(200).count() <= 200);
            let items = Items::unchecked(&bytes, left);
            prop_assert!(items.count() <= left);
        }
    }
}

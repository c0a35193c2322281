//! The borrowed view of an ASDU: the data unit identifier decoded, the information objects read
//! lazily from the buffer, without heap allocation (IEC 60870-5-101 clause 7.2.2).
//!
//! ```text
//! SQ = 0   IOA element [time] | IOA element [time] | ...       count objects
//! SQ = 1   IOA | element [time] | element [time] | ...          count elements, at IOA, IOA+1, ...
//! ```
//!
//! A count of 0 means no object and no octet after the data unit identifier.

use super::element::{InformationObject, Layout};
use super::header::{read_le, AsduConfig, Header};
use super::segment::{check_segments, Segments};
use super::TypeId;
use crate::error::ensure_room;
use crate::Error;
use bytes::BufMut;
use std::iter::FusedIterator;

/// The number of octets of information objects that `count` objects of `layout` take.
pub(crate) fn objects_len(
    layout: &Layout,
    sequence: bool,
    count: usize,
    config: &AsduConfig,
) -> usize {
    let element = layout.element_len();
    match (count, sequence) {
        (0, _) => 0,
        (n, true) => config.ioa_len() + n * element,
        (n, false) => n * (config.ioa_len() + element),
    }
}

/// An ASDU borrowed from its buffer.
///
/// [`Asdu::decode`] checks the data unit identifier and that the objects fill the body exactly;
/// after that, [`Asdu::objects`] (or [`Asdu::segments`] for F_SG_NA_1) reads them one by one
/// and cannot fail. Type IDs without a [`Layout`] other than the segment (private, reserved)
/// are kept as raw bytes: [`Asdu::raw`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asdu<'a> {
    /// The data unit identifier.
    pub header: Header,
    config: AsduConfig,
    layout: Option<Layout>,
    body: &'a [u8],
}

impl<'a> Asdu<'a> {
    /// Decodes the ASDU that fills `bytes` (the user data of an I frame or an FT1.2
    /// variable-length frame), with the field sizes of `config`.
    ///
    /// # Errors
    /// [`Error::Truncated`] when `bytes` is shorter than the data unit identifier, and
    /// [`Error::ObjectLength`] when the objects the header announces do not fill the rest
    /// exactly. Offsets count from the ASDU's first octet.
    pub fn decode(bytes: &'a [u8], config: &AsduConfig) -> Result<Self, Error> {
        let header = Header::decode(bytes, config)?;
        let header_len = config.header_len();
        let body = bytes.get(header_len..).unwrap_or_default();
        let layout = Layout::of(header.type_id);
        let checked = match &layout {
            Some(layout) => {
                let expected = objects_len(layout, header.sequence, header.count.into(), config);
                (body.len() == expected).then_some(()).ok_or(expected)
            }
            None if header.type_id == TypeId::F_SG_NA_1 => {
                check_segments(body, header.count, header.sequence, config.ioa_len())
            }
            None => Ok(()),
        };
        if let Err(expected) = checked {
            return Err(Error::ObjectLength {
                offset: header_len,
                type_id: header.type_id.0,
                count: header.count,
                expected,
                found: body.len(),
            });
        }
        Ok(Self {
            header,
            config: *config,
            layout,
            body,
        })
    }

    /// The field sizes it was decoded with.
    pub const fn config(&self) -> AsduConfig {
        self.config
    }

    /// The layout of its objects, or `None` when the type ID is kept as raw bytes.
    pub const fn layout(&self) -> Option<Layout> {
        self.layout
    }

    /// The octets after the data unit identifier: the information objects as sent.
    pub const fn body(&self) -> &'a [u8] {
        self.body
    }

    /// Whether this is a file segment, F_SG_NA_1, read by [`Asdu::segments`].
    pub const fn is_segment(&self) -> bool {
        self.header.type_id.0 == TypeId::F_SG_NA_1.0
    }

    /// The octets after the data unit identifier when the type ID is kept as raw bytes
    /// (private, reserved), else `None`.
    pub const fn raw(&self) -> Option<&'a [u8]> {
        match self.layout {
            None if !self.is_segment() => Some(self.body),
            _ => None,
        }
    }

    /// The file segments of an F_SG_NA_1, read lazily and borrowed from the buffer; empty for
    /// every other type ID.
    pub fn segments(&self) -> Segments<'a> {
        if self.is_segment() {
            Segments::new(
                self.body,
                self.header.count,
                self.header.sequence,
                self.config.ioa_len(),
            )
        } else {
            Segments::empty()
        }
    }

    /// The information objects, read lazily; empty for the segment and a raw type ID.
    pub fn objects(&self) -> Objects<'a> {
        let ioa_len = self.config.ioa_len();
        let (count, layout) = match self.layout {
            Some(layout) => (self.header.count, layout),
            None => (0, READ),
        };
        let (base, body) = if self.header.sequence {
            let (ioa, rest) = self.body.split_at_checked(ioa_len).unwrap_or((&[], &[]));
            (read_le(ioa), rest)
        } else {
            (0, self.body)
        };
        Objects {
            body,
            layout,
            ioa_len,
            sequence: self.header.sequence,
            base,
            index: 0,
            remaining: count,
        }
    }

    /// The number of octets [`Asdu::encode`] writes: the length it was decoded from.
    pub const fn encoded_len(&self) -> usize {
        self.config.header_len() + self.body.len()
    }

    /// Writes the ASDU as it was decoded.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`].
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        ensure_room(buf, self.encoded_len())?;
        self.header.encode(&self.config, buf)?;
        buf.put_slice(self.body);
        Ok(())
    }
}

/// The layout of C_RD_NA_1, standing in for a raw type ID's (which has no objects).
const READ: Layout = Layout {
    element: super::ElementKind::Read,
    time: super::TimeKind::None,
};

/// The information objects of an [`Asdu`], in order.
#[derive(Debug, Clone)]
pub struct Objects<'a> {
    body: &'a [u8],
    layout: Layout,
    ioa_len: usize,
    sequence: bool,
    base: u32,
    index: u32,
    remaining: u8,
}

impl Iterator for Objects<'_> {
    type Item = InformationObject;

    #[inline]
    fn next(&mut self) -> Option<InformationObject> {
        self.remaining = self.remaining.checked_sub(1)?;
        let address = if self.sequence {
            self.base.wrapping_add(self.index)
        } else {
            let (ioa, rest) = self.body.split_at_checked(self.ioa_len)?;
            self.body = rest;
            read_le(ioa)
        };
        let (element, rest) = self.body.split_at_checked(self.layout.element_len())?;
        self.body = rest;
        self.index = self.index.wrapping_add(1);
        Some(InformationObject::decode(address, &self.layout, element))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.remaining);
        (n, Some(n))
    }

    /// Reads every object with the layout decided once per ASDU rather than once per object.
    ///
    /// The monitoring types that arrive by the hundred (IEC 60870-5-101 clause 7.3.1: single
    /// and double points, step positions, bitstrings, measured values, integrated totals,
    /// without a time tag or with CP56Time2a) each get a loop in which the layout is a
    /// constant, so the element's decoding is specialised and the per-object dispatch goes
    /// away; every other layout runs the same loop with the layout as data. `for` loops go
    /// through [`Iterator::next`]; `for_each`, `sum`, `fold` and the like come here.
    #[inline]
    fn fold<B, F>(self, init: B, f: F) -> B
    where
        F: FnMut(B, InformationObject) -> B,
    {
        use super::{ElementKind as K, TimeKind as T};
        macro_rules! specialised {
            ($($kind:ident),*) => {
                match (self.layout.element, self.layout.time) {
                    $(
                        (K::$kind, T::None) => self.fold_as(Layout { element: K::$kind, time: T::None }, init, f),
                        (K::$kind, T::Cp56) => self.fold_as(Layout { element: K::$kind, time: T::Cp56 }, init, f),
                    )*
                    _ => {
                        let layout = self.layout;
                        self.fold_as(layout, init, f)
                    }
                }
            };
        }
        specialised!(
            SinglePoint,
            DoublePoint,
            StepPosition,
            Bitstring,
            Normalized,
            Scaled,
            Float,
            Counter
        )
    }
}

impl Objects<'_> {
    /// The loop of [`Iterator::fold`]: what [`Iterator::next`] does, for every object left.
    #[inline(always)]
    fn fold_as<B, F>(mut self, layout: Layout, init: B, mut f: F) -> B
    where
        F: FnMut(B, InformationObject) -> B,
    {
        let mut acc = init;
        let element_len = layout.element_len();
        while let Some(rest) = self.remaining.checked_sub(1) {
            self.remaining = rest;
            let address = if self.sequence {
                self.base.wrapping_add(self.index)
            } else {
                let Some((ioa, rest)) = self.body.split_at_checked(self.ioa_len) else {
                    break;
                };
                self.body = rest;
                read_le(ioa)
            };
            let Some((element, rest)) = self.body.split_at_checked(element_len) else {
                break;
            };
            self.body = rest;
            self.index = self.index.wrapping_add(1);
            acc = f(acc, InformationObject::decode(address, &layout, element));
        }
        acc
    }
}

impl ExactSizeIterator for Objects<'_> {}
impl FusedIterator for Objects<'_> {}

//! The owned form of an ASDU, for building frames: a header, the field sizes, and a vector of
//! information objects (or file segments, or raw bytes for the type IDs kept raw), checked and
//! encoded so that
//! `OwnedAsdu::decode(encode(x)) == x` (IEC 60870-5-101 clause 7, IEC 60870-5-104 clause 8).

use super::element::{InformationObject, Layout, TimeTag};
use super::header::{fits, write_le, AsduConfig, Cot, Header};
use super::segment::{OwnedSegment, SEGMENT_HEADER_LEN};
use super::view::Asdu;
use super::TypeId;
use crate::error::{ensure_room, AsduField};
use crate::Error;
use bytes::BufMut;

/// What follows the data unit identifier of an [`OwnedAsdu`].
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedBody {
    /// The information objects of a type ID with a [`Layout`].
    Objects(Vec<InformationObject>),
    /// The file segments of F_SG_NA_1.
    Segments(Vec<OwnedSegment>),
    /// The octets of a type ID kept as raw bytes (private, reserved).
    Raw(Vec<u8>),
}

/// An ASDU that owns its objects.
///
/// Build one with [`OwnedAsdu::new`] and [`OwnedAsdu::push`] (or [`OwnedAsdu::push_segment`]
/// for F_SG_NA_1; both keep the header's count up to date), or decode one with
/// [`OwnedAsdu::decode`].
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedAsdu {
    /// The field sizes to encode with.
    pub config: AsduConfig,
    /// The data unit identifier. With [`OwnedBody::Objects`] and [`OwnedBody::Segments`],
    /// `count` must equal the number of objects; with [`OwnedBody::Raw`] it is sent as given.
    pub header: Header,
    /// The objects or raw octets.
    pub body: OwnedBody,
}

impl OwnedAsdu {
    /// An ASDU with no objects yet: SQ = 0, P/N and T clear, originator 0; the body is empty
    /// objects for a type ID with a [`Layout`], empty segments for F_SG_NA_1, empty raw bytes
    /// otherwise.
    pub fn new(config: AsduConfig, type_id: TypeId, cause: Cot, common_address: u16) -> Self {
        Self {
            config,
            header: Header::new(type_id, cause, common_address),
            body: match Layout::of(type_id) {
                Some(_) => OwnedBody::Objects(Vec::new()),
                None if type_id == TypeId::F_SG_NA_1 => OwnedBody::Segments(Vec::new()),
                None => OwnedBody::Raw(Vec::new()),
            },
        }
    }

    /// Sets SQ: the objects are elements at consecutive addresses, the first address sent once.
    #[must_use]
    pub fn sequence(mut self, sequence: bool) -> Self {
        self.header.sequence = sequence;
        self
    }

    /// Sets P/N: a negative confirmation.
    #[must_use]
    pub fn negative(mut self, negative: bool) -> Self {
        self.header.negative = negative;
        self
    }

    /// Sets T: a test.
    #[must_use]
    pub fn test(mut self, test: bool) -> Self {
        self.header.test = test;
        self
    }

    /// Sets the originator address (two-octet causes only).
    #[must_use]
    pub fn originator(mut self, originator: u8) -> Self {
        self.header.originator = originator;
        self
    }

    /// Adds an object and counts it in the header. Over another body, that body is replaced by
    /// objects (and [`OwnedAsdu::encode`] will say when the type ID wants something else).
    pub fn push(&mut self, object: InformationObject) -> &mut Self {
        if !matches!(self.body, OwnedBody::Objects(_)) {
            self.body = OwnedBody::Objects(Vec::new());
        }
        if let OwnedBody::Objects(objects) = &mut self.body {
            objects.push(object);
            self.header.count = u8::try_from(objects.len()).unwrap_or(u8::MAX);
        }
        self
    }

    /// Adds an object, by value.
    #[must_use]
    pub fn with(mut self, object: InformationObject) -> Self {
        self.push(object);
        self
    }

    /// Adds a file segment (F_SG_NA_1) and counts it in the header. Over another body, that
    /// body is replaced by segments.
    pub fn push_segment(&mut self, segment: OwnedSegment) -> &mut Self {
        if !matches!(self.body, OwnedBody::Segments(_)) {
            self.body = OwnedBody::Segments(Vec::new());
        }
        if let OwnedBody::Segments(segments) = &mut self.body {
            segments.push(segment);
            self.header.count = u8::try_from(segments.len()).unwrap_or(u8::MAX);
        }
        self
    }

    /// Adds a file segment, by value.
    #[must_use]
    pub fn with_segment(mut self, segment: OwnedSegment) -> Self {
        self.push_segment(segment);
        self
    }

    /// Sets raw octets and the count to announce, for a type ID kept as raw bytes.
    #[must_use]
    pub fn with_raw(mut self, count: u8, bytes: Vec<u8>) -> Self {
        self.header.count = count;
        self.body = OwnedBody::Raw(bytes);
        self
    }

    /// The objects, empty for segments and a raw body.
    pub fn objects(&self) -> &[InformationObject] {
        match &self.body {
            OwnedBody::Objects(objects) => objects,
            OwnedBody::Segments(_) | OwnedBody::Raw(_) => &[],
        }
    }

    /// The file segments, empty unless this is an F_SG_NA_1.
    pub fn segments(&self) -> &[OwnedSegment] {
        match &self.body {
            OwnedBody::Segments(segments) => segments,
            OwnedBody::Objects(_) | OwnedBody::Raw(_) => &[],
        }
    }

    /// Decodes an ASDU into the owned form (this allocates; [`Asdu::decode`] does not).
    ///
    /// # Errors
    /// Those of [`Asdu::decode`].
    pub fn decode(bytes: &[u8], config: &AsduConfig) -> Result<Self, Error> {
        Asdu::decode(bytes, config).map(|asdu| Self::from(&asdu))
    }

    /// The length of an object's element and time tag.
    fn element_len(object: &InformationObject) -> usize {
        object.element.kind().len() + object.time.map_or(0, |t| t.kind().len())
    }

    /// The number of bytes [`OwnedAsdu::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let ioa = self.config.ioa_len();
        self.config.header_len()
            + match &self.body {
                OwnedBody::Raw(bytes) => bytes.len(),
                OwnedBody::Segments(segments) => {
                    let each: usize = segments
                        .iter()
                        .map(|s| SEGMENT_HEADER_LEN + s.data.len())
                        .sum();
                    let addresses = match (segments.len(), self.header.sequence) {
                        (0, _) => 0,
                        (_, true) => 1,
                        (n, false) => n,
                    };
                    addresses * ioa + each
                }
                OwnedBody::Objects(objects) if self.header.sequence => {
                    let elements: usize = objects.iter().map(Self::element_len).sum();
                    if objects.is_empty() {
                        0
                    } else {
                        ioa + elements
                    }
                }
                OwnedBody::Objects(objects) => objects
                    .iter()
                    .map(|object| ioa + Self::element_len(object))
                    .sum(),
            }
    }

    /// Checks everything [`OwnedAsdu::encode`] needs, so that it writes nothing when it fails.
    ///
    /// # Errors
    /// [`Error::FieldTooLarge`] for a header field, an address or a counter sequence number that
    /// does not fit; [`Error::ObjectCount`] when the header's count is not the number of objects;
    /// [`Error::ElementMismatch`] for an object whose element or time tag is not the type ID's,
    /// or raw bytes for a type ID with a [`Layout`] (and objects for one without);
    /// [`Error::IoaNotSequential`] with SQ = 1; [`Error::TimeOutOfRange`] for a time field that
    /// does not fit its bits; [`Error::ElementMismatch`] too for a file segment longer than
    /// 255 octets (LOS is one octet). Offsets count from the ASDU's first octet.
    pub fn check(&self) -> Result<(), Error> {
        let config = &self.config;
        self.header.check(config)?;
        let header_len = config.header_len();
        let type_id = self.header.type_id;
        let layout = Layout::of(type_id);
        let segment = type_id == TypeId::F_SG_NA_1;
        let objects = match (&self.body, layout) {
            (OwnedBody::Raw(_), None) if !segment => return Ok(()),
            (OwnedBody::Segments(segments), None) if segment => {
                return self.check_segments(segments);
            }
            (OwnedBody::Objects(objects), Some(layout)) => (objects, layout),
            _ => {
                return Err(Error::ElementMismatch {
                    offset: header_len,
                    type_id: type_id.0,
                    expected: type_id.description().unwrap_or("raw bytes"),
                })
            }
        };
        let (objects, layout) = objects;
        if objects.len() != usize::from(self.header.count) {
            return Err(Error::ObjectCount {
                offset: 1,
                expected: self.header.count,
                found: objects.len(),
            });
        }
        let ioa_len = config.ioa_len();
        let first = objects.first().map_or(0, |o| o.address);
        let mut offset = header_len;
        for (index, object) in objects.iter().enumerate() {
            if !self.header.sequence || index == 0 {
                fits(offset, AsduField::Ioa, object.address, config.max_ioa())?;
                offset += ioa_len;
            } else {
                // At most 126 objects: the count was checked.
                let expected = first.wrapping_add(index as u32);
                if object.address != expected {
                    return Err(Error::IoaNotSequential {
                        offset,
                        expected,
                        found: object.address,
                    });
                }
            }
            if !object.fits(&layout) {
                return Err(Error::ElementMismatch {
                    offset,
                    type_id: type_id.0,
                    expected: type_id.description().unwrap_or("raw bytes"),
                });
            }
            object.element.check().map_err(|e| e.shifted(offset))?;
            offset += layout.element.len();
            check_time(object.time.as_ref()).map_err(|e| e.shifted(offset))?;
            offset += layout.time.len();
        }
        Ok(())
    }

    /// [`OwnedAsdu::check`] for the segments of an F_SG_NA_1.
    fn check_segments(&self, segments: &[OwnedSegment]) -> Result<(), Error> {
        let config = &self.config;
        if segments.len() != usize::from(self.header.count) {
            return Err(Error::ObjectCount {
                offset: 1,
                expected: self.header.count,
                found: segments.len(),
            });
        }
        let first = segments.first().map_or(0, |s| s.address);
        let mut offset = config.header_len();
        for (index, segment) in segments.iter().enumerate() {
            if !self.header.sequence || index == 0 {
                fits(offset, AsduField::Ioa, segment.address, config.max_ioa())?;
                offset += config.ioa_len();
            } else {
                // At most 127 segments: the count was checked.
                let expected = first.wrapping_add(index as u32);
                if segment.address != expected {
                    return Err(Error::IoaNotSequential {
                        offset,
                        expected,
                        found: segment.address,
                    });
                }
            }
            if segment.data.len() > usize::from(u8::MAX) {
                return Err(Error::ElementMismatch {
                    // Where LOS would be: after NOF and NOS.
                    offset: offset + 3,
                    type_id: TypeId::F_SG_NA_1.0,
                    expected: "a segment of at most 255 octets (LOS)",
                });
            }
            offset += SEGMENT_HEADER_LEN + segment.data.len();
        }
        Ok(())
    }

    /// Writes the ASDU.
    ///
    /// # Errors
    /// Those of [`OwnedAsdu::check`], and [`Error::BufferTooSmall`]; on error nothing is
    /// written.
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        self.check()?;
        ensure_room(buf, self.encoded_len())?;
        self.header.encode(&self.config, buf)?;
        match &self.body {
            OwnedBody::Raw(bytes) => buf.put_slice(bytes),
            OwnedBody::Segments(segments) => {
                for (index, segment) in segments.iter().enumerate() {
                    if !self.header.sequence || index == 0 {
                        write_le(buf, segment.address, self.config.ioa_len());
                    }
                    buf.put_u16_le(segment.nof.0);
                    buf.put_u8(segment.nos.0);
                    // Checked: at most 255 octets.
                    buf.put_u8(u8::try_from(segment.data.len()).unwrap_or(u8::MAX));
                    buf.put_slice(&segment.data);
                }
            }
            OwnedBody::Objects(objects) => {
                for (index, object) in objects.iter().enumerate() {
                    if !self.header.sequence || index == 0 {
                        write_le(buf, object.address, self.config.ioa_len());
                    }
                    object.element.write(buf)?;
                    match object.time {
                        None => {}
                        Some(TimeTag::Cp24(time)) => buf.put_slice(&time.to_bytes()?),
                        Some(TimeTag::Cp56(time)) => buf.put_slice(&time.to_bytes()?),
                    }
                }
            }
        }
        Ok(())
    }
}

/// Checks that a time tag's fields fit their bits.
fn check_time(time: Option<&TimeTag>) -> Result<(), Error> {
    match time {
        None => Ok(()),
        Some(TimeTag::Cp24(time)) => time.to_bytes().map(|_| ()),
        Some(TimeTag::Cp56(time)) => time.to_bytes().map(|_| ()),
    }
}

impl From<&Asdu<'_>> for OwnedAsdu {
    fn from(asdu: &Asdu<'_>) -> Self {
        Self {
            config: asdu.config(),
            header: asdu.header,
            body: match asdu.raw() {
                Some(raw) => OwnedBody::Raw(raw.to_vec()),
                None if asdu.is_segment() => {
                    OwnedBody::Segments(asdu.segments().map(|s| s.to_owned_segment()).collect())
                }
                None => OwnedBody::Objects(asdu.objects().collect()),
            },
        }
    }
}

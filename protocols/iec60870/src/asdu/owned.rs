//! The owned form of an ASDU, for building frames: a header, the field sizes, and a vector of
//! information objects (or raw bytes for the type IDs kept raw), checked and encoded so that
//! `OwnedAsdu::decode(encode(x)) == x` (IEC 60870-5-101 clause 7, IEC 60870-5-104 clause 8).

use super::element::{InformationObject, Layout, TimeTag};
use super::header::{fits, write_le, AsduConfig, Cot, Header};
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
    /// The octets of a type ID kept as raw bytes (file transfer, private, reserved).
    Raw(Vec<u8>),
}

/// An ASDU that owns its objects.
///
/// Build one with [`OwnedAsdu::new`] and [`OwnedAsdu::push`] (which keeps the header's count up
/// to date), or decode one with [`OwnedAsdu::decode`].
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedAsdu {
    /// The field sizes to encode with.
    pub config: AsduConfig,
    /// The data unit identifier. With [`OwnedBody::Objects`], `count` must equal the number of
    /// objects; with [`OwnedBody::Raw`] it is sent as given.
    pub header: Header,
    /// The objects or raw octets.
    pub body: OwnedBody,
}

impl OwnedAsdu {
    /// An ASDU with no objects yet: SQ = 0, P/N and T clear, originator 0; the body is empty
    /// objects for a type ID with a [`Layout`], empty raw bytes otherwise.
    pub fn new(config: AsduConfig, type_id: TypeId, cause: Cot, common_address: u16) -> Self {
        Self {
            config,
            header: Header::new(type_id, cause, common_address),
            body: match Layout::of(type_id) {
                Some(_) => OwnedBody::Objects(Vec::new()),
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

    /// Adds an object and counts it in the header. Over a raw body, the raw bytes are replaced
    /// by objects (and [`OwnedAsdu::encode`] will say the type ID wants raw bytes).
    pub fn push(&mut self, object: InformationObject) -> &mut Self {
        if let OwnedBody::Raw(_) = self.body {
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

    /// Sets raw octets and the count to announce, for a type ID kept as raw bytes.
    #[must_use]
    pub fn with_raw(mut self, count: u8, bytes: Vec<u8>) -> Self {
        self.header.count = count;
        self.body = OwnedBody::Raw(bytes);
        self
    }

    /// The objects, empty for a raw body.
    pub fn objects(&self) -> &[InformationObject] {
        match &self.body {
            OwnedBody::Objects(objects) => objects,
            OwnedBody::Raw(_) => &[],
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
    /// does not fit its bits. Offsets count from the ASDU's first octet.
    pub fn check(&self) -> Result<(), Error> {
        let config = &self.config;
        self.header.check(config)?;
        let header_len = config.header_len();
        let type_id = self.header.type_id;
        let layout = Layout::of(type_id);
        let objects = match (&self.body, layout) {
            (OwnedBody::Raw(_), None) => return Ok(()),
            (OwnedBody::Objects(objects), Some(layout)) => (objects, layout),
            (OwnedBody::Raw(_), Some(_)) | (OwnedBody::Objects(_), None) => {
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
                None => OwnedBody::Objects(asdu.objects().collect()),
            },
        }
    }
}

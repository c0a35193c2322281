//! Read Device Identification, function 0x2B with MEI type 0x0E (Application Protocol
//! Specification V1.1b3 §6.21).

use super::read::Reader;
use crate::Error;
use bytes::BufMut;
use core::fmt;

/// The MEI type of Read Device Identification within function 0x2B (§6.19, §6.21).
pub const MEI_READ_DEVICE_ID: u8 = 0x0E;

/// The "Read Device ID code" of a request and its response (§6.21): which objects to read.
///
/// Any byte is representable (a server answers an illegal one with exception 03).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReadDeviceIdCode(pub u8);

impl ReadDeviceIdCode {
    /// 01: read the basic device identification (stream access).
    pub const BASIC: Self = Self(0x01);
    /// 02: read the regular device identification (stream access).
    pub const REGULAR: Self = Self(0x02);
    /// 03: read the extended device identification (stream access).
    pub const EXTENDED: Self = Self(0x03);
    /// 04: read one specific identification object (individual access).
    pub const SPECIFIC: Self = Self(0x04);
}

/// The conformity level a server reports (§6.21): the access it supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConformityLevel(pub u8);

impl ConformityLevel {
    /// 0x01: basic identification, stream access only.
    pub const BASIC_STREAM: Self = Self(0x01);
    /// 0x02: regular identification, stream access only.
    pub const REGULAR_STREAM: Self = Self(0x02);
    /// 0x03: extended identification, stream access only.
    pub const EXTENDED_STREAM: Self = Self(0x03);
    /// 0x81: basic identification, stream and individual access.
    pub const BASIC_INDIVIDUAL: Self = Self(0x81);
    /// 0x82: regular identification, stream and individual access.
    pub const REGULAR_INDIVIDUAL: Self = Self(0x82);
    /// 0x83: extended identification, stream and individual access.
    pub const EXTENDED_INDIVIDUAL: Self = Self(0x83);
}

/// Object ids of the basic and regular categories (§6.21 table); 0x80 and above are private.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(pub u8);

impl ObjectId {
    /// 0x00 VendorName (basic, mandatory).
    pub const VENDOR_NAME: Self = Self(0x00);
    /// 0x01 ProductCode (basic, mandatory).
    pub const PRODUCT_CODE: Self = Self(0x01);
    /// 0x02 MajorMinorRevision (basic, mandatory).
    pub const MAJOR_MINOR_REVISION: Self = Self(0x02);
    /// 0x03 VendorUrl (regular, optional).
    pub const VENDOR_URL: Self = Self(0x03);
    /// 0x04 ProductName (regular, optional).
    pub const PRODUCT_NAME: Self = Self(0x04);
    /// 0x05 ModelName (regular, optional).
    pub const MODEL_NAME: Self = Self(0x05);
    /// 0x06 UserApplicationName (regular, optional).
    pub const USER_APPLICATION_NAME: Self = Self(0x06);

    /// The object's name from the §6.21 table, `"Reserved"` for 0x07..=0x7F, `"Private"` above.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x00 => "VendorName",
            0x01 => "ProductCode",
            0x02 => "MajorMinorRevision",
            0x03 => "VendorUrl",
            0x04 => "ProductName",
            0x05 => "ModelName",
            0x06 => "UserApplicationName",
            0x07..=0x7F => "Reserved",
            _ => "Private",
        }
    }
}

/// One identification object: its id and its value, usually ASCII text (§6.21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceIdObject<'a> {
    /// The object id.
    pub id: ObjectId,
    /// The value, at most 255 bytes.
    pub value: &'a [u8],
}

/// The objects of a Read Device Identification response: the wire bytes of a decoded response, or
/// the caller's slice for encoding. Equality compares the objects.
#[derive(Clone, Copy)]
pub struct DeviceIdObjects<'a>(ObjectsRepr<'a>);

#[derive(Clone, Copy)]
enum ObjectsRepr<'a> {
    /// `count` objects, checked to fill `bytes` exactly.
    Wire {
        bytes: &'a [u8],
        count: u8,
    },
    Slice(&'a [DeviceIdObject<'a>]),
}

impl<'a> DeviceIdObjects<'a> {
    /// A view of the caller's objects, for encoding.
    pub fn from_slice(objects: &'a [DeviceIdObject<'a>]) -> Self {
        Self(ObjectsRepr::Slice(objects))
    }

    /// The number of objects.
    pub fn len(&self) -> usize {
        match self.0 {
            ObjectsRepr::Wire { count, .. } => usize::from(count),
            ObjectsRepr::Slice(objects) => objects.len(),
        }
    }

    /// True when there are no objects.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Iterates over the objects.
    pub fn iter(&self) -> DeviceIdObjectsIter<'a> {
        DeviceIdObjectsIter(match self.0 {
            ObjectsRepr::Wire { bytes, .. } => IterRepr::Wire(bytes),
            ObjectsRepr::Slice(objects) => IterRepr::Slice(objects.iter()),
        })
    }

    /// The number of bytes the objects take on the wire.
    pub fn byte_len(&self) -> usize {
        match self.0 {
            ObjectsRepr::Wire { bytes, .. } => bytes.len(),
            ObjectsRepr::Slice(objects) => objects.iter().map(|o| 2 + o.value.len()).sum(),
        }
    }

    /// Walks `count` objects from the start of `reader`'s rest (§6.21 object list layout:
    /// `id(1) length(1) value(length)`, repeated).
    pub(crate) fn parse(reader: &mut Reader<'a>, count: u8) -> Result<Self, Error> {
        let start = reader.offset();
        let all = reader.rest();
        let mut inner = Reader::new(all);
        for _ in 0..count {
            let _id = inner.u8().map_err(|e| shift(e, start))?;
            let len = inner.u8().map_err(|e| shift(e, start))?;
            inner.take(usize::from(len)).map_err(|e| shift(e, start))?;
        }
        let used = inner.offset();
        inner.finish().map_err(|e| shift(e, start))?;
        Ok(Self(ObjectsRepr::Wire {
            bytes: all.get(..used).unwrap_or(all),
            count,
        }))
    }

    /// Writes the objects. The caller has checked the room and that every value fits a byte
    /// length.
    pub(crate) fn put(&self, buf: &mut impl BufMut) {
        match self.0 {
            ObjectsRepr::Wire { bytes, .. } => buf.put_slice(bytes),
            ObjectsRepr::Slice(objects) => {
                for object in objects {
                    buf.put_u8(object.id.0);
                    buf.put_u8(u8::try_from(object.value.len()).unwrap_or(u8::MAX));
                    buf.put_slice(object.value);
                }
            }
        }
    }
}

/// Moves an error's offsets from the object list to the whole PDU.
fn shift(error: Error, by: usize) -> Error {
    match error {
        Error::Truncated {
            offset,
            expected_len,
        } => Error::Truncated {
            offset: offset + by,
            expected_len: expected_len + by,
        },
        Error::TrailingBytes {
            offset,
            expected_len,
            found_len,
        } => Error::TrailingBytes {
            offset: offset + by,
            expected_len: expected_len + by,
            found_len: found_len + by,
        },
        other => other,
    }
}

impl PartialEq for DeviceIdObjects<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for DeviceIdObjects<'_> {}

impl fmt::Debug for DeviceIdObjects<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for DeviceIdObjects<'a> {
    type Item = DeviceIdObject<'a>;
    type IntoIter = DeviceIdObjectsIter<'a>;
    fn into_iter(self) -> DeviceIdObjectsIter<'a> {
        self.iter()
    }
}

/// Iterator over [`DeviceIdObjects`].
#[derive(Debug, Clone)]
pub struct DeviceIdObjectsIter<'a>(IterRepr<'a>);

#[derive(Debug, Clone)]
enum IterRepr<'a> {
    Wire(&'a [u8]),
    Slice(core::slice::Iter<'a, DeviceIdObject<'a>>),
}

impl<'a> Iterator for DeviceIdObjectsIter<'a> {
    type Item = DeviceIdObject<'a>;

    fn next(&mut self) -> Option<DeviceIdObject<'a>> {
        match &mut self.0 {
            IterRepr::Wire(rest) => {
                let (&id, after_id) = rest.split_first()?;
                let (&len, after_len) = after_id.split_first()?;
                let (value, after) = after_len.split_at_checked(usize::from(len))?;
                *rest = after;
                Some(DeviceIdObject {
                    id: ObjectId(id),
                    value,
                })
            }
            IterRepr::Slice(objects) => objects.next().copied(),
        }
    }
}

/// A Read Device Identification response (§6.21):
///
/// ```text
/// 2B  0E  code  conformity  more-follows(00|FF)  next-object-id  count  { id len value }*count
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceIdentification<'a> {
    /// The Read Device ID code of the request this answers.
    pub code: ReadDeviceIdCode,
    /// The server's conformity level.
    pub conformity: ConformityLevel,
    /// True (0xFF) when the objects did not fit and another request must fetch the rest.
    pub more_follows: bool,
    /// The object id to ask for next when `more_follows`, else 0.
    pub next_object_id: ObjectId,
    /// The objects in this response.
    pub objects: DeviceIdObjects<'a>,
}

//! Unsolicited APDUs a server pushes (DLMS UA 1000-2 Ed. 10 clause 9.3.9, 9.3.10 and 9.5):
//! DataNotification and EventNotificationRequest.
//!
//! ```text
//! DataNotification           0F  long-invoke-id-and-priority u32 | date-time OCTET STRING
//!                                (length 0 or 12) | notification-body Data
//! EventNotificationRequest   C2  OPTIONAL time OCTET STRING | cosem-attribute-descriptor (9) |
//!                                attribute-value Data
//! ```

use crate::apdu::get::wire;
use crate::apdu::get::{AttributeDescriptor, LongInvokeIdAndPriority};
use crate::axdr::{Data, DataRef, DateTime, Limits};
use crate::reader::Reader;
use crate::Error;

/// The APDU tag of a DataNotification.
pub const DATA_NOTIFICATION: u8 = 0x0F;
/// The APDU tag of an EventNotificationRequest.
pub const EVENT_NOTIFICATION_REQUEST: u8 = 0xC2;

/// `Data-Notification`, borrowed: a push of a value (typically a Push setup's list of objects).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataNotification<'a> {
    /// `long-invoke-id-and-priority`.
    pub long_invoke: LongInvokeIdAndPriority,
    /// `date-time`: absent when sent with length 0.
    pub date_time: Option<DateTime>,
    /// `notification-body`.
    pub body: DataRef<'a>,
}

/// `Data-Notification`, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedDataNotification {
    /// `long-invoke-id-and-priority`.
    pub long_invoke: LongInvokeIdAndPriority,
    /// `date-time`.
    pub date_time: Option<DateTime>,
    /// `notification-body`.
    pub body: Data,
}

impl<'a> DataNotification<'a> {
    /// Decodes the DataNotification that fills `input`, with the default Data [`Limits`].
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag, [`Error::BadLength`] for a date-time whose
    /// length is neither 0 nor 12, [`Error::Truncated`], the Data errors,
    /// [`Error::TrailingBytes`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        Self::decode_with(input, Limits::default())
    }

    /// As [`decode`](Self::decode), with the given Data limits.
    pub fn decode_with(input: &'a [u8], limits: Limits) -> Result<Self, Error> {
        let mut r = Reader::new(input);
        wire::apdu_tag(&mut r, DATA_NOTIFICATION, "DataNotification tag", "0x0F")?;
        let long_invoke = LongInvokeIdAndPriority(r.u32("long-invoke-id-and-priority")?);
        let at = r.offset();
        let date_time = match wire::octets(&mut r, "date-time")? {
            [] => None,
            bytes => match <[u8; 12]>::try_from(bytes) {
                Ok(array) => Some(DateTime::from_bytes(array)),
                Err(_) => {
                    return Err(Error::BadLength {
                        offset: at,
                        what: "date-time",
                        min: 0,
                        max: 12,
                        found: bytes.len() as u64,
                    })
                }
            },
        };
        let body = wire::data(&mut r, limits)?;
        wire::finish(&r, "DataNotification")?;
        Ok(DataNotification {
            long_invoke,
            date_time,
            body,
        })
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedDataNotification {
        OwnedDataNotification {
            long_invoke: self.long_invoke,
            date_time: self.date_time,
            body: self.body.to_owned(),
        }
    }
}

impl OwnedDataNotification {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        1 + 4 + 1 + self.date_time.map_or(0, |_| 12) + self.body.encoded_len()
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(DATA_NOTIFICATION);
        out.extend_from_slice(&self.long_invoke.0.to_be_bytes());
        match self.date_time {
            None => out.push(0),
            Some(dt) => wire::put_octets(out, &dt.to_bytes()),
        }
        self.body.encode(out);
    }

    /// The encoding in a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }
}

/// `EventNotificationRequest`, borrowed: a server reports an attribute's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventNotificationRequest<'a> {
    /// `time`: the octets as sent (a COSEM date-time has 12; see [`Self::date_time`]).
    pub time: Option<&'a [u8]>,
    /// `cosem-attribute-descriptor`.
    pub attribute: AttributeDescriptor,
    /// `attribute-value`.
    pub value: DataRef<'a>,
}

/// `EventNotificationRequest`, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedEventNotificationRequest {
    /// `time`.
    pub time: Option<Vec<u8>>,
    /// `cosem-attribute-descriptor`.
    pub attribute: AttributeDescriptor,
    /// `attribute-value`.
    pub value: Data,
}

impl<'a> EventNotificationRequest<'a> {
    /// Decodes the EventNotificationRequest that fills `input`, with the default Data
    /// [`Limits`].
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag or a bad OPTIONAL octet, [`Error::Truncated`],
    /// the Data errors, [`Error::TrailingBytes`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        Self::decode_with(input, Limits::default())
    }

    /// As [`decode`](Self::decode), with the given Data limits.
    pub fn decode_with(input: &'a [u8], limits: Limits) -> Result<Self, Error> {
        let mut r = Reader::new(input);
        wire::apdu_tag(
            &mut r,
            EVENT_NOTIFICATION_REQUEST,
            "EventNotificationRequest tag",
            "0xC2",
        )?;
        let time = if wire::optional(&mut r, "time")? {
            Some(wire::octets(&mut r, "time")?)
        } else {
            None
        };
        let attribute = AttributeDescriptor::read(&mut r)?;
        let value = wire::data(&mut r, limits)?;
        wire::finish(&r, "EventNotificationRequest")?;
        Ok(EventNotificationRequest {
            time,
            attribute,
            value,
        })
    }

    /// The time as a COSEM date-time, when it has 12 octets.
    pub fn date_time(&self) -> Option<DateTime> {
        let array: [u8; 12] = self.time?.try_into().ok()?;
        Some(DateTime::from_bytes(array))
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedEventNotificationRequest {
        OwnedEventNotificationRequest {
            time: self.time.map(<[u8]>::to_vec),
            attribute: self.attribute,
            value: self.value.to_owned(),
        }
    }
}

impl OwnedEventNotificationRequest {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        1 + 1
            + self.time.as_ref().map_or(0, |t| wire::octets_len(t.len()))
            + self.attribute.encoded_len()
            + self.value.encoded_len()
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(EVENT_NOTIFICATION_REQUEST);
        match &self.time {
            None => out.push(0),
            Some(t) => {
                out.push(1);
                wire::put_octets(out, t);
            }
        }
        self.attribute.encode(out);
        self.value.encode(out);
    }

    /// The encoding in a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }
}

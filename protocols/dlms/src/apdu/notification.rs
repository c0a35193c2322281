//! Unsolicited APDUs a server pushes (DLMS UA 1000-2 Ed. 10 clause 9.3.9, 9.3.10 and 9.5):
//! DataNotification and EventNotificationRequest.
//!
//! ```text
//! DataNotification           0F  long-invoke-id-and-priority u32 | date-time OCTET STRING
//!                                (length 0 absent, 4 time, 5 date, 12 date-time) |
//!                                notification-body Data
//! EventNotificationRequest   C2  OPTIONAL time OCTET STRING | cosem-attribute-descriptor (9) |
//!                                attribute-value Data
//! ```

use crate::apdu::get::wire;
use crate::apdu::get::{AttributeDescriptor, LongInvokeIdAndPriority};
use crate::axdr::{Data, DataRef, Date, DateTime, Limits, Time};
use crate::reader::Reader;
use crate::Error;
use std::fmt;

/// The APDU tag of a DataNotification.
pub const DATA_NOTIFICATION: u8 = 0x0F;
/// The APDU tag of an EventNotificationRequest.
pub const EVENT_NOTIFICATION_REQUEST: u8 = 0xC2;

/// The `date-time` of a DataNotification, by the number of octets it was sent with.
///
/// The Green Book's ASN.1 makes it an OCTET STRING holding a COSEM date-time (12 octets), empty
/// when the server sends none; servers also send a bare COSEM time (4 octets) or date
/// (5 octets), which Gurux reads as such, so these are kept too and re-encode byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationTime {
    /// 12 octets: a COSEM date-time.
    DateTime(DateTime),
    /// 5 octets: a COSEM date.
    Date(Date),
    /// 4 octets: a COSEM time.
    Time(Time),
}

impl NotificationTime {
    /// What a `date-time` OCTET STRING of `octets` holds: `None` for a length other than 4, 5
    /// or 12.
    pub fn from_octets(octets: &[u8]) -> Option<Self> {
        if let Ok(b) = <[u8; 12]>::try_from(octets) {
            Some(NotificationTime::DateTime(DateTime::from_bytes(b)))
        } else if let Ok(b) = <[u8; 5]>::try_from(octets) {
            Some(NotificationTime::Date(Date::from_bytes(b)))
        } else if let Ok(b) = <[u8; 4]>::try_from(octets) {
            Some(NotificationTime::Time(Time::from_bytes(b)))
        } else {
            None
        }
    }

    /// The number of octets: 12, 5 or 4.
    pub fn octet_len(&self) -> usize {
        match self {
            NotificationTime::DateTime(_) => 12,
            NotificationTime::Date(_) => 5,
            NotificationTime::Time(_) => 4,
        }
    }

    /// Appends the octets (without the OCTET STRING length).
    pub fn put_octets(&self, out: &mut Vec<u8>) {
        match self {
            NotificationTime::DateTime(dt) => out.extend_from_slice(&dt.to_bytes()),
            NotificationTime::Date(d) => out.extend_from_slice(&d.to_bytes()),
            NotificationTime::Time(t) => out.extend_from_slice(&t.to_bytes()),
        }
    }

    /// The date-time, when 12 octets were sent.
    pub fn date_time(&self) -> Option<DateTime> {
        match *self {
            NotificationTime::DateTime(dt) => Some(dt),
            _ => None,
        }
    }

    /// The date: the whole of a 5-octet date, or the date part of a date-time.
    pub fn date(&self) -> Option<Date> {
        match *self {
            NotificationTime::DateTime(dt) => Some(dt.date),
            NotificationTime::Date(d) => Some(d),
            NotificationTime::Time(_) => None,
        }
    }

    /// The time of day: the whole of a 4-octet time, or the time part of a date-time.
    pub fn time(&self) -> Option<Time> {
        match *self {
            NotificationTime::DateTime(dt) => Some(dt.time),
            NotificationTime::Time(t) => Some(t),
            NotificationTime::Date(_) => None,
        }
    }

    /// Whether every specified field is in its range.
    pub fn is_valid(&self) -> bool {
        match *self {
            NotificationTime::DateTime(dt) => dt.is_valid(),
            NotificationTime::Date(d) => d.is_valid(),
            NotificationTime::Time(t) => t.is_valid(),
        }
    }
}

impl From<DateTime> for NotificationTime {
    fn from(dt: DateTime) -> Self {
        NotificationTime::DateTime(dt)
    }
}

impl From<Date> for NotificationTime {
    fn from(d: Date) -> Self {
        NotificationTime::Date(d)
    }
}

impl From<Time> for NotificationTime {
    fn from(t: Time) -> Self {
        NotificationTime::Time(t)
    }
}

impl fmt::Display for NotificationTime {
    /// As [`DateTime`], [`Date`] or [`Time`] show themselves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotificationTime::DateTime(dt) => dt.fmt(f),
            NotificationTime::Date(d) => d.fmt(f),
            NotificationTime::Time(t) => t.fmt(f),
        }
    }
}

/// `Data-Notification`, borrowed: a push of a value (typically a Push setup's list of objects).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataNotification<'a> {
    /// `long-invoke-id-and-priority`.
    pub long_invoke: LongInvokeIdAndPriority,
    /// `date-time`: absent when sent with length 0.
    pub date_time: Option<NotificationTime>,
    /// `notification-body`.
    pub body: DataRef<'a>,
}

/// `Data-Notification`, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedDataNotification {
    /// `long-invoke-id-and-priority`.
    pub long_invoke: LongInvokeIdAndPriority,
    /// `date-time`: absent is sent with length 0.
    pub date_time: Option<NotificationTime>,
    /// `notification-body`.
    pub body: Data,
}

impl<'a> DataNotification<'a> {
    /// Decodes the DataNotification that fills `input`, with the default Data [`Limits`].
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag, [`Error::BadValue`] for a date-time whose
    /// length is not 0, 4, 5 or 12 (at its length octet), [`Error::Truncated`], the Data errors,
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
            octets => match NotificationTime::from_octets(octets) {
                Some(time) => Some(time),
                None => {
                    return Err(Error::BadValue {
                        offset: at,
                        what: "date-time",
                        expected: "0 (absent), 4 (time), 5 (date) or 12 (date-time) octets",
                        found: octets.len() as u64,
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
        1 + 4 + 1 + self.date_time.map_or(0, |t| t.octet_len()) + self.body.encoded_len()
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(DATA_NOTIFICATION);
        out.extend_from_slice(&self.long_invoke.0.to_be_bytes());
        match self.date_time {
            None => out.push(0),
            Some(time) => {
                // 4, 5 or 12 octets: the length is its one short-form octet.
                out.push(time.octet_len() as u8);
                time.put_octets(out);
            }
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

//! From a plain push APDU to readings: DataNotification (IEC 62056-5-3 clause 6.13, DLMS UA
//! 1000-2 Ed. 10 clause 9.3.11) mapped element by element onto the push setup's object list of
//! the configuration, and EventNotificationRequest (clause 9.3.12) mapped by its attribute
//! descriptor.

use std::sync::Arc;

use fieldbridge_core::config::{DeviceTime, DlmsPoint};
use fieldbridge_core::point::{
    Quality, QualityFlag, QualityLevel, Reading, SampleFacts, SourceAddress, Value,
};
use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::apdu::notification::{DataNotification, EventNotificationRequest};
use fieldbridge_dlms::axdr::{ClockStatus, Data};

use crate::convert::{self, address, scaler_attribute, ConvertError, ScalerUnit};

/// Why a push could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// The APDU does not decode.
    #[error("{apdu} does not decode: {error}")]
    Decode {
        /// Which APDU.
        apdu: &'static str,
        /// The codec's words, with the offset.
        error: fieldbridge_dlms::Error,
    },
    /// An APDU that is no notification.
    #[error("APDU tag {0:#04x} is no DataNotification (0x0f) or EventNotificationRequest (0xc2)")]
    NotANotification(u8),
}

/// What one push gave: the readings, and how many elements were left out by configuration
/// (`only_listed`) or could not be read (each with its reason).
#[derive(Debug, Default)]
pub struct Mapped {
    /// One reading per element that is published.
    pub readings: Vec<Reading>,
    /// Elements not listed and not published (`only_listed`).
    pub dropped: usize,
    /// Elements that could not be turned into a value: (point, why).
    pub unreadable: Vec<(Arc<str>, ConvertError)>,
}

/// Maps pushes of one listener onto its points.
#[derive(Debug, Clone)]
pub struct Mapper {
    device: Arc<str>,
    points: Vec<DlmsPoint>,
    only_listed: bool,
    device_time: DeviceTime,
}

impl Mapper {
    /// A mapper for the listener `device` with the push setup's object list `points`.
    pub fn new(
        device: Arc<str>,
        points: Vec<DlmsPoint>,
        only_listed: bool,
        device_time: DeviceTime,
    ) -> Self {
        Mapper {
            device,
            points,
            only_listed,
            device_time,
        }
    }

    /// The readings of one plain (deciphered) push APDU received at `received`.
    ///
    /// # Errors
    /// [`MapError`] when the APDU is no notification or does not decode.
    pub fn map(&self, apdu: &[u8], received: Timestamp) -> Result<Mapped, MapError> {
        match apdu.first() {
            Some(0x0F) => {
                let n = DataNotification::decode(apdu).map_err(|error| MapError::Decode {
                    apdu: "DataNotification",
                    error,
                })?;
                let time = n
                    .date_time
                    .and_then(|t| t.date_time())
                    .and_then(|dt| convert::timestamp(&dt, &self.device_time).ok());
                Ok(self.data_notification(&n.body.to_owned(), time, received))
            }
            Some(0xC2) => {
                let n =
                    EventNotificationRequest::decode(apdu).map_err(|error| MapError::Decode {
                        apdu: "EventNotificationRequest",
                        error,
                    })?;
                let time = n
                    .date_time()
                    .and_then(|dt| convert::timestamp(&dt, &self.device_time).ok());
                let a = &n.attribute;
                let mut out = Mapped::default();
                self.element(
                    &mut out,
                    Element {
                        index: None,
                        class: a.class_id,
                        obis: a.instance_id,
                        attribute: a.attribute_id,
                        data: &n.value.to_owned(),
                        scaler: None,
                    },
                    time,
                    received,
                );
                Ok(out)
            }
            other => Err(MapError::NotANotification(other.copied().unwrap_or(0))),
        }
    }

    /// A DataNotification's body: a structure whose elements follow the push object list (a
    /// body that is one value stands for a list of one).
    fn data_notification(
        &self,
        body: &Data,
        time: Option<Timestamp>,
        received: Timestamp,
    ) -> Mapped {
        let elements: &[Data] = match body {
            Data::Structure(items) => items,
            one => std::slice::from_ref(one),
        };
        let listed = |i: usize| self.points.get(i);
        // The device time of the push: the notification's own, else a clock element's.
        let clock = elements.iter().enumerate().find_map(|(i, d)| {
            listed(i)
                .filter(|p| p.class == 8 && p.attribute == 2)
                .and_then(|_| convert::date_time(d))
                .and_then(|dt| convert::timestamp(&dt, &self.device_time).ok())
        });
        let ts = time.or(clock);
        let mut out = Mapped::default();
        for (i, data) in elements.iter().enumerate() {
            let (class, obis, attribute) = match listed(i) {
                Some(p) => (p.class, p.obis, p.attribute),
                None if self.only_listed => {
                    out.dropped += 1;
                    continue;
                }
                None => (0, [0; 6], 0),
            };
            // The scaler_unit of the same register, when the push carries it too.
            let scaler = scaler_attribute(class, attribute).and_then(|wanted| {
                elements.iter().enumerate().find_map(|(j, d)| {
                    listed(j)
                        .filter(|q| q.obis == obis && q.class == class && q.attribute == wanted)
                        .and_then(|_| ScalerUnit::from_data(d).ok())
                })
            });
            self.element(
                &mut out,
                Element {
                    index: Some(i),
                    class,
                    obis,
                    attribute,
                    data,
                    scaler,
                },
                ts,
                received,
            );
        }
        out
    }

    fn element(
        &self,
        out: &mut Mapped,
        e: Element<'_>,
        ts: Option<Timestamp>,
        received: Timestamp,
    ) {
        let configured = match e.index {
            Some(i) => self.points.get(i),
            None => self
                .points
                .iter()
                .find(|p| p.obis == e.obis && p.class == e.class && p.attribute == e.attribute),
        };
        let (name, unit_override, source) = match configured {
            Some(p) => (p.name.clone(), p.unit.clone(), address(p)),
            None if self.only_listed => {
                out.dropped += 1;
                return;
            }
            None => {
                let [a, b, c, d, f, g] = e.obis;
                let name = match e.index {
                    Some(i) if e.class == 0 => format!("element-{i}"),
                    _ => format!("{a}-{b}-{c}-{d}-{f}-{g}-a{}", e.attribute),
                };
                let source = SourceAddress::Dlms {
                    obis: Arc::from(format!("{a}.{b}.{c}.{d}.{f}.{g}")),
                    class: e.class,
                    attribute: e.attribute,
                    profile: None,
                };
                (Arc::from(name), None, source)
            }
        };
        // A scaler_unit element is read with its register, not published alone.
        if matches!((e.class, e.attribute), (3 | 4, 3) | (5, 4)) && configured.is_some() {
            return;
        }
        let mut facts = SampleFacts::default();
        let mut quality = Quality::GOOD;
        let mut sample_ts = ts;
        let value = if e.class == 8 && e.attribute == 2 {
            match convert::date_time(e.data) {
                Some(dt) => {
                    quality = clock_quality(dt.clock_status);
                    convert::timestamp(&dt, &self.device_time).map(|t| {
                        sample_ts = Some(t);
                        Value::DateTime(t)
                    })
                }
                None => Err(ConvertError::BadDateTime),
            }
        } else {
            match e.scaler {
                Some(su) => {
                    if let Ok(Value::Int(raw)) = convert::value(e.data) {
                        facts.raw = Some(raw);
                    }
                    facts.scaler = Some(su.scaler);
                    su.apply(e.data)
                }
                None => convert::value(e.data),
            }
        };
        let unit = unit_override.or_else(|| e.scaler.and_then(ScalerUnit::unit_name));
        match value {
            Ok(value) => out.readings.push(Reading {
                device: self.device.clone(),
                point: name,
                value,
                quality,
                ts: sample_ts,
                received,
                unit,
                source,
                facts,
            }),
            Err(why) => out.unreadable.push((name, why)),
        }
    }
}

/// The quality of a clock value by its status (IEC 62056-6-2 clause 4.1.6.1): an invalid value
/// is bad, a doubtful one uncertain; the other bits are kept as flags.
fn clock_quality(status: ClockStatus) -> Quality {
    let mut flags = Vec::new();
    let mut level = QualityLevel::Good;
    if status.has(ClockStatus::INVALID) {
        level = QualityLevel::Bad;
        flags.push(QualityFlag::Invalid);
    }
    if status.has(ClockStatus::DOUBTFUL) {
        if level == QualityLevel::Good {
            level = QualityLevel::Uncertain;
        }
        flags.push(QualityFlag::ClockDoubtful);
    }
    if status.has(ClockStatus::DIFFERENT_BASE) {
        flags.push(QualityFlag::ClockBaseDifferent);
    }
    if status.has(ClockStatus::INVALID_STATUS) {
        flags.push(QualityFlag::ClockStatusInvalid);
    }
    Quality::new(level, flags)
}

/// One value of a push and what it is.
struct Element<'a> {
    /// Its place in a DataNotification's structure (none for an EventNotification).
    index: Option<usize>,
    class: u16,
    obis: [u8; 6],
    attribute: i8,
    data: &'a Data,
    /// The register's scaler_unit, when the push carries it.
    scaler: Option<ScalerUnit>,
}

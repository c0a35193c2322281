//! A profile's columns (IEC 62056-6-2 clause 4.3.6, attribute 3 capture_objects and attribute 4
//! capture_period): which object each column captures, which column is the capture time, the
//! scaler_unit of each register column, and the point each column is published as.

use std::sync::Arc;

use fieldbridge_core::point::Value;
use fieldbridge_dlms::axdr::Data;
use fieldbridge_dlms::obis::ObisCode;

use crate::convert::{self, ConvertError, ScalerUnit};

pub use fieldbridge_dlms::apdu::selective::CaptureObject;

/// The capture_object_definition shape, as error messages name it.
const CAPTURE_OBJECT_SHAPE: &str = "structure { long-unsigned class_id, octet-string(6) \
                                    logical_name, integer attribute_index, long-unsigned data_index }";

/// Why a profile's capture_objects, capture_period or entry counts cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// Attribute 3 is not an array.
    #[error("capture_objects is a {found}, expected an array of capture object definitions")]
    NotArray {
        /// The type that came.
        found: &'static str,
    },
    /// Attribute 3 is an empty array: the profile captures nothing.
    #[error("capture_objects is empty: the profile captures nothing")]
    Empty,
    /// One element of attribute 3 is not a structure of four elements.
    #[error(
        "capture object {index} is a {found} of {len} elements, expected {CAPTURE_OBJECT_SHAPE}"
    )]
    BadShape {
        /// The element's position, from 0.
        index: usize,
        /// Its type.
        found: &'static str,
        /// Its element count (0 for a value that is not a structure).
        len: usize,
    },
    /// One field of a capture object definition has the wrong type or length.
    #[error("capture object {index}: {field} is a {found}, expected {expected}")]
    BadField {
        /// The element's position, from 0.
        index: usize,
        /// `class_id`, `logical_name`, `attribute_index` or `data_index`.
        field: &'static str,
        /// What the field must be.
        expected: &'static str,
        /// What came (a type name, or `octet-string of N octets`).
        found: String,
    },
    /// No column captures a clock's time (class 8, attribute 2, data index 0), so the entries
    /// have no capture time.
    #[error("no column captures a clock's time (class 8, attribute 2): the entries have no capture time")]
    NoClock,
    /// A counter attribute (capture_period, entries_in_use, profile_entries) is not a
    /// double-long-unsigned.
    #[error("{attribute} is a {found}, expected double-long-unsigned")]
    NotCounter {
        /// The attribute's name.
        attribute: &'static str,
        /// The type that came.
        found: &'static str,
    },
}

/// Decodes attribute 3, capture_objects: `array capture_object_definition` (IEC 62056-6-2 clause
/// 4.3.6), each `structure { class_id long-unsigned, logical_name octet-string(6),
/// attribute_index integer, data_index long-unsigned }`.
///
/// # Errors
/// [`LayoutError::NotArray`], [`LayoutError::Empty`], [`LayoutError::BadShape`] or
/// [`LayoutError::BadField`], naming the element.
pub fn capture_objects(data: &Data) -> Result<Vec<CaptureObject>, LayoutError> {
    let Data::Array(items) = data else {
        return Err(LayoutError::NotArray {
            found: data.data_type().name(),
        });
    };
    if items.is_empty() {
        return Err(LayoutError::Empty);
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| capture_object(index, item))
        .collect()
}

fn capture_object(index: usize, item: &Data) -> Result<CaptureObject, LayoutError> {
    let (class, name, attribute, data_index) = match item {
        Data::Structure(fields) => match fields.as_slice() {
            [class, name, attribute, data_index] => (class, name, attribute, data_index),
            other => {
                return Err(LayoutError::BadShape {
                    index,
                    found: "structure",
                    len: other.len(),
                })
            }
        },
        other => {
            return Err(LayoutError::BadShape {
                index,
                found: other.data_type().name(),
                len: 0,
            })
        }
    };
    let bad = |field, expected, found: String| LayoutError::BadField {
        index,
        field,
        expected,
        found,
    };
    let Data::LongUnsigned(class_id) = class else {
        return Err(bad("class_id", "long-unsigned", type_name(class)));
    };
    let logical_name = match name {
        Data::OctetString(bytes) => <[u8; 6]>::try_from(bytes.as_slice()).map_err(|_| {
            bad(
                "logical_name",
                "octet-string of 6 octets",
                format!("octet-string of {} octets", bytes.len()),
            )
        })?,
        other => {
            return Err(bad(
                "logical_name",
                "octet-string of 6 octets",
                type_name(other),
            ))
        }
    };
    let Data::Integer(attribute_index) = attribute else {
        return Err(bad("attribute_index", "integer", type_name(attribute)));
    };
    let Data::LongUnsigned(data_index) = data_index else {
        return Err(bad("data_index", "long-unsigned", type_name(data_index)));
    };
    Ok(CaptureObject::new(
        *class_id,
        logical_name,
        *attribute_index,
        *data_index,
    ))
}

fn type_name(data: &Data) -> String {
    data.data_type().name().to_owned()
}

/// Reads a double-long-unsigned attribute of a profile: 4 capture_period (seconds, 0 for
/// asynchronous capture), 7 entries_in_use, 8 profile_entries (IEC 62056-6-2 clause 4.3.6).
/// `attribute` names it in the error.
///
/// # Errors
/// [`LayoutError::NotCounter`] for any other type.
pub fn counter(data: &Data, attribute: &'static str) -> Result<u32, LayoutError> {
    match data {
        Data::DoubleLongUnsigned(v) => Ok(*v),
        other => Err(LayoutError::NotCounter {
            attribute,
            found: other.data_type().name(),
        }),
    }
}

/// The point name of a profile column: the profile point's name, a dot, then the captured
/// object's OBIS code with its six value groups in decimal joined by `-`
/// (`load_profile.1-0-1-8-0-255`). Only letters, digits, `_`, `-` and `.` appear, so the name
/// is a topic level (the configuration checks the profile's own name the same way).
///
/// [`ProfileLayout`] adds a suffix where two columns capture the same object (see
/// [`ProfileLayout::new`]).
pub fn column_point_name(profile: &str, obis: ObisCode) -> String {
    let [a, b, c, d, e, f] = obis.to_bytes();
    format!("{profile}.{a}-{b}-{c}-{d}-{e}-{f}")
}

/// One column of a profile's buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// What the column captures.
    pub object: CaptureObject,
    /// The point the column is published as ([`column_point_name`]).
    pub point: Arc<str>,
    /// The captured register's scaler_unit, once the driver has read it
    /// ([`ProfileLayout::set_scaler_unit`]); the column's values are raw until then.
    pub scaler_unit: Option<ScalerUnit>,
}

impl Column {
    /// The captured object's logical name.
    pub fn obis(&self) -> ObisCode {
        ObisCode::from_bytes(self.object.logical_name)
    }

    /// Whether the column is a clock's time (class 8, attribute 2, the whole attribute): the
    /// capture time of each entry.
    pub fn is_clock(&self) -> bool {
        is_clock(&self.object)
    }

    /// The attribute of the captured object that holds the column's scaler_unit, when its
    /// values are scaled: a register's or extended register's value (class 3 or 4, attribute
    /// 2) has it in attribute 3, a demand register's current or last average value (class 5,
    /// attribute 2 or 3) in attribute 4 (IEC 62056-6-2 clauses 4.3.2 to 4.3.4). The buffer holds
    /// raw values (a profile captures the attribute, not its scaled reading), so the driver reads
    /// this attribute of `object` and gives it to [`ProfileLayout::set_scaler_unit`].
    pub fn scaler_attribute(&self) -> Option<i8> {
        match (
            self.object.class_id,
            self.object.attribute_index,
            self.object.data_index,
        ) {
            (3 | 4, 2, 0) => Some(3),
            (5, 2 | 3, 0) => Some(4),
            _ => None,
        }
    }

    /// A raw value of this column as a point value: scaled when the scaler_unit is known.
    ///
    /// # Errors
    /// Those of [`convert::value`] (null-data, arrays and structures are not one value).
    pub fn value(&self, raw: &Data) -> Result<Value, ConvertError> {
        match self.scaler_unit {
            Some(su) => su.apply(raw),
            None => convert::value(raw),
        }
    }

    /// The unit's symbol, from the scaler_unit.
    pub fn unit(&self) -> Option<Arc<str>> {
        self.scaler_unit.and_then(ScalerUnit::unit_name)
    }
}

fn is_clock(object: &CaptureObject) -> bool {
    object.class_id == 8 && object.attribute_index == 2 && object.data_index == 0
}

/// A profile's columns and capture period: what is needed to ask for its entries by range and to
/// decode them.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileLayout {
    profile: Arc<str>,
    columns: Vec<Column>,
    clock: usize,
    capture_period: u32,
}

impl ProfileLayout {
    /// The layout of the profile point `profile` from its attribute 3 (capture_objects) and
    /// attribute 4 (capture_period, seconds; 0 when entries are captured on events only).
    ///
    /// The capture time is the first column that captures a clock's time (class 8, attribute
    /// 2). Point names follow [`column_point_name`]; where several columns capture the same
    /// logical name, each of them gets `_a<attribute_index>` (`_a-2` for a negative index),
    /// and `_d<data_index>` too where those also share the attribute; a column identical to an
    /// earlier one gets `_c<position from 0>`.
    ///
    /// # Errors
    /// Those of [`capture_objects`], and [`LayoutError::NoClock`].
    pub fn new(
        profile: &str,
        capture_objects: &Data,
        capture_period: u32,
    ) -> Result<Self, LayoutError> {
        Self::from_objects(
            profile,
            self::capture_objects(capture_objects)?,
            capture_period,
        )
    }

    /// As [`new`](Self::new), from decoded capture objects.
    ///
    /// # Errors
    /// [`LayoutError::Empty`] and [`LayoutError::NoClock`].
    pub fn from_objects(
        profile: &str,
        objects: Vec<CaptureObject>,
        capture_period: u32,
    ) -> Result<Self, LayoutError> {
        if objects.is_empty() {
            return Err(LayoutError::Empty);
        }
        let clock = objects
            .iter()
            .position(is_clock)
            .ok_or(LayoutError::NoClock)?;
        let names = point_names(profile, &objects);
        let columns = objects
            .into_iter()
            .zip(names)
            .map(|(object, point)| Column {
                object,
                point: Arc::from(point),
                scaler_unit: None,
            })
            .collect();
        Ok(ProfileLayout {
            profile: Arc::from(profile),
            columns,
            clock,
            capture_period,
        })
    }

    /// The profile point's name.
    pub fn profile(&self) -> &Arc<str> {
        &self.profile
    }

    /// Every column, in buffer order (the capture-time column included).
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The columns published as points: all but the capture time, whose value is each
    /// sample's `ts` instead. With their positions in the buffer's rows.
    pub fn value_columns(&self) -> impl Iterator<Item = (usize, &Column)> {
        self.columns
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != self.clock)
    }

    /// The position of the capture-time column.
    pub fn clock_index(&self) -> usize {
        self.clock
    }

    /// The capture-time column's capture object: the restricting object of a range read.
    pub fn clock_object(&self) -> CaptureObject {
        self.columns.get(self.clock).map_or(
            CaptureObject::new(8, ObisCode::CLOCK.to_bytes(), 2, 0),
            |c| c.object,
        )
    }

    /// The capture period in seconds (0: asynchronous capture).
    pub fn capture_period(&self) -> u32 {
        self.capture_period
    }

    /// Sets the scaler_unit of column `index` (read from the attribute
    /// [`Column::scaler_attribute`] names). `false` when there is no such column.
    pub fn set_scaler_unit(&mut self, index: usize, scaler_unit: ScalerUnit) -> bool {
        match self.columns.get_mut(index) {
            Some(column) => {
                column.scaler_unit = Some(scaler_unit);
                true
            }
            None => false,
        }
    }

    /// Whether `objects` are this layout's columns, in order: when a profile's capture_objects
    /// change, its buffer is cleared (IEC 62056-6-2 clause 4.3.6) and the layout must be built
    /// again.
    pub fn captures(&self, objects: &[CaptureObject]) -> bool {
        self.columns.len() == objects.len()
            && self
                .columns
                .iter()
                .zip(objects)
                .all(|(c, o)| c.object == *o)
    }
}

/// The point names of `objects`, unique within the profile.
fn point_names(profile: &str, objects: &[CaptureObject]) -> Vec<String> {
    let mut names: Vec<String> = objects
        .iter()
        .map(|o| {
            let mut name = column_point_name(profile, ObisCode::from_bytes(o.logical_name));
            let same_name = objects
                .iter()
                .filter(|p| p.logical_name == o.logical_name)
                .count();
            let same_attribute = objects
                .iter()
                .filter(|p| {
                    p.logical_name == o.logical_name && p.attribute_index == o.attribute_index
                })
                .count();
            if same_name > 1 {
                name.push_str(&format!("_a{}", o.attribute_index));
            }
            if same_attribute > 1 {
                name.push_str(&format!("_d{}", o.data_index));
            }
            name
        })
        .collect();
    for i in 0..names.len() {
        let taken = names
            .get(..i)
            .is_some_and(|before| before.iter().any(|n| Some(n) == names.get(i)));
        if taken {
            if let Some(name) = names.get_mut(i) {
                name.push_str(&format!("_c{i}"));
            }
        }
    }
    names
}

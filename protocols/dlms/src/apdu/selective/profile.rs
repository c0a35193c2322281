//! The selective access parameters of a profile generic's buffer (IEC 62056-6-2 clause 4.3.6,
//! DLMS UA 1000-1 "Blue Book" 4.3.6): range_descriptor (selector 1) and entry_descriptor
//! (selector 2), built into and parsed from `Data`.
//!
//! Parse errors carry offsets from the start of the access-parameters Data element.

use super::{date_time_of, offset_in};
use crate::axdr::{Data, DataRef, DateTime, Items, Value};
use crate::Error;

/// A capture object definition: one column of a profile, or the restricting object of a
/// range_descriptor (IEC 62056-6-2 clause 4.3.6, capture_objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaptureObject {
    /// `class_id`.
    pub class_id: u16,
    /// `logical_name`: the OBIS code as 6 octets.
    pub logical_name: [u8; 6],
    /// `attribute_index`.
    pub attribute_index: i8,
    /// `data_index`: 0 for the whole attribute.
    pub data_index: u16,
}

/// A from_value or to_value of a range_descriptor.
///
/// A COSEM date-time travels as an octet-string of 12 octets (IEC 62056-6-2 clause 4.1.6.1), so
/// on the wire `DateTime(dt)` and `Data(Data::OctetString(dt.to_bytes().to_vec()))` are the
/// same octets: [`RangeDescriptor::from_data`] reads every octet-string of 12 octets as
/// `DateTime`. Such a `Data` value therefore comes back as a `DateTime`; compare range values
/// through [`to_data`](Self::to_data) (or [`same_on_the_wire`](Self::same_on_the_wire)) when
/// the question is what was sent. A `Data::DateTime` (the date-time Data type, tag 0x19) stays
/// `Data`.
#[derive(Debug, Clone, PartialEq)]
pub enum RangeValue {
    /// A COSEM date-time, sent as an octet-string of 12 octets (the usual case: the restricting
    /// object is the clock). Every octet-string of 12 octets is read as one.
    DateTime(DateTime),
    /// Any other value, of the restricting object's type.
    Data(Data),
}

/// range_descriptor (access selector 1): the entries whose restricting object lies in
/// `from..=to`, with the columns in `selected_values` (all when empty).
#[derive(Debug, Clone, PartialEq)]
pub struct RangeDescriptor {
    /// `restricting_object`.
    pub restricting_object: CaptureObject,
    /// `from_value`.
    pub from_value: RangeValue,
    /// `to_value`.
    pub to_value: RangeValue,
    /// `selected_values`: the columns wanted; empty for all.
    pub selected_values: Vec<CaptureObject>,
}

/// entry_descriptor (access selector 2): entries `from_entry..=to_entry` (from 1; 0 as
/// to_entry means the last), columns `from_selected_value..=to_selected_value` (from 1; 0 as
/// the upper bound means the last).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntryDescriptor {
    /// `from_entry`.
    pub from_entry: u32,
    /// `to_entry`.
    pub to_entry: u32,
    /// `from_selected_value`.
    pub from_selected_value: u16,
    /// `to_selected_value`.
    pub to_selected_value: u16,
}

/// The elements of a structure of `n` elements, or an error naming `what`.
fn structure<'a>(
    root: DataRef<'_>,
    data: DataRef<'a>,
    n: usize,
    what: &'static str,
    expected: &'static str,
) -> Result<Items<'a>, Error> {
    match data.value() {
        Value::Structure(items) if items.len() == n => Ok(items),
        _ => Err(Error::BadValue {
            offset: offset_in(root, data),
            what,
            expected,
            found: u64::from(data.data_type().tag()),
        }),
    }
}

/// The next element of a validated structure (its count was checked).
fn next<'a>(items: &mut Items<'a>, root: DataRef<'_>) -> Result<DataRef<'a>, Error> {
    items.next().ok_or(Error::Truncated {
        offset: root.as_bytes().len(),
        what: "structure element",
        needed: 1,
    })
}

fn bad(root: DataRef<'_>, data: DataRef<'_>, what: &'static str, expected: &'static str) -> Error {
    Error::BadValue {
        offset: offset_in(root, data),
        what,
        expected,
        found: u64::from(data.data_type().tag()),
    }
}

impl CaptureObject {
    /// A capture object definition.
    pub fn new(class_id: u16, logical_name: [u8; 6], attribute_index: i8, data_index: u16) -> Self {
        CaptureObject {
            class_id,
            logical_name,
            attribute_index,
            data_index,
        }
    }

    /// `structure { long-unsigned, octet-string(6), integer, long-unsigned }`.
    pub fn to_data(&self) -> Data {
        Data::Structure(vec![
            Data::LongUnsigned(self.class_id),
            Data::OctetString(self.logical_name.to_vec()),
            Data::Integer(self.attribute_index),
            Data::LongUnsigned(self.data_index),
        ])
    }

    /// Parses the structure [`to_data`](Self::to_data) builds.
    ///
    /// # Errors
    /// [`Error::BadValue`] (offset from the start of `root`) for another shape.
    pub fn parse(root: DataRef<'_>, data: DataRef<'_>) -> Result<Self, Error> {
        const EXPECTED: &str =
            "structure { long-unsigned, octet-string(6), integer, long-unsigned }";
        let mut items = structure(root, data, 4, "capture object definition", EXPECTED)?;
        let class = next(&mut items, root)?;
        let name = next(&mut items, root)?;
        let attribute = next(&mut items, root)?;
        let index = next(&mut items, root)?;
        let Value::LongUnsigned(class_id) = class.value() else {
            return Err(bad(root, class, "class_id", "long-unsigned"));
        };
        let logical_name = match name.value() {
            Value::OctetString(bytes) => <[u8; 6]>::try_from(bytes).ok(),
            _ => None,
        }
        .ok_or_else(|| bad(root, name, "logical_name", "octet-string of 6 octets"))?;
        let Value::Integer(attribute_index) = attribute.value() else {
            return Err(bad(root, attribute, "attribute_index", "integer"));
        };
        let Value::LongUnsigned(data_index) = index.value() else {
            return Err(bad(root, index, "data_index", "long-unsigned"));
        };
        Ok(CaptureObject {
            class_id,
            logical_name,
            attribute_index,
            data_index,
        })
    }
}

impl RangeValue {
    /// The value as it goes into the range_descriptor.
    pub fn to_data(&self) -> Data {
        match self {
            RangeValue::DateTime(dt) => Data::OctetString(dt.to_bytes().to_vec()),
            RangeValue::Data(d) => d.clone(),
        }
    }

    /// Whether the two values encode to the same Data, such as a `DateTime` and the
    /// octet-string of its 12 octets.
    pub fn same_on_the_wire(&self, other: &RangeValue) -> bool {
        match (self, other) {
            (RangeValue::DateTime(a), RangeValue::DateTime(b)) => a == b,
            (RangeValue::Data(a), RangeValue::Data(b)) => a == b,
            (RangeValue::DateTime(dt), RangeValue::Data(Data::OctetString(bytes)))
            | (RangeValue::Data(Data::OctetString(bytes)), RangeValue::DateTime(dt)) => {
                bytes.as_slice() == dt.to_bytes().as_slice()
            }
            _ => false,
        }
    }

    fn parse(data: DataRef<'_>) -> RangeValue {
        match date_time_of(&data.value()) {
            Some(dt) => RangeValue::DateTime(dt),
            None => RangeValue::Data(data.to_owned()),
        }
    }
}

impl RangeDescriptor {
    /// The access selector of a range_descriptor.
    pub const SELECTOR: u8 = 1;

    /// `structure { restricting_object, from_value, to_value, array selected_values }`.
    pub fn to_data(&self) -> Data {
        Data::Structure(vec![
            self.restricting_object.to_data(),
            self.from_value.to_data(),
            self.to_value.to_data(),
            Data::Array(
                self.selected_values
                    .iter()
                    .map(CaptureObject::to_data)
                    .collect(),
            ),
        ])
    }

    /// Parses the access-parameters of selector 1. An octet-string of 12 octets as from or to
    /// value becomes a [`RangeValue::DateTime`], whatever the value it was built from (see
    /// [`RangeValue`]): `from_data(d.to_data())` gives back `d` unless one of its values was a
    /// 12-octet `Data::OctetString`, and always gives back the same [`to_data`](Self::to_data).
    ///
    /// # Errors
    /// [`Error::BadValue`] (offset from the start of `data`) for another shape.
    pub fn from_data(data: DataRef<'_>) -> Result<Self, Error> {
        let mut items = structure(
            data,
            data,
            4,
            "range_descriptor",
            "structure { restricting_object, from_value, to_value, selected_values }",
        )?;
        let restricting = next(&mut items, data)?;
        let from = next(&mut items, data)?;
        let to = next(&mut items, data)?;
        let selected = next(&mut items, data)?;
        let restricting_object = CaptureObject::parse(data, restricting)?;
        let Value::Array(columns) = selected.value() else {
            return Err(bad(data, selected, "selected_values", "array"));
        };
        let selected_values = columns
            .map(|column| CaptureObject::parse(data, column))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RangeDescriptor {
            restricting_object,
            from_value: RangeValue::parse(from),
            to_value: RangeValue::parse(to),
            selected_values,
        })
    }
}

impl EntryDescriptor {
    /// The access selector of an entry_descriptor.
    pub const SELECTOR: u8 = 2;

    /// `structure { double-long-unsigned, double-long-unsigned, long-unsigned, long-unsigned }`.
    pub fn to_data(&self) -> Data {
        Data::Structure(vec![
            Data::DoubleLongUnsigned(self.from_entry),
            Data::DoubleLongUnsigned(self.to_entry),
            Data::LongUnsigned(self.from_selected_value),
            Data::LongUnsigned(self.to_selected_value),
        ])
    }

    /// Parses the access-parameters of selector 2.
    ///
    /// # Errors
    /// [`Error::BadValue`] (offset from the start of `data`) for another shape.
    pub fn from_data(data: DataRef<'_>) -> Result<Self, Error> {
        let mut items = structure(
            data,
            data,
            4,
            "entry_descriptor",
            "structure { double-long-unsigned x2, long-unsigned x2 }",
        )?;
        let mut u32_at = |what| {
            let item = next(&mut items, data)?;
            match item.value() {
                Value::DoubleLongUnsigned(v) => Ok(v),
                _ => Err(bad(data, item, what, "double-long-unsigned")),
            }
        };
        let from_entry = u32_at("from_entry")?;
        let to_entry = u32_at("to_entry")?;
        let mut u16_at = |what| {
            let item = next(&mut items, data)?;
            match item.value() {
                Value::LongUnsigned(v) => Ok(v),
                _ => Err(bad(data, item, what, "long-unsigned")),
            }
        };
        let from_selected_value = u16_at("from_selected_value")?;
        let to_selected_value = u16_at("to_selected_value")?;
        Ok(EntryDescriptor {
            from_entry,
            to_entry,
            from_selected_value,
            to_selected_value,
        })
    }
}

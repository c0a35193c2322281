//! The Sparkplug B payload schema as `prost` messages (Sparkplug 3.0, 6.4.1) and the datatype
//! codes (6.4.16).
//!
//! Hand-written `#[derive(prost::Message)]` structs, no build script: `proto/sparkplug_b.proto`
//! describes the same schema for readers. Sparkplug B is proto2, so every scalar is an `Option`
//! (an NBIRTH's `seq` of 0 is present, an NDEATH's is absent) and repeated scalars are not
//! packed. The nested messages of the schema's `Payload` are flattened here (`proto::Metric` is
//! `Payload.Metric`); each `oneof value` is a `Value` enum in a module named after its message.
//!
//! Decoding is `prost::Message::decode`, which never panics and bounds nesting (templates and
//! property sets are recursive) at prost's recursion limit.

use std::fmt;

/// A Sparkplug B payload: the body of every message but STATE (6.4.5).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Payload {
    /// When the message was sent, milliseconds since the epoch, UTC.
    #[prost(uint64, optional, tag = "1")]
    pub timestamp: Option<u64>,
    /// The metrics, in order.
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
    /// The message sequence number, 0..=255; absent on NDEATH, NCMD and DCMD (6.4.5).
    #[prost(uint64, optional, tag = "3")]
    pub seq: Option<u64>,
    /// A schema identifier for `body`.
    #[prost(string, optional, tag = "4")]
    pub uuid: Option<String>,
    /// Opaque bytes outside the schema.
    #[prost(bytes = "vec", optional, tag = "5")]
    pub body: Option<Vec<u8>>,
}

/// One metric (a tag): Sparkplug 3.0, 6.4.6.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    /// The name; in births always, in data and commands only when no alias is used.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// The alias, unique across the edge node, bound to the name by the birth.
    #[prost(uint64, optional, tag = "2")]
    pub alias: Option<u64>,
    /// When the value was acquired, milliseconds since the epoch, UTC.
    #[prost(uint64, optional, tag = "3")]
    pub timestamp: Option<u64>,
    /// A [`DataType`] code; required in births, should be absent in data and commands.
    #[prost(uint32, optional, tag = "4")]
    pub datatype: Option<u32>,
    /// Late data that must not update the live value.
    #[prost(bool, optional, tag = "5")]
    pub is_historical: Option<bool>,
    /// Not to be historized.
    #[prost(bool, optional, tag = "6")]
    pub is_transient: Option<bool>,
    /// The value is null (and no value field is set).
    #[prost(bool, optional, tag = "7")]
    pub is_null: Option<bool>,
    /// Describes binary and file values.
    #[prost(message, optional, tag = "8")]
    pub metadata: Option<MetaData>,
    /// Key/value properties of the metric (6.4.8).
    #[prost(message, optional, tag = "9")]
    pub properties: Option<PropertySet>,
    /// The value.
    #[prost(
        oneof = "metric::Value",
        tags = "10, 11, 12, 13, 14, 15, 16, 17, 18, 19"
    )]
    pub value: Option<metric::Value>,
}

/// The `oneof value` of [`Metric`].
pub mod metric {
    /// Which field a metric's value travels in; [`super::DataType::value_field`] says which.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        /// Int8, Int16, Int32 (two's complement in their own width), UInt8, UInt16, UInt32.
        #[prost(uint32, tag = "10")]
        IntValue(u32),
        /// Int64 (two's complement), UInt64, DateTime.
        #[prost(uint64, tag = "11")]
        LongValue(u64),
        /// Float.
        #[prost(float, tag = "12")]
        FloatValue(f32),
        /// Double.
        #[prost(double, tag = "13")]
        DoubleValue(f64),
        /// Boolean.
        #[prost(bool, tag = "14")]
        BooleanValue(bool),
        /// String, Text, UUID.
        #[prost(string, tag = "15")]
        StringValue(String),
        /// Bytes, File and the array types.
        #[prost(bytes = "vec", tag = "16")]
        BytesValue(Vec<u8>),
        /// DataSet.
        #[prost(message, tag = "17")]
        DatasetValue(super::DataSet),
        /// Template.
        #[prost(message, tag = "18")]
        TemplateValue(super::Template),
        /// A third party's extension (its fields are not kept).
        #[prost(message, tag = "19")]
        ExtensionValue(super::Extension),
    }
}

/// An extension message; this crate keeps none of its fields.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Extension {}

/// Metadata of a binary or file metric (6.4.7).
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetaData {
    /// This value is one part of a multi-part value.
    #[prost(bool, optional, tag = "1")]
    pub is_multi_part: Option<bool>,
    /// Media type.
    #[prost(string, optional, tag = "2")]
    pub content_type: Option<String>,
    /// Size of the value in bytes.
    #[prost(uint64, optional, tag = "3")]
    pub size: Option<u64>,
    /// Part number of a multi-part value.
    #[prost(uint64, optional, tag = "4")]
    pub seq: Option<u64>,
    /// File name.
    #[prost(string, optional, tag = "5")]
    pub file_name: Option<String>,
    /// File type.
    #[prost(string, optional, tag = "6")]
    pub file_type: Option<String>,
    /// MD5 sum, as text.
    #[prost(string, optional, tag = "7")]
    pub md5: Option<String>,
    /// Free text.
    #[prost(string, optional, tag = "8")]
    pub description: Option<String>,
}

/// Properties: keys and values in two lists of equal length (6.4.8).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PropertySet {
    /// Property names.
    #[prost(string, repeated, tag = "1")]
    pub keys: Vec<String>,
    /// Property values, one per key.
    #[prost(message, repeated, tag = "2")]
    pub values: Vec<PropertyValue>,
}

impl PropertySet {
    /// The value of property `key`, if present (the first one when a key repeats).
    pub fn get(&self, key: &str) -> Option<&PropertyValue> {
        self.keys
            .iter()
            .position(|k| k == key)
            .and_then(|i| self.values.get(i))
    }
}

/// One property value (6.4.9).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PropertyValue {
    /// A [`DataType`] code.
    #[prost(uint32, optional, tag = "1")]
    pub r#type: Option<u32>,
    /// The value is null.
    #[prost(bool, optional, tag = "2")]
    pub is_null: Option<bool>,
    /// The value.
    #[prost(oneof = "property_value::Value", tags = "3, 4, 5, 6, 7, 8, 9, 10, 11")]
    pub value: Option<property_value::Value>,
}

/// The `oneof value` of [`PropertyValue`].
pub mod property_value {
    /// Which field a property's value travels in.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        /// 8, 16 and 32-bit integers.
        #[prost(uint32, tag = "3")]
        IntValue(u32),
        /// 64-bit integers and DateTime.
        #[prost(uint64, tag = "4")]
        LongValue(u64),
        /// Float.
        #[prost(float, tag = "5")]
        FloatValue(f32),
        /// Double.
        #[prost(double, tag = "6")]
        DoubleValue(f64),
        /// Boolean.
        #[prost(bool, tag = "7")]
        BooleanValue(bool),
        /// String and Text.
        #[prost(string, tag = "8")]
        StringValue(String),
        /// A nested property set.
        #[prost(message, tag = "9")]
        PropertysetValue(super::PropertySet),
        /// A list of property sets.
        #[prost(message, tag = "10")]
        PropertysetsValue(super::PropertySetList),
        /// A third party's extension.
        #[prost(message, tag = "11")]
        ExtensionValue(super::Extension),
    }
}

/// A list of property sets (6.4.10).
#[derive(Clone, PartialEq, prost::Message)]
pub struct PropertySetList {
    /// The sets.
    #[prost(message, repeated, tag = "1")]
    pub propertyset: Vec<PropertySet>,
}

/// A table (6.4.11); fieldbridge neither sends nor interprets one, but decodes it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DataSet {
    /// Number of columns.
    #[prost(uint64, optional, tag = "1")]
    pub num_of_columns: Option<u64>,
    /// Column names.
    #[prost(string, repeated, tag = "2")]
    pub columns: Vec<String>,
    /// One [`DataType`] code per column.
    #[prost(uint32, repeated, packed = "false", tag = "3")]
    pub types: Vec<u32>,
    /// The rows.
    #[prost(message, repeated, tag = "4")]
    pub rows: Vec<DataSetRow>,
}

/// One row of a [`DataSet`] (6.4.12).
#[derive(Clone, PartialEq, prost::Message)]
pub struct DataSetRow {
    /// The cells.
    #[prost(message, repeated, tag = "1")]
    pub elements: Vec<DataSetValue>,
}

/// One cell of a [`DataSet`] (6.4.13).
#[derive(Clone, PartialEq, prost::Message)]
pub struct DataSetValue {
    /// The value.
    #[prost(oneof = "data_set_value::Value", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub value: Option<data_set_value::Value>,
}

/// The `oneof value` of [`DataSetValue`].
pub mod data_set_value {
    /// Which field a cell travels in.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        /// 8, 16 and 32-bit integers.
        #[prost(uint32, tag = "1")]
        IntValue(u32),
        /// 64-bit integers and DateTime.
        #[prost(uint64, tag = "2")]
        LongValue(u64),
        /// Float.
        #[prost(float, tag = "3")]
        FloatValue(f32),
        /// Double.
        #[prost(double, tag = "4")]
        DoubleValue(f64),
        /// Boolean.
        #[prost(bool, tag = "5")]
        BooleanValue(bool),
        /// String and Text.
        #[prost(string, tag = "6")]
        StringValue(String),
        /// A third party's extension.
        #[prost(message, tag = "7")]
        ExtensionValue(super::Extension),
    }
}

/// A template definition or instance (6.4.14); decoded, never sent by fieldbridge.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Template {
    /// Version text.
    #[prost(string, optional, tag = "1")]
    pub version: Option<String>,
    /// The members.
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
    /// The parameters.
    #[prost(message, repeated, tag = "3")]
    pub parameters: Vec<TemplateParameter>,
    /// For an instance: the name of its definition.
    #[prost(string, optional, tag = "4")]
    pub template_ref: Option<String>,
    /// True for a definition, false for an instance.
    #[prost(bool, optional, tag = "5")]
    pub is_definition: Option<bool>,
}

/// A template parameter (6.4.15).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TemplateParameter {
    /// Name.
    #[prost(string, optional, tag = "1")]
    pub name: Option<String>,
    /// A [`DataType`] code.
    #[prost(uint32, optional, tag = "2")]
    pub r#type: Option<u32>,
    /// The value.
    #[prost(oneof = "template_parameter::Value", tags = "3, 4, 5, 6, 7, 8, 9")]
    pub value: Option<template_parameter::Value>,
}

/// The `oneof value` of [`TemplateParameter`].
pub mod template_parameter {
    /// Which field a parameter travels in.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        /// 8, 16 and 32-bit integers.
        #[prost(uint32, tag = "3")]
        IntValue(u32),
        /// 64-bit integers and DateTime.
        #[prost(uint64, tag = "4")]
        LongValue(u64),
        /// Float.
        #[prost(float, tag = "5")]
        FloatValue(f32),
        /// Double.
        #[prost(double, tag = "6")]
        DoubleValue(f64),
        /// Boolean.
        #[prost(bool, tag = "7")]
        BooleanValue(bool),
        /// String and Text.
        #[prost(string, tag = "8")]
        StringValue(String),
        /// A third party's extension.
        #[prost(message, tag = "9")]
        ExtensionValue(super::Extension),
    }
}

/// The value field a datatype travels in (Sparkplug 3.0, 6.4.17).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueField {
    /// `int_value` (uint32).
    Int,
    /// `long_value` (uint64).
    Long,
    /// `float_value`.
    Float,
    /// `double_value`.
    Double,
    /// `boolean_value`.
    Boolean,
    /// `string_value`.
    String,
    /// `bytes_value`.
    Bytes,
    /// `dataset_value`.
    DataSet,
    /// `template_value`.
    Template,
    /// Only in a property value: `propertyset_value` or `propertysets_value`.
    PropertySet,
    /// None: Unknown.
    None,
}

macro_rules! datatypes {
    ($($variant:ident = $code:literal, $name:literal, $field:ident;)*) => {
        /// A Sparkplug B datatype with its code (Sparkplug 3.0, 6.4.16).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u32)]
        pub enum DataType {
            $(
                #[doc = concat!("`", $name, "`, code ", stringify!($code), ".")]
                $variant = $code,
            )*
        }

        impl DataType {
            /// Every datatype, in code order.
            pub const ALL: &'static [DataType] = &[$(DataType::$variant),*];

            /// The datatype of a code, `None` for a code the specification does not define.
            pub fn from_code(code: u32) -> Option<DataType> {
                match code {
                    $($code => Some(DataType::$variant),)*
                    _ => None,
                }
            }

            /// The name the specification gives it (`"Int16"`, `"UUID"`).
            pub fn name(self) -> &'static str {
                match self {
                    $(DataType::$variant => $name,)*
                }
            }

            /// The datatype of a name as the specification spells it (case-sensitive).
            pub fn from_name(name: &str) -> Option<DataType> {
                match name {
                    $($name => Some(DataType::$variant),)*
                    _ => None,
                }
            }

            /// The field of a [`Metric`] value this datatype travels in (6.4.17).
            pub fn value_field(self) -> ValueField {
                match self {
                    $(DataType::$variant => ValueField::$field,)*
                }
            }
        }
    };
}

datatypes! {
    Unknown = 0, "Unknown", None;
    Int8 = 1, "Int8", Int;
    Int16 = 2, "Int16", Int;
    Int32 = 3, "Int32", Int;
    Int64 = 4, "Int64", Long;
    UInt8 = 5, "UInt8", Int;
    UInt16 = 6, "UInt16", Int;
    UInt32 = 7, "UInt32", Int;
    UInt64 = 8, "UInt64", Long;
    Float = 9, "Float", Float;
    Double = 10, "Double", Double;
    Boolean = 11, "Boolean", Boolean;
    String = 12, "String", String;
    DateTime = 13, "DateTime", Long;
    Text = 14, "Text", String;
    Uuid = 15, "UUID", String;
    DataSet = 16, "DataSet", DataSet;
    Bytes = 17, "Bytes", Bytes;
    File = 18, "File", Bytes;
    Template = 19, "Template", Template;
    PropertySet = 20, "PropertySet", PropertySet;
    PropertySetList = 21, "PropertySetList", PropertySet;
    Int8Array = 22, "Int8Array", Bytes;
    Int16Array = 23, "Int16Array", Bytes;
    Int32Array = 24, "Int32Array", Bytes;
    Int64Array = 25, "Int64Array", Bytes;
    UInt8Array = 26, "UInt8Array", Bytes;
    UInt16Array = 27, "UInt16Array", Bytes;
    UInt32Array = 28, "UInt32Array", Bytes;
    UInt64Array = 29, "UInt64Array", Bytes;
    FloatArray = 30, "FloatArray", Bytes;
    DoubleArray = 31, "DoubleArray", Bytes;
    BooleanArray = 32, "BooleanArray", Bytes;
    StringArray = 33, "StringArray", Bytes;
    DateTimeArray = 34, "DateTimeArray", Bytes;
}

impl DataType {
    /// The code carried in `Metric.datatype` and `PropertyValue.type`.
    pub fn code(self) -> u32 {
        self as u32
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;

    #[test]
    fn datatype_codes_are_the_specifications() {
        assert_eq!(DataType::Int8.code(), 1);
        assert_eq!(DataType::Int64.code(), 4);
        assert_eq!(DataType::UInt64.code(), 8);
        assert_eq!(DataType::Boolean.code(), 11);
        assert_eq!(DataType::DateTime.code(), 13);
        assert_eq!(DataType::Text.code(), 14);
        assert_eq!(DataType::Bytes.code(), 17);
        assert_eq!(DataType::DateTimeArray.code(), 34);
        assert_eq!(DataType::ALL.len(), 35);
        for (i, dt) in DataType::ALL.iter().enumerate() {
            assert_eq!(dt.code() as usize, i);
            assert_eq!(DataType::from_code(dt.code()), Some(*dt));
            assert_eq!(DataType::from_name(dt.name()), Some(*dt));
        }
        assert_eq!(DataType::from_code(35), None);
        assert_eq!(DataType::from_name("int16"), None);
    }

    #[test]
    fn a_metric_encodes_with_the_schemas_field_numbers() {
        let metric = Metric {
            name: Some("a".into()),
            alias: Some(5),
            datatype: Some(DataType::UInt16.code()),
            value: Some(metric::Value::IntValue(300)),
            ..Metric::default()
        };
        // 0a 01 61: field 1 (name), length 1, "a"
        // 10 05: field 2 (alias) varint 5
        // 20 06: field 4 (datatype) varint 6
        // 50 ac 02: field 10 (int_value) varint 300
        assert_eq!(
            metric.encode_to_vec(),
            [0x0a, 0x01, 0x61, 0x10, 0x05, 0x20, 0x06, 0x50, 0xac, 0x02]
        );
    }

    #[test]
    fn a_zero_seq_is_present_and_an_absent_seq_is_not_encoded() {
        let with = Payload {
            seq: Some(0),
            ..Payload::default()
        };
        assert_eq!(with.encode_to_vec(), [0x18, 0x00]);
        assert!(Payload::default().encode_to_vec().is_empty());
        let back = Payload::decode(&[0x18u8, 0x00][..]).unwrap();
        assert_eq!(back.seq, Some(0));
    }
}

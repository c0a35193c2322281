//! Short names (IEC 62056-6-2, DLMS UA 1000-1, the short-name column of each class; DLMS UA
//! 1000-2 Ed. 10 clause 9.3.11 to 9.3.13): under short name referencing each attribute and
//! method of an object is a DLMS named variable with a 16-bit short name. Attribute 1 (the
//! logical name) is the object's base name `x`; attribute `n` is `x + (n − 1) × 8`; the methods
//! follow at a class-specific offset from `x` (the "short name" column of each class in IEC
//! 62056-6-2). The base names a meter allocated come from the object_list of its Association SN
//! object (class 12, base name 0xFA00, attribute 2 at 0xFA08): an array of
//! `structure { base_name: long, class_id: long-unsigned, version: unsigned,
//! logical_name: octet-string }`.

use std::collections::HashMap;

use fieldbridge_dlms::apdu::get::{AttributeDescriptor, MethodDescriptor};
use fieldbridge_dlms::axdr::{DataRef, Value};
use fieldbridge_dlms::obis::ObisCode;

use super::error::SessionError;

/// The base name of the current association's Association SN object (IEC 62056-6-2 class 12).
pub const ASSOCIATION_SN: u16 = 0xFA00;

/// The short name of the current association's object_list (Association SN attribute 2).
pub const OBJECT_LIST: u16 = ASSOCIATION_SN + 8;

/// One element of the object_list of an Association SN object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SnObject {
    /// The base name: the short name of attribute 1 (the two octets of the `long`).
    pub base_name: u16,
    /// The interface class.
    pub class_id: u16,
    /// The version of the interface class.
    pub version: u8,
    /// The logical name (OBIS code).
    pub logical_name: ObisCode,
}

/// The meter's objects by class and logical name, from its object_list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShortNames {
    objects: HashMap<(u16, [u8; 6]), SnObject>,
}

impl ShortNames {
    /// The map of an object_list value (Association SN attribute 2). An object listed twice
    /// keeps its first base name.
    ///
    /// # Errors
    /// [`SessionError::Unexpected`] naming the first element that is not
    /// `structure { long, long-unsigned, unsigned, octet-string(6) }`, or a value that is not
    /// an array.
    pub fn from_object_list(list: DataRef<'_>) -> Result<Self, SessionError> {
        let Value::Array(items) = list.value() else {
            return Err(malformed("another value than an array"));
        };
        let mut objects = HashMap::with_capacity(items.len());
        for item in items {
            let object = element(item)?;
            objects
                .entry((object.class_id, object.logical_name.to_bytes()))
                .or_insert(object);
        }
        Ok(ShortNames { objects })
    }

    /// A map of the given objects (for a caller that knows the meter's object list).
    pub fn from_objects(list: impl IntoIterator<Item = SnObject>) -> Self {
        let mut objects = HashMap::new();
        for object in list {
            objects
                .entry((object.class_id, object.logical_name.to_bytes()))
                .or_insert(object);
        }
        ShortNames { objects }
    }

    /// The object of class `class_id` named `logical_name`, if the meter listed it.
    pub fn object(&self, class_id: u16, logical_name: [u8; 6]) -> Option<&SnObject> {
        self.objects.get(&(class_id, logical_name))
    }

    /// How many objects the meter listed.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the meter listed no object (or the list was not read yet).
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Every object, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &SnObject> {
        self.objects.values()
    }

    /// The short name of an attribute: `base_name + (attribute − 1) × 8`.
    ///
    /// # Errors
    /// [`SessionError::UnknownObject`] when the object is not listed,
    /// [`SessionError::NoShortName`] for an attribute id below 1 or a name past 0xFFFF.
    pub fn attribute(&self, attribute: &AttributeDescriptor) -> Result<u16, SessionError> {
        let object = self.find(attribute.class_id, attribute.instance_id)?;
        let offset = u16::try_from(attribute.attribute_id)
            .ok()
            .filter(|&id| id >= 1)
            .map(|id| (id - 1) * 8);
        offset
            .and_then(|offset| object.base_name.checked_add(offset))
            .ok_or(SessionError::NoShortName {
                class_id: attribute.class_id,
                member: "attribute",
                id: attribute.attribute_id,
                why: "its id is below 1 or its short name past 0xFFFF",
            })
    }

    /// The short name of a method: `base_name` + the class's offset of method 1 +
    /// `(method − 1) × 8`, for the classes of [`first_method`].
    ///
    /// # Errors
    /// [`SessionError::UnknownObject`] when the object is not listed,
    /// [`SessionError::NoShortName`] for a class whose method short names are not known here,
    /// a method id the class does not have, or a name past 0xFFFF.
    pub fn method(&self, method: &MethodDescriptor) -> Result<u16, SessionError> {
        let object = self.find(method.class_id, method.instance_id)?;
        let no_name = |why| SessionError::NoShortName {
            class_id: method.class_id,
            member: "method",
            id: method.method_id,
            why,
        };
        let (first, count) = first_method(method.class_id).ok_or(no_name(
            "the short names of this class's methods are not known to the session",
        ))?;
        let id = u8::try_from(method.method_id)
            .ok()
            .filter(|id| (1..=count).contains(id))
            .ok_or(no_name("the class has no method with this id"))?;
        object
            .base_name
            .checked_add(first + u16::from(id - 1) * 8)
            .ok_or(no_name("its short name would be past 0xFFFF"))
    }

    fn find(&self, class_id: u16, logical_name: [u8; 6]) -> Result<&SnObject, SessionError> {
        self.object(class_id, logical_name)
            .ok_or(SessionError::UnknownObject {
                class_id,
                logical_name: ObisCode::from_bytes(logical_name),
            })
    }
}

/// The offset of method 1 from the base name and the number of methods, by interface class
/// (IEC 62056-6-2, the short-name column of each class; the same in jDLMS and Gurux). Classes
/// missing here (those without methods, and those whose offsets the references disagree on,
/// such as Security setup) get [`SessionError::NoShortName`].
pub fn first_method(class_id: u16) -> Option<(u16, u8)> {
    Some(match class_id {
        3 => (0x28, 1),  // Register: reset
        4 => (0x38, 1),  // Extended register: reset
        5 => (0x48, 2),  // Demand register: reset, next_period
        6 => (0x30, 3),  // Register activation: add_register, add_mask, delete_mask
        7 => (0x58, 2),  // Profile generic: reset, capture
        8 => (0x60, 6),  // Clock: adjust_to_quarter ... shift_time
        9 => (0x20, 1),  // Script table: execute
        11 => (0x10, 2), // Special days table: insert, delete
        12 => (0x20, 8), // Association SN: ... reply_to_HLS_authentication (8, x + 0x58)
        18 => (0x40, 4), // Image transfer: initiate, block_transfer, verify, activate
        20 => (0x50, 1), // Activity calendar: activate_passive_calendar
        40 => (0x38, 1), // Push setup: push
        42 => (0x60, 3), // IPv4 setup: add_mc_IP_address, delete_mc_IP_address, get_nbof_mc
        70 => (0x20, 2), // Disconnect control: remote_disconnect, remote_reconnect
        _ => return None,
    })
}

/// One object_list element.
fn element(item: DataRef<'_>) -> Result<SnObject, SessionError> {
    let Value::Structure(mut fields) = item.value() else {
        return Err(malformed("an element that is not a structure"));
    };
    if fields.len() != 4 {
        return Err(malformed("a structure without exactly 4 fields"));
    }
    let mut next = || fields.next().map(|f| f.value());
    // base_name is a `long`; a meter sending it as long-unsigned means the same two octets.
    let base_name = match next() {
        Some(Value::Long(name)) => u16::from_be_bytes(name.to_be_bytes()),
        Some(Value::LongUnsigned(name)) => name,
        _ => return Err(malformed("a base_name that is not a long")),
    };
    let Some(Value::LongUnsigned(class_id)) = next() else {
        return Err(malformed("a class_id that is not a long-unsigned"));
    };
    let Some(Value::Unsigned(version)) = next() else {
        return Err(malformed("a version that is not an unsigned"));
    };
    let logical_name = match next() {
        Some(Value::OctetString(bytes)) => <[u8; 6]>::try_from(bytes).ok(),
        _ => None,
    }
    .ok_or(malformed(
        "a logical_name that is not an octet-string of 6 octets",
    ))?;
    Ok(SnObject {
        base_name,
        class_id,
        version,
        logical_name: ObisCode::from_bytes(logical_name),
    })
}

fn malformed(found: &'static str) -> SessionError {
    SessionError::Unexpected {
        expected: "an object_list: an array of structure { base_name long, class_id \
                   long-unsigned, version unsigned, logical_name octet-string(6) }",
        found,
    }
}

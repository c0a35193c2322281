//! The fields every data-transfer APDU starts with (DLMS UA 1000-2 Ed. 10 clause 9.5): the
//! invoke-id-and-priority octet, its 32-bit form, and the COSEM attribute and method descriptors.
//!
//! ```text
//! Invoke-Id-And-Priority        1 octet    bits 0-3 invoke-id, 6 service-class, 7 priority
//! Long-Invoke-Id-And-Priority   4 octets   bits 0-23 long-invoke-id, 28 self-descriptive,
//!                                          29 processing-option, 30 service-class, 31 priority
//! Cosem-Attribute-Descriptor    class-id u16 | instance-id 6 octets | attribute-id i8
//! Cosem-Method-Descriptor       class-id u16 | instance-id 6 octets | method-id i8
//! ```

use super::wire::{element_with, Element};
use crate::axdr::Limits;
use crate::reader::Reader;
use crate::Error;

/// `Invoke-Id-And-Priority` (DLMS UA 1000-2 Ed. 10 clause 9.5): one octet, kept whole so that
/// the reserved bits 4 and 5 survive a round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct InvokeIdAndPriority(pub u8);

impl InvokeIdAndPriority {
    /// Bit 6, service-class: 1 = confirmed.
    pub const CONFIRMED: u8 = 0x40;
    /// Bit 7, priority: 1 = high.
    pub const HIGH_PRIORITY: u8 = 0x80;

    /// The octet for `invoke_id` (its low 4 bits), the service class and the priority.
    pub fn new(invoke_id: u8, confirmed: bool, high_priority: bool) -> Self {
        let mut octet = invoke_id & 0x0F;
        if confirmed {
            octet |= Self::CONFIRMED;
        }
        if high_priority {
            octet |= Self::HIGH_PRIORITY;
        }
        InvokeIdAndPriority(octet)
    }

    /// Bits 0-3: the invoke-id.
    pub fn invoke_id(self) -> u8 {
        self.0 & 0x0F
    }

    /// Bit 6: whether the service is confirmed.
    pub fn confirmed(self) -> bool {
        self.0 & Self::CONFIRMED != 0
    }

    /// Bit 7: whether the priority is high.
    pub fn high_priority(self) -> bool {
        self.0 & Self::HIGH_PRIORITY != 0
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(InvokeIdAndPriority(r.u8("invoke-id-and-priority")?))
    }
}

/// `Long-Invoke-Id-And-Priority` (DLMS UA 1000-2 Ed. 10 clause 9.5): four octets, as in a
/// DataNotification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LongInvokeIdAndPriority(pub u32);

impl LongInvokeIdAndPriority {
    /// Bit 28, self-descriptive: 1 = the notification body carries its own description.
    pub const SELF_DESCRIPTIVE: u32 = 1 << 28;
    /// Bit 29, processing-option: 1 = break on error, 0 = continue on error.
    pub const BREAK_ON_ERROR: u32 = 1 << 29;
    /// Bit 30, service-class: 1 = confirmed.
    pub const CONFIRMED: u32 = 1 << 30;
    /// Bit 31, priority: 1 = high.
    pub const HIGH_PRIORITY: u32 = 1 << 31;

    /// The value for `long_invoke_id` (its low 24 bits), the service class and the priority.
    pub fn new(long_invoke_id: u32, confirmed: bool, high_priority: bool) -> Self {
        let mut value = long_invoke_id & 0x00FF_FFFF;
        if confirmed {
            value |= Self::CONFIRMED;
        }
        if high_priority {
            value |= Self::HIGH_PRIORITY;
        }
        LongInvokeIdAndPriority(value)
    }

    /// Bits 0-23: the long-invoke-id.
    pub fn long_invoke_id(self) -> u32 {
        self.0 & 0x00FF_FFFF
    }

    /// Bit 28: whether the body is self-descriptive.
    pub fn self_descriptive(self) -> bool {
        self.0 & Self::SELF_DESCRIPTIVE != 0
    }

    /// Bit 29: whether processing breaks on the first error.
    pub fn break_on_error(self) -> bool {
        self.0 & Self::BREAK_ON_ERROR != 0
    }

    /// Bit 30: whether the service is confirmed.
    pub fn confirmed(self) -> bool {
        self.0 & Self::CONFIRMED != 0
    }

    /// Bit 31: whether the priority is high.
    pub fn high_priority(self) -> bool {
        self.0 & Self::HIGH_PRIORITY != 0
    }
}

/// `Cosem-Attribute-Descriptor` (DLMS UA 1000-2 Ed. 10 clause 9.5): which attribute of which
/// object. 9 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttributeDescriptor {
    /// `class-id`: the interface class (IEC 62056-6-2), e.g. 3 for Register, 8 for Clock.
    pub class_id: u16,
    /// `instance-id`: the object's logical name, an OBIS code as 6 octets.
    pub instance_id: [u8; 6],
    /// `attribute-id`: 1 is the logical name, 2 the value; negative ids are manufacturer
    /// specific.
    pub attribute_id: i8,
}

/// The encoded length of a descriptor.
pub(crate) const DESCRIPTOR_LEN: usize = 9;

fn read_descriptor(r: &mut Reader<'_>, id_what: &'static str) -> Result<(u16, [u8; 6], i8), Error> {
    let class_id = r.u16("class-id")?;
    let instance_id = r.array::<6>("instance-id")?;
    let id = r.u8(id_what)? as i8;
    Ok((class_id, instance_id, id))
}

fn put_descriptor(out: &mut Vec<u8>, class_id: u16, instance_id: [u8; 6], id: i8) {
    out.extend_from_slice(&class_id.to_be_bytes());
    out.extend_from_slice(&instance_id);
    out.push(id as u8);
}

impl AttributeDescriptor {
    /// A descriptor.
    pub fn new(class_id: u16, instance_id: [u8; 6], attribute_id: i8) -> Self {
        AttributeDescriptor {
            class_id,
            instance_id,
            attribute_id,
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        let (class_id, instance_id, attribute_id) = read_descriptor(r, "attribute-id")?;
        Ok(AttributeDescriptor {
            class_id,
            instance_id,
            attribute_id,
        })
    }

    /// The encoded length: 9.
    pub fn encoded_len(&self) -> usize {
        DESCRIPTOR_LEN
    }

    /// Appends the 9 octets.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_descriptor(out, self.class_id, self.instance_id, self.attribute_id);
    }
}

/// `Cosem-Method-Descriptor` (DLMS UA 1000-2 Ed. 10 clause 9.5): which method of which object.
/// 9 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MethodDescriptor {
    /// `class-id`: the interface class.
    pub class_id: u16,
    /// `instance-id`: the object's logical name, an OBIS code as 6 octets.
    pub instance_id: [u8; 6],
    /// `method-id`: from 1; negative ids are manufacturer specific.
    pub method_id: i8,
}

impl MethodDescriptor {
    /// A descriptor.
    pub fn new(class_id: u16, instance_id: [u8; 6], method_id: i8) -> Self {
        MethodDescriptor {
            class_id,
            instance_id,
            method_id,
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        let (class_id, instance_id, method_id) = read_descriptor(r, "method-id")?;
        Ok(MethodDescriptor {
            class_id,
            instance_id,
            method_id,
        })
    }

    /// The encoded length: 9.
    pub fn encoded_len(&self) -> usize {
        DESCRIPTOR_LEN
    }

    /// Appends the 9 octets.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_descriptor(out, self.class_id, self.instance_id, self.method_id);
    }
}

impl<'a> Element<'a> for MethodDescriptor {
    fn decode_element(
        input: &'a [u8],
        base: usize,
        _limits: Limits,
    ) -> Result<(Self, usize), Error> {
        element_with(input, base, MethodDescriptor::read)
    }
}

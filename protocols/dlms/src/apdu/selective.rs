//! Selective access (DLMS UA 1000-2 Ed. 10 clause 9.5, IEC 62056-6-2 clause 4.3.6 for the
//! profile generic descriptors): the `Selective-Access-Descriptor` a GET or SET request may add
//! to an attribute descriptor, and typed forms of the two selectors of a profile's buffer.
//!
//! ```text
//! Cosem-Attribute-Descriptor-With-Selection
//!     cosem-attribute-descriptor (9) | OPTIONAL access-selection
//! Selective-Access-Descriptor
//!     access-selector u8 | access-parameters Data
//! range_descriptor (selector 1)     structure { restricting_object, from_value, to_value,
//!                                               selected_values }
//!     restricting_object            structure { class_id long-unsigned, logical_name
//!                                               octet-string(6), attribute_index integer,
//!                                               data_index long-unsigned }
//!     selected_values               array of such structures (empty: every column)
//! entry_descriptor (selector 2)     structure { from_entry double-long-unsigned, to_entry
//!                                               double-long-unsigned, from_selected_value
//!                                               long-unsigned, to_selected_value long-unsigned }
//! ```

use crate::apdu::get::wire::{self, element_with, Element};
use crate::apdu::get::AttributeDescriptor;
use crate::axdr::{Data, DataRef, DateTime, Limits, Value};
use crate::reader::Reader;
use crate::Error;

mod profile;

pub use profile::{CaptureObject, EntryDescriptor, RangeDescriptor, RangeValue};

/// `Selective-Access-Descriptor`, borrowed: the selector and its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelectiveAccess<'a> {
    /// `access-selector`: 1 is a profile's range_descriptor, 2 its entry_descriptor; other
    /// interface classes define their own.
    pub selector: u8,
    /// `access-parameters`.
    pub parameters: DataRef<'a>,
}

/// `Selective-Access-Descriptor`, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedSelectiveAccess {
    /// `access-selector`.
    pub selector: u8,
    /// `access-parameters`.
    pub parameters: Data,
}

impl<'a> SelectiveAccess<'a> {
    pub(crate) fn read(r: &mut Reader<'a>, limits: Limits) -> Result<Self, Error> {
        let selector = r.u8("access-selector")?;
        let parameters = wire::data(r, limits)?;
        Ok(SelectiveAccess {
            selector,
            parameters,
        })
    }

    /// Reads an OPTIONAL access-selection.
    pub(crate) fn read_optional(r: &mut Reader<'a>, limits: Limits) -> Result<Option<Self>, Error> {
        if wire::optional(r, "access-selection")? {
            Ok(Some(SelectiveAccess::read(r, limits)?))
        } else {
            Ok(None)
        }
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedSelectiveAccess {
        OwnedSelectiveAccess {
            selector: self.selector,
            parameters: self.parameters.to_owned(),
        }
    }

    /// The parameters as a profile's range_descriptor, when the selector is 1.
    ///
    /// # Errors
    /// [`Error::BadValue`] for another selector, and what [`RangeDescriptor::from_data`]
    /// returns.
    pub fn range_descriptor(&self) -> Result<RangeDescriptor, Error> {
        self.expect_selector(RangeDescriptor::SELECTOR)?;
        RangeDescriptor::from_data(self.parameters)
    }

    /// The parameters as a profile's entry_descriptor, when the selector is 2.
    ///
    /// # Errors
    /// [`Error::BadValue`] for another selector, and what [`EntryDescriptor::from_data`]
    /// returns.
    pub fn entry_descriptor(&self) -> Result<EntryDescriptor, Error> {
        self.expect_selector(EntryDescriptor::SELECTOR)?;
        EntryDescriptor::from_data(self.parameters)
    }

    /// Checks the selector a typed reading needs; the error's offset is 0, the descriptor's
    /// own start being unknown to this view.
    fn expect_selector(&self, selector: u8) -> Result<(), Error> {
        if self.selector == selector {
            return Ok(());
        }
        Err(Error::BadValue {
            offset: 0,
            what: "access-selector",
            expected: if selector == RangeDescriptor::SELECTOR {
                "1 (range_descriptor)"
            } else {
                "2 (entry_descriptor)"
            },
            found: u64::from(self.selector),
        })
    }
}

impl OwnedSelectiveAccess {
    /// Selector 1 with a range_descriptor.
    pub fn range(descriptor: &RangeDescriptor) -> Self {
        OwnedSelectiveAccess {
            selector: RangeDescriptor::SELECTOR,
            parameters: descriptor.to_data(),
        }
    }

    /// Selector 2 with an entry_descriptor.
    pub fn entry(descriptor: &EntryDescriptor) -> Self {
        OwnedSelectiveAccess {
            selector: EntryDescriptor::SELECTOR,
            parameters: descriptor.to_data(),
        }
    }

    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        1 + self.parameters.encoded_len()
    }

    /// Appends the selector and the parameters.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.selector);
        self.parameters.encode(out);
    }

    /// The length of an OPTIONAL access-selection.
    pub(crate) fn optional_len(selection: &Option<Self>) -> usize {
        1 + selection.as_ref().map_or(0, Self::encoded_len)
    }

    /// Appends an OPTIONAL access-selection.
    pub(crate) fn put_optional(out: &mut Vec<u8>, selection: &Option<Self>) {
        match selection {
            None => out.push(0),
            Some(s) => {
                out.push(1);
                s.encode(out);
            }
        }
    }
}

/// `Cosem-Attribute-Descriptor-With-Selection`, borrowed: an element of a GET or SET with-list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttributeWithSelection<'a> {
    /// `cosem-attribute-descriptor`.
    pub attribute: AttributeDescriptor,
    /// `access-selection`.
    pub selection: Option<SelectiveAccess<'a>>,
}

/// `Cosem-Attribute-Descriptor-With-Selection`, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedAttributeWithSelection {
    /// `cosem-attribute-descriptor`.
    pub attribute: AttributeDescriptor,
    /// `access-selection`.
    pub selection: Option<OwnedSelectiveAccess>,
}

impl<'a> AttributeWithSelection<'a> {
    /// The owned copy.
    pub fn to_owned(&self) -> OwnedAttributeWithSelection {
        OwnedAttributeWithSelection {
            attribute: self.attribute,
            selection: self.selection.map(|s| s.to_owned()),
        }
    }
}

impl<'a> Element<'a> for AttributeWithSelection<'a> {
    fn decode_element(
        input: &'a [u8],
        base: usize,
        limits: Limits,
    ) -> Result<(Self, usize), Error> {
        element_with(input, base, |r| {
            let attribute = AttributeDescriptor::read(r)?;
            let selection = SelectiveAccess::read_optional(r, limits)?;
            Ok(AttributeWithSelection {
                attribute,
                selection,
            })
        })
    }
}

impl OwnedAttributeWithSelection {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        self.attribute.encoded_len() + OwnedSelectiveAccess::optional_len(&self.selection)
    }

    /// Appends the descriptor and the OPTIONAL selection.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.attribute.encode(out);
        OwnedSelectiveAccess::put_optional(out, &self.selection);
    }
}

/// The offset of `inner` in `outer`, for errors in a Data element found inside another.
fn offset_in(outer: DataRef<'_>, inner: DataRef<'_>) -> usize {
    (inner.as_bytes().as_ptr() as usize).saturating_sub(outer.as_bytes().as_ptr() as usize)
}

/// A COSEM date-time from an octet-string of 12 octets.
fn date_time_of(value: &Value<'_>) -> Option<DateTime> {
    match value {
        Value::OctetString(bytes) => {
            let array: [u8; 12] = (*bytes).try_into().ok()?;
            Some(DateTime::from_bytes(array))
        }
        _ => None,
    }
}

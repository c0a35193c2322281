//! SET (DLMS UA 1000-2 Ed. 10 clause 9.3.7 and 9.5, IEC 62056-5-3): writing attributes by
//! logical name.
//!
//! ```text
//! Set-Request  C1  01 normal                          invoke | attribute | OPT selection | Data
//!                  02 with-first-datablock            invoke | attribute | OPT selection |
//!                                                     DataBlock-SA
//!                  03 with-datablock                  invoke | DataBlock-SA
//!                  04 with-list                       invoke | count (attribute | OPT sel)* |
//!                                                     count Data*
//!                  05 with-list-and-first-datablock   invoke | count (attribute | OPT sel)* |
//!                                                     DataBlock-SA
//! Set-Response C5  01 normal                          invoke | data-access-result
//!                  02 datablock                       invoke | block-number u32
//!                  03 last-datablock                  invoke | data-access-result | block-number
//!                  04 last-datablock-with-list        invoke | count result* | block-number
//!                  05 with-list                       invoke | count result*
//! ```

use crate::apdu::get::wire::{self, data_list_len, list_len, put_data_list, put_list};
use crate::apdu::get::{
    AttributeDescriptor, DataAccessResult, DataBlockSa, InvokeIdAndPriority, List,
};
use crate::apdu::selective::{
    AttributeWithSelection, OwnedAttributeWithSelection, OwnedSelectiveAccess, SelectiveAccess,
};
use crate::axdr::{Data, DataRef, Limits};
use crate::reader::Reader;
use crate::Error;

/// The APDU tag of a Set-Request.
pub const SET_REQUEST: u8 = 0xC1;
/// The APDU tag of a Set-Response.
pub const SET_RESPONSE: u8 = 0xC5;

/// `Set-Request`, borrowed.
#[derive(Debug, Clone, PartialEq)]
pub enum SetRequest<'a> {
    /// `set-request-normal [1]`.
    Normal {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-attribute-descriptor`.
        attribute: AttributeDescriptor,
        /// `access-selection`.
        selection: Option<SelectiveAccess<'a>>,
        /// `value`.
        value: DataRef<'a>,
    },
    /// `set-request-with-first-datablock [2]`.
    WithFirstDatablock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-attribute-descriptor`.
        attribute: AttributeDescriptor,
        /// `access-selection`.
        selection: Option<SelectiveAccess<'a>>,
        /// `datablock`.
        block: DataBlockSa<&'a [u8]>,
    },
    /// `set-request-with-datablock [3]`.
    WithDatablock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `datablock`.
        block: DataBlockSa<&'a [u8]>,
    },
    /// `set-request-with-list [4]`.
    WithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `attribute-descriptor-list`.
        attributes: List<'a, AttributeWithSelection<'a>>,
        /// `value-list`.
        values: List<'a, DataRef<'a>>,
    },
    /// `set-request-with-list-and-first-datablock [5]`.
    WithListAndFirstDatablock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `attribute-descriptor-list`.
        attributes: List<'a, AttributeWithSelection<'a>>,
        /// `datablock`.
        block: DataBlockSa<&'a [u8]>,
    },
}

/// `Set-Request`, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedSetRequest {
    /// `set-request-normal [1]`.
    Normal {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-attribute-descriptor`.
        attribute: AttributeDescriptor,
        /// `access-selection`.
        selection: Option<OwnedSelectiveAccess>,
        /// `value`.
        value: Data,
    },
    /// `set-request-with-first-datablock [2]`.
    WithFirstDatablock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-attribute-descriptor`.
        attribute: AttributeDescriptor,
        /// `access-selection`.
        selection: Option<OwnedSelectiveAccess>,
        /// `datablock`.
        block: DataBlockSa<Vec<u8>>,
    },
    /// `set-request-with-datablock [3]`.
    WithDatablock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `datablock`.
        block: DataBlockSa<Vec<u8>>,
    },
    /// `set-request-with-list [4]`.
    WithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `attribute-descriptor-list`.
        attributes: Vec<OwnedAttributeWithSelection>,
        /// `value-list`.
        values: Vec<Data>,
    },
    /// `set-request-with-list-and-first-datablock [5]`.
    WithListAndFirstDatablock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `attribute-descriptor-list`.
        attributes: Vec<OwnedAttributeWithSelection>,
        /// `datablock`.
        block: DataBlockSa<Vec<u8>>,
    },
}

impl<'a> SetRequest<'a> {
    /// Decodes the Set-Request that fills `input`, with the default Data [`Limits`].
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag or a bad OPTIONAL octet,
    /// [`Error::UnknownChoice`] for a CHOICE tag outside 1..=5, [`Error::Truncated`], the Data
    /// errors, [`Error::TrailingBytes`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        Self::decode_with(input, Limits::default())
    }

    /// As [`decode`](Self::decode), with the given Data limits.
    pub fn decode_with(input: &'a [u8], limits: Limits) -> Result<Self, Error> {
        let mut r = Reader::new(input);
        wire::apdu_tag(&mut r, SET_REQUEST, "Set-Request tag", "0xC1")?;
        let (choice, at) = wire::service_choice(&mut r, "Set-Request choice", 5)?;
        let invoke = InvokeIdAndPriority::read(&mut r)?;
        let r = &mut r;
        let request = match choice {
            1 => SetRequest::Normal {
                invoke,
                attribute: AttributeDescriptor::read(r)?,
                selection: SelectiveAccess::read_optional(r, limits)?,
                value: wire::data(r, limits)?,
            },
            2 => SetRequest::WithFirstDatablock {
                invoke,
                attribute: AttributeDescriptor::read(r)?,
                selection: SelectiveAccess::read_optional(r, limits)?,
                block: DataBlockSa::read(r)?,
            },
            3 => SetRequest::WithDatablock {
                invoke,
                block: DataBlockSa::read(r)?,
            },
            4 => SetRequest::WithList {
                invoke,
                attributes: List::read(r, "attribute-descriptor-list", limits)?,
                values: List::read(r, "value-list", limits)?,
            },
            5 => SetRequest::WithListAndFirstDatablock {
                invoke,
                attributes: List::read(r, "attribute-descriptor-list", limits)?,
                block: DataBlockSa::read(r)?,
            },
            _ => return Err(wire::unknown("Set-Request choice", choice, at)),
        };
        wire::finish(r, "Set-Request")?;
        Ok(request)
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedSetRequest {
        let attrs = |l: &List<'a, AttributeWithSelection<'a>>| {
            l.clone().map(|a| a.to_owned()).collect::<Vec<_>>()
        };
        match self {
            SetRequest::Normal {
                invoke,
                attribute,
                selection,
                value,
            } => OwnedSetRequest::Normal {
                invoke: *invoke,
                attribute: *attribute,
                selection: selection.map(|s| s.to_owned()),
                value: value.to_owned(),
            },
            SetRequest::WithFirstDatablock {
                invoke,
                attribute,
                selection,
                block,
            } => OwnedSetRequest::WithFirstDatablock {
                invoke: *invoke,
                attribute: *attribute,
                selection: selection.map(|s| s.to_owned()),
                block: block.to_owned(),
            },
            SetRequest::WithDatablock { invoke, block } => OwnedSetRequest::WithDatablock {
                invoke: *invoke,
                block: block.to_owned(),
            },
            SetRequest::WithList {
                invoke,
                attributes,
                values,
            } => OwnedSetRequest::WithList {
                invoke: *invoke,
                attributes: attrs(attributes),
                values: values.clone().map(|v| v.to_owned()).collect(),
            },
            SetRequest::WithListAndFirstDatablock {
                invoke,
                attributes,
                block,
            } => OwnedSetRequest::WithListAndFirstDatablock {
                invoke: *invoke,
                attributes: attrs(attributes),
                block: block.to_owned(),
            },
        }
    }
}

impl OwnedSetRequest {
    /// The CHOICE tag.
    pub fn choice(&self) -> u8 {
        match self {
            OwnedSetRequest::Normal { .. } => 1,
            OwnedSetRequest::WithFirstDatablock { .. } => 2,
            OwnedSetRequest::WithDatablock { .. } => 3,
            OwnedSetRequest::WithList { .. } => 4,
            OwnedSetRequest::WithListAndFirstDatablock { .. } => 5,
        }
    }

    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        let attrs = |a: &[OwnedAttributeWithSelection]| {
            list_len(a, OwnedAttributeWithSelection::encoded_len)
        };
        3 + match self {
            OwnedSetRequest::Normal {
                attribute,
                selection,
                value,
                ..
            } => {
                attribute.encoded_len()
                    + OwnedSelectiveAccess::optional_len(selection)
                    + value.encoded_len()
            }
            OwnedSetRequest::WithFirstDatablock {
                attribute,
                selection,
                block,
                ..
            } => {
                attribute.encoded_len()
                    + OwnedSelectiveAccess::optional_len(selection)
                    + block.encoded_len()
            }
            OwnedSetRequest::WithDatablock { block, .. } => block.encoded_len(),
            OwnedSetRequest::WithList {
                attributes, values, ..
            } => attrs(attributes) + data_list_len(values),
            OwnedSetRequest::WithListAndFirstDatablock {
                attributes, block, ..
            } => attrs(attributes) + block.encoded_len(),
        }
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let invoke = match self {
            OwnedSetRequest::Normal { invoke, .. }
            | OwnedSetRequest::WithFirstDatablock { invoke, .. }
            | OwnedSetRequest::WithDatablock { invoke, .. }
            | OwnedSetRequest::WithList { invoke, .. }
            | OwnedSetRequest::WithListAndFirstDatablock { invoke, .. } => *invoke,
        };
        out.extend_from_slice(&[SET_REQUEST, self.choice(), invoke.0]);
        match self {
            OwnedSetRequest::Normal {
                attribute,
                selection,
                value,
                ..
            } => {
                attribute.encode(out);
                OwnedSelectiveAccess::put_optional(out, selection);
                value.encode(out);
            }
            OwnedSetRequest::WithFirstDatablock {
                attribute,
                selection,
                block,
                ..
            } => {
                attribute.encode(out);
                OwnedSelectiveAccess::put_optional(out, selection);
                block.encode(out);
            }
            OwnedSetRequest::WithDatablock { block, .. } => block.encode(out),
            OwnedSetRequest::WithList {
                attributes, values, ..
            } => {
                put_list(out, attributes, OwnedAttributeWithSelection::encode);
                put_data_list(out, values);
            }
            OwnedSetRequest::WithListAndFirstDatablock {
                attributes, block, ..
            } => {
                put_list(out, attributes, OwnedAttributeWithSelection::encode);
                block.encode(out);
            }
        }
    }

    /// The encoding in a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }

    /// The requests that write `value` to `attribute` in blocks of at most `block_len` octets
    /// of raw data: a with-first-datablock, then with-datablocks (DLMS UA 1000-2 Ed. 10 clause
    /// 9.4.6.5.3). Each waits for the server's Set-Response datablock before the next is sent.
    pub fn in_blocks(
        invoke: InvokeIdAndPriority,
        attribute: AttributeDescriptor,
        selection: Option<OwnedSelectiveAccess>,
        value: &Data,
        block_len: usize,
    ) -> Vec<OwnedSetRequest> {
        let raw = value.to_vec();
        let mut selection = Some(selection);
        crate::apdu::get::Splitter::new(&raw, block_len)
            .map(|block| match selection.take() {
                Some(selection) => OwnedSetRequest::WithFirstDatablock {
                    invoke,
                    attribute,
                    selection,
                    block: block.to_owned(),
                },
                None => OwnedSetRequest::WithDatablock {
                    invoke,
                    block: block.to_owned(),
                },
            })
            .collect()
    }
}

/// `Set-Response`, borrowed.
#[derive(Debug, Clone, PartialEq)]
pub enum SetResponse<'a> {
    /// `set-response-normal [1]`.
    Normal {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`.
        result: DataAccessResult,
    },
    /// `set-response-datablock [2]`: the block was received, send the next.
    Datablock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `block-number`.
        block_number: u32,
    },
    /// `set-response-last-datablock [3]`.
    LastDatablock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`.
        result: DataAccessResult,
        /// `block-number`.
        block_number: u32,
    },
    /// `set-response-last-datablock-with-list [4]`.
    LastDatablockWithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`: one per attribute.
        results: List<'a, DataAccessResult>,
        /// `block-number`.
        block_number: u32,
    },
    /// `set-response-with-list [5]`.
    WithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`: one per attribute.
        results: List<'a, DataAccessResult>,
    },
}

/// `Set-Response`, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedSetResponse {
    /// `set-response-normal [1]`.
    Normal {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`.
        result: DataAccessResult,
    },
    /// `set-response-datablock [2]`.
    Datablock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `block-number`.
        block_number: u32,
    },
    /// `set-response-last-datablock [3]`.
    LastDatablock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`.
        result: DataAccessResult,
        /// `block-number`.
        block_number: u32,
    },
    /// `set-response-last-datablock-with-list [4]`.
    LastDatablockWithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`.
        results: Vec<DataAccessResult>,
        /// `block-number`.
        block_number: u32,
    },
    /// `set-response-with-list [5]`.
    WithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`.
        results: Vec<DataAccessResult>,
    },
}

impl<'a> SetResponse<'a> {
    /// Decodes the Set-Response that fills `input`.
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag, [`Error::UnknownChoice`] for a CHOICE tag
    /// outside 1..=5, [`Error::Truncated`], [`Error::TrailingBytes`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(input);
        wire::apdu_tag(&mut r, SET_RESPONSE, "Set-Response tag", "0xC5")?;
        let (choice, at) = wire::service_choice(&mut r, "Set-Response choice", 5)?;
        let invoke = InvokeIdAndPriority::read(&mut r)?;
        let r = &mut r;
        let limits = Limits::default();
        let response = match choice {
            1 => SetResponse::Normal {
                invoke,
                result: DataAccessResult(r.u8("data-access-result")?),
            },
            2 => SetResponse::Datablock {
                invoke,
                block_number: r.u32("block-number")?,
            },
            3 => SetResponse::LastDatablock {
                invoke,
                result: DataAccessResult(r.u8("data-access-result")?),
                block_number: r.u32("block-number")?,
            },
            4 => SetResponse::LastDatablockWithList {
                invoke,
                results: List::read(r, "Set-Response result list", limits)?,
                block_number: r.u32("block-number")?,
            },
            5 => SetResponse::WithList {
                invoke,
                results: List::read(r, "Set-Response result list", limits)?,
            },
            _ => return Err(wire::unknown("Set-Response choice", choice, at)),
        };
        wire::finish(r, "Set-Response")?;
        Ok(response)
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedSetResponse {
        match self {
            SetResponse::Normal { invoke, result } => OwnedSetResponse::Normal {
                invoke: *invoke,
                result: *result,
            },
            SetResponse::Datablock {
                invoke,
                block_number,
            } => OwnedSetResponse::Datablock {
                invoke: *invoke,
                block_number: *block_number,
            },
            SetResponse::LastDatablock {
                invoke,
                result,
                block_number,
            } => OwnedSetResponse::LastDatablock {
                invoke: *invoke,
                result: *result,
                block_number: *block_number,
            },
            SetResponse::LastDatablockWithList {
                invoke,
                results,
                block_number,
            } => OwnedSetResponse::LastDatablockWithList {
                invoke: *invoke,
                results: results.clone().collect(),
                block_number: *block_number,
            },
            SetResponse::WithList { invoke, results } => OwnedSetResponse::WithList {
                invoke: *invoke,
                results: results.clone().collect(),
            },
        }
    }
}

impl OwnedSetResponse {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        3 + match self {
            OwnedSetResponse::Normal { .. } => 1,
            OwnedSetResponse::Datablock { .. } => 4,
            OwnedSetResponse::LastDatablock { .. } => 5,
            OwnedSetResponse::LastDatablockWithList { results, .. } => list_len(results, |_| 1) + 4,
            OwnedSetResponse::WithList { results, .. } => list_len(results, |_| 1),
        }
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(SET_RESPONSE);
        let put_results = |out: &mut Vec<u8>, results: &[DataAccessResult]| {
            put_list(out, results, |r, out| out.push(r.0));
        };
        match self {
            OwnedSetResponse::Normal { invoke, result } => {
                out.extend_from_slice(&[1, invoke.0, result.0]);
            }
            OwnedSetResponse::Datablock {
                invoke,
                block_number,
            } => {
                out.extend_from_slice(&[2, invoke.0]);
                out.extend_from_slice(&block_number.to_be_bytes());
            }
            OwnedSetResponse::LastDatablock {
                invoke,
                result,
                block_number,
            } => {
                out.extend_from_slice(&[3, invoke.0, result.0]);
                out.extend_from_slice(&block_number.to_be_bytes());
            }
            OwnedSetResponse::LastDatablockWithList {
                invoke,
                results,
                block_number,
            } => {
                out.extend_from_slice(&[4, invoke.0]);
                put_results(out, results);
                out.extend_from_slice(&block_number.to_be_bytes());
            }
            OwnedSetResponse::WithList { invoke, results } => {
                out.extend_from_slice(&[5, invoke.0]);
                put_results(out, results);
            }
        }
    }

    /// The encoding in a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }
}

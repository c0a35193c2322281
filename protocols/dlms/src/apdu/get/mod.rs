//! GET (DLMS UA 1000-2 Ed. 10 clause 9.3.6 and 9.5, IEC 62056-5-3): reading attributes by
//! logical name, with the pieces the other data-transfer services share (the invoke-id, the
//! attribute and method descriptors, the result enumerations, block transfer).
//!
//! ```text
//! Get-Request  C0  01 get-request-normal      invoke | attribute (9) | OPTIONAL selection
//!                  02 get-request-next        invoke | block-number u32
//!                  03 get-request-with-list   invoke | count | (attribute | OPTIONAL selection)*
//! Get-Response C4  01 get-response-normal     invoke | Get-Data-Result
//!                  02 with-datablock          invoke | DataBlock-G
//!                  03 with-list               invoke | count | Get-Data-Result*
//! Get-Data-Result  00 Data | 01 data-access-result
//! ```
//!
//! Decoding borrows from the input and does not allocate: lists are [`List`]s read lazily.

mod block;
mod descriptor;
mod result;
pub(crate) mod wire;

pub use block::{
    BlockResult, DataBlockG, DataBlockSa, OwnedBlockResult, OwnedDataBlockG, Progress, Reassembler,
    Splitter,
};
pub use descriptor::{
    AttributeDescriptor, InvokeIdAndPriority, LongInvokeIdAndPriority, MethodDescriptor,
};
pub(crate) use result::named_octet;
pub use result::{ActionResult, DataAccessResult};
pub use wire::{Element, List};

use crate::apdu::selective::{
    AttributeWithSelection, OwnedAttributeWithSelection, OwnedSelectiveAccess, SelectiveAccess,
};
use crate::axdr::{Data, DataRef, Limits};
use crate::reader::{length_len, Reader};
use crate::Error;
use wire::{element_with, list_len, put_list};

/// The APDU tag of a Get-Request.
pub const GET_REQUEST: u8 = 0xC0;
/// The APDU tag of a Get-Response.
pub const GET_RESPONSE: u8 = 0xC4;

/// `Get-Request`, borrowed.
#[derive(Debug, Clone, PartialEq)]
pub enum GetRequest<'a> {
    /// `get-request-normal [1]`: one attribute.
    Normal {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-attribute-descriptor`.
        attribute: AttributeDescriptor,
        /// `access-selection`.
        selection: Option<SelectiveAccess<'a>>,
    },
    /// `get-request-next [2]`: the block after `block_number` of a long GET.
    Next {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `block-number`: the last block received.
        block_number: u32,
    },
    /// `get-request-with-list [3]`: several attributes.
    WithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `attribute-descriptor-list`.
        attributes: List<'a, AttributeWithSelection<'a>>,
    },
}

/// `Get-Request`, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedGetRequest {
    /// `get-request-normal [1]`.
    Normal {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-attribute-descriptor`.
        attribute: AttributeDescriptor,
        /// `access-selection`.
        selection: Option<OwnedSelectiveAccess>,
    },
    /// `get-request-next [2]`.
    Next {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `block-number`.
        block_number: u32,
    },
    /// `get-request-with-list [3]`.
    WithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `attribute-descriptor-list`.
        attributes: Vec<OwnedAttributeWithSelection>,
    },
}

impl<'a> GetRequest<'a> {
    /// Decodes the Get-Request that fills `input`, with the default Data [`Limits`].
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag, [`Error::UnknownChoice`] for a CHOICE tag
    /// outside 1..=3, [`Error::Truncated`], the Data errors, [`Error::TrailingBytes`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        Self::decode_with(input, Limits::default())
    }

    /// As [`decode`](Self::decode), with the given Data limits.
    pub fn decode_with(input: &'a [u8], limits: Limits) -> Result<Self, Error> {
        let mut r = Reader::new(input);
        wire::apdu_tag(&mut r, GET_REQUEST, "Get-Request tag", "0xC0")?;
        let (choice, at) = wire::service_choice(&mut r, "Get-Request choice", 3)?;
        let invoke = InvokeIdAndPriority::read(&mut r)?;
        let request = match choice {
            1 => GetRequest::Normal {
                invoke,
                attribute: AttributeDescriptor::read(&mut r)?,
                selection: SelectiveAccess::read_optional(&mut r, limits)?,
            },
            2 => GetRequest::Next {
                invoke,
                block_number: r.u32("block-number")?,
            },
            3 => GetRequest::WithList {
                invoke,
                attributes: List::read(&mut r, "attribute-descriptor-list", limits)?,
            },
            _ => return Err(wire::unknown("Get-Request choice", choice, at)),
        };
        wire::finish(&r, "Get-Request")?;
        Ok(request)
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedGetRequest {
        match self {
            GetRequest::Normal {
                invoke,
                attribute,
                selection,
            } => OwnedGetRequest::Normal {
                invoke: *invoke,
                attribute: *attribute,
                selection: selection.map(|s| s.to_owned()),
            },
            GetRequest::Next {
                invoke,
                block_number,
            } => OwnedGetRequest::Next {
                invoke: *invoke,
                block_number: *block_number,
            },
            GetRequest::WithList { invoke, attributes } => OwnedGetRequest::WithList {
                invoke: *invoke,
                attributes: attributes.clone().map(|a| a.to_owned()).collect(),
            },
        }
    }
}

impl OwnedGetRequest {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        3 + match self {
            OwnedGetRequest::Normal { selection, .. } => {
                descriptor::DESCRIPTOR_LEN + OwnedSelectiveAccess::optional_len(selection)
            }
            OwnedGetRequest::Next { .. } => 4,
            OwnedGetRequest::WithList { attributes, .. } => {
                list_len(attributes, OwnedAttributeWithSelection::encoded_len)
            }
        }
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(GET_REQUEST);
        match self {
            OwnedGetRequest::Normal {
                invoke,
                attribute,
                selection,
            } => {
                out.extend_from_slice(&[1, invoke.0]);
                attribute.encode(out);
                OwnedSelectiveAccess::put_optional(out, selection);
            }
            OwnedGetRequest::Next {
                invoke,
                block_number,
            } => {
                out.extend_from_slice(&[2, invoke.0]);
                out.extend_from_slice(&block_number.to_be_bytes());
            }
            OwnedGetRequest::WithList { invoke, attributes } => {
                out.extend_from_slice(&[3, invoke.0]);
                put_list(out, attributes, OwnedAttributeWithSelection::encode);
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

/// `Get-Data-Result`, borrowed: a value or why there is none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GetDataResult<'a> {
    /// `data [0]`.
    Data(DataRef<'a>),
    /// `data-access-result [1]`.
    DataAccessResult(DataAccessResult),
}

/// `Get-Data-Result`, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedGetDataResult {
    /// `data [0]`.
    Data(Data),
    /// `data-access-result [1]`.
    DataAccessResult(DataAccessResult),
}

impl<'a> GetDataResult<'a> {
    pub(crate) fn read(r: &mut Reader<'a>, limits: Limits) -> Result<Self, Error> {
        let (tag, at) = wire::choice(r, "Get-Data-Result")?;
        match tag {
            0 => Ok(GetDataResult::Data(wire::data(r, limits)?)),
            1 => Ok(GetDataResult::DataAccessResult(DataAccessResult(
                r.u8("data-access-result")?,
            ))),
            _ => Err(wire::unknown("Get-Data-Result", tag, at)),
        }
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedGetDataResult {
        match self {
            GetDataResult::Data(d) => OwnedGetDataResult::Data(d.to_owned()),
            GetDataResult::DataAccessResult(r) => OwnedGetDataResult::DataAccessResult(*r),
        }
    }
}

impl<'a> Element<'a> for GetDataResult<'a> {
    fn decode_element(
        input: &'a [u8],
        base: usize,
        limits: Limits,
    ) -> Result<(Self, usize), Error> {
        element_with(input, base, |r| GetDataResult::read(r, limits))
    }
}

impl OwnedGetDataResult {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        1 + match self {
            OwnedGetDataResult::Data(d) => d.encoded_len(),
            OwnedGetDataResult::DataAccessResult(_) => 1,
        }
    }

    /// Appends the CHOICE tag and the value.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            OwnedGetDataResult::Data(d) => {
                out.push(0);
                d.encode(out);
            }
            OwnedGetDataResult::DataAccessResult(r) => out.extend_from_slice(&[1, r.0]),
        }
    }
}

/// `Get-Response`, borrowed.
#[derive(Debug, Clone, PartialEq)]
pub enum GetResponse<'a> {
    /// `get-response-normal [1]`.
    Normal {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`.
        result: GetDataResult<'a>,
    },
    /// `get-response-with-datablock [2]`.
    WithDatablock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`: one block.
        block: DataBlockG<'a>,
    },
    /// `get-response-with-list [3]`.
    WithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`: one per requested attribute.
        results: List<'a, GetDataResult<'a>>,
    },
}

/// `Get-Response`, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedGetResponse {
    /// `get-response-normal [1]`.
    Normal {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`.
        result: OwnedGetDataResult,
    },
    /// `get-response-with-datablock [2]`.
    WithDatablock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`.
        block: OwnedDataBlockG,
    },
    /// `get-response-with-list [3]`.
    WithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `result`.
        results: Vec<OwnedGetDataResult>,
    },
}

impl<'a> GetResponse<'a> {
    /// Decodes the Get-Response that fills `input`, with the default Data [`Limits`]. Does not
    /// allocate.
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag, [`Error::UnknownChoice`] for a CHOICE tag
    /// outside 1..=3 or an unknown Get-Data-Result or DataBlock-G result tag,
    /// [`Error::Truncated`], the Data errors, [`Error::TrailingBytes`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        Self::decode_with(input, Limits::default())
    }

    /// As [`decode`](Self::decode), with the given Data limits.
    pub fn decode_with(input: &'a [u8], limits: Limits) -> Result<Self, Error> {
        let mut r = Reader::new(input);
        wire::apdu_tag(&mut r, GET_RESPONSE, "Get-Response tag", "0xC4")?;
        let (choice, at) = wire::service_choice(&mut r, "Get-Response choice", 3)?;
        let invoke = InvokeIdAndPriority::read(&mut r)?;
        let response = match choice {
            1 => GetResponse::Normal {
                invoke,
                result: GetDataResult::read(&mut r, limits)?,
            },
            2 => GetResponse::WithDatablock {
                invoke,
                block: DataBlockG::read(&mut r)?,
            },
            3 => GetResponse::WithList {
                invoke,
                results: List::read(&mut r, "Get-Response result list", limits)?,
            },
            _ => return Err(wire::unknown("Get-Response choice", choice, at)),
        };
        wire::finish(&r, "Get-Response")?;
        Ok(response)
    }

    /// The CHOICE tag: 1 normal, 2 with-datablock, 3 with-list.
    pub fn choice(&self) -> u8 {
        match self {
            GetResponse::Normal { .. } => 1,
            GetResponse::WithDatablock { .. } => 2,
            GetResponse::WithList { .. } => 3,
        }
    }

    /// The invoke-id-and-priority.
    pub fn invoke(&self) -> InvokeIdAndPriority {
        match self {
            GetResponse::Normal { invoke, .. }
            | GetResponse::WithDatablock { invoke, .. }
            | GetResponse::WithList { invoke, .. } => *invoke,
        }
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedGetResponse {
        match self {
            GetResponse::Normal { invoke, result } => OwnedGetResponse::Normal {
                invoke: *invoke,
                result: result.to_owned(),
            },
            GetResponse::WithDatablock { invoke, block } => OwnedGetResponse::WithDatablock {
                invoke: *invoke,
                block: block.to_owned(),
            },
            GetResponse::WithList { invoke, results } => OwnedGetResponse::WithList {
                invoke: *invoke,
                results: results.clone().map(|r| r.to_owned()).collect(),
            },
        }
    }
}

impl OwnedGetResponse {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        3 + match self {
            OwnedGetResponse::Normal { result, .. } => result.encoded_len(),
            OwnedGetResponse::WithDatablock { block, .. } => block.encoded_len(),
            OwnedGetResponse::WithList { results, .. } => {
                length_len(results.len())
                    + results
                        .iter()
                        .map(OwnedGetDataResult::encoded_len)
                        .sum::<usize>()
            }
        }
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(GET_RESPONSE);
        match self {
            OwnedGetResponse::Normal { invoke, result } => {
                out.extend_from_slice(&[1, invoke.0]);
                result.encode(out);
            }
            OwnedGetResponse::WithDatablock { invoke, block } => {
                out.extend_from_slice(&[2, invoke.0]);
                block.encode(out);
            }
            OwnedGetResponse::WithList { invoke, results } => {
                out.extend_from_slice(&[3, invoke.0]);
                put_list(out, results, OwnedGetDataResult::encode);
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

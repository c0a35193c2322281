//! ACTION (DLMS UA 1000-2 Ed. 10 clause 9.3.8 and 9.5, IEC 62056-5-3): invoking methods by
//! logical name.
//!
//! ```text
//! Action-Request  C3  01 normal                      invoke | method (9) | OPTIONAL Data
//!                     02 next-pblock                 invoke | block-number u32
//!                     03 with-list                   invoke | count method* | count Data*
//!                     04 with-first-pblock           invoke | method | DataBlock-SA
//!                     05 with-list-and-first-pblock  invoke | count method* | DataBlock-SA
//!                     06 with-pblock                 invoke | DataBlock-SA
//! Action-Response C7  01 normal                      invoke | Action-Response-With-Optional-Data
//!                     02 with-pblock                 invoke | DataBlock-SA
//!                     03 with-list                   invoke | count Action-Response-With-O-D*
//!                     04 next-pblock                 invoke | block-number u32
//! Action-Response-With-Optional-Data   action-result | OPTIONAL Get-Data-Result
//! ```

use crate::apdu::get::wire::{
    self, data_list_len, element_with, list_len, put_data_list, put_list,
};
use crate::apdu::get::{
    ActionResult, DataBlockSa, Element, GetDataResult, InvokeIdAndPriority, List, MethodDescriptor,
    OwnedGetDataResult, Splitter,
};
use crate::axdr::{Data, DataRef, Limits};
use crate::reader::Reader;
use crate::Error;

/// The APDU tag of an Action-Request.
pub const ACTION_REQUEST: u8 = 0xC3;
/// The APDU tag of an Action-Response.
pub const ACTION_RESPONSE: u8 = 0xC7;

/// `Action-Request`, borrowed.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionRequest<'a> {
    /// `action-request-normal [1]`.
    Normal {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-method-descriptor`.
        method: MethodDescriptor,
        /// `method-invocation-parameters`.
        parameters: Option<DataRef<'a>>,
    },
    /// `action-request-next-pblock [2]`: asks for the block after `block_number` of a long
    /// response.
    NextPblock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `block-number`.
        block_number: u32,
    },
    /// `action-request-with-list [3]`.
    WithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-method-descriptor-list`.
        methods: List<'a, MethodDescriptor>,
        /// `method-invocation-parameters`.
        parameters: List<'a, DataRef<'a>>,
    },
    /// `action-request-with-first-pblock [4]`.
    WithFirstPblock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-method-descriptor`.
        method: MethodDescriptor,
        /// `pblock`.
        block: DataBlockSa<&'a [u8]>,
    },
    /// `action-request-with-list-and-first-pblock [5]`.
    WithListAndFirstPblock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-method-descriptor-list`.
        methods: List<'a, MethodDescriptor>,
        /// `pblock`.
        block: DataBlockSa<&'a [u8]>,
    },
    /// `action-request-with-pblock [6]`.
    WithPblock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `pblock`.
        block: DataBlockSa<&'a [u8]>,
    },
}

/// `Action-Request`, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedActionRequest {
    /// `action-request-normal [1]`.
    Normal {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-method-descriptor`.
        method: MethodDescriptor,
        /// `method-invocation-parameters`.
        parameters: Option<Data>,
    },
    /// `action-request-next-pblock [2]`.
    NextPblock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `block-number`.
        block_number: u32,
    },
    /// `action-request-with-list [3]`.
    WithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-method-descriptor-list`.
        methods: Vec<MethodDescriptor>,
        /// `method-invocation-parameters`.
        parameters: Vec<Data>,
    },
    /// `action-request-with-first-pblock [4]`.
    WithFirstPblock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-method-descriptor`.
        method: MethodDescriptor,
        /// `pblock`.
        block: DataBlockSa<Vec<u8>>,
    },
    /// `action-request-with-list-and-first-pblock [5]`.
    WithListAndFirstPblock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `cosem-method-descriptor-list`.
        methods: Vec<MethodDescriptor>,
        /// `pblock`.
        block: DataBlockSa<Vec<u8>>,
    },
    /// `action-request-with-pblock [6]`.
    WithPblock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `pblock`.
        block: DataBlockSa<Vec<u8>>,
    },
}

impl<'a> ActionRequest<'a> {
    /// Decodes the Action-Request that fills `input`, with the default Data [`Limits`].
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag or a bad OPTIONAL octet,
    /// [`Error::UnknownChoice`] for a CHOICE tag outside 1..=6, [`Error::Truncated`], the Data
    /// errors, [`Error::TrailingBytes`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        Self::decode_with(input, Limits::default())
    }

    /// As [`decode`](Self::decode), with the given Data limits.
    pub fn decode_with(input: &'a [u8], limits: Limits) -> Result<Self, Error> {
        let mut r = Reader::new(input);
        wire::apdu_tag(&mut r, ACTION_REQUEST, "Action-Request tag", "0xC3")?;
        let (choice, at) = wire::service_choice(&mut r, "Action-Request choice", 6)?;
        let invoke = InvokeIdAndPriority::read(&mut r)?;
        let r = &mut r;
        let request = match choice {
            1 => ActionRequest::Normal {
                invoke,
                method: MethodDescriptor::read(r)?,
                parameters: if wire::optional(r, "method-invocation-parameters")? {
                    Some(wire::data(r, limits)?)
                } else {
                    None
                },
            },
            2 => ActionRequest::NextPblock {
                invoke,
                block_number: r.u32("block-number")?,
            },
            3 => ActionRequest::WithList {
                invoke,
                methods: List::read(r, "cosem-method-descriptor-list", limits)?,
                parameters: List::read(r, "method-invocation-parameters", limits)?,
            },
            4 => ActionRequest::WithFirstPblock {
                invoke,
                method: MethodDescriptor::read(r)?,
                block: DataBlockSa::read(r)?,
            },
            5 => ActionRequest::WithListAndFirstPblock {
                invoke,
                methods: List::read(r, "cosem-method-descriptor-list", limits)?,
                block: DataBlockSa::read(r)?,
            },
            6 => ActionRequest::WithPblock {
                invoke,
                block: DataBlockSa::read(r)?,
            },
            _ => return Err(wire::unknown("Action-Request choice", choice, at)),
        };
        wire::finish(r, "Action-Request")?;
        Ok(request)
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedActionRequest {
        match self {
            ActionRequest::Normal {
                invoke,
                method,
                parameters,
            } => OwnedActionRequest::Normal {
                invoke: *invoke,
                method: *method,
                parameters: parameters.map(|p| p.to_owned()),
            },
            ActionRequest::NextPblock {
                invoke,
                block_number,
            } => OwnedActionRequest::NextPblock {
                invoke: *invoke,
                block_number: *block_number,
            },
            ActionRequest::WithList {
                invoke,
                methods,
                parameters,
            } => OwnedActionRequest::WithList {
                invoke: *invoke,
                methods: methods.clone().collect(),
                parameters: parameters.clone().map(|p| p.to_owned()).collect(),
            },
            ActionRequest::WithFirstPblock {
                invoke,
                method,
                block,
            } => OwnedActionRequest::WithFirstPblock {
                invoke: *invoke,
                method: *method,
                block: block.to_owned(),
            },
            ActionRequest::WithListAndFirstPblock {
                invoke,
                methods,
                block,
            } => OwnedActionRequest::WithListAndFirstPblock {
                invoke: *invoke,
                methods: methods.clone().collect(),
                block: block.to_owned(),
            },
            ActionRequest::WithPblock { invoke, block } => OwnedActionRequest::WithPblock {
                invoke: *invoke,
                block: block.to_owned(),
            },
        }
    }
}

impl OwnedActionRequest {
    /// The CHOICE tag.
    pub fn choice(&self) -> u8 {
        match self {
            OwnedActionRequest::Normal { .. } => 1,
            OwnedActionRequest::NextPblock { .. } => 2,
            OwnedActionRequest::WithList { .. } => 3,
            OwnedActionRequest::WithFirstPblock { .. } => 4,
            OwnedActionRequest::WithListAndFirstPblock { .. } => 5,
            OwnedActionRequest::WithPblock { .. } => 6,
        }
    }

    fn invoke(&self) -> InvokeIdAndPriority {
        match self {
            OwnedActionRequest::Normal { invoke, .. }
            | OwnedActionRequest::NextPblock { invoke, .. }
            | OwnedActionRequest::WithList { invoke, .. }
            | OwnedActionRequest::WithFirstPblock { invoke, .. }
            | OwnedActionRequest::WithListAndFirstPblock { invoke, .. }
            | OwnedActionRequest::WithPblock { invoke, .. } => *invoke,
        }
    }

    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        3 + match self {
            OwnedActionRequest::Normal {
                method, parameters, ..
            } => method.encoded_len() + 1 + parameters.as_ref().map_or(0, Data::encoded_len),
            OwnedActionRequest::NextPblock { .. } => 4,
            OwnedActionRequest::WithList {
                methods,
                parameters,
                ..
            } => list_len(methods, MethodDescriptor::encoded_len) + data_list_len(parameters),
            OwnedActionRequest::WithFirstPblock { method, block, .. } => {
                method.encoded_len() + block.encoded_len()
            }
            OwnedActionRequest::WithListAndFirstPblock { methods, block, .. } => {
                list_len(methods, MethodDescriptor::encoded_len) + block.encoded_len()
            }
            OwnedActionRequest::WithPblock { block, .. } => block.encoded_len(),
        }
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[ACTION_REQUEST, self.choice(), self.invoke().0]);
        match self {
            OwnedActionRequest::Normal {
                method, parameters, ..
            } => {
                method.encode(out);
                match parameters {
                    None => out.push(0),
                    Some(p) => {
                        out.push(1);
                        p.encode(out);
                    }
                }
            }
            OwnedActionRequest::NextPblock { block_number, .. } => {
                out.extend_from_slice(&block_number.to_be_bytes());
            }
            OwnedActionRequest::WithList {
                methods,
                parameters,
                ..
            } => {
                put_list(out, methods, MethodDescriptor::encode);
                put_data_list(out, parameters);
            }
            OwnedActionRequest::WithFirstPblock { method, block, .. } => {
                method.encode(out);
                block.encode(out);
            }
            OwnedActionRequest::WithListAndFirstPblock { methods, block, .. } => {
                put_list(out, methods, MethodDescriptor::encode);
                block.encode(out);
            }
            OwnedActionRequest::WithPblock { block, .. } => block.encode(out),
        }
    }

    /// The encoding in a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }

    /// The requests that invoke `method` with `parameters` sent in blocks of at most
    /// `block_len` octets of raw data: a with-first-pblock, then with-pblocks (DLMS UA 1000-2
    /// Ed. 10 clause 9.4.6.5.4).
    pub fn in_blocks(
        invoke: InvokeIdAndPriority,
        method: MethodDescriptor,
        parameters: &Data,
        block_len: usize,
    ) -> Vec<OwnedActionRequest> {
        let raw = parameters.to_vec();
        Splitter::new(&raw, block_len)
            .map(|block| {
                if block.block_number == 1 {
                    OwnedActionRequest::WithFirstPblock {
                        invoke,
                        method,
                        block: block.to_owned(),
                    }
                } else {
                    OwnedActionRequest::WithPblock {
                        invoke,
                        block: block.to_owned(),
                    }
                }
            })
            .collect()
    }
}

/// `Action-Response-With-Optional-Data`, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActionOutcome<'a> {
    /// `result`.
    pub result: ActionResult,
    /// `return-parameters`.
    pub return_parameters: Option<GetDataResult<'a>>,
}

/// `Action-Response-With-Optional-Data`, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedActionOutcome {
    /// `result`.
    pub result: ActionResult,
    /// `return-parameters`.
    pub return_parameters: Option<OwnedGetDataResult>,
}

impl<'a> ActionOutcome<'a> {
    fn read(r: &mut Reader<'a>, limits: Limits) -> Result<Self, Error> {
        let result = ActionResult(r.u8("action-result")?);
        let return_parameters = if wire::optional(r, "return-parameters")? {
            Some(GetDataResult::read(r, limits)?)
        } else {
            None
        };
        Ok(ActionOutcome {
            result,
            return_parameters,
        })
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedActionOutcome {
        OwnedActionOutcome {
            result: self.result,
            return_parameters: self.return_parameters.map(|p| p.to_owned()),
        }
    }
}

impl<'a> Element<'a> for ActionOutcome<'a> {
    fn decode_element(
        input: &'a [u8],
        base: usize,
        limits: Limits,
    ) -> Result<(Self, usize), Error> {
        element_with(input, base, |r| ActionOutcome::read(r, limits))
    }
}

impl OwnedActionOutcome {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        2 + self
            .return_parameters
            .as_ref()
            .map_or(0, OwnedGetDataResult::encoded_len)
    }

    /// Appends the result and the OPTIONAL return parameters.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.result.0);
        match &self.return_parameters {
            None => out.push(0),
            Some(p) => {
                out.push(1);
                p.encode(out);
            }
        }
    }
}

/// `Action-Response`, borrowed.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionResponse<'a> {
    /// `action-response-normal [1]`.
    Normal {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `single-response`.
        response: ActionOutcome<'a>,
    },
    /// `action-response-with-pblock [2]`.
    WithPblock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `pblock`.
        block: DataBlockSa<&'a [u8]>,
    },
    /// `action-response-with-list [3]`.
    WithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `list-of-responses`.
        responses: List<'a, ActionOutcome<'a>>,
    },
    /// `action-response-next-pblock [4]`: the block was received, send the next.
    NextPblock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `block-number`.
        block_number: u32,
    },
}

/// `Action-Response`, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedActionResponse {
    /// `action-response-normal [1]`.
    Normal {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `single-response`.
        response: OwnedActionOutcome,
    },
    /// `action-response-with-pblock [2]`.
    WithPblock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `pblock`.
        block: DataBlockSa<Vec<u8>>,
    },
    /// `action-response-with-list [3]`.
    WithList {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `list-of-responses`.
        responses: Vec<OwnedActionOutcome>,
    },
    /// `action-response-next-pblock [4]`.
    NextPblock {
        /// `invoke-id-and-priority`.
        invoke: InvokeIdAndPriority,
        /// `block-number`.
        block_number: u32,
    },
}

impl<'a> ActionResponse<'a> {
    /// Decodes the Action-Response that fills `input`, with the default Data [`Limits`].
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag or a bad OPTIONAL octet,
    /// [`Error::UnknownChoice`] for a CHOICE tag outside 1..=4 or an unknown Get-Data-Result
    /// tag, [`Error::Truncated`], the Data errors, [`Error::TrailingBytes`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        Self::decode_with(input, Limits::default())
    }

    /// As [`decode`](Self::decode), with the given Data limits.
    pub fn decode_with(input: &'a [u8], limits: Limits) -> Result<Self, Error> {
        let mut r = Reader::new(input);
        wire::apdu_tag(&mut r, ACTION_RESPONSE, "Action-Response tag", "0xC7")?;
        let (choice, at) = wire::service_choice(&mut r, "Action-Response choice", 4)?;
        let invoke = InvokeIdAndPriority::read(&mut r)?;
        let r = &mut r;
        let response = match choice {
            1 => ActionResponse::Normal {
                invoke,
                response: ActionOutcome::read(r, limits)?,
            },
            2 => ActionResponse::WithPblock {
                invoke,
                block: DataBlockSa::read(r)?,
            },
            3 => ActionResponse::WithList {
                invoke,
                responses: List::read(r, "list-of-responses", limits)?,
            },
            4 => ActionResponse::NextPblock {
                invoke,
                block_number: r.u32("block-number")?,
            },
            _ => return Err(wire::unknown("Action-Response choice", choice, at)),
        };
        wire::finish(r, "Action-Response")?;
        Ok(response)
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedActionResponse {
        match self {
            ActionResponse::Normal { invoke, response } => OwnedActionResponse::Normal {
                invoke: *invoke,
                response: response.to_owned(),
            },
            ActionResponse::WithPblock { invoke, block } => OwnedActionResponse::WithPblock {
                invoke: *invoke,
                block: block.to_owned(),
            },
            ActionResponse::WithList { invoke, responses } => OwnedActionResponse::WithList {
                invoke: *invoke,
                responses: responses.clone().map(|r| r.to_owned()).collect(),
            },
            ActionResponse::NextPblock {
                invoke,
                block_number,
            } => OwnedActionResponse::NextPblock {
                invoke: *invoke,
                block_number: *block_number,
            },
        }
    }
}

impl OwnedActionResponse {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        3 + match self {
            OwnedActionResponse::Normal { response, .. } => response.encoded_len(),
            OwnedActionResponse::WithPblock { block, .. } => block.encoded_len(),
            OwnedActionResponse::WithList { responses, .. } => {
                list_len(responses, OwnedActionOutcome::encoded_len)
            }
            OwnedActionResponse::NextPblock { .. } => 4,
        }
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(ACTION_RESPONSE);
        match self {
            OwnedActionResponse::Normal { invoke, response } => {
                out.extend_from_slice(&[1, invoke.0]);
                response.encode(out);
            }
            OwnedActionResponse::WithPblock { invoke, block } => {
                out.extend_from_slice(&[2, invoke.0]);
                block.encode(out);
            }
            OwnedActionResponse::WithList { invoke, responses } => {
                out.extend_from_slice(&[3, invoke.0]);
                put_list(out, responses, OwnedActionOutcome::encode);
            }
            OwnedActionResponse::NextPblock {
                invoke,
                block_number,
            } => {
                out.extend_from_slice(&[4, invoke.0]);
                out.extend_from_slice(&block_number.to_be_bytes());
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

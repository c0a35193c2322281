//! Short-name referencing (DLMS UA 1000-2 Ed. 10 clause 9.3.11 to 9.3.13 and 9.5): Read, Write
//! and UnconfirmedWrite, where objects are named by a 16-bit base name plus an offset.
//!
//! ```text
//! ReadRequest              05  count Variable-Access-Specification*
//! ReadResponse             0C  count (00 Data | 01 data-access-error | 02 Data-Block-Result |
//!                                     03 block-number u16)*
//! WriteRequest             06  count Variable-Access-Specification* | count Data*
//! WriteResponse            0D  count (00 success | 01 data-access-error | 02 block-number u16)*
//! UnconfirmedWriteRequest  16  as WriteRequest
//! Variable-Access-Specification
//!     02 variable-name u16
//!     04 parameterized-access     variable-name u16 | selector u8 | parameter Data
//!     05 block-number-access      block-number u16
//!     06 read-data-block-access   last-block BOOLEAN | block-number u16 | raw-data OCTET STRING
//!     07 write-data-block-access  last-block BOOLEAN | block-number u16
//! Data-Block-Result            last-block BOOLEAN | block-number u16 | raw-data OCTET STRING
//! ```
//!
//! ObjectName is an Integer16 in the standard; it is kept here as the u16 base names are written
//! in (0xFA00 and the like), with the same two octets on the wire.

use crate::apdu::get::wire::{self, element_with, list_len, put_data_list, put_list, Element};
use crate::apdu::get::{DataAccessResult, List};
use crate::axdr::{Data, DataRef, Limits};
use crate::reader::Reader;
use crate::Error;

/// The APDU tag of a ReadRequest.
pub const READ_REQUEST: u8 = 0x05;
/// The APDU tag of a ReadResponse.
pub const READ_RESPONSE: u8 = 0x0C;
/// The APDU tag of a WriteRequest.
pub const WRITE_REQUEST: u8 = 0x06;
/// The APDU tag of a WriteResponse.
pub const WRITE_RESPONSE: u8 = 0x0D;
/// The APDU tag of an UnconfirmedWriteRequest.
pub const UNCONFIRMED_WRITE_REQUEST: u8 = 0x16;

/// `Variable-Access-Specification`, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VariableAccess<'a> {
    /// `variable-name [2]`.
    VariableName(u16),
    /// `parameterized-access [4]`: selective access by short name.
    ParameterizedAccess {
        /// `variable-name`.
        variable_name: u16,
        /// `selector`.
        selector: u8,
        /// `parameter`.
        parameter: DataRef<'a>,
    },
    /// `block-number-access [5]`: asks for the next block of a long read.
    BlockNumberAccess(u16),
    /// `read-data-block-access [6]`: a request too long for one APDU.
    ReadDataBlockAccess {
        /// `last-block`.
        last_block: bool,
        /// `block-number`.
        block_number: u16,
        /// `raw-data`.
        raw_data: &'a [u8],
    },
    /// `write-data-block-access [7]`.
    WriteDataBlockAccess {
        /// `last-block`.
        last_block: bool,
        /// `block-number`.
        block_number: u16,
    },
}

/// `Variable-Access-Specification`, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedVariableAccess {
    /// `variable-name [2]`.
    VariableName(u16),
    /// `parameterized-access [4]`.
    ParameterizedAccess {
        /// `variable-name`.
        variable_name: u16,
        /// `selector`.
        selector: u8,
        /// `parameter`.
        parameter: Data,
    },
    /// `block-number-access [5]`.
    BlockNumberAccess(u16),
    /// `read-data-block-access [6]`.
    ReadDataBlockAccess {
        /// `last-block`.
        last_block: bool,
        /// `block-number`.
        block_number: u16,
        /// `raw-data`.
        raw_data: Vec<u8>,
    },
    /// `write-data-block-access [7]`.
    WriteDataBlockAccess {
        /// `last-block`.
        last_block: bool,
        /// `block-number`.
        block_number: u16,
    },
}

impl<'a> Element<'a> for VariableAccess<'a> {
    fn decode_element(
        input: &'a [u8],
        base: usize,
        limits: Limits,
    ) -> Result<(Self, usize), Error> {
        element_with(input, base, |r| {
            let (tag, at) = wire::choice(r, "Variable-Access-Specification")?;
            Ok(match tag {
                2 => VariableAccess::VariableName(r.u16("variable-name")?),
                4 => VariableAccess::ParameterizedAccess {
                    variable_name: r.u16("variable-name")?,
                    selector: r.u8("selector")?,
                    parameter: wire::data(r, limits)?,
                },
                5 => VariableAccess::BlockNumberAccess(r.u16("block-number")?),
                6 => VariableAccess::ReadDataBlockAccess {
                    last_block: wire::boolean(r, "last-block")?,
                    block_number: r.u16("block-number")?,
                    raw_data: wire::octets(r, "raw-data")?,
                },
                7 => VariableAccess::WriteDataBlockAccess {
                    last_block: wire::boolean(r, "last-block")?,
                    block_number: r.u16("block-number")?,
                },
                _ => return Err(wire::unknown("Variable-Access-Specification", tag, at)),
            })
        })
    }
}

impl VariableAccess<'_> {
    /// The owned copy.
    pub fn to_owned(&self) -> OwnedVariableAccess {
        match *self {
            VariableAccess::VariableName(n) => OwnedVariableAccess::VariableName(n),
            VariableAccess::ParameterizedAccess {
                variable_name,
                selector,
                parameter,
            } => OwnedVariableAccess::ParameterizedAccess {
                variable_name,
                selector,
                parameter: parameter.to_owned(),
            },
            VariableAccess::BlockNumberAccess(n) => OwnedVariableAccess::BlockNumberAccess(n),
            VariableAccess::ReadDataBlockAccess {
                last_block,
                block_number,
                raw_data,
            } => OwnedVariableAccess::ReadDataBlockAccess {
                last_block,
                block_number,
                raw_data: raw_data.to_vec(),
            },
            VariableAccess::WriteDataBlockAccess {
                last_block,
                block_number,
            } => OwnedVariableAccess::WriteDataBlockAccess {
                last_block,
                block_number,
            },
        }
    }
}

impl OwnedVariableAccess {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        1 + match self {
            OwnedVariableAccess::VariableName(_) | OwnedVariableAccess::BlockNumberAccess(_) => 2,
            OwnedVariableAccess::ParameterizedAccess { parameter, .. } => {
                3 + parameter.encoded_len()
            }
            OwnedVariableAccess::ReadDataBlockAccess { raw_data, .. } => {
                3 + wire::octets_len(raw_data.len())
            }
            OwnedVariableAccess::WriteDataBlockAccess { .. } => 3,
        }
    }

    /// Appends the CHOICE tag and the alternative.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            OwnedVariableAccess::VariableName(n) => {
                out.push(2);
                out.extend_from_slice(&n.to_be_bytes());
            }
            OwnedVariableAccess::ParameterizedAccess {
                variable_name,
                selector,
                parameter,
            } => {
                out.push(4);
                out.extend_from_slice(&variable_name.to_be_bytes());
                out.push(*selector);
                parameter.encode(out);
            }
            OwnedVariableAccess::BlockNumberAccess(n) => {
                out.push(5);
                out.extend_from_slice(&n.to_be_bytes());
            }
            OwnedVariableAccess::ReadDataBlockAccess {
                last_block,
                block_number,
                raw_data,
            } => {
                out.extend_from_slice(&[6, u8::from(*last_block)]);
                out.extend_from_slice(&block_number.to_be_bytes());
                wire::put_octets(out, raw_data);
            }
            OwnedVariableAccess::WriteDataBlockAccess {
                last_block,
                block_number,
            } => {
                out.extend_from_slice(&[7, u8::from(*last_block)]);
                out.extend_from_slice(&block_number.to_be_bytes());
            }
        }
    }
}

/// A `ReadResponse` element, borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReadResult<'a> {
    /// `data [0]`.
    Data(DataRef<'a>),
    /// `data-access-error [1]`.
    DataAccessError(DataAccessResult),
    /// `data-block-result [2]`: one block of a long answer.
    DataBlockResult {
        /// `last-block`.
        last_block: bool,
        /// `block-number`.
        block_number: u16,
        /// `raw-data`.
        raw_data: &'a [u8],
    },
    /// `block-number [3]`: the block of a long request was received.
    BlockNumber(u16),
}

/// A `ReadResponse` element, owned.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedReadResult {
    /// `data [0]`.
    Data(Data),
    /// `data-access-error [1]`.
    DataAccessError(DataAccessResult),
    /// `data-block-result [2]`.
    DataBlockResult {
        /// `last-block`.
        last_block: bool,
        /// `block-number`.
        block_number: u16,
        /// `raw-data`.
        raw_data: Vec<u8>,
    },
    /// `block-number [3]`.
    BlockNumber(u16),
}

impl<'a> Element<'a> for ReadResult<'a> {
    fn decode_element(
        input: &'a [u8],
        base: usize,
        limits: Limits,
    ) -> Result<(Self, usize), Error> {
        element_with(input, base, |r| {
            let (tag, at) = wire::choice(r, "ReadResponse choice")?;
            Ok(match tag {
                0 => ReadResult::Data(wire::data(r, limits)?),
                1 => ReadResult::DataAccessError(DataAccessResult(r.u8("data-access-error")?)),
                2 => ReadResult::DataBlockResult {
                    last_block: wire::boolean(r, "last-block")?,
                    block_number: r.u16("block-number")?,
                    raw_data: wire::octets(r, "raw-data")?,
                },
                3 => ReadResult::BlockNumber(r.u16("block-number")?),
                _ => return Err(wire::unknown("ReadResponse choice", tag, at)),
            })
        })
    }
}

impl ReadResult<'_> {
    /// The owned copy.
    pub fn to_owned(&self) -> OwnedReadResult {
        match *self {
            ReadResult::Data(d) => OwnedReadResult::Data(d.to_owned()),
            ReadResult::DataAccessError(e) => OwnedReadResult::DataAccessError(e),
            ReadResult::DataBlockResult {
                last_block,
                block_number,
                raw_data,
            } => OwnedReadResult::DataBlockResult {
                last_block,
                block_number,
                raw_data: raw_data.to_vec(),
            },
            ReadResult::BlockNumber(n) => OwnedReadResult::BlockNumber(n),
        }
    }
}

impl OwnedReadResult {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        1 + match self {
            OwnedReadResult::Data(d) => d.encoded_len(),
            OwnedReadResult::DataAccessError(_) => 1,
            OwnedReadResult::DataBlockResult { raw_data, .. } => {
                3 + wire::octets_len(raw_data.len())
            }
            OwnedReadResult::BlockNumber(_) => 2,
        }
    }

    /// Appends the CHOICE tag and the alternative.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            OwnedReadResult::Data(d) => {
                out.push(0);
                d.encode(out);
            }
            OwnedReadResult::DataAccessError(e) => out.extend_from_slice(&[1, e.0]),
            OwnedReadResult::DataBlockResult {
                last_block,
                block_number,
                raw_data,
            } => {
                out.extend_from_slice(&[2, u8::from(*last_block)]);
                out.extend_from_slice(&block_number.to_be_bytes());
                wire::put_octets(out, raw_data);
            }
            OwnedReadResult::BlockNumber(n) => {
                out.push(3);
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
    }
}

/// A `WriteResponse` element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteResult {
    /// `success [0]`.
    Success,
    /// `data-access-error [1]`.
    DataAccessError(DataAccessResult),
    /// `block-number [2]`.
    BlockNumber(u16),
}

impl<'a> Element<'a> for WriteResult {
    fn decode_element(
        input: &'a [u8],
        base: usize,
        _limits: Limits,
    ) -> Result<(Self, usize), Error> {
        element_with(input, base, |r| {
            let (tag, at) = wire::choice(r, "WriteResponse choice")?;
            Ok(match tag {
                0 => WriteResult::Success,
                1 => WriteResult::DataAccessError(DataAccessResult(r.u8("data-access-error")?)),
                2 => WriteResult::BlockNumber(r.u16("block-number")?),
                _ => return Err(wire::unknown("WriteResponse choice", tag, at)),
            })
        })
    }
}

impl WriteResult {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        match self {
            WriteResult::Success => 1,
            WriteResult::DataAccessError(_) => 2,
            WriteResult::BlockNumber(_) => 3,
        }
    }

    /// Appends the CHOICE tag and the alternative.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            WriteResult::Success => out.push(0),
            WriteResult::DataAccessError(e) => out.extend_from_slice(&[1, e.0]),
            WriteResult::BlockNumber(n) => {
                out.push(2);
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
    }
}

/// Reads the APDU tag and one SEQUENCE OF, then checks the end.
fn single_list<'a, T: Element<'a>>(
    input: &'a [u8],
    tag: u8,
    what: &'static str,
    expected: &'static str,
    list: &'static str,
    limits: Limits,
) -> Result<List<'a, T>, Error> {
    let mut r = Reader::new(input);
    wire::apdu_tag(&mut r, tag, what, expected)?;
    let items = List::read(&mut r, list, limits)?;
    wire::finish(&r, list)?;
    Ok(items)
}

/// `ReadRequest` (0x05), borrowed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadRequest<'a> {
    /// The variables to read.
    pub variables: List<'a, VariableAccess<'a>>,
}

/// `ReadResponse` (0x0C), borrowed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadResponse<'a> {
    /// One result per variable.
    pub results: List<'a, ReadResult<'a>>,
}

/// `WriteResponse` (0x0D), borrowed.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteResponse<'a> {
    /// One result per variable.
    pub results: List<'a, WriteResult>,
}

/// `WriteRequest` (0x06) or `UnconfirmedWriteRequest` (0x16), borrowed.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteRequest<'a> {
    /// `variable-access-specification`.
    pub variables: List<'a, VariableAccess<'a>>,
    /// `list-of-data`.
    pub values: List<'a, DataRef<'a>>,
}

impl<'a> ReadRequest<'a> {
    /// Decodes the ReadRequest that fills `input`.
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag, [`Error::UnknownChoice`] for an unknown
    /// Variable-Access-Specification, [`Error::Truncated`], the Data errors,
    /// [`Error::TrailingBytes`]. The Data of a parameterized access is read with the default
    /// [`Limits`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        Self::decode_with(input, Limits::default())
    }

    /// As [`decode`](Self::decode), with the given Data limits.
    pub fn decode_with(input: &'a [u8], limits: Limits) -> Result<Self, Error> {
        Ok(ReadRequest {
            variables: single_list(
                input,
                READ_REQUEST,
                "ReadRequest tag",
                "0x05",
                "ReadRequest",
                limits,
            )?,
        })
    }

    /// The owned copy.
    pub fn to_owned(&self) -> Vec<OwnedVariableAccess> {
        self.variables.clone().map(|v| v.to_owned()).collect()
    }
}

impl<'a> ReadResponse<'a> {
    /// Decodes the ReadResponse that fills `input`.
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag, [`Error::UnknownChoice`] for an unknown result
    /// tag, [`Error::Truncated`], the Data errors, [`Error::TrailingBytes`]. The Data is read
    /// with the default [`Limits`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        Self::decode_with(input, Limits::default())
    }

    /// As [`decode`](Self::decode), with the given Data limits.
    pub fn decode_with(input: &'a [u8], limits: Limits) -> Result<Self, Error> {
        Ok(ReadResponse {
            results: single_list(
                input,
                READ_RESPONSE,
                "ReadResponse tag",
                "0x0C",
                "ReadResponse",
                limits,
            )?,
        })
    }

    /// The owned copy.
    pub fn to_owned(&self) -> Vec<OwnedReadResult> {
        self.results.clone().map(|r| r.to_owned()).collect()
    }
}

impl<'a> WriteResponse<'a> {
    /// Decodes the WriteResponse that fills `input`.
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag, [`Error::UnknownChoice`] for an unknown result
    /// tag, [`Error::Truncated`], [`Error::TrailingBytes`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        Ok(WriteResponse {
            results: single_list(
                input,
                WRITE_RESPONSE,
                "WriteResponse tag",
                "0x0D",
                "WriteResponse",
                Limits::default(),
            )?,
        })
    }
}

impl<'a> WriteRequest<'a> {
    /// Decodes the WriteRequest (0x06) that fills `input`.
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag, [`Error::UnknownChoice`] for an unknown
    /// Variable-Access-Specification, [`Error::Truncated`], the Data errors,
    /// [`Error::TrailingBytes`]. The Data is read with the default [`Limits`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        Self::decode_with(input, Limits::default())
    }

    /// As [`decode`](Self::decode), with the given Data limits.
    pub fn decode_with(input: &'a [u8], limits: Limits) -> Result<Self, Error> {
        Self::decode_tagged(input, WRITE_REQUEST, "WriteRequest tag", "0x06", limits)
    }

    /// Decodes the UnconfirmedWriteRequest (0x16) that fills `input`; errors as
    /// [`decode`](Self::decode).
    pub fn decode_unconfirmed(input: &'a [u8]) -> Result<Self, Error> {
        Self::decode_unconfirmed_with(input, Limits::default())
    }

    /// As [`decode_unconfirmed`](Self::decode_unconfirmed), with the given Data limits.
    pub fn decode_unconfirmed_with(input: &'a [u8], limits: Limits) -> Result<Self, Error> {
        Self::decode_tagged(
            input,
            UNCONFIRMED_WRITE_REQUEST,
            "UnconfirmedWriteRequest tag",
            "0x16",
            limits,
        )
    }

    fn decode_tagged(
        input: &'a [u8],
        tag: u8,
        what: &'static str,
        expected: &'static str,
        limits: Limits,
    ) -> Result<Self, Error> {
        let mut r = Reader::new(input);
        wire::apdu_tag(&mut r, tag, what, expected)?;
        let variables = List::read(&mut r, "variable-access-specification", limits)?;
        let values = List::read(&mut r, "list-of-data", limits)?;
        wire::finish(&r, "WriteRequest")?;
        Ok(WriteRequest { variables, values })
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedWriteRequest {
        OwnedWriteRequest {
            variables: self.variables.clone().map(|v| v.to_owned()).collect(),
            values: self.values.clone().map(|v| v.to_owned()).collect(),
        }
    }
}

/// `WriteRequest` or `UnconfirmedWriteRequest`, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedWriteRequest {
    /// `variable-access-specification`.
    pub variables: Vec<OwnedVariableAccess>,
    /// `list-of-data`.
    pub values: Vec<Data>,
}

impl OwnedWriteRequest {
    /// The encoded length (the same for both tags).
    pub fn encoded_len(&self) -> usize {
        1 + list_len(&self.variables, OwnedVariableAccess::encoded_len)
            + wire::data_list_len(&self.values)
    }

    /// Appends a WriteRequest (0x06).
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.encode_tagged(WRITE_REQUEST, out);
    }

    /// Appends an UnconfirmedWriteRequest (0x16).
    pub fn encode_unconfirmed(&self, out: &mut Vec<u8>) {
        self.encode_tagged(UNCONFIRMED_WRITE_REQUEST, out);
    }

    fn encode_tagged(&self, tag: u8, out: &mut Vec<u8>) {
        out.push(tag);
        put_list(out, &self.variables, OwnedVariableAccess::encode);
        put_data_list(out, &self.values);
    }
}

/// Encodes a ReadRequest (0x05).
pub fn encode_read_request(variables: &[OwnedVariableAccess], out: &mut Vec<u8>) {
    out.push(READ_REQUEST);
    put_list(out, variables, OwnedVariableAccess::encode);
}

/// The length of a ReadRequest.
pub fn read_request_len(variables: &[OwnedVariableAccess]) -> usize {
    1 + list_len(variables, OwnedVariableAccess::encoded_len)
}

/// Encodes a ReadResponse (0x0C).
pub fn encode_read_response(results: &[OwnedReadResult], out: &mut Vec<u8>) {
    out.push(READ_RESPONSE);
    put_list(out, results, OwnedReadResult::encode);
}

/// The length of a ReadResponse.
pub fn read_response_len(results: &[OwnedReadResult]) -> usize {
    1 + list_len(results, OwnedReadResult::encoded_len)
}

/// Encodes a WriteResponse (0x0D).
pub fn encode_write_response(results: &[WriteResult], out: &mut Vec<u8>) {
    out.push(WRITE_RESPONSE);
    put_list(out, results, WriteResult::encode);
}

/// The length of a WriteResponse.
pub fn write_response_len(results: &[WriteResult]) -> usize {
    1 + list_len(results, WriteResult::encoded_len)
}

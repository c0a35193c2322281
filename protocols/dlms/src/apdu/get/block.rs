//! Block transfer (DLMS UA 1000-2 Ed. 10 clause 9.4.6.5 and 9.5): the two data block
//! structures, a reassembler for a GET answered in blocks and a splitter for SET and ACTION
//! requests sent in blocks.
//!
//! ```text
//! DataBlock-G    last-block BOOLEAN | block-number u32 | CHOICE { [0] raw-data OCTET STRING,
//!                                                                [1] data-access-result }
//! DataBlock-SA   last-block BOOLEAN | block-number u32 | raw-data OCTET STRING
//! ```
//!
//! Block numbers start at 1. The raw data of all blocks, joined, is the encoding of the `Data`
//! that a single APDU would have carried (for a GET with-list: the count and the results).

use super::result::DataAccessResult;
use super::wire;
use super::GetResponse;
use crate::reader::Reader;
use crate::Error;

/// `DataBlock-G`, borrowed: one block of a GET response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataBlockG<'a> {
    /// `last-block`.
    pub last_block: bool,
    /// `block-number`, from 1.
    pub block_number: u32,
    /// `result`: the block's raw data, or why the server stopped.
    pub result: BlockResult<'a>,
}

/// The `result` CHOICE of a `DataBlock-G`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockResult<'a> {
    /// `raw-data [0]`: a part of the encoded Data.
    RawData(&'a [u8]),
    /// `data-access-result [1]`.
    DataAccessResult(DataAccessResult),
}

/// `DataBlock-G`, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedDataBlockG {
    /// `last-block`.
    pub last_block: bool,
    /// `block-number`, from 1.
    pub block_number: u32,
    /// `result`.
    pub result: OwnedBlockResult,
}

/// The `result` CHOICE of an owned `DataBlock-G`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedBlockResult {
    /// `raw-data [0]`.
    RawData(Vec<u8>),
    /// `data-access-result [1]`.
    DataAccessResult(DataAccessResult),
}

impl<'a> DataBlockG<'a> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let last_block = wire::boolean(r, "last-block")?;
        let block_number = r.u32("block-number")?;
        let (tag, at) = wire::choice(r, "DataBlock-G result")?;
        let result = match tag {
            0 => BlockResult::RawData(wire::octets(r, "raw-data")?),
            1 => BlockResult::DataAccessResult(DataAccessResult(r.u8("data-access-result")?)),
            _ => return Err(wire::unknown("DataBlock-G result", tag, at)),
        };
        Ok(DataBlockG {
            last_block,
            block_number,
            result,
        })
    }

    /// The owned copy.
    pub fn to_owned(&self) -> OwnedDataBlockG {
        OwnedDataBlockG {
            last_block: self.last_block,
            block_number: self.block_number,
            result: match self.result {
                BlockResult::RawData(raw) => OwnedBlockResult::RawData(raw.to_vec()),
                BlockResult::DataAccessResult(r) => OwnedBlockResult::DataAccessResult(r),
            },
        }
    }
}

impl OwnedDataBlockG {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        1 + 4
            + 1
            + match &self.result {
                OwnedBlockResult::RawData(raw) => wire::octets_len(raw.len()),
                OwnedBlockResult::DataAccessResult(_) => 1,
            }
    }

    /// Appends the block.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.last_block));
        out.extend_from_slice(&self.block_number.to_be_bytes());
        match &self.result {
            OwnedBlockResult::RawData(raw) => {
                out.push(0);
                wire::put_octets(out, raw);
            }
            OwnedBlockResult::DataAccessResult(r) => {
                out.push(1);
                out.push(r.0);
            }
        }
    }
}

/// `DataBlock-SA`: one block of a SET or ACTION, borrowed (`R = &[u8]`) or owned
/// (`R = Vec<u8>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataBlockSa<R> {
    /// `last-block`.
    pub last_block: bool,
    /// `block-number`, from 1.
    pub block_number: u32,
    /// `raw-data`.
    pub raw_data: R,
}

impl<R: Copy> Copy for DataBlockSa<R> {}

impl<'a> DataBlockSa<&'a [u8]> {
    pub(crate) fn read(r: &mut Reader<'a>) -> Result<Self, Error> {
        let last_block = wire::boolean(r, "last-block")?;
        let block_number = r.u32("block-number")?;
        let raw_data = wire::octets(r, "raw-data")?;
        Ok(DataBlockSa {
            last_block,
            block_number,
            raw_data,
        })
    }

    /// The owned copy.
    pub fn to_owned(&self) -> DataBlockSa<Vec<u8>> {
        DataBlockSa {
            last_block: self.last_block,
            block_number: self.block_number,
            raw_data: self.raw_data.to_vec(),
        }
    }
}

impl<R: AsRef<[u8]>> DataBlockSa<R> {
    /// The encoded length.
    pub fn encoded_len(&self) -> usize {
        1 + 4 + wire::octets_len(self.raw_data.as_ref().len())
    }

    /// Appends the block.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.last_block));
        out.extend_from_slice(&self.block_number.to_be_bytes());
        wire::put_octets(out, self.raw_data.as_ref());
    }
}

/// Where the block-number of a GET-Response-With-Datablock is: after the APDU tag, the CHOICE
/// tag, the invoke-id-and-priority and last-block.
const BLOCK_NUMBER_OFFSET: usize = 4;
/// Where the raw-data of a GET-Response-With-Datablock starts (its length octets): after the
/// APDU tag, the CHOICE tag, the invoke-id-and-priority, last-block, the four octets of
/// block-number and the result CHOICE tag (`C4 02 invoke last block-number(4) 00 length data`).
const RAW_DATA_OFFSET: usize = 9;

/// What the reassembler needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Send a GET-Request-Next for this block number (the one just received).
    Next(u32),
    /// The last block arrived: [`Reassembler::data`] holds the whole encoding.
    Complete,
    /// The server ended the transfer with a data-access-result instead of a block.
    Failed(DataAccessResult),
}

/// Joins the blocks of a GET-Response-With-Datablock (DLMS UA 1000-2 Ed. 10 clause 9.4.6.5.2):
/// checks that the blocks come numbered 1, 2, 3, ..., stops at the last one and refuses to hold
/// more than a set number of octets. Sans-IO: the caller sends the GET-Request-Next that
/// [`Progress::Next`] asks for.
#[derive(Debug, Clone)]
pub struct Reassembler {
    data: Vec<u8>,
    max_len: usize,
    expected: u32,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Receiving,
    Complete,
    Failed,
}

impl Reassembler {
    /// A reassembler that accepts up to `max_len` octets of raw data in all.
    pub fn new(max_len: usize) -> Self {
        Reassembler {
            data: Vec::new(),
            max_len,
            expected: 1,
            state: State::Receiving,
        }
    }

    /// Takes the next GET-Response-With-Datablock.
    ///
    /// # Errors
    /// A block that carries a data-access-result ends the transfer with [`Progress::Failed`]
    /// whatever its block number: a server that gives up says why, and the reason is worth more
    /// than the numbering of the block that carries it.
    ///
    /// # Errors
    /// [`Error::UnknownChoice`] when `response` is not a with-datablock response (offset 1),
    /// [`Error::BadValue`] for a raw-data block whose number is out of sequence, or any block
    /// after the last one or after a failure (offset 4, the block number), [`Error::BadLength`]
    /// when the raw data would pass the limit (offset 9, the raw data's length octet). The
    /// reassembler keeps its state after an error.
    pub fn push(&mut self, response: &GetResponse<'_>) -> Result<Progress, Error> {
        let GetResponse::WithDatablock { block, .. } = response else {
            return Err(Error::UnknownChoice {
                offset: 1,
                what: "Get-Response with-datablock",
                found: response.choice(),
            });
        };
        if let (State::Receiving, BlockResult::DataAccessResult(result)) =
            (self.state, block.result)
        {
            self.state = State::Failed;
            return Ok(Progress::Failed(result));
        }
        if self.state != State::Receiving || block.block_number != self.expected {
            return Err(Error::BadValue {
                offset: BLOCK_NUMBER_OFFSET,
                what: "block-number",
                expected: if self.state == State::Receiving {
                    "the next block number in sequence"
                } else {
                    "no block after the last one"
                },
                found: u64::from(block.block_number),
            });
        }
        match block.result {
            BlockResult::DataAccessResult(result) => {
                self.state = State::Failed;
                Ok(Progress::Failed(result))
            }
            BlockResult::RawData(raw) => {
                let total = self.data.len().saturating_add(raw.len());
                if total > self.max_len {
                    return Err(Error::BadLength {
                        offset: RAW_DATA_OFFSET,
                        what: "reassembled raw-data",
                        min: 0,
                        max: self.max_len as u64,
                        found: total as u64,
                    });
                }
                self.data.extend_from_slice(raw);
                if block.last_block {
                    self.state = State::Complete;
                    Ok(Progress::Complete)
                } else {
                    let number = self.expected;
                    self.expected = self.expected.saturating_add(1);
                    Ok(Progress::Next(number))
                }
            }
        }
    }

    /// The raw data joined so far; the whole encoding once [`Progress::Complete`] was returned.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Whether the last block arrived.
    pub fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    /// The joined raw data.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }
}

/// Cuts an encoding into `DataBlock-SA`s of at most `block_len` octets of raw data each
/// (at least 1), numbered from 1, the last one flagged (DLMS UA 1000-2 Ed. 10 clause 9.4.6.5.3
/// and 9.4.6.5.4). An empty encoding gives one empty last block.
#[derive(Debug, Clone)]
pub struct Splitter<'a> {
    rest: &'a [u8],
    block_len: usize,
    next: u32,
    done: bool,
}

impl<'a> Splitter<'a> {
    /// A splitter over `raw`.
    pub fn new(raw: &'a [u8], block_len: usize) -> Self {
        Splitter {
            rest: raw,
            block_len: block_len.max(1),
            next: 1,
            done: false,
        }
    }
}

impl<'a> Iterator for Splitter<'a> {
    type Item = DataBlockSa<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (raw_data, rest) = self.rest.split_at(self.block_len.min(self.rest.len()));
        self.rest = rest;
        let last_block = rest.is_empty();
        self.done = last_block;
        let block_number = self.next;
        self.next = self.next.saturating_add(1);
        Some(DataBlockSa {
            last_block,
            block_number,
            raw_data,
        })
    }
}

//! Finding APDUs in a TCP byte stream (IEC 60870-5-104 clause 5.1): a read may end anywhere in
//! an APDU and may hold several.

use super::{decode, Apdu, MAX_APDU_LEN};
use crate::Error;

/// The APDUs at the start of `buf`, one after the other, borrowed from it.
///
/// The iterator stops at the first incomplete APDU; [`Split::consumed`] then says how many bytes
/// the whole APDUs took, and [`Split::remainder`] holds the start of the next one. After an error
/// (offsets count from the start of `buf`) it yields nothing more: on TCP, close the connection.
pub fn split(buf: &[u8]) -> Split<'_> {
    Split {
        buf,
        consumed: 0,
        failed: false,
    }
}

/// The iterator of [`split`].
#[derive(Debug, Clone)]
pub struct Split<'a> {
    buf: &'a [u8],
    consumed: usize,
    failed: bool,
}

impl<'a> Split<'a> {
    /// The bytes taken by the APDUs yielded so far.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// The bytes after the APDUs yielded so far: an incomplete APDU, or where the error was found.
    pub fn remainder(&self) -> &'a [u8] {
        self.buf.get(self.consumed..).unwrap_or_default()
    }
}

impl<'a> Iterator for Split<'a> {
    type Item = Result<Apdu<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match decode(self.remainder()) {
            Ok(Some((apdu, len))) => {
                self.consumed += len;
                Some(Ok(apdu))
            }
            Ok(None) => None,
            Err(error) => {
                self.failed = true;
                Some(Err(error.shifted(self.consumed)))
            }
        }
    }
}

/// Reassembles APDUs from the reads of one TCP connection (IEC 60870-5-104 clause 5.1).
///
/// [`StreamSplitter::push`] each read, then call [`StreamSplitter::next_apdu`] until it returns
/// `Ok(None)`. The splitter keeps at most one incomplete APDU (255 bytes) between reads, so its
/// buffer allocates once per connection, not per frame. Errors name their offset in the whole
/// stream, counted from the first byte pushed; after one, every call returns it again: on TCP the
/// caller closes the connection.
#[derive(Debug, Clone, Default)]
pub struct StreamSplitter {
    buf: Vec<u8>,
    /// The first byte of `buf` not yet handed out.
    start: usize,
    /// The stream offset of `buf[0]` (saturating: a connection past `usize::MAX` bytes, 4 GiB on
    /// a 32-bit target, keeps the last offset rather than overflowing).
    base: usize,
    failed: Option<Error>,
}

impl StreamSplitter {
    /// An empty splitter.
    pub fn new() -> Self {
        Self::with_capacity(2 * MAX_APDU_LEN)
    }

    /// An empty splitter whose buffer holds `capacity` bytes before it grows: the size of the
    /// caller's reads plus 255 avoids any later allocation.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
            ..Self::default()
        }
    }

    /// Appends the bytes of one read.
    pub fn push(&mut self, data: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.base = self.base.saturating_add(self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The next whole APDU, borrowed from the splitter's buffer; `Ok(None)` until more bytes are
    /// pushed.
    ///
    /// # Errors
    /// Those of [`decode`](super::decode), with the offset in the stream. The same error is
    /// returned by every later call.
    pub fn next_apdu(&mut self) -> Result<Option<Apdu<'_>>, Error> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let rest = self.buf.get(self.start..).unwrap_or_default();
        match decode(rest) {
            Ok(Some((apdu, len))) => {
                self.start += len;
                Ok(Some(apdu))
            }
            Ok(None) => Ok(None),
            Err(error) => {
                let error = error.shifted(self.stream_offset());
                self.failed = Some(error.clone());
                Err(error)
            }
        }
    }

    /// The bytes pushed but not yet handed out as APDUs.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The stream offset of the next byte to decode: the bytes handed out as APDUs so far.
    pub fn stream_offset(&self) -> usize {
        self.base.saturating_add(self.start)
    }
}

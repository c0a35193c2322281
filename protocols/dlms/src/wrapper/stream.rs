//! Finding wrapper PDUs in a TCP byte stream (IEC 62056-47 clause 5): a read may end anywhere in
//! a PDU and may hold several.

use super::{decode_with_max, WrapperPdu, HEADER_LEN, MAX_APDU_LEN};
use crate::Error;

/// Reassembles wrapper PDUs from the reads of one TCP connection.
///
/// [`StreamSplitter::push`] each read, then call [`StreamSplitter::next_pdu`] until it returns
/// `Ok(None)`. The splitter keeps at most one incomplete PDU between reads; a PDU declaring an APDU
/// longer than the splitter's maximum is refused as soon as its header is there, so a peer cannot
/// make it buffer more than that. Errors name their offset in the whole stream, counted from the
/// first byte pushed; after one, every call returns it again: on TCP the caller closes the
/// connection.
#[derive(Debug, Clone)]
pub struct StreamSplitter {
    buf: Vec<u8>,
    /// The first byte of `buf` not yet handed out.
    start: usize,
    /// The stream offset of `buf[0]` (saturating).
    base: usize,
    max_apdu_len: usize,
    failed: Option<Error>,
}

impl Default for StreamSplitter {
    fn default() -> Self {
        Self::new(MAX_APDU_LEN)
    }
}

impl StreamSplitter {
    /// An empty splitter that accepts APDUs of at most `max_apdu_len` octets (clamped to
    /// 1..=65,535). Its buffer grows to the largest PDU seen, then stays.
    pub fn new(max_apdu_len: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            base: 0,
            max_apdu_len: max_apdu_len.clamp(1, MAX_APDU_LEN),
            failed: None,
        }
    }

    /// An empty splitter whose buffer holds `capacity` bytes before it grows: the size of the
    /// caller's reads plus one PDU avoids any later allocation.
    pub fn with_capacity(max_apdu_len: usize, capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
            ..Self::new(max_apdu_len)
        }
    }

    /// The longest APDU this splitter accepts.
    pub fn max_apdu_len(&self) -> usize {
        self.max_apdu_len
    }

    /// The longest PDU this splitter accepts, header included.
    pub fn max_pdu_len(&self) -> usize {
        HEADER_LEN + self.max_apdu_len
    }

    /// Appends the bytes of one read. After an error the bytes are dropped: the splitter only
    /// repeats its error, so buffering more would let a peer that keeps sending grow it.
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.base = self.base.saturating_add(self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The next whole PDU, borrowed from the splitter's buffer; `Ok(None)` until more bytes are
    /// pushed.
    ///
    /// # Errors
    /// Those of [`decode_with_max`](super::decode_with_max) with this splitter's maximum, with
    /// the offset in the stream. The same error is returned by every later call.
    pub fn next_pdu(&mut self) -> Result<Option<WrapperPdu<'_>>, Error> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let rest = self.buf.get(self.start..).unwrap_or_default();
        match decode_with_max(rest, self.max_apdu_len) {
            Ok(Some((pdu, len))) => {
                self.start += len;
                Ok(Some(pdu))
            }
            Ok(None) => Ok(None),
            Err(error) => {
                let error = error.shifted(self.stream_offset());
                self.failed = Some(error.clone());
                Err(error)
            }
        }
    }

    /// The bytes pushed but not yet handed out as PDUs.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The stream offset of the next byte to decode: the bytes handed out as PDUs so far.
    pub fn stream_offset(&self) -> usize {
        self.base.saturating_add(self.start)
    }
}

#[cfg(test)]
mod tests {
    use super::StreamSplitter;

    #[test]
    fn a_failed_splitter_drops_what_is_pushed_after_its_error() {
        let mut splitter = StreamSplitter::new(16);
        // Wrapper header: version 0x0002 where 0x0001 belongs, ports, length 1.
        splitter.push(&[0x00, 0x02, 0x00, 0x10, 0x00, 0x01, 0x00, 0x01, 0xC0]);
        let error = splitter.next_pdu().map(|_| ()).unwrap_err();
        let held = splitter.buf.len();
        splitter.push(&[0xAA; 4096]);
        assert_eq!(splitter.buf.len(), held, "nothing buffered after the error");
        assert_eq!(splitter.next_pdu().map(|_| ()), Err(error));
    }
}

//! An APDU queued for sending, owned in a fixed buffer so queuing needs no allocation per frame.

use crate::apci::{Apci, Apdu, APCI_LEN, MAX_APDU_LEN, MIN_LENGTH, START};
use crate::Error;
use std::fmt;

/// One encoded APDU for the caller to write to the TCP connection (IEC 60870-5-104 clause 5),
/// from [`Link104::poll_transmit`](super::Link104::poll_transmit).
#[derive(Clone, PartialEq, Eq)]
pub struct Transmit {
    apci: Apci,
    /// The APDU's length on the wire, 6..=255.
    len: usize,
    bytes: [u8; MAX_APDU_LEN],
}

impl Transmit {
    /// An S or U frame (no ASDU).
    pub(super) fn control(apci: Apci) -> Self {
        let [c1, c2, c3, c4] = apci.encode_control();
        let mut bytes = [0; MAX_APDU_LEN];
        if let Some(head) = bytes.get_mut(..APCI_LEN) {
            head.copy_from_slice(&[START, MIN_LENGTH, c1, c2, c3, c4]);
        }
        Self {
            apci,
            len: APCI_LEN,
            bytes,
        }
    }

    /// A frame carrying `asdu`.
    ///
    /// # Errors
    /// Those of [`Apdu::encode`]: [`Error::UserDataLength`] for an I frame whose ASDU is empty or
    /// longer than 249 octets.
    pub(super) fn new(apci: Apci, asdu: &[u8]) -> Result<Self, Error> {
        let mut bytes = [0; MAX_APDU_LEN];
        let apdu = Apdu { apci, asdu };
        let mut out: &mut [u8] = &mut bytes;
        apdu.encode(&mut out)?;
        Ok(Self {
            apci,
            len: apdu.encoded_len(),
            bytes,
        })
    }

    /// The bytes to write.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// The control field.
    pub fn apci(&self) -> Apci {
        self.apci
    }

    /// The ASDU: empty for S and U frames.
    pub fn asdu(&self) -> &[u8] {
        self.bytes.get(APCI_LEN..self.len).unwrap_or_default()
    }

    /// The frame as a borrowed [`Apdu`], as the peer decodes it.
    pub fn apdu(&self) -> Apdu<'_> {
        Apdu {
            apci: self.apci,
            asdu: self.asdu(),
        }
    }
}

impl fmt::Debug for Transmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transmit")
            .field("apci", &self.apci)
            .field("asdu", &self.asdu())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apci::{decode, SeqNo, UFunction};

    #[test]
    fn queued_frames_decode_to_what_was_queued() {
        let u = Transmit::control(Apci::U(UFunction::StartDtAct));
        assert_eq!(u.as_bytes(), [0x68, 0x04, 0x07, 0x00, 0x00, 0x00]);
        let i = Apci::I {
            send: SeqNo::wrapping(3),
            recv: SeqNo::wrapping(300),
        };
        let t = Transmit::new(i, &[1, 2, 3]).unwrap(); // ok: a test, in the #[cfg(test)] module
        assert_eq!(decode(t.as_bytes()), Ok(Some((t.apdu(), 9))));
        assert_eq!(t.asdu(), [1, 2, 3]);
        assert!(Transmit::new(i, &[]).is_err());
        assert!(Transmit::new(i, &[0; 250]).is_err());
        assert!(Transmit::new(i, &[0; 249]).is_ok());
    }
}

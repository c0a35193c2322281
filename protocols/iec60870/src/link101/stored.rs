//! An ASDU kept in a fixed buffer while it waits in a queue.

use super::event::SendError;

/// One ASDU of at most 255 octets, owned.
#[derive(Clone)]
pub(super) struct Stored {
    len: usize,
    bytes: [u8; 255],
}

impl Stored {
    /// Copies `asdu`, which must hold 1..=`max` octets.
    pub(super) fn new(asdu: &[u8], max: usize) -> Result<Self, SendError> {
        let max = max.min(255);
        let mut bytes = [0; 255];
        match bytes.get_mut(..asdu.len()) {
            Some(to) if !asdu.is_empty() && asdu.len() <= max => to.copy_from_slice(asdu),
            _ => {
                return Err(SendError::Length {
                    len: asdu.len(),
                    max,
                })
            }
        }
        Ok(Self {
            len: asdu.len(),
            bytes,
        })
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

impl std::fmt::Debug for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Stored").field(&self.as_slice()).finish()
    }
}

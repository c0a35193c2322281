//! Replay protection: the frame (invocation) counter of a peer must increase
//! (DLMS UA 1000-2 Ed. 10, 9.2.7.2.4.3; the invocation counter objects 0-0:43.1.x*255).

use crate::Error;

/// The last frame counter accepted from one peer with one key. Keep one per peer and key; a
/// ciphered APDU whose counter is not above it is refused as a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CounterGuard {
    last: Option<u32>,
}

impl CounterGuard {
    /// A guard that has accepted nothing yet: any counter passes once.
    pub const fn new() -> Self {
        Self { last: None }
    }

    /// A guard that has already accepted `last` (restored from storage after a restart).
    pub const fn after(last: u32) -> Self {
        Self { last: Some(last) }
    }

    /// The last counter accepted.
    pub const fn last(&self) -> Option<u32> {
        self.last
    }

    /// Whether `counter` would be accepted. `offset` is where the counter is, for the error.
    ///
    /// # Errors
    /// [`Error::Replay`] when `counter` is not above the last one accepted.
    pub fn check(&self, counter: u32, offset: usize) -> Result<(), Error> {
        match self.last {
            Some(last) if counter <= last => Err(Error::Replay {
                offset,
                last,
                found: counter,
            }),
            _ => Ok(()),
        }
    }

    /// Records `counter` as accepted (after its APDU verified). A lower counter never moves the
    /// guard back.
    pub fn accept(&mut self, counter: u32) {
        self.last = Some(self.last.map_or(counter, |last| last.max(counter)));
    }
}

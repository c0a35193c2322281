//! The parameters of a 101 link (IEC 60870-5-101 clause 6 and the system parameters of clause
//! 8): address length, response timeout and retries, the pause before a new link reset, the
//! polling and test periods, and the single control character.

use crate::ft12::LinkConfig;
use std::time::Duration;

/// The parameters of one station's link layer. [`Params::default`] suits a 9600 bit/s line
/// with one-octet link addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Params {
    /// The FT1.2 frame parameters both stations agree on: the link address length.
    pub link: LinkConfig,
    /// How long a primary station waits for the answer to a SEND/CONFIRM or REQUEST/RESPOND
    /// before it repeats the frame (IEC 60870-5-2 clause 5.1.3; default 1 s). Must not be zero.
    pub response_timeout: Duration,
    /// How many times a frame is repeated, with the same FCB, after the first try went
    /// unanswered (default 3). When they are used up the link to that station is down.
    pub retries: u8,
    /// How long a primary station waits after a link went down, or after a reset was refused,
    /// before it requests the status of the link again (default 5 s).
    pub link_retry: Duration,
    /// Unbalanced primary: the period of class 2 polls (FC 11) per secondary station (default
    /// 1 s). Zero polls as fast as the line allows. Class 1 is requested whenever ACD is set.
    pub poll_interval: Duration,
    /// Balanced: the idle time after which the primary tests the link with FC 2 (default 5 s;
    /// `None` never tests).
    pub test_interval: Option<Duration>,
    /// Secondary: answer ACK and "no data" with the single character E5 where the answer
    /// carries neither ACD nor DFC (IEC 60870-5-101 clause 6.2.4; default false).
    pub single_char_ack: bool,
    /// The most user data queued per remote station (default 16; at least 1).
    pub queue_len: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            link: LinkConfig::default(),
            response_timeout: Duration::from_secs(1),
            retries: 3,
            link_retry: Duration::from_secs(5),
            poll_interval: Duration::from_secs(1),
            test_interval: Some(Duration::from_secs(5)),
            single_char_ack: false,
            queue_len: 16,
        }
    }
}

/// A parameter out of range, from [`Params::check`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// The response timeout is zero.
    #[error("the response timeout must not be zero")]
    ZeroResponseTimeout,
    /// The user data queue holds nothing.
    #[error("the user data queue must hold at least one ASDU")]
    EmptyQueue,
    /// The address does not fit the link address field, or is the broadcast address.
    #[error("link address {address} does not fit or is the broadcast address (largest {max})")]
    BadAddress {
        /// The address given.
        address: u16,
        /// The largest address the field holds (the broadcast address when it has one).
        max: u16,
    },
    /// The same secondary station was given twice.
    #[error("link address {0} given twice")]
    DuplicateAddress(u16),
}

impl Params {
    /// Checks the ranges.
    ///
    /// # Errors
    /// [`ParamsError::ZeroResponseTimeout`], [`ParamsError::EmptyQueue`].
    pub fn check(&self) -> Result<(), ParamsError> {
        if self.response_timeout.is_zero() {
            return Err(ParamsError::ZeroResponseTimeout);
        }
        if self.queue_len == 0 {
            return Err(ParamsError::EmptyQueue);
        }
        Ok(())
    }

    /// The broadcast address of the configured address length: 255 or 65535 (0 without an
    /// address field).
    pub fn broadcast_address(&self) -> u16 {
        self.link.address_len.max_address()
    }

    /// Whether `address` is the broadcast address; never without an address field.
    pub(super) fn is_broadcast(&self, address: u16) -> bool {
        self.link.address_len != crate::ft12::AddressLen::Zero
            && address == self.broadcast_address()
    }

    /// The longest ASDU a frame carries: 255 minus the control field and the address.
    pub fn max_asdu_len(&self) -> usize {
        usize::from(crate::ft12::MAX_L) - usize::from(self.link.min_l())
    }

    /// Fails unless `address` fits the address field and is not the broadcast address (a
    /// station without address field has address 0).
    pub(super) fn check_address(&self, address: u16) -> Result<(), ParamsError> {
        let max = self.link.address_len.max_address();
        let ok = match self.link.address_len {
            crate::ft12::AddressLen::Zero => address == 0,
            _ => address < max,
        };
        if ok {
            Ok(())
        } else {
            Err(ParamsError::BadAddress { address, max })
        }
    }
}

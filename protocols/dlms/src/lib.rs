#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod apdu;
pub mod axdr;
pub mod crc;
mod error;
pub mod hdlc;
pub mod obis;
mod reader;
pub mod security;
#[cfg(feature = "proptest")]
pub mod strategy;
pub mod wrapper;

pub use error::{Checksum, Error};

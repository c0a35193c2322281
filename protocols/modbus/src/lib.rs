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

pub mod ascii;
pub mod crc;
mod error;
mod exception;
mod function;
pub mod lrc;
pub mod model;
pub mod pdu;
mod resync;
pub mod rtu;
pub mod tcp;
mod word_order;

pub use error::Error;
pub use exception::ExceptionCode;
pub use function::FunctionCode;
pub use pdu::{Coils, PduBuf, Registers, Request, Response};
pub use resync::Resync;
pub use word_order::WordOrder;

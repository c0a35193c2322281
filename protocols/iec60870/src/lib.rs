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

pub mod apci;
pub mod asdu;
mod error;
pub mod ft12;
pub mod link101;
pub mod link104;
#[cfg(feature = "proptest")]
pub mod strategy;
pub mod types;

pub use apci::{Apci, Apdu, SeqNo, StreamSplitter, UFunction};
pub use asdu::{
    Asdu, AsduConfig, Cot, Element, Header, InformationObject, OwnedAsdu, TimeTag, TypeId,
};
pub use error::{AsduField, Error, TimeField};
pub use ft12::{AddressLen, Control, LinkConfig, PrimaryFunction, SecondaryFunction};
pub use types::{CivilDateTime, Cp16Time2a, Cp24Time2a, Cp56Time2a};

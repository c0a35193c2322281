//! Public proptest strategies (feature `proptest`): well-formed values of every layer, for round
//! trips here and for embedders who fuzz their own code with valid DLMS traffic.

pub mod association;
pub mod data;
pub mod hdlc;
pub mod services;

pub use crate::obis::strategy as obis;
pub use crate::security::strategy as security;
pub use crate::wrapper::strategy as wrapper;

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

mod command;
mod device;
mod error;
pub mod host;
mod node;
pub mod proto;
pub mod topic;
mod value;

pub use command::{Command, Write};
pub use device::{keys, QUALITY_BAD};
pub use error::Error;
pub use node::{
    Data, EdgeNode, Message, NodeMetric, PointInfo, Quality, SampleIn, BD_SEQ, REBIRTH,
};
pub use proto::DataType;
pub use topic::MessageType;
pub use value::{is_scalar, MetricValue};

#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod config;
mod cursor;
mod error;
mod outbox;
mod record;
mod recovery;
mod segment;
mod space;

pub use config::{Config, SyncPolicy, WhenFull};
pub use cursor::CursorState;
pub use error::{Error, Result, StorageFault};
pub use outbox::{AppendOutcome, Outbox, Record, RecordInfo, SyncJob};
pub use record::{HEADER_LEN, MAGIC};
pub use recovery::{Damage, Recovery, MAX_DAMAGE_REPORTS};
pub use space::FsSpace;

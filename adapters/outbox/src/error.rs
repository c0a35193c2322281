//! The one error type of the outbox.

use std::io;
use std::path::PathBuf;

/// A failure of an outbox operation.
///
/// Damaged data found on disk is not an error: [`crate::Outbox::open`] skips or truncates it and
/// reports it in [`crate::Recovery`]; a record found damaged while reading is skipped and counted.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory operation failed.
    #[error("outbox: cannot {op} {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done ("create segment", "fsync directory", ...).
        op: &'static str,
        /// What went wrong.
        source: io::Error,
    },
    /// Reading a record back from its segment failed.
    #[error("outbox: cannot read the record of seq {seq} at offset {offset} of {path}: {source}")]
    Read {
        /// The segment file.
        path: PathBuf,
        /// The byte offset of the record in the file.
        offset: u64,
        /// The sequence number of the record.
        seq: u64,
        /// What went wrong.
        source: io::Error,
    },
    /// Another process (or another `Outbox` in this one) holds the directory.
    #[error("outbox directory is in use: its lock file {path} is held by another outbox")]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// A configuration value is out of range.
    #[error("outbox configuration: {field} is {value}, expected {expected}")]
    InvalidConfig {
        /// The field of [`crate::Config`].
        field: &'static str,
        /// Its value.
        value: u64,
        /// What it must be.
        expected: String,
    },
    /// An appended sequence number is not above every sequence number appended before.
    #[error("outbox append: seq {seq} is not above the last appended seq {last}, expected strictly increasing sequence numbers")]
    SeqNotIncreasing {
        /// The rejected sequence number.
        seq: u64,
        /// The highest sequence number appended so far (across restarts).
        last: u64,
    },
    /// A payload is longer than [`crate::Config::max_payload`].
    #[error("outbox append: the payload of seq {seq} is {len} bytes, expected at most {max}")]
    PayloadTooLarge {
        /// The sequence number of the record.
        seq: u64,
        /// The payload length.
        len: usize,
        /// The configured maximum.
        max: u32,
    },
    /// [`crate::WhenFull::Backpressure`]: the append would take the outbox above its bound. Nothing
    /// was written; retry once acknowledgements have freed space.
    #[error("outbox full: {needed} more bytes would exceed the bound of {max} bytes ({used} used), expected acknowledgements to free space first")]
    Full {
        /// Bytes the refused append needed on disk.
        needed: u64,
        /// Bytes the segment files occupy now.
        used: u64,
        /// [`crate::Config::max_bytes`].
        max: u64,
    },
}

/// What kind of fault of the storage under the outbox an [`Error`] is, as far as the bridge has to
/// act on it (a metric, `/ready`, a log line that says what the operator should look at).
///
/// Every fault is transient for the outbox: nothing is sticky, the next call tries again and
/// succeeds once the filesystem allows it (see the crate documentation, "Faults of the disk").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageFault {
    /// The filesystem is full, or the user's quota is used up (`ENOSPC`, `EDQUOT`). Under
    /// [`crate::WhenFull::DropOldest`] the outbox has already dropped what it could; under
    /// [`crate::WhenFull::Backpressure`] nothing was dropped and the caller holds its sources.
    NoSpace,
    /// The filesystem is read-only (`EROFS`: remounted read-only after an I/O error, say), or the
    /// outbox is not allowed to write there (`EACCES`, `EPERM`).
    ReadOnly,
    /// The directory or a file of the outbox vanished (`ENOENT`: an unplugged card, a removed
    /// directory). The next append recreates what is needed and counts records lost with it in
    /// [`crate::Outbox::vanished_total`].
    Gone,
    /// Any other I/O failure (`EIO` and the like): the device is failing.
    Io,
}

impl StorageFault {
    /// The fault an I/O error stands for.
    pub fn of(e: &io::Error) -> StorageFault {
        match e.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => StorageFault::NoSpace,
            io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied => {
                StorageFault::ReadOnly
            }
            io::ErrorKind::NotFound => StorageFault::Gone,
            _ => StorageFault::Io,
        }
    }
}

impl Error {
    /// The storage fault behind this error: `Some` for [`Error::Io`] and [`Error::Read`] (by the
    /// kind of their `io::Error`), `None` for everything else. In particular [`Error::Full`] is
    /// `None`: it is the outbox's own bound ([`crate::Config::max_bytes`]), not the filesystem's;
    /// the filesystem running full is [`StorageFault::NoSpace`].
    pub fn fault(&self) -> Option<StorageFault> {
        match self {
            Error::Io { source, .. } | Error::Read { source, .. } => Some(StorageFault::of(source)),
            Error::Locked { .. }
            | Error::InvalidConfig { .. }
            | Error::SeqNotIncreasing { .. }
            | Error::PayloadTooLarge { .. }
            | Error::Full { .. } => None,
        }
    }

    /// Whether this is [`StorageFault::NoSpace`].
    pub(crate) fn is_no_space(&self) -> bool {
        self.fault() == Some(StorageFault::NoSpace)
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Maps an `io::Error` to [`Error::Io`] for `path`.
pub(crate) fn io_err(op: &'static str, path: &std::path::Path) -> impl FnOnce(io::Error) -> Error {
    let path = path.to_owned();
    move |source| Error::Io { path, op, source }
}

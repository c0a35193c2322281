//! The free space of the filesystem under the outbox.

use std::io;
use std::path::Path;

/// Space on the filesystem that holds the outbox directory, from `statvfs(3)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsSpace {
    /// Bytes an unprivileged process may still write (`f_bavail` × `f_frsize`): what the outbox
    /// can still use, not counting blocks reserved for root.
    pub available: u64,
    /// Size of the filesystem in bytes (`f_blocks` × `f_frsize`).
    pub total: u64,
}

impl FsSpace {
    /// The space of the filesystem that holds `dir` (which must exist), for a caller without an
    /// open outbox (`fieldbridge check` compares it with the configured bound).
    pub fn of(dir: &Path) -> io::Result<FsSpace> {
        of(dir)
    }
}

/// `statvfs` of `dir`.
pub(crate) fn of(dir: &Path) -> io::Result<FsSpace> {
    let st = rustix::fs::statvfs(dir)?;
    Ok(FsSpace {
        available: st.f_bavail.saturating_mul(st.f_frsize),
        total: st.f_blocks.saturating_mul(st.f_frsize),
    })
}

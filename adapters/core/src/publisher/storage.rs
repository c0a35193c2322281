//! The health of `data_dir` as the delivery finds it (issue 14: a full disk, a read-only or
//! vanished disk). Every failed disk operation is counted by kind; the first failure of a kind is
//! logged loudly with its cause and repeats at most once a minute with a count
//! ([`crate::throttle`]); while any operation keeps failing the bridge is not ready (`/ready`), its
//! retained state says why, and the point stream is held (nothing is numbered as stored that is
//! not). The free space of the filesystem is sampled for the metrics.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use fieldbridge_outbox::{Error as OutboxError, StorageFault};
use serde::Serialize;

use crate::metrics::{self, DescriptorEncoder};
use crate::seq::SeqError;
use crate::throttle::Throttle;
use crate::time::Timestamp;

/// A disk operation of the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Op {
    /// Writing readings to the outbox.
    Append,
    /// The outbox's periodic fsync and cursor write.
    Sync,
    /// Reading a record back to publish it.
    Read,
    /// Recording an acknowledgement (and deleting delivered segments).
    Ack,
    /// Reserving sequence numbers (`data_dir/seq`).
    Seq,
}

impl Op {
    const ALL: [Op; 5] = [Op::Append, Op::Sync, Op::Read, Op::Ack, Op::Seq];

    /// The `operation` label.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Op::Append => "append",
            Op::Sync => "sync",
            Op::Read => "read",
            Op::Ack => "ack",
            Op::Seq => "seq",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The `kind` label of a storage failure: `no-space` (ENOSPC, EDQUOT), `read-only` (EROFS, or no
/// permission), `gone` (the directory or a file vanished), `io` (anything else, e.g. EIO).
pub fn fault_kind(fault: StorageFault) -> &'static str {
    match fault {
        StorageFault::NoSpace => "no-space",
        StorageFault::ReadOnly => "read-only",
        StorageFault::Gone => "gone",
        StorageFault::Io => "io",
    }
}

fn io_kind(error: &io::Error) -> &'static str {
    fault_kind(StorageFault::of(error))
}

/// The kind of an outbox failure (`io` for one that is not about the disk).
pub(crate) fn outbox_kind(error: &OutboxError) -> &'static str {
    error.fault().map_or("io", fault_kind)
}

/// The kind of a sequence-file failure.
pub(crate) fn seq_kind(error: &SeqError) -> &'static str {
    match error {
        SeqError::Io { source, .. } => io_kind(source),
        _ => "io",
    }
}

/// What is wrong with `data_dir` now, as the retained bridge state and `/ready` say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StorageProblem {
    /// `no-space`, `read-only`, `gone` or `io`.
    pub kind: &'static str,
    /// The operation that fails: `append`, `sync`, `read`, `ack` or `seq`.
    pub operation: &'static str,
    /// The error, with the file it concerns.
    pub message: String,
    /// Since when it fails.
    pub since: Timestamp,
}

/// The storage side of the delivery's statistics, readable while it runs.
#[derive(Debug, Default)]
pub struct StorageStatus {
    problems: Mutex<BTreeMap<&'static str, StorageProblem>>,
    errors: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// Bytes free for the bridge on the filesystem of `data_dir` (`u64::MAX` until first read).
    free_bytes: AtomicU64,
    /// Size of that filesystem.
    total_bytes: AtomicU64,
}

impl StorageStatus {
    /// The oldest problem still present, if any: `None` means the disk takes what the bridge
    /// writes.
    pub fn problem(&self) -> Option<StorageProblem> {
        let problems = self.problems.lock().ok()?;
        problems.values().min_by_key(|p| p.since).cloned()
    }

    /// Free and total bytes of the filesystem of `data_dir`, when read.
    pub fn space(&self) -> Option<(u64, u64)> {
        let total = self.total_bytes.load(Ordering::Relaxed);
        (total > 0).then(|| (self.free_bytes.load(Ordering::Relaxed), total))
    }

    pub(crate) fn set_space(&self, free: u64, total: u64) {
        self.free_bytes.store(free, Ordering::Relaxed);
        self.total_bytes.store(total, Ordering::Relaxed);
    }

    fn count(&self, kind: &'static str, op: Op) {
        if let Ok(mut errors) = self.errors.lock() {
            *errors.entry((kind, op.as_str())).or_default() += 1;
        }
    }

    /// Writes `fieldbridge_storage_errors_total{kind, operation}`, `fieldbridge_storage_ok` and
    /// the free space gauges.
    pub fn encode(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        if let Ok(errors) = self.errors.lock() {
            let mut family = metrics::counter_family(
                encoder,
                "fieldbridge_storage_errors_total",
                "Failed disk operations in data_dir, by kind (no-space, read-only, gone, io) and operation.",
            )?;
            for ((kind, op), n) in errors.iter() {
                metrics::sample(&mut family, &[("kind", kind), ("operation", op)], *n)?;
            }
        }
        metrics::gauge(
            encoder,
            "fieldbridge_storage_ok",
            "1 while data_dir takes every write; 0 while an operation keeps failing (see the bridge state).",
            u32::from(self.problem().is_none()),
        )?;
        if let Some((free, total)) = self.space() {
            metrics::gauge(
                encoder,
                "fieldbridge_data_dir_free_bytes",
                "Bytes free for the bridge on the filesystem of data_dir.",
                free,
            )?;
            metrics::gauge(
                encoder,
                "fieldbridge_data_dir_size_bytes",
                "Size of the filesystem of data_dir.",
                total,
            )?;
        }
        Ok(())
    }
}

/// The delivery's view: one log throttle per operation, and the transitions.
#[derive(Debug, Default)]
pub(crate) struct StorageWatch {
    throttles: [Throttle; Op::ALL.len()],
}

/// Whether a failure began or went on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// The first failure of this operation (or of another kind than before).
    Began,
    /// Still failing the same way.
    Continues,
}

impl StorageWatch {
    /// Counts a failure of `op`, logs it (loudly the first time, then once a minute with a count)
    /// and records it as the current problem of `op`.
    pub(crate) fn failed(
        &mut self,
        status: &StorageStatus,
        op: Op,
        kind: &'static str,
        error: &dyn fmt::Display,
    ) -> Change {
        status.count(kind, op);
        let operation = op.as_str();
        let message = error.to_string();
        let began = match status.problems.lock() {
            Ok(mut problems) => {
                let began = problems.get(operation).is_none_or(|p| p.kind != kind);
                if began {
                    problems.insert(
                        operation,
                        StorageProblem {
                            kind,
                            operation,
                            message: message.clone(),
                            since: Timestamp::now(),
                        },
                    );
                }
                began
            }
            Err(_) => false,
        };
        let throttle = &mut self.throttles[op.index()];
        crate::throttled!(
            throttle,
            kind,
            error,
            operation,
            error = %message,
            "data_dir: a disk operation failed and is retried (while an append or the sequence reservation fails, the point stream is held)"
        );
        if began {
            Change::Began
        } else {
            Change::Continues
        }
    }

    /// `op` worked: if it had been failing, the problem is over (logged once, with how many
    /// failures went unlogged). Returns whether a problem ended.
    pub(crate) fn succeeded(&mut self, status: &StorageStatus, op: Op) -> bool {
        let throttle = &mut self.throttles[op.index()];
        if !throttle.active() {
            return false;
        }
        let unlogged = throttle.clear();
        let ended = status
            .problems
            .lock()
            .ok()
            .and_then(|mut p| p.remove(op.as_str()));
        if let Some(problem) = &ended {
            tracing::warn!(
                operation = op.as_str(),
                kind = problem.kind,
                since = %problem.since,
                unlogged,
                "data_dir: the disk operation works again"
            );
        }
        ended.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_a_problem_until_the_operation_works_again() {
        let status = StorageStatus::default();
        let mut watch = StorageWatch::default();
        assert!(status.problem().is_none());
        let e = io::Error::from(io::ErrorKind::StorageFull);
        assert_eq!(
            watch.failed(&status, Op::Append, io_kind(&e), &e),
            Change::Began
        );
        assert_eq!(
            watch.failed(&status, Op::Append, io_kind(&e), &e),
            Change::Continues
        );
        let p = status.problem().expect("a problem");
        assert_eq!((p.kind, p.operation), ("no-space", "append"));
        assert!(!watch.succeeded(&status, Op::Sync));
        assert!(watch.succeeded(&status, Op::Append));
        assert!(status.problem().is_none());
        assert!(!watch.succeeded(&status, Op::Append));
    }

    #[test]
    fn failures_are_counted_by_kind_and_operation() {
        let status = StorageStatus::default();
        let mut watch = StorageWatch::default();
        let ro = io::Error::from(io::ErrorKind::ReadOnlyFilesystem);
        for _ in 0..3 {
            watch.failed(&status, Op::Seq, io_kind(&ro), &ro);
        }
        #[derive(Debug)]
        struct Only(std::sync::Arc<StorageStatus>);
        impl crate::metrics::Collector for Only {
            fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
                self.0.encode(&mut encoder)
            }
        }
        let mut text = crate::metrics::MetricsText::default();
        text.add(Only(std::sync::Arc::new(status)));
        let rendered = text.finish();
        assert!(
            rendered.contains(
                r#"fieldbridge_storage_errors_total{kind="read-only",operation="seq"} 3"#
            ),
            "{rendered}"
        );
        assert!(rendered.contains("fieldbridge_storage_ok 0"), "{rendered}");
    }
}

//! Counters of one Modbus source, shared with whoever exports metrics.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one source; share it as `Arc<SourceStats>` and read it with [`SourceStats::snapshot`].
#[derive(Debug, Default)]
pub struct SourceStats {
    requests: AtomicU64,
    responses: AtomicU64,
    timeouts: AtomicU64,
    exceptions: AtomicU64,
    reconnects: AtomicU64,
    decode_errors: AtomicU64,
    writes: AtomicU64,
    write_failures: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsSnapshot {
    /// Requests sent, retries included.
    pub requests: u64,
    /// Answers received, exceptions included.
    pub responses: u64,
    /// Requests that got no answer within the timeout.
    pub timeouts: u64,
    /// Answers that were Modbus exceptions.
    pub exceptions: u64,
    /// Connection attempts after the first one (after a loss, or to resynchronise TCP after a
    /// timeout).
    pub reconnects: u64,
    /// Point values that could not be decoded (NaN, bad UTF-8, short answers).
    pub decode_errors: u64,
    /// Commands written to the field (refused and expired ones are never sent and not counted).
    pub writes: u64,
    /// Commands written but not confirmed: an exception, a read back mismatch, no answer.
    pub write_failures: u64,
}

/// Which counter to bump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counter {
    Requests,
    Responses,
    Timeouts,
    Exceptions,
    Reconnects,
    DecodeErrors,
    Writes,
    WriteFailures,
}

impl SourceStats {
    /// Fresh counters at zero.
    pub fn new() -> Self {
        SourceStats::default()
    }

    /// The current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StatsSnapshot {
            requests: get(&self.requests),
            responses: get(&self.responses),
            timeouts: get(&self.timeouts),
            exceptions: get(&self.exceptions),
            reconnects: get(&self.reconnects),
            decode_errors: get(&self.decode_errors),
            writes: get(&self.writes),
            write_failures: get(&self.write_failures),
        }
    }

    pub(crate) fn bump(&self, counter: Counter) {
        let c = match counter {
            Counter::Requests => &self.requests,
            Counter::Responses => &self.responses,
            Counter::Timeouts => &self.timeouts,
            Counter::Exceptions => &self.exceptions,
            Counter::Reconnects => &self.reconnects,
            Counter::DecodeErrors => &self.decode_errors,
            Counter::Writes => &self.writes,
            Counter::WriteFailures => &self.write_failures,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

//! Counters of one source, whatever its protocol, shared with the metrics endpoint.

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
    dropped: AtomicU64,
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
    /// Negative answers (Modbus exceptions, negative confirmations, DLMS access errors).
    pub exceptions: u64,
    /// Connection attempts after the first one (after a loss, or to resynchronise TCP after a
    /// timeout).
    pub reconnects: u64,
    /// Answers that could not be decoded, and point values that could not be read (NaN, bad UTF-8).
    pub decode_errors: u64,
    /// Commands written to the field (refused and expired ones are never sent and not counted).
    pub writes: u64,
    /// Commands written but not confirmed: an exception, a read back mismatch, no answer.
    pub write_failures: u64,
    /// Values the field sent that the configuration says not to publish (IEC 104 objects that
    /// are not listed while `only_listed` is set).
    pub dropped: u64,
}

/// Which counter to bump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// A request sent to the field (a poll, an interrogation, a retry).
    Requests,
    /// An answer or spontaneous message received.
    Responses,
    /// A request that got no answer in time.
    Timeouts,
    /// A negative answer from the device (a Modbus exception, a negative confirmation, a DLMS
    /// data-access-result other than success).
    Exceptions,
    /// A connection attempt after the first one.
    Reconnects,
    /// Bytes from the field that could not be decoded, or a value that could not be read.
    DecodeErrors,
    /// A command sent to the field.
    Writes,
    /// A command sent but not confirmed.
    WriteFailures,
    /// A value from the field not published by configuration (`only_listed`).
    Dropped,
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
            dropped: get(&self.dropped),
        }
    }

    /// Adds one to `counter`.
    pub fn bump(&self, counter: Counter) {
        let c = match counter {
            Counter::Requests => &self.requests,
            Counter::Responses => &self.responses,
            Counter::Timeouts => &self.timeouts,
            Counter::Exceptions => &self.exceptions,
            Counter::Reconnects => &self.reconnects,
            Counter::DecodeErrors => &self.decode_errors,
            Counter::Writes => &self.writes,
            Counter::WriteFailures => &self.write_failures,
            Counter::Dropped => &self.dropped,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}

//! Counters of the command router, for the metrics endpoint.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use super::field::Outcome;
use crate::metrics::{self, DescriptorEncoder, LatencyHistogram};

/// Commands by outcome, repeats answered from memory, and the round trip inside the bridge.
#[derive(Debug, Default)]
pub struct CommandStats {
    outcomes: [AtomicU64; 5],
    /// Repeats of an id already executed or executing, answered with its result.
    pub repeats: AtomicU64,
    /// Arrival of the command to its result, seconds.
    pub latency: LatencyHistogram,
}

impl CommandStats {
    pub(crate) fn count(&self, outcome: Outcome) {
        let i = Outcome::ALL.iter().position(|o| *o == outcome).unwrap_or(0);
        if let Some(c) = self.outcomes.get(i) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Commands answered with `outcome` (repeats not included).
    pub fn outcomes(&self, outcome: Outcome) -> u64 {
        Outcome::ALL
            .iter()
            .position(|o| *o == outcome)
            .and_then(|i| self.outcomes.get(i))
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Writes the router's metrics, read now.
    pub fn encode(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        let mut family = metrics::counter_family(
            encoder,
            "fieldbridge_commands_total",
            "Commands answered, by outcome (repeats of an id not included).",
        )?;
        for outcome in Outcome::ALL {
            metrics::sample(
                &mut family,
                &[("outcome", outcome.as_str())],
                self.outcomes(outcome),
            )?;
        }
        metrics::counter(
            encoder,
            "fieldbridge_command_repeats_total",
            "Repeats of a command id answered with the result of its one execution.",
            self.repeats.load(Ordering::Relaxed),
        )?;
        metrics::histogram(
            encoder,
            "fieldbridge_command_latency_seconds",
            "Command arrival at the bridge to its result.",
            &self.latency,
        )
    }
}

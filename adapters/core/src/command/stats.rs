//! Counters of the command router, for the metrics endpoint.

use std::sync::atomic::{AtomicU64, Ordering};

use super::field::Outcome;
use crate::metrics::{Histogram, MetricsText};

/// Commands by outcome, repeats answered from memory, and the round trip inside the bridge.
#[derive(Debug, Default)]
pub struct CommandStats {
    outcomes: [AtomicU64; 5],
    /// Repeats of an id already executed or executing, answered with its result.
    pub repeats: AtomicU64,
    /// Arrival of the command to its result, seconds.
    pub latency: Histogram,
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

    /// The Prometheus text of the router.
    pub fn render(&self, out: &mut MetricsText) {
        out.header(
            "fieldbridge_commands_total",
            "Commands answered, by outcome (repeats of an id not included).",
            "counter",
        );
        for outcome in Outcome::ALL {
            out.labelled(
                "fieldbridge_commands_total",
                &[("outcome", outcome.as_str())],
                self.outcomes(outcome),
            );
        }
        out.value(
            "fieldbridge_command_repeats_total",
            "Repeats of a command id answered with the result of its one execution.",
            "counter",
            self.repeats.load(Ordering::Relaxed),
        );
        out.histogram(
            "fieldbridge_command_latency_seconds",
            "Command arrival at the bridge to its result.",
            &self.latency,
        );
    }
}

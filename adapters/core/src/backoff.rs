//! Exponential backoff with jitter, for every reconnection (design brief §4): a fleet of bridges
//! must not stampede a broker or an RTU that comes back.

use std::time::Duration;

use rand::Rng;

/// Exponential backoff with "equal jitter": each delay is drawn uniformly from the upper half of the
/// current exponential step, so retries spread out but never come sooner than half the step.
#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    step: Duration,
}

impl Backoff {
    /// A backoff starting at `min` and doubling up to `max`.
    pub fn new(min: Duration, max: Duration) -> Self {
        let min = min.max(Duration::from_millis(1));
        let max = max.max(min);
        Backoff {
            min,
            max,
            step: min,
        }
    }

    /// The delay to wait before the next attempt; each call doubles the step up to the maximum.
    pub fn next_delay(&mut self) -> Duration {
        let step = self.step;
        self.step = (self.step * 2).min(self.max);
        let half = step / 2;
        let jitter_ns = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(rand::rng().random_range(0..=jitter_ns))
    }

    /// The step the next delay will be drawn from (its upper bound).
    pub fn current_step(&self) -> Duration {
        self.step
    }

    /// Back to the minimum, after a success.
    pub fn reset(&mut self) {
        self.step = self.min;
    }
}

impl Default for Backoff {
    /// One second doubling to one minute.
    fn default() -> Self {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_jitter_and_stop_at_the_maximum() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(800));
        let mut steps = vec![];
        for _ in 0..6 {
            let step = b.current_step();
            let d = b.next_delay();
            assert!(
                d >= step / 2 && d <= step,
                "{d:?} outside [{:?}, {step:?}]",
                step / 2
            );
            steps.push(step.as_millis());
        }
        assert_eq!(steps, [100, 200, 400, 800, 800, 800]);
        b.reset();
        assert_eq!(b.current_step(), Duration::from_millis(100));
    }

    #[test]
    fn delays_are_spread_not_identical() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..20 {
            let mut b = Backoff::new(Duration::from_secs(10), Duration::from_secs(10));
            seen.insert(b.next_delay());
        }
        assert!(seen.len() > 1);
    }
}

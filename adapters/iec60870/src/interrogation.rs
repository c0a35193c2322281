//! Following each station interrogation (C_IC_NA_1) to its end (IEC 60870-5-5 clause 6.6:
//! ACT, ACTCON, the data, ACTTERM) and asking again when it fails.
//!
//! A station that answers with a negative ACTCON, or not at all within t1, or whose ACTTERM does
//! not follow its ACTCON within [`TERM_TIMEOUT`], is interrogated again: t1 later for the first
//! [`FAST_ATTEMPTS`] attempts, then every [`SLOW_RETRY`] until one completes.

use std::time::Duration;

use tokio::time::Instant;

/// Interrogations asked again t1 apart before slowing down.
pub const FAST_ATTEMPTS: u32 = 3;
/// The wait between two attempts after the fast ones.
pub const SLOW_RETRY: Duration = Duration::from_secs(60);
/// How long the data and ACTTERM may take after a positive ACTCON (while the source acknowledges
/// promptly; while it paces the outstation the wait is extended).
pub const TERM_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Nothing in progress.
    Idle,
    /// Sent; ACTCON due by the deadline.
    AwaitCon(Instant),
    /// Confirmed; ACTTERM due by the deadline.
    AwaitTerm(Instant),
    /// Failed; to be sent again at this instant.
    Retry(Instant),
}

/// The interrogation state of every station behind a link.
#[derive(Debug)]
pub struct Interrogations {
    t1: Duration,
    /// (common address, step, failed attempts in a row)
    stations: Vec<(u16, Step, u32)>,
}

fn later(now: Instant, by: Duration) -> Instant {
    now.checked_add(by).unwrap_or(now)
}

impl Interrogations {
    /// Every station of `stations` idle.
    pub fn new(stations: Vec<u16>, t1: Duration) -> Self {
        Interrogations {
            t1,
            stations: stations.into_iter().map(|ca| (ca, Step::Idle, 0)).collect(),
        }
    }

    /// The stations to interrogate now: all of them with `force` (after a connect or an end of
    /// initialization), else those with no interrogation in progress (the periodic one).
    pub fn start(&mut self, force: bool, now: Instant) -> Vec<u16> {
        let t1 = self.t1;
        self.stations
            .iter_mut()
            .filter(|(_, step, _)| force || matches!(step, Step::Idle | Step::Retry(_)))
            .map(|(ca, step, attempts)| {
                if force {
                    *attempts = 0;
                }
                *step = Step::AwaitCon(later(now, t1));
                *ca
            })
            .collect()
    }

    /// A C_IC_NA_1 from station `ca` in the monitoring direction: `cot` 7 (ACTCON) or 10
    /// (ACTTERM), `negative` its P/N bit.
    pub fn on_reply(&mut self, ca: u16, cot: u8, negative: bool, now: Instant) {
        let t1 = self.t1;
        let Some((_, step, attempts)) = self.stations.iter_mut().find(|(c, _, _)| *c == ca) else {
            return;
        };
        if negative {
            *attempts = attempts.saturating_add(1);
            *step = Step::Retry(later(now, retry_delay(t1, *attempts)));
            return;
        }
        match cot {
            7 => *step = Step::AwaitTerm(later(now, TERM_TIMEOUT)),
            10 => {
                *step = Step::Idle;
                *attempts = 0;
            }
            _ => {}
        }
    }

    /// The stations to interrogate again now; `paced` when the source is slowing the
    /// outstation down itself, which extends the wait for ACTTERM.
    pub fn due(&mut self, now: Instant, paced: bool) -> Vec<u16> {
        let t1 = self.t1;
        let mut out = Vec::new();
        for (ca, step, attempts) in &mut self.stations {
            match *step {
                Step::AwaitTerm(deadline) if deadline <= now && paced => {
                    *step = Step::AwaitTerm(later(now, t1));
                }
                Step::AwaitCon(deadline) | Step::AwaitTerm(deadline) if deadline <= now => {
                    *attempts = attempts.saturating_add(1);
                    if *attempts < FAST_ATTEMPTS {
                        *step = Step::AwaitCon(later(now, t1));
                        out.push(*ca);
                    } else {
                        *step = Step::Retry(later(now, retry_delay(t1, *attempts)));
                    }
                }
                Step::Retry(at) if at <= now => {
                    *step = Step::AwaitCon(later(now, t1));
                    out.push(*ca);
                }
                _ => {}
            }
        }
        out
    }

    /// When [`Interrogations::due`] should be called next.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.stations
            .iter()
            .filter_map(|(_, step, _)| match *step {
                Step::Idle => None,
                Step::AwaitCon(at) | Step::AwaitTerm(at) | Step::Retry(at) => Some(at),
            })
            .min()
    }
}

fn retry_delay(t1: Duration, attempts: u32) -> Duration {
    if attempts < FAST_ATTEMPTS {
        t1
    } else {
        SLOW_RETRY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_con_is_retried_after_t1_then_slowly() {
        let t1 = Duration::from_secs(15);
        let now = Instant::now();
        let mut gi = Interrogations::new(vec![1, 2], t1);
        assert_eq!(gi.start(true, now), [1, 2]);
        gi.on_reply(1, 7, true, now);
        gi.on_reply(2, 7, false, now);
        gi.on_reply(2, 10, false, now);
        assert_eq!(gi.next_deadline(), Some(now + t1));
        assert_eq!(gi.due(now + t1, false), [1]);
        // Periodic interrogation skips the station with one in progress.
        assert_eq!(gi.start(false, now + t1), [2]);
        gi.on_reply(2, 7, false, now + t1);
        gi.on_reply(2, 10, false, now + t1);
        gi.on_reply(1, 7, true, now + t1);
        gi.on_reply(1, 7, true, now + t1 * 3);
        // Three failures in a row: the next attempt a minute later.
        assert_eq!(gi.due(now + t1 * 3, false), Vec::<u16>::new());
        assert_eq!(gi.due(now + t1 * 3 + SLOW_RETRY, false), [1]);
    }

    #[test]
    fn silence_is_retried_and_a_missing_term_waits_while_paced() {
        let t1 = Duration::from_secs(1);
        let now = Instant::now();
        let mut gi = Interrogations::new(vec![1], t1);
        gi.start(true, now);
        assert!(gi.due(now, false).is_empty());
        assert_eq!(gi.due(now + t1, false), [1], "no ACTCON within t1");
        gi.on_reply(1, 7, false, now + t1);
        let late = now + t1 + TERM_TIMEOUT;
        assert!(gi.due(late, true).is_empty(), "paced: still waiting");
        assert_eq!(gi.due(late + t1, false), [1], "no ACTTERM");
    }
}

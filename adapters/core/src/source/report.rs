//! Report by exception: which readings are published.
//!
//! A reading is published when it is the point's first, when its quality differs from the last
//! published quality, when its value moved by more than the deadband from the last *published* value
//! (so a slow drift is reported once it adds up), when the heartbeat has elapsed since the last
//! publication, or on every poll when the point has no deadband. Everything here is pure: time is
//! passed in.

use std::time::Duration;

use crate::point::{Quality, QualityLevel, Value};
use tokio::time::Instant;

/// How a point reports.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Policy {
    /// Publish only when the value moved by more than this; `None`: every reading.
    pub deadband: Option<f64>,
    /// Republish an unchanged value after this much silence.
    pub heartbeat: Option<Duration>,
}

/// What was last published for a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The value.
    pub value: Value,
    /// Its quality.
    pub quality: Quality,
    /// When.
    pub at: Instant,
}

/// Whether a reading must be published, given what was last published.
pub fn must_publish(
    policy: &Policy,
    last: Option<&Published>,
    value: &Value,
    quality: Quality,
    now: Instant,
) -> bool {
    let Some(last) = last else { return true };
    if last.quality != quality {
        return true;
    }
    if policy
        .heartbeat
        .is_some_and(|h| now.saturating_duration_since(last.at) >= h)
    {
        return true;
    }
    let Some(deadband) = policy.deadband else {
        return true;
    };
    match (last.value.as_f64(), value.as_f64()) {
        (Some(old), Some(new)) if old.is_nan() || new.is_nan() => old.is_nan() != new.is_nan(),
        (Some(old), Some(new)) => (new - old).abs() > deadband,
        _ => last.value != *value,
    }
}

/// The reporting state of one point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointState {
    last_value: Option<Value>,
    published: Option<Published>,
}

impl PointState {
    /// The last value read from the device, if any.
    pub fn last_value(&self) -> Option<&Value> {
        self.last_value.as_ref()
    }

    /// What was last published, if anything.
    pub fn published(&self) -> Option<&Published> {
        self.published.as_ref()
    }

    /// Records an outcome and returns the value to publish, if it must be.
    ///
    /// `fresh` is the value read now, or `None` when the read failed (an exception): then the last
    /// value read is shown with the given (bad) quality, or `null` when nothing was ever read.
    pub fn update(
        &mut self,
        policy: &Policy,
        fresh: Option<Value>,
        quality: Quality,
        now: Instant,
    ) -> Option<Value> {
        // A bad fresh value (a NaN, undecodable text) is published as it is but never becomes the
        // "last known value" that a later comm_failure republishes.
        let value = match fresh {
            Some(v) => {
                if quality.level != QualityLevel::Bad {
                    self.last_value = Some(v.clone());
                }
                v
            }
            None => self.last_value.clone().unwrap_or(Value::Float(f64::NAN)),
        };
        if !must_publish(policy, self.published.as_ref(), &value, quality, now) {
            return None;
        }
        Some(self.publish(value, quality, now))
    }

    /// The device became unreachable: returns the last value to publish with `comm_failure`, once,
    /// and only when a value is known.
    pub fn lost(&mut self, now: Instant) -> Option<Value> {
        let value = self.last_value.clone()?;
        let quality = Quality::comm_failure();
        if self
            .published
            .as_ref()
            .is_some_and(|p| p.quality == quality)
        {
            return None;
        }
        Some(self.publish(value, quality, now))
    }

    /// Remembers what is published now, for the next deadband, quality and heartbeat decision.
    fn publish(&mut self, value: Value, quality: Quality, now: Instant) -> Value {
        self.published = Some(Published {
            value: value.clone(),
            quality,
            at: now,
        });
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::QualityFlag;

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    fn device_error() -> Quality {
        Quality::new(QualityLevel::Bad, [QualityFlag::DeviceError])
    }

    #[test]
    fn publication_follows_deadband_quality_and_heartbeat() {
        let t0 = Instant::now();
        let db = |d| Policy {
            deadband: Some(d),
            heartbeat: Some(Duration::from_secs(10)),
        };
        let last = |v: Value, q| Published {
            value: v,
            quality: q,
            at: t0,
        };
        type Case = (
            &'static str,
            Policy,
            Option<Published>,
            Value,
            Quality,
            u64,
            bool,
        );
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("the first reading is published", db(1.0), None, Value::Int(1), Quality::GOOD, 0, true),
            ("a change within the deadband is not", db(1.0), Some(last(Value::Float(10.0), Quality::GOOD)), Value::Float(10.9), Quality::GOOD, 1, false),
            ("a change of exactly the deadband is not", db(1.0), Some(last(Value::Int(10), Quality::GOOD)), Value::Int(11), Quality::GOOD, 1, false),
            ("a change beyond the deadband is", db(1.0), Some(last(Value::Float(10.0), Quality::GOOD)), Value::Float(8.9), Quality::GOOD, 1, true),
            ("a zero deadband publishes any change", db(0.0), Some(last(Value::Int(3), Quality::GOOD)), Value::Int(4), Quality::GOOD, 1, true),
            ("a zero deadband skips an unchanged value", db(0.0), Some(last(Value::Int(3), Quality::GOOD)), Value::Int(3), Quality::GOOD, 1, false),
            ("no deadband publishes every poll", Policy::default(), Some(last(Value::Int(3), Quality::GOOD)), Value::Int(3), Quality::GOOD, 1, true),
            ("a quality change is published whatever the deadband", db(100.0), Some(last(Value::Int(3), Quality::comm_failure())), Value::Int(3), Quality::GOOD, 1, true),
            ("the heartbeat republishes an unchanged value", db(1.0), Some(last(Value::Int(3), Quality::GOOD)), Value::Int(3), Quality::GOOD, 10_000, true),
            ("before the heartbeat it stays quiet", db(1.0), Some(last(Value::Int(3), Quality::GOOD)), Value::Int(3), Quality::GOOD, 9_999, false),
            ("unsigned and signed compare numerically", db(1.0), Some(last(Value::UInt(u64::MAX), Quality::GOOD)), Value::UInt(u64::MAX), Quality::GOOD, 1, false),
            ("a string change is published under a deadband", db(1.0), Some(last(Value::String("a".into()), Quality::GOOD)), Value::String("b".into()), Quality::GOOD, 1, true),
            ("a NaN after a number is published", db(1.0), Some(last(Value::Float(1.0), Quality::GOOD)), Value::Float(f64::NAN), Quality::GOOD, 1, true),
            ("a NaN after a NaN is not", db(1.0), Some(last(Value::Float(f64::NAN), Quality::GOOD)), Value::Float(f64::NAN), Quality::GOOD, 1, false),
        ];
        for (name, policy, last, value, quality, ms, expected) in cases {
            assert_eq!(
                must_publish(&policy, last.as_ref(), &value, quality, at(t0, ms)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn the_deadband_is_measured_from_the_last_published_value_so_drift_adds_up() {
        let t0 = Instant::now();
        let policy = Policy {
            deadband: Some(1.0),
            heartbeat: None,
        };
        let mut s = PointState::default();
        let published: Vec<bool> = [10.0, 10.4, 10.8, 11.2, 11.5]
            .iter()
            .enumerate()
            .map(|(i, v)| {
                s.update(
                    &policy,
                    Some(Value::Float(*v)),
                    Quality::GOOD,
                    at(t0, i as u64),
                )
                .is_some()
            })
            .collect();
        assert_eq!(published, [true, false, false, true, false]);
        assert_eq!(s.last_value(), Some(&Value::Float(11.5)));
    }

    #[test]
    fn a_failed_read_shows_the_last_value_with_the_bad_quality_once() {
        let t0 = Instant::now();
        let policy = Policy {
            deadband: Some(1.0),
            heartbeat: None,
        };
        let mut s = PointState::default();
        assert_eq!(
            s.update(&policy, Some(Value::Int(5)), Quality::GOOD, t0),
            Some(Value::Int(5))
        );
        assert_eq!(
            s.update(&policy, None, device_error(), at(t0, 1)),
            Some(Value::Int(5))
        );
        assert_eq!(s.update(&policy, None, device_error(), at(t0, 2)), None);
        assert_eq!(
            s.update(&policy, Some(Value::Int(5)), Quality::GOOD, at(t0, 3)),
            Some(Value::Int(5))
        );
    }

    #[test]
    fn a_failed_read_of_a_point_never_read_shows_null() {
        let mut s = PointState::default();
        let v = s.update(&Policy::default(), None, device_error(), Instant::now());
        assert!(matches!(v, Some(Value::Float(f)) if f.is_nan()));
        assert_eq!(s.last_value(), None);
    }

    #[test]
    fn comm_loss_reports_known_values_once_and_recovery_ignores_the_deadband() {
        let t0 = Instant::now();
        let policy = Policy {
            deadband: Some(100.0),
            heartbeat: None,
        };
        let mut never_read = PointState::default();
        assert_eq!(never_read.lost(t0), None);

        let mut s = PointState::default();
        s.update(&policy, Some(Value::Int(7)), Quality::GOOD, t0);
        s.update(&policy, Some(Value::Int(8)), Quality::GOOD, at(t0, 1));
        assert_eq!(
            s.lost(at(t0, 2)),
            Some(Value::Int(8)),
            "the last value read, not the last published"
        );
        assert_eq!(
            s.published().map(|p| p.quality),
            Some(Quality::comm_failure())
        );
        assert_eq!(s.lost(at(t0, 3)), None, "once per outage");
        assert_eq!(
            s.update(&policy, Some(Value::Int(8)), Quality::GOOD, at(t0, 4)),
            Some(Value::Int(8))
        );
    }

    #[test]
    fn an_undecodable_value_is_published_but_never_becomes_the_last_known_value() {
        let t0 = Instant::now();
        let policy = Policy {
            deadband: None,
            heartbeat: None,
        };
        let mut s = PointState::default();
        assert_eq!(
            s.update(&policy, Some(Value::Int(5)), Quality::GOOD, t0),
            Some(Value::Int(5))
        );
        let nan = Quality::new(QualityLevel::Bad, [QualityFlag::DecodeError]);
        let shown = s.update(&policy, Some(Value::Float(f64::NAN)), nan, at(t0, 1));
        assert!(
            matches!(shown, Some(Value::Float(f)) if f.is_nan()),
            "{shown:?}"
        );
        assert_eq!(s.last_value(), Some(&Value::Int(5)));
        assert_eq!(
            s.lost(at(t0, 2)),
            Some(Value::Int(5)),
            "comm_failure shows the last good value"
        );
    }
}

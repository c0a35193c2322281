//! The criterion settings of every bench of this crate: modest times, so a bench of a dozen
//! functions takes about a minute.

use criterion::Criterion;
use std::time::Duration;

/// One second of warm-up, three of measurement, 50 samples per function.
pub fn criterion() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

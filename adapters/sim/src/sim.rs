//! [`ModbusSim`]: the shared simulator state (one model per unit) and its ticker.

use std::{
    collections::BTreeMap,
    fmt,
    str::FromStr,
    sync::{Arc, Mutex, MutexGuard, PoisonError, Weak},
    time::Duration,
};

use tokio::{task::JoinHandle, time::MissedTickBehavior};

use crate::{model::Model, SimError};

/// Which unit ids (slave ids) the simulator answers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UnitIds {
    /// One shared model answers every unit id; holding register [`crate::map::HR_UNIT_ID`] reads
    /// as the unit id of the request. Over RTU, unit 0 is still a broadcast (writes are applied,
    /// nothing is answered).
    #[default]
    Any,
    /// One independent model per listed unit id. Over TCP another unit id gets exception 0x0B
    /// (GATEWAY TARGET DEVICE FAILED TO RESPOND); over RTU it gets silence, as on a real bus.
    Only(Vec<u8>),
}

impl fmt::Display for UnitIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any"),
            Self::Only(ids) => {
                let ids: Vec<String> = ids.iter().map(u8::to_string).collect();
                f.write_str(&ids.join(","))
            }
        }
    }
}

impl FromStr for UnitIds {
    type Err = SimError;

    /// `"any"` (or `"*"`), or a comma-separated list such as `"1,2"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("any") || s == "*" {
            return Ok(Self::Any);
        }
        s.split(',')
            .map(|p| p.trim().parse::<u8>())
            .collect::<Result<Vec<_>, _>>()
            .map(Self::Only)
            .map_err(|_| SimError::InvalidUnitIds(s.to_owned()))
    }
}

/// Simulator settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Period of one animation tick (default 1 s). Ramps and counters move one step per tick; the
    /// sines use `t = ticks * tick`, so their period is in seconds whatever the tick.
    pub tick: Duration,
    /// Whether the background ticker runs once a server starts (default `true`). With `false` the
    /// values only move when [`ModbusSim::tick`] is called.
    pub animate: bool,
    /// The unit ids served (default [`UnitIds::Any`]).
    pub units: UnitIds,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(1),
            animate: true,
            units: UnitIds::Any,
        }
    }
}

#[derive(Debug)]
enum Models {
    Any(Mutex<Model>),
    Only(BTreeMap<u8, Mutex<Model>>),
}

#[derive(Debug)]
struct Inner {
    config: SimConfig,
    models: Models,
    /// Ticks so far; held while a tick is applied so that ticks never interleave.
    ticks: Mutex<u64>,
    ticker: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(handle) = lock(&self.ticker).take() {
            handle.abort();
        }
    }
}

/// A poisoned lock only means another thread panicked mid-update; the tables stay usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The simulator: one [`Model`] per served unit, shared by every server started with it.
///
/// Cloning is cheap and yields a handle to the same state. The background ticker starts with the
/// first server (or [`ModbusSim::start_animation`]) and stops when the last handle is dropped.
#[derive(Debug, Clone)]
pub struct ModbusSim {
    inner: Arc<Inner>,
}

impl Default for ModbusSim {
    fn default() -> Self {
        Self::new(SimConfig::default()).expect("the default configuration is valid")
    }
}

impl ModbusSim {
    /// Creates the models (the map of [`crate::map`] at tick 0). Does not start the ticker.
    pub fn new(config: SimConfig) -> Result<Self, SimError> {
        if config.tick.is_zero() {
            return Err(SimError::ZeroTick);
        }
        let models = match &config.units {
            UnitIds::Any => Models::Any(Mutex::new(Model::simulated(0))),
            UnitIds::Only(ids) if ids.is_empty() => return Err(SimError::NoUnits),
            UnitIds::Only(ids) => Models::Only(
                ids.iter()
                    .map(|&id| (id, Mutex::new(Model::simulated(id))))
                    .collect(),
            ),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                models,
                ticks: Mutex::new(0),
                ticker: Mutex::new(None),
            }),
        })
    }

    /// The configuration the simulator was created with.
    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// Whether requests for `unit` are answered by a model.
    pub fn serves(&self, unit: u8) -> bool {
        match &self.inner.models {
            Models::Any(_) => true,
            Models::Only(map) => map.contains_key(&unit),
        }
    }

    /// Runs `f` on the model of `unit` under its lock; `None` if that unit is not served. With
    /// [`UnitIds::Any`] every unit id reaches the one shared model.
    ///
    /// Keep `f` short: the servers and the ticker wait for the same lock.
    pub fn with_unit<R>(&self, unit: u8, f: impl FnOnce(&mut Model) -> R) -> Option<R> {
        let model = match &self.inner.models {
            Models::Any(m) => m,
            Models::Only(map) => map.get(&unit)?,
        };
        Some(f(&mut lock(model)))
    }

    /// A copy of the model of `unit`; `None` if that unit is not served.
    pub fn snapshot(&self, unit: u8) -> Option<Model> {
        self.with_unit(unit, |m| m.clone())
    }

    /// Runs `f` on every model in turn (RTU broadcasts use this).
    pub fn for_each_model(&self, mut f: impl FnMut(&mut Model)) {
        match &self.inner.models {
            Models::Any(m) => f(&mut lock(m)),
            Models::Only(map) => map.values().for_each(|m| f(&mut lock(m))),
        }
    }

    /// Number of ticks applied so far.
    pub fn ticks(&self) -> u64 {
        *lock(&self.inner.ticks)
    }

    /// Advances the animation by one tick now (the background ticker calls this every
    /// [`SimConfig::tick`]). Returns the new tick count.
    pub fn tick(&self) -> u64 {
        let mut ticks = lock(&self.inner.ticks);
        *ticks += 1;
        let (n, period) = (*ticks, self.inner.config.tick);
        self.for_each_model(|m| m.animate(n, period));
        tracing::trace!(ticks = n, "modbus simulator tick");
        n
    }

    /// Starts the background ticker if [`SimConfig::animate`] is set and it is not running yet.
    /// Needs a tokio runtime. The servers call this themselves.
    pub fn start_animation(&self) {
        if !self.inner.config.animate {
            return;
        }
        let mut ticker = lock(&self.inner.ticker);
        if ticker.is_some() {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let period = self.inner.config.tick;
        *ticker = Some(tokio::spawn(async move {
            let mut interval =
                tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                ModbusSim { inner }.tick();
            }
        }));
        tracing::debug!(tick = ?period, "modbus simulator animation started");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{map, Table, WordOrder};

    #[test]
    fn config_and_units() {
        assert_eq!("any".parse::<UnitIds>().unwrap(), UnitIds::Any);
        assert_eq!(
            " 1, 2 ".parse::<UnitIds>().unwrap(),
            UnitIds::Only(vec![1, 2])
        );
        assert!("1,x".parse::<UnitIds>().is_err());
        assert_eq!(UnitIds::Only(vec![1, 2]).to_string(), "1,2");
        let bad = SimConfig {
            units: UnitIds::Only(vec![]),
            ..SimConfig::default()
        };
        assert_eq!(ModbusSim::new(bad).unwrap_err(), SimError::NoUnits);
        let bad = SimConfig {
            tick: Duration::ZERO,
            ..SimConfig::default()
        };
        assert_eq!(ModbusSim::new(bad).unwrap_err(), SimError::ZeroTick);
    }

    #[test]
    fn units_are_independent() {
        let sim = ModbusSim::new(SimConfig {
            units: UnitIds::Only(vec![1, 2]),
            ..SimConfig::default()
        })
        .unwrap();
        assert!(sim.serves(2) && !sim.serves(3));
        assert!(sim.with_unit(3, |_| ()).is_none());
        sim.with_unit(1, |m| m.holding_registers_mut()[200] = 42);
        assert_eq!(sim.snapshot(2).unwrap().holding_registers()[200], 0);
        let unit = |u| {
            sim.snapshot(u)
                .unwrap()
                .get::<u16>(Table::HoldingRegisters, map::HR_UNIT_ID, WordOrder::Abcd)
                .unwrap()
        };
        assert_eq!((unit(1), unit(2)), (1, 2));
        assert_eq!(sim.tick(), 1);
        assert!(sim.snapshot(2).unwrap().coils()[0]);
    }

    #[tokio::test(start_paused = true)]
    async fn ticker_runs_and_stops() {
        let sim = ModbusSim::default();
        sim.start_animation();
        sim.start_animation();
        tokio::time::sleep(Duration::from_millis(3500)).await;
        assert_eq!(sim.ticks(), 3);
        let handle = lock(&sim.inner.ticker).take().unwrap();
        *lock(&sim.inner.ticker) = Some(tokio::spawn(async {}));
        drop(sim);
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(handle.is_finished());
    }
}

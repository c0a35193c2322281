//! Reloading the configuration file into a running bridge (SIGHUP; `docs/reload.md`).
//!
//! The file is read and checked as `fieldbridge check` and `run` do: a file with any mistake is
//! refused whole, each mistake logged with its line and key, and nothing running changes. A good
//! file is applied:
//! - sources, by name: an unchanged one keeps running and its connection is not touched; a changed
//!   one (any difference in its settings or points) is stopped and started again; a removed one is
//!   stopped and its device reported offline; a new one is started;
//! - the command router takes the new device table before a new source starts: writable points
//!   and point policies as the file says, a removed device unknown, a restarted source reached
//!   through a fresh queue; and the new `[commands] timeout`;
//! - `[log] level` (through the caller, which owns the logger: [`Reloaded::log_level`]) and
//!   `[metrics] listen` (the endpoint moves once its new address is bound);
//! - the new version goes on the bridge's state topic at once.
//!
//! The outbox, the publisher and the sequence numbers are never touched: the point stream stays
//! open and every new source sends into it, so nothing is lost and no number is skipped or given
//! twice. What else changed (`[bridge]`, `[mqtt]`, `[outbox]`, `[log] format`, `[commands]
//! enabled` and `remember`) takes effect at the next restart, with one warning per section.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use fieldbridge_core::config::{self, Config, ConfigErrors};
use fieldbridge_core::event::{DeviceState, SourceEvent};
use fieldbridge_core::source::Registry;
use tokio::sync::mpsc::error::TrySendError;

use super::sources::{self, Running, Why};
use super::{observed_sources, Bridge};

/// What an applied reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// The new configuration's version (`Config::version`), now on the bridge's state topic.
    pub version: String,
    /// Sources that kept running untouched.
    pub unchanged: Vec<Arc<str>>,
    /// Sources stopped and started again with their new configuration.
    pub changed: Vec<Arc<str>>,
    /// Sources started.
    pub added: Vec<Arc<str>>,
    /// Sources stopped, their devices reported offline.
    pub removed: Vec<Arc<str>>,
    /// The sections that changed in the file but take effect at the next restart, each warned
    /// about once (`[mqtt]`, `[log] format`, ...).
    pub not_applied: Vec<&'static str>,
    /// The new `[log] level`, when it changed: the caller owns the logger and applies it.
    pub log_level: Option<String>,
}

impl Bridge {
    /// Reads the configuration file at `path` again and applies it, or refuses it with every
    /// mistake (each logged with its line and key, as `fieldbridge check` prints them) and leaves
    /// the running configuration untouched. Counted either way on the metrics endpoint
    /// (`fieldbridge_config_reloads_total{result="applied"|"refused"}`).
    pub async fn reload(
        &mut self,
        path: &Path,
        registry: &Registry,
    ) -> Result<Reloaded, ConfigErrors> {
        let checked = config::load(path).and_then(|c| {
            let errors = registry.refusals(&c);
            if errors.is_empty() {
                Ok(c)
            } else {
                Err(ConfigErrors {
                    file: Some(path.display().to_string()),
                    errors,
                })
            }
        });
        match checked {
            Ok(config) => Ok(self.apply(config, registry).await),
            Err(errors) => {
                self.observed
                    .reloads
                    .refused
                    .fetch_add(1, Ordering::Relaxed);
                let file = errors.file.as_deref().unwrap_or_default();
                for e in &errors.errors {
                    tracing::error!(file, line = e.line, key = %e.key, "{file}:{e}");
                }
                tracing::error!(
                    file,
                    mistakes = errors.errors.len(),
                    config = %*self.config_version.borrow(),
                    "configuration reload refused: the running configuration stays"
                );
                Err(errors)
            }
        }
    }

    /// Applies a configuration that passed the checks.
    pub(super) async fn apply(&mut self, mut config: Config, registry: &Registry) -> Reloaded {
        let began = Instant::now();
        for warning in &config.warnings {
            tracing::warn!(line = warning.line, key = %warning.key, "{}", warning.message);
        }
        let new_sources = std::mem::take(&mut config.sources);
        let diff = sources::diff(
            self.sources.iter().map(|r| (&r.config, &r.secrets)),
            &new_sources,
        );

        // Stop what was removed or changed, and wait until it ended (its socket, port or listening
        // address is free for its successor).
        let mut kept: HashMap<Arc<str>, Running> = HashMap::new();
        let mut stopping = Vec::new();
        for running in std::mem::take(&mut self.sources) {
            if diff.keeps(&running.config.name) {
                kept.insert(running.config.name.clone(), running);
            } else {
                stopping.push(running);
            }
        }
        // Counters continue across a restart under the same name and protocol family.
        let old_stats: HashMap<Arc<str>, _> = stopping
            .iter()
            .map(|r| (r.config.name.clone(), (r.family, r.stats.clone())))
            .collect();
        sources::stop_all(stopping).await;
        for name in &diff.removed {
            self.offline(name);
        }

        // The router learns the new table before a new source starts.
        let mut queues = HashMap::new();
        if let Some(commands) = &mut self.commands {
            let mut devices = HashMap::new();
            for source in &new_sources {
                let entry = match commands.devices.remove(&source.name) {
                    Some(device) if diff.keeps(&source.name) => device,
                    _ => {
                        let (device, queue) = crate::cmd::commands::device(source, registry);
                        queues.extend(queue.map(|q| (source.name.clone(), q)));
                        device
                    }
                };
                devices.insert(source.name.clone(), entry);
            }
            commands.devices = devices;
            self.running.commands.timeout = config.commands.timeout;
            if !commands
                .updates
                .replace(commands.devices.clone(), config.commands.timeout)
                .await
            {
                tracing::warn!(
                    "the command router has stopped; the reloaded devices take no commands"
                );
            }
        }

        // Start what is new or changed; the rest keeps running, all in the new file's order.
        let mut running = Vec::with_capacity(new_sources.len());
        for source in new_sources {
            if let Some(r) = kept.remove(&source.name) {
                running.push(r);
                continue;
            }
            let why = if diff.added.contains(&source.name) {
                Why::Added
            } else {
                Why::Changed
            };
            let family = registry.driver(source.kind.protocol()).map(|d| d.family());
            let stats = old_stats
                .get(&source.name)
                .filter(|(f, _)| Some(*f) == family)
                .map(|(_, s)| s.clone());
            let queue = queues.remove(&source.name);
            running.extend(sources::spawn(
                source,
                registry,
                &self.events,
                queue,
                stats,
                &self.running.bridge.data_dir,
                why,
            ));
        }
        self.sources = running;
        self.observed
            .sources
            .replace(observed_sources(&self.sources));

        self.move_endpoint(config.metrics_listen).await;
        let (not_applied, log_level) = self.compare_sections(&config);
        for section in &not_applied {
            tracing::warn!(
                section,
                "{section} changed in the configuration file: takes effect at the next restart"
            );
        }

        self.running.version = config.version.clone();
        self.running.warnings = config.warnings;
        self.config_version.send_replace(config.version.clone());
        self.observed
            .reloads
            .applied
            .fetch_add(1, Ordering::Relaxed);
        let reloaded = Reloaded {
            version: config.version,
            unchanged: diff.unchanged,
            changed: diff.changed,
            added: diff.added,
            removed: diff.removed,
            not_applied,
            log_level,
        };
        tracing::info!(
            config = %reloaded.version,
            unchanged = reloaded.unchanged.len(),
            changed = ?reloaded.changed,
            added = ?reloaded.added,
            removed = ?reloaded.removed,
            took_ms = began.elapsed().as_secs_f64() * 1e3,
            "configuration reloaded"
        );
        reloaded
    }

    /// Tells the publisher that a removed source's device is offline (retained on its `$state`).
    fn offline(&self, name: &Arc<str>) {
        let state = SourceEvent::DeviceState(DeviceState {
            device: name.clone(),
            online: false,
            reason: Some("removed from the configuration".to_owned()),
            since: fieldbridge_core::time::Timestamp::now(),
        });
        tracing::info!(device = %name, "source removed from the configuration; its device is offline");
        // Not waited for under backpressure: the reload goes on, and the state follows.
        match self.events.try_send(state) {
            Ok(()) | Err(TrySendError::Closed(_)) => {}
            Err(TrySendError::Full(state)) => {
                let events = self.events.clone();
                tokio::spawn(async move {
                    let _ = events.send(state).await;
                });
            }
        }
    }

    /// Moves the metrics endpoint to `listen` when it changed: the new address is bound first, so
    /// that a failure leaves the endpoint where it was (logged; the next reload tries again).
    async fn move_endpoint(&mut self, listen: Option<std::net::SocketAddr>) {
        if listen == self.running.metrics_listen {
            return;
        }
        let moved = match listen {
            Some(addr) => match crate::http::bind(addr).await {
                Ok(listener) => Some(crate::http::serve_on(listener, self.observed.clone())),
                Err(error) => {
                    tracing::error!(%error, "[metrics] listen not applied: the endpoint stays where it was");
                    return;
                }
            },
            None => None,
        };
        if let Some(old) = std::mem::replace(&mut self.http, moved) {
            old.abort();
        }
        tracing::info!(listen = ?listen, "[metrics] listen applied");
        self.running.metrics_listen = listen;
    }

    /// The sections of `new` that differ from the running ones and are not applied live, and the
    /// new log level when it changed (recorded as running: the caller applies it).
    fn compare_sections(&mut self, new: &Config) -> (Vec<&'static str>, Option<String>) {
        let old = &self.running;
        let mut not_applied = Vec::new();
        if old.bridge != new.bridge {
            not_applied.push("[bridge]");
        }
        if old.mqtt != new.mqtt {
            not_applied.push("[mqtt]");
        }
        if old.outbox != new.outbox {
            not_applied.push("[outbox]");
        }
        if old.log.json != new.log.json {
            not_applied.push("[log] format");
        }
        if old.commands.enabled != new.commands.enabled {
            not_applied.push("[commands] enabled");
        }
        if old.commands.remember != new.commands.remember {
            not_applied.push("[commands] remember");
        }
        let log_level = (old.log.level != new.log.level).then(|| new.log.level.clone());
        if let Some(level) = &log_level {
            self.running.log.level = level.clone();
        }
        (not_applied, log_level)
    }
}

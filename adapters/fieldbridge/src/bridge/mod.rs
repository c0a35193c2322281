//! A running bridge: the embedded broker when configured, the publisher, the command router, the
//! metrics endpoint and one task per source, each started through the [`Registry`].
//!
//! [`Bridge::reload`] applies a changed configuration file to the running bridge (SIGHUP;
//! `docs/reload.md`): see `reload.rs`.

mod reload;
mod sources;
#[cfg(test)]
mod tests;

use std::time::Duration;

use fieldbridge_core::config::{
    BrokerNode, BrokerUrl, Config, ConfigErrors, OutboxSync, OutputFormat, SourceConfig, WhenFull,
};
use fieldbridge_core::event::{self, EventSender};
use fieldbridge_core::publisher::{Publisher, PublisherSettings, SparkplugSettings};
use fieldbridge_core::seq::SeqStore;
use fieldbridge_core::source::Registry;
use fieldbridge_core::topic::Topics;
use fieldbridge_outbox::{Outbox, SyncPolicy};

use crate::broker;
use crate::cmd::commands::Commands;
use crate::error::Error;
use crate::http::{Observed, Reloads, SourceList};

pub use reload::Reloaded;
use sources::{Running, Why};

/// How long a cluster keeps the session of a bridge that went away (MQTT 5 session expiry).
const CLUSTER_SESSION_EXPIRY: Duration = Duration::from_secs(300);

/// Opens `data_dir/outbox`, recovering what a previous run left, and says what it found.
fn open_outbox(config: &Config) -> Result<Outbox, Error> {
    let dir = config.bridge.data_dir.join("outbox");
    let c = &config.outbox;
    // Whole segments are freed at a time and the one being written is never dropped: a quarter of
    // the bound (at most 8 MiB) keeps drop-oldest fine-grained even at the smallest bound (the
    // outbox makes them smaller still on a filesystem smaller than that).
    let segment_bytes = (c.max_bytes / 4).clamp(128 << 10, 8 << 20);
    let outbox_config = fieldbridge_outbox::Config {
        segment_bytes,
        max_bytes: c.max_bytes.max(segment_bytes),
        sync: match c.sync {
            OutboxSync::Always => SyncPolicy::Always,
            OutboxSync::Interval(d) => SyncPolicy::Interval(d),
            OutboxSync::Never => SyncPolicy::Never,
        },
        when_full: match c.when_full {
            WhenFull::DropOldest => fieldbridge_outbox::WhenFull::DropOldest,
            WhenFull::Backpressure => fieldbridge_outbox::WhenFull::Backpressure,
        },
        // A sample's record (topic and JSON) is well under 1 KiB; a string point is at most 250 bytes.
        max_payload: 64 << 10,
        ..fieldbridge_outbox::Config::default()
    };
    let (outbox, recovery) = Outbox::open(&dir, outbox_config)?;
    if let Ok(space) = outbox.fs_space() {
        if let Some(warning) = crate::cmd::check::bound_exceeds_disk(c.max_bytes, &space) {
            tracing::warn!(
                data_dir = %config.bridge.data_dir.display(),
                max_bytes = c.max_bytes,
                filesystem_bytes = space.total,
                available_bytes = space.available,
                "{warning}"
            );
        }
    }
    tracing::info!(
        dir = %dir.display(),
        pending = recovery.pending,
        last_seq = recovery.last_seq,
        bytes_truncated = recovery.bytes_truncated,
        corrupt_regions = recovery.corrupt_regions,
        "outbox opened"
    );
    for damage in &recovery.damage {
        tracing::warn!(
            file = %damage.path.display(),
            offset = damage.offset,
            bytes = damage.bytes,
            truncated = damage.truncated,
            reason = %damage.reason,
            "outbox damage skipped (a torn write after a power cut or a disk fault); never replayed"
        );
    }
    Ok(outbox)
}

/// How many points a source configures.
pub(crate) fn point_count(source: &SourceConfig) -> usize {
    source.kind.points().len()
}

/// A running bridge: its sources and its publisher.
#[derive(Debug)]
pub struct Bridge {
    /// The running sources, in the order of the configuration they were started from.
    sources: Vec<Running>,
    /// The point stream's sender: a clone for every source started by a reload.
    events: EventSender,
    publisher: Publisher,
    /// The metrics endpoint, when `[metrics] listen` is set.
    http: Option<tokio::task::JoinHandle<()>>,
    /// The command router, its device table and what stops it (none when commands are disabled).
    commands: Option<Commands>,
    /// What the metrics endpoint reads; shared with it, so that a reload updates the source list.
    observed: Observed,
    /// The configuration in force, except its sources (in `sources`): the sections a reload
    /// compares with the file's. Those a reload does not apply stay as the bridge started.
    running: Config,
    /// The running configuration's version, as the bridge's state topic shows it.
    config_version: tokio::sync::watch::Sender<String>,
}

impl Bridge {
    /// Starts the embedded broker when configured, the publisher and one task per source, each
    /// through its protocol's driver in `registry`.
    pub async fn start(mut config: Config, registry: &Registry) -> Result<Self, Error> {
        // Refuse what this binary cannot run before anything starts, so the mistake is seen at once
        // (`check` reports the same list).
        for warning in &config.warnings {
            tracing::warn!(line = warning.line, key = %warning.key, "{}", warning.message);
        }
        let refusals = registry.refusals(&config);
        if !refusals.is_empty() {
            return Err(Error::Config(ConfigErrors {
                file: None,
                errors: refusals,
            }));
        }
        let brokers = match &config.mqtt.url {
            BrokerUrl::Embedded { listen } => {
                let addr = broker::start(*listen)?;
                vec![BrokerNode {
                    host: addr.ip().to_string(),
                    port: addr.port(),
                }]
            }
            BrokerUrl::Remote { nodes, .. } => nodes.clone(),
        };
        let first = brokers.first().map(ToString::to_string).unwrap_or_default();
        // The secured link's files and the credentials are checked before anything starts, each
        // problem naming its file. A key missing from the configuration stops the start (as any
        // configuration mistake does); a file that cannot be loaded does not: the sources run and
        // the outbox keeps their samples while the link retries with backoff, reloading the files
        // at every attempt (counted as `tls-config`), so a certificate provisioned or fixed later
        // is picked up without a restart and a service manager never sees a crash loop.
        // Certificate dates only warn (the clock may not be set yet; the broker has the last word).
        let link_error = |e: fieldbridge_core::tls::TlsError| Error::Io {
            what: format!("[mqtt] {first}"),
            source: std::io::Error::other(e),
        };
        let tls_files = fieldbridge_core::tls::files_of(&config.mqtt);
        if let Some(files) = &tls_files {
            match fieldbridge_core::tls::client_config(files) {
                Ok(_) => {}
                Err(e) if e.path().is_some() => {
                    tracing::error!(file = ?e.path(), error = %e, "cannot load the broker link's TLS files; the bridge runs and keeps retrying");
                }
                Err(e) => return Err(link_error(e)),
            }
            for problem in
                fieldbridge_core::tls::validity_problems(files, std::time::SystemTime::now())
            {
                tracing::warn!(file = ?problem.path(), "{problem}");
            }
        }
        let credentials = fieldbridge_core::tls::credentials(&config.mqtt).map_err(link_error)?;
        let metrics_listen = config.metrics_listen;
        let seq = SeqStore::open(&config.bridge.data_dir)?;
        let outbox = open_outbox(&config)?;
        // A cluster keeps the bridge's session, so that a failover resumes its command
        // subscription; five minutes bound what a broker keeps for a bridge that is gone.
        let session_expiry = (brokers.len() > 1).then_some(CLUSTER_SESSION_EXPIRY);
        let (version_tx, config_version) = tokio::sync::watch::channel(config.version.clone());
        let settings = PublisherSettings {
            brokers,
            session_expiry,
            config_version,
            sparkplug: match &config.mqtt.format {
                OutputFormat::Json => None,
                OutputFormat::Sparkplug {
                    group,
                    primary_host,
                } => Some(SparkplugSettings {
                    group: group.clone(),
                    edge_node: config.bridge.id.clone(),
                    primary_host: primary_host.clone(),
                    data_dir: config.bridge.data_dir.clone(),
                }),
            },
            client_id: config
                .mqtt
                .client_id
                .clone()
                .unwrap_or_else(|| format!("fieldbridge-{}", config.bridge.id)),
            keep_alive: config.mqtt.keep_alive,
            credentials,
            version: config.mqtt.version,
            tls: tls_files,
            password_file: config.mqtt.password_file.clone(),
            qos: config.mqtt.qos,
            topics: Topics::new(&config.mqtt.prefix, &config.bridge.site, &config.bridge.id),
            reconnect_min: config.mqtt.reconnect_min,
            reconnect_max: config.mqtt.reconnect_max,
            replay_rate: config.outbox.replay_rate,
            drain_grace: Duration::from_secs(3),
            replay_order: config.outbox.replay_order,
        };
        let mut commands = crate::cmd::commands::start(&config, &settings.topics, registry)?;
        let command_link = commands.as_mut().and_then(|c| c.link.take());
        let mut command_queues = commands
            .as_mut()
            .map(|c| std::mem::take(&mut c.receivers))
            .unwrap_or_default();
        // Small: under backpressure what waits here is in memory only, and sources should feel a
        // full outbox at once.
        let (tx, rx) = event::channel(512);
        let publisher =
            Publisher::start(settings, rx, outbox, seq, command_link).map_err(|e| Error::Io {
                what: "[mqtt] sparkplug".to_owned(),
                source: std::io::Error::other(e),
            })?;
        let observed = Observed {
            delivery: publisher.stats(),
            link: publisher.status(),
            sources: SourceList::default(),
            commands: commands.as_ref().map(|c| c.stats.clone()),
            reloads: std::sync::Arc::new(Reloads::default()),
        };
        let mut running = Vec::with_capacity(config.sources.len());
        for source in std::mem::take(&mut config.sources) {
            let queue = command_queues.remove(&source.name);
            running.extend(sources::spawn(
                source,
                registry,
                &tx,
                queue,
                None,
                &config.bridge.data_dir,
                Why::Start,
            ));
        }
        observed.sources.replace(observed_sources(&running));
        let http = match metrics_listen {
            Some(listen) => Some(crate::http::serve(listen, observed.clone()).await?),
            None => None,
        };
        tracing::info!(config = %config.version, sources = running.len(), "bridge running");
        Ok(Bridge {
            sources: running,
            events: tx,
            publisher,
            http,
            commands,
            observed,
            running: config,
            config_version: version_tx,
        })
    }

    /// The key and password files the running sources read (`SourceKind::secret_files`), which
    /// `run --watch` looks at beside the configuration file.
    pub(crate) fn secret_files(&self) -> Vec<std::path::PathBuf> {
        self.sources
            .iter()
            .flat_map(|r| r.config.kind.secret_files())
            .map(std::path::Path::to_path_buf)
            .collect()
    }

    /// Stops the sources, lets the publisher hand over what it holds, publishes the offline state and
    /// persists the sequence number.
    pub async fn stop(self) {
        tracing::info!(config = %*self.config_version.borrow(), "stopping the bridge");
        sources::stop_all(self.sources).await;
        // The publisher drains once every sender of the point stream is gone: the sources' and
        // this one, kept for the sources a reload starts.
        drop(self.events);
        // A command a source held when it stopped is answered (failed: the source stopped); the
        // router publishes its last results before the publisher drains.
        if let Some(Commands { mut task, stop, .. }) = self.commands {
            let _ = stop.send(());
            if tokio::time::timeout(Duration::from_secs(3), &mut task)
                .await
                .is_err()
            {
                tracing::warn!("the command router did not finish in time");
                task.abort();
            }
        }
        // The publisher drains the outbox for up to 3 s (`drain_grace`); this bounds the rest.
        self.publisher.finish(Duration::from_secs(5)).await;
        if let Some(http) = self.http {
            http.abort();
        }
    }
}

/// The endpoint's list of `running`.
fn observed_sources(running: &[Running]) -> Vec<crate::http::ObservedSource> {
    running
        .iter()
        .map(|r| (r.config.name.clone(), r.family, r.stats.clone()))
        .collect()
}

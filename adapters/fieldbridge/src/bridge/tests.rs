//! Reloads of a bridge whose sources are scripted: what starts, what stops, what is refused.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use fieldbridge_core::config::{self, SourceConfig};
use fieldbridge_core::source::{Driver, Registry, SourceContext, SourceTask};

use super::*;

/// What the scripted sources did, in order: `start NAME` and `stop NAME`.
type Journal = Arc<Mutex<Vec<String>>>;

/// Runs every `modbus-tcp` source as a task that does nothing until it is stopped, and writes
/// down its starts and stops.
struct Scripted(Journal);

struct StopGuard(Journal, Arc<str>);

impl Drop for StopGuard {
    fn drop(&mut self) {
        if let Ok(mut j) = self.0.lock() {
            j.push(format!("stop {}", self.1));
        }
    }
}

impl Driver for Scripted {
    fn family(&self) -> &'static str {
        "scripted"
    }

    fn protocols(&self) -> &'static [&'static str] {
        &["modbus-tcp"]
    }

    fn start(&self, source: SourceConfig, context: SourceContext) -> SourceTask {
        if let Ok(mut j) = self.0.lock() {
            j.push(format!("start {}", source.name));
        }
        let guard = StopGuard(self.0.clone(), source.name.clone());
        Box::pin(async move {
            let _guard = guard;
            let _context = context;
            std::future::pending::<()>().await;
        })
    }
}

fn header(dir: &Path) -> String {
    format!(
        "[bridge]\nid = \"gw\"\nsite = \"s\"\ndata_dir = \"{}\"\n\n[mqtt]\nurl = \"embedded\"\nembedded_listen = \"127.0.0.1:0\"\n\n",
        dir.join("var").display()
    )
}

fn source(name: &str, poll: &str, writable: bool) -> String {
    format!(
        "[[source]]\nname = \"{name}\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:5020\"\npoll = \"{poll}\"\n\n  [[source.point]]\n  name = \"sp\"\n  register = \"holding:200\"\n  writable = {writable}\n\n"
    )
}

struct Setup {
    dir: tempfile::TempDir,
    path: PathBuf,
    journal: Journal,
    registry: Registry,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bridge.toml");
        let journal = Journal::default();
        let registry = Registry::new().with(Scripted(journal.clone()));
        Setup {
            dir,
            path,
            journal,
            registry,
        }
    }

    /// Writes `body` after the header; returns the whole text.
    fn write(&self, body: &str) -> String {
        let text = format!("{}{body}", header(self.dir.path()));
        std::fs::write(&self.path, &text).expect("write the configuration");
        text
    }

    async fn start(&self, body: &str) -> Bridge {
        self.write(body);
        let config = config::load(&self.path).expect("a good configuration");
        Bridge::start(config, &self.registry)
            .await
            .expect("the bridge starts")
    }

    /// What the sources did since the last call.
    fn journal(&self) -> Vec<String> {
        std::mem::take(&mut *self.journal.lock().expect("journal"))
    }
}

fn names(list: &[&str]) -> Vec<Arc<str>> {
    list.iter().map(|n| Arc::from(*n)).collect()
}

fn device_names(bridge: &Bridge) -> Vec<String> {
    let mut names: Vec<String> = bridge
        .commands
        .as_ref()
        .map(|c| c.devices.keys().map(|k| k.to_string()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reload_restarts_only_the_sources_that_changed_and_shows_the_new_version() {
    let setup = Setup::new();
    let mut bridge = setup
        .start(&format!(
            "{}{}{}",
            source("a", "1s", true),
            source("b", "1s", true),
            source("c", "1s", false)
        ))
        .await;
    assert_eq!(setup.journal(), ["start a", "start b", "start c"]);
    let queue_of = |bridge: &Bridge, name: &str| {
        bridge
            .commands
            .as_ref()
            .and_then(|c| c.devices.get(name))
            .and_then(|d| d.sender.clone())
    };
    let (a_before, b_before) = (queue_of(&bridge, "a"), queue_of(&bridge, "b"));

    // a unchanged (moved down by a comment and a new source), b's poll changed, c removed, d new.
    let text = setup.write(&format!(
        "# reloaded\n{}{}{}",
        source("d", "1s", true),
        source("a", "1s", true),
        source("b", "2s", true)
    ));
    let reloaded = bridge
        .reload(&setup.path, &setup.registry)
        .await
        .expect("applied");
    assert_eq!(reloaded.unchanged, names(&["a"]));
    assert_eq!(reloaded.changed, names(&["b"]));
    assert_eq!(reloaded.added, names(&["d"]));
    assert_eq!(reloaded.removed, names(&["c"]));
    assert!(reloaded.not_applied.is_empty(), "{reloaded:?}");
    assert_eq!(reloaded.log_level, None);
    let mut journal = setup.journal();
    // Both stops come before any start; the stops' order is the tasks' own.
    journal[..2].sort();
    assert_eq!(journal, ["stop b", "stop c", "start d", "start b"]);

    // The version is on its way to the state topic; the router and the endpoint follow.
    assert_eq!(reloaded.version, config::version_of(&text));
    assert_eq!(*bridge.config_version.borrow(), reloaded.version);
    assert_eq!(device_names(&bridge), ["a", "b", "d"]);
    let a_after = queue_of(&bridge, "a").expect("a takes commands");
    let b_after = queue_of(&bridge, "b").expect("b takes commands");
    assert!(
        a_after.same_channel(&a_before.expect("a took commands")),
        "a keeps its queue"
    );
    assert!(
        !b_after.same_channel(&b_before.expect("b took commands")),
        "b has a fresh queue"
    );
    assert_eq!(bridge.observed.reloads.applied.load(Ordering::Relaxed), 1);
    let listed: Vec<_> = bridge
        .observed
        .sources
        .snapshot()
        .into_iter()
        .map(|(n, family, _)| (n.to_string(), family))
        .collect();
    assert_eq!(
        listed,
        [
            ("d".to_owned(), "scripted"),
            ("a".to_owned(), "scripted"),
            ("b".to_owned(), "scripted")
        ]
    );

    bridge.stop().await;
    let mut journal = setup.journal();
    journal.sort();
    assert_eq!(journal, ["stop a", "stop b", "stop d"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_with_a_mistake_is_refused_with_its_line_and_nothing_running_changes() {
    let setup = Setup::new();
    let body = format!("{}{}", source("a", "1s", true), source("b", "1s", false));
    let mut bridge = setup.start(&body).await;
    let version = bridge.config_version.borrow().clone();
    setup.journal();

    // A misspelt key in b, which would also have removed a.
    let broken = source("b", "2s", false).replace("poll =", "pol =");
    let text = setup.write(&broken);
    let line = text
        .lines()
        .position(|l| l.starts_with("pol ="))
        .expect("the broken line")
        + 1;
    let refused = bridge
        .reload(&setup.path, &setup.registry)
        .await
        .expect_err("refused");
    assert_eq!(refused.errors.len(), 1, "{refused}");
    assert_eq!(refused.errors[0].line, line, "{refused}");
    assert_eq!(refused.errors[0].key, "source[0].pol");
    assert!(refused
        .to_string()
        .contains(&format!("bridge.toml:line {line}: source[0].pol")));

    // A file that parses but names a protocol this binary cannot run is refused the same way.
    setup
        .write("[[source]]\nname = \"rtu\"\nprotocol = \"iec104\"\naddress = \"127.0.0.1:2404\"\n");
    let refused = bridge
        .reload(&setup.path, &setup.registry)
        .await
        .expect_err("refused");
    assert!(
        refused.errors.iter().any(|e| e.key.ends_with(".protocol")),
        "{refused}"
    );

    // And a file that is gone.
    std::fs::remove_file(&setup.path).expect("remove");
    assert!(bridge.reload(&setup.path, &setup.registry).await.is_err());

    assert!(setup.journal().is_empty(), "no source started or stopped");
    assert_eq!(*bridge.config_version.borrow(), version);
    assert_eq!(device_names(&bridge), ["a", "b"]);
    assert_eq!(bridge.observed.reloads.refused.load(Ordering::Relaxed), 3);
    assert_eq!(bridge.observed.reloads.applied.load(Ordering::Relaxed), 0);

    // The original file again: nothing changed, nothing restarts, and it counts as applied.
    setup.write(&body);
    let reloaded = bridge
        .reload(&setup.path, &setup.registry)
        .await
        .expect("applied");
    assert_eq!(reloaded.unchanged, names(&["a", "b"]));
    assert_eq!(reloaded.version, version);
    assert!(setup.journal().is_empty());
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sections_that_need_a_restart_are_named_and_the_log_level_is_handed_back() {
    let setup = Setup::new();
    let body = source("a", "1s", false);
    let mut bridge = setup.start(&body).await;
    let changed = format!(
        "[outbox]\nmax_bytes = \"1MiB\"\n\n[log]\nlevel = \"debug\"\nformat = \"json\"\n\n[commands]\ntimeout = \"3s\"\nremember = 5\n\n{body}"
    );
    let text = setup.write(&changed).replace("id = \"gw\"", "id = \"gw2\"");
    std::fs::write(&setup.path, text).expect("rewrite");
    let reloaded = bridge
        .reload(&setup.path, &setup.registry)
        .await
        .expect("applied");
    assert_eq!(
        reloaded.not_applied,
        [
            "[bridge]",
            "[outbox]",
            "[log] format",
            "[commands] remember"
        ]
    );
    assert_eq!(reloaded.log_level.as_deref(), Some("debug"));
    assert_eq!(
        bridge.running.commands.timeout,
        std::time::Duration::from_secs(3)
    );
    assert_eq!(reloaded.unchanged, names(&["a"]));
    // The same file again: the level is in force now, the rest is still waiting for a restart.
    let again = bridge
        .reload(&setup.path, &setup.registry)
        .await
        .expect("applied");
    assert_eq!(again.log_level, None);
    assert_eq!(again.not_applied, reloaded.not_applied);
    bridge.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_metrics_endpoint_starts_on_reload_and_lists_the_reloaded_sources_and_reloads() {
    let setup = Setup::new();
    let mut bridge = setup.start(&source("a", "1s", false)).await;
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
        probe.local_addr().expect("addr").port()
    };
    setup.write(&format!(
        "[metrics]\nlisten = \"127.0.0.1:{port}\"\n\n{}",
        source("b", "1s", false)
    ));
    bridge
        .reload(&setup.path, &setup.registry)
        .await
        .expect("applied");
    let body = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("endpoint");
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("ask");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read");
        answer
    })
    .await
    .expect("scrape");
    assert!(
        body.contains("fieldbridge_config_reloads_total{result=\"applied\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("fieldbridge_config_reloads_total{result=\"refused\"} 0"),
        "{body}"
    );
    assert!(body.contains("device=\"b\""), "{body}");
    assert!(!body.contains("device=\"a\""), "{body}");
    bridge.stop().await;
}

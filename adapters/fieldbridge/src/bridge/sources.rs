//! The running sources of a bridge: starting one, stopping some, and what a reload changes.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::command::CommandReceiver;
use fieldbridge_core::config::{SourceConfig, SourceKind};
use fieldbridge_core::event::EventSender;
use fieldbridge_core::source::{Registry, SourceContext, SourceStats};
use tokio::task::JoinHandle;

/// How long a stopped source's task may take to end after it was aborted (it ends at its next
/// await point; a driver that blocks in between is waited for no longer than this).
const STOP_WAIT: Duration = Duration::from_secs(5);

/// One source task and what it was started with.
#[derive(Debug)]
pub(crate) struct Running {
    /// Its configuration, to compare with a reloaded file.
    pub(crate) config: SourceConfig,
    /// The `protocol` label of its metrics.
    pub(crate) family: &'static str,
    /// Its counters; kept across a restart by a reload, so that they never go backwards.
    pub(crate) stats: Arc<SourceStats>,
    /// What its files of secrets held when it started.
    pub(crate) secrets: Secrets,
    task: JoinHandle<()>,
}

/// A digest of what a source's files of secrets ([`SourceKind::secret_files`]) hold: SHA-256 over
/// each file's path and contents, or the error that reading it gave. A reload compares it to tell
/// a rotated key from an unchanged one; the keys themselves are never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Secrets(Option<[u8; 32]>);

impl Secrets {
    /// A source without files of secrets.
    pub(crate) const NONE: Secrets = Secrets(None);

    /// Reads the files now.
    pub(crate) fn read(kind: &SourceKind) -> Secrets {
        let files = kind.secret_files();
        if files.is_empty() {
            return Secrets::NONE;
        }
        Secrets(Some(crate::digest::files(&files)))
    }
}

/// Why a source starts, for its log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// The bridge starts.
    Start,
    /// A reload changed its configuration.
    Changed,
    /// A reload added it.
    Added,
}

impl Why {
    fn as_str(self) -> &'static str {
        match self {
            Why::Start => "start",
            Why::Changed => "changed by a reload",
            Why::Added => "added by a reload",
        }
    }
}

/// Starts `source` through its driver; `None` when this binary has no driver for its protocol
/// (refused before: [`Registry::refusals`]).
///
/// `stats` are the counters of the source's earlier run under the same name and protocol family,
/// if any. A source without a command queue gets one whose sender is gone: it stops listening to
/// it at once.
pub(crate) fn spawn(
    source: SourceConfig,
    registry: &Registry,
    events: &EventSender,
    commands: Option<CommandReceiver>,
    stats: Option<Arc<SourceStats>>,
    data_dir: &Path,
    why: Why,
) -> Option<Running> {
    let driver = registry.driver(source.kind.protocol())?;
    let family = driver.family();
    tracing::info!(
        device = %source.name,
        protocol = source.kind.protocol(),
        points = source.kind.points().len(),
        why = why.as_str(),
        "source starting"
    );
    let stats = stats.unwrap_or_default();
    let secrets = Secrets::read(&source.kind);
    let context = SourceContext {
        name: source.name.clone(),
        events: events.clone(),
        stats: stats.clone(),
        commands: commands.unwrap_or_else(|| fieldbridge_core::command::channel().1),
        state_dir: data_dir.join("sources").join(&*source.name),
    };
    let task = tokio::spawn(driver.start(source.clone(), context));
    Some(Running {
        config: source,
        family,
        stats,
        secrets,
        task,
    })
}

/// Stops every source of `stopping` and waits until each task has ended, so that what it held (a
/// socket, a serial port, a listening address) is free again.
pub(crate) async fn stop_all(stopping: Vec<Running>) {
    for running in &stopping {
        running.task.abort();
    }
    for running in stopping {
        let name = running.config.name.clone();
        match tokio::time::timeout(STOP_WAIT, running.task).await {
            Ok(Ok(())) => tracing::info!(device = %name, "source stopped (it had ended)"),
            Ok(Err(e)) if e.is_cancelled() => tracing::info!(device = %name, "source stopped"),
            Ok(Err(e)) => tracing::warn!(device = %name, error = %e, "source task had failed"),
            Err(_) => tracing::warn!(
                device = %name,
                wait_ms = STOP_WAIT.as_millis() as u64,
                "source task did not end in time after it was stopped"
            ),
        }
    }
}

/// What a reloaded file does to the sources, by name, each list in the new file's order (removed
/// ones in the old file's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Diff {
    /// The same configuration: they keep running, their connections untouched.
    pub(crate) unchanged: Vec<Arc<str>>,
    /// Any difference in their settings or points, or in what their files of secrets hold:
    /// stopped and started again.
    pub(crate) changed: Vec<Arc<str>>,
    /// New names: started.
    pub(crate) added: Vec<Arc<str>>,
    /// Names no longer in the file: stopped, their devices offline.
    pub(crate) removed: Vec<Arc<str>>,
}

impl Diff {
    /// Whether a source keeps running untouched.
    pub(crate) fn keeps(&self, name: &str) -> bool {
        self.unchanged.iter().any(|n| &**n == name)
    }
}

/// Compares the running sources with a reloaded file's. Two sources of the same name are the same
/// when everything they configure is (`SourceConfig::kind`: the protocol, its settings and every
/// point) and their files of secrets hold what they held when the running one started (`old`
/// gives each running source with its [`Secrets`]; the new file's are read now). Where their keys
/// stand in the file (`SourceConfig::lines`) is not compared, so that a comment or a source added
/// above does not restart anything.
pub(crate) fn diff<'a>(
    old: impl IntoIterator<Item = (&'a SourceConfig, &'a Secrets)>,
    new: &[SourceConfig],
) -> Diff {
    let old: HashMap<&str, (&SourceConfig, &Secrets)> =
        old.into_iter().map(|(s, k)| (&*s.name, (s, k))).collect();
    let mut diff = Diff::default();
    for source in new {
        match old.get(&*source.name) {
            Some((before, secrets)) if before.kind == source.kind => {
                if **secrets == Secrets::read(&source.kind) {
                    diff.unchanged.push(source.name.clone());
                } else {
                    tracing::info!(
                        device = %source.name,
                        "its key or password files changed: the source restarts"
                    );
                    diff.changed.push(source.name.clone());
                }
            }
            Some(_) => diff.changed.push(source.name.clone()),
            None => diff.added.push(source.name.clone()),
        }
    }
    let kept: std::collections::HashSet<&str> = new.iter().map(|s| &*s.name).collect();
    let mut removed: Vec<&SourceConfig> = old
        .values()
        .map(|(s, _)| *s)
        .filter(|s| !kept.contains(&*s.name))
        .collect();
    removed.sort_by_key(|s| s.lines.table);
    diff.removed = removed.into_iter().map(|s| s.name.clone()).collect();
    diff
}

#[cfg(test)]
mod tests {
    use fieldbridge_core::config;

    use super::*;

    const HEADER: &str = "[bridge]\nid = \"gw\"\nsite = \"s\"\ndata_dir = \"/tmp/x\"\n\n[mqtt]\nurl = \"mqtt://127.0.0.1:1883\"\n\n";

    fn modbus(name: &str, poll: &str, points: &[&str]) -> String {
        let mut out = format!(
            "[[source]]\nname = \"{name}\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:5020\"\npoll = \"{poll}\"\n\n"
        );
        for (i, p) in points.iter().enumerate() {
            out.push_str(&format!(
                "  [[source.point]]\n  name = \"{p}\"\n  register = \"holding:{}\"\n\n",
                200 + i
            ));
        }
        out
    }

    fn sources(text: &str) -> Vec<SourceConfig> {
        match config::parse(text) {
            Ok(c) => c.sources,
            Err(e) => panic!("{e}\n{text}"),
        }
    }

    /// The diff of two files' sources, the running ones without files of secrets.
    fn diff_of(old: &[SourceConfig], new: &[SourceConfig]) -> Diff {
        diff(old.iter().map(|s| (s, &Secrets::NONE)), new)
    }

    fn names(list: &[&str]) -> Vec<Arc<str>> {
        list.iter().map(|n| Arc::from(*n)).collect()
    }

    #[test]
    fn sources_are_unchanged_changed_added_or_removed_by_name() {
        let old = sources(&format!(
            "{HEADER}{}{}{}",
            modbus("a", "1s", &["x"]),
            modbus("b", "1s", &["x"]),
            modbus("c", "1s", &["x"])
        ));
        let new = sources(&format!(
            "{HEADER}{}{}{}",
            modbus("d", "1s", &["x"]),
            modbus("b", "2s", &["x"]),
            modbus("a", "1s", &["x"])
        ));
        let d = diff_of(&old, &new);
        assert_eq!(d.unchanged, names(&["a"]));
        assert_eq!(d.changed, names(&["b"]));
        assert_eq!(d.added, names(&["d"]));
        assert_eq!(d.removed, names(&["c"]));
        assert!(d.keeps("a") && !d.keeps("b") && !d.keeps("d"));
    }

    #[test]
    fn a_source_moved_down_the_file_by_a_comment_or_a_new_source_is_unchanged() {
        let old = sources(&format!("{HEADER}{}", modbus("a", "1s", &["x", "y"])));
        let new = sources(&format!(
            "{HEADER}# a comment\n# and another\n\n{}{}",
            modbus("new", "1s", &["x"]),
            modbus("a", "1s", &["x", "y"])
        ));
        assert_ne!(old[0].lines, new[1].lines, "the lines moved");
        let d = diff_of(&old, &new);
        assert_eq!(d.unchanged, names(&["a"]));
        assert_eq!(d.added, names(&["new"]));
        assert!(d.changed.is_empty() && d.removed.is_empty(), "{d:?}");
    }

    #[test]
    fn a_point_added_renamed_or_made_writable_changes_its_source() {
        let old = sources(&format!("{HEADER}{}", modbus("a", "1s", &["x"])));
        for changed in [
            modbus("a", "1s", &["x", "y"]),
            modbus("a", "1s", &["z"]),
            modbus("a", "1s", &["x"]).replace(
                "register = \"holding:200\"\n",
                "register = \"holding:200\"\n  writable = true\n",
            ),
            modbus("a", "1s", &["x"]).replace("5020", "5021"),
        ] {
            let d = diff_of(&old, &sources(&format!("{HEADER}{changed}")));
            assert_eq!(d.changed, names(&["a"]), "{changed}");
        }
    }

    #[test]
    fn every_source_removed_is_listed_in_the_old_files_order() {
        let old = sources(&format!(
            "{HEADER}{}{}{}",
            modbus("z", "1s", &["x"]),
            modbus("m", "1s", &["x"]),
            modbus("a", "1s", &["x"])
        ));
        let d = diff_of(&old, &[]);
        assert_eq!(d.removed, names(&["z", "m", "a"]));
        assert_eq!(d, diff_of(&old, &[]), "the same every time");
    }

    #[test]
    fn a_dlms_source_whose_key_file_changed_restarts_and_one_whose_files_did_not_keeps_running() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ak = dir.path().join("ak");
        let ek = dir.path().join("ek");
        std::fs::write(&ak, "000102030405060708090A0B0C0D0E0F\n").expect("write");
        std::fs::write(&ek, "101112131415161718191A1B1C1D1E1F\n").expect("write");
        let meter = format!(
            "[[source]]\nname = \"m\"\nprotocol = \"dlms\"\naddress = \"127.0.0.1:4059\"\n\
             security = \"authenticated-encrypted\"\nauthentication = \"high-gmac\"\n\
             authentication_key_file = \"{}\"\nencryption_key_file = \"{}\"\n\
             system_title = \"4D4D4D0000BC614E\"\n\
             [[source.point]]\nname = \"e\"\nobis = \"1.0.1.8.0.255\"\nclass = 3\n\n",
            ak.display(),
            ek.display()
        );
        let old = sources(&format!("{HEADER}{meter}{}", modbus("plc", "1s", &["x"])));
        assert_eq!(old[0].kind.secret_files(), [ak.as_path(), ek.as_path()]);
        assert!(old[1].kind.secret_files().is_empty());
        let started: Vec<Secrets> = old.iter().map(|s| Secrets::read(&s.kind)).collect();
        assert_eq!(started[1], Secrets::NONE);
        let running = || old.iter().zip(&started);

        let d = diff(running(), &old);
        assert_eq!(d.unchanged, names(&["m", "plc"]), "same files, same keys");

        // The encryption key rotated in place: same configuration, new contents.
        std::fs::write(&ek, "202122232425262728292A2B2C2D2E2F\n").expect("write");
        let d = diff(running(), &old);
        assert_eq!(d.changed, names(&["m"]));
        assert_eq!(d.unchanged, names(&["plc"]));

        // A key file gone is a change too (the source will say why it cannot start).
        std::fs::remove_file(&ak).expect("remove");
        let gone = diff(running(), &old);
        assert_eq!(gone.changed, names(&["m"]));
    }
}

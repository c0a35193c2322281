//! `fieldbridge run --watch`: the configuration file and the key and password files of the running
//! sources, looked at every [`INTERVAL`]; a change that held still for one look reloads the
//! configuration as a SIGHUP does (`docs/reload.md`).
//!
//! Looking rather than subscribing to file system events: a look sees a Kubernetes ConfigMap or
//! Secret update (a symbolic link swapped above the file), an editor that writes a new file and
//! renames it, and a file on a network share alike, for a few small reads every two seconds.

use std::path::PathBuf;
use std::time::Duration;

use tokio::time::{Interval, MissedTickBehavior};

/// How often the files are looked at.
pub(crate) const INTERVAL: Duration = Duration::from_secs(2);

/// What a look saw ([`crate::digest::files`]).
pub(crate) type Seen = [u8; 32];

/// The files of a running bridge, looked at until they change.
#[derive(Debug)]
pub(crate) struct FileWatch {
    interval: Interval,
    /// What the files held when the running configuration was last read (applied or refused):
    /// a file refused once is not tried again until it changes again.
    settled: Seen,
    /// What the last look saw.
    last: Seen,
}

impl FileWatch {
    /// Starts from what `files` hold now.
    pub(crate) fn new(files: &[PathBuf]) -> FileWatch {
        let mut interval =
            tokio::time::interval_at(tokio::time::Instant::now() + INTERVAL, INTERVAL);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let seen = crate::digest::files(files);
        FileWatch {
            interval,
            settled: seen,
            last: seen,
        }
    }

    /// Resolves once `files()` (the files of the moment) differ from what was last read and have
    /// not changed between two looks, so that a file still being written is not read half-way.
    pub(crate) async fn changed(&mut self, files: impl Fn() -> Vec<PathBuf>) {
        loop {
            self.interval.tick().await;
            let seen = crate::digest::files(&files());
            let still = seen == self.last;
            self.last = seen;
            if still && seen != self.settled {
                return;
            }
        }
    }

    /// Records what the files held when the configuration was read again.
    pub(crate) fn settle(&mut self, seen: Seen) {
        self.settled = seen;
        self.last = seen;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_change_reloads_once_it_held_still_and_a_settled_one_never_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("bridge.toml");
        std::fs::write(&file, "a").expect("write");
        let files = || vec![file.clone()];
        let mut watch = FileWatch::new(&files());
        let start = tokio::time::Instant::now();

        std::fs::write(&file, "b").expect("write");
        watch.changed(files).await;
        // Seen at the first look, the same at the second: two intervals.
        assert_eq!(start.elapsed(), 2 * INTERVAL);
        watch.settle(crate::digest::files(&files()));

        // Nothing changed since: no reload for as long as we wait.
        let waited = tokio::time::timeout(10 * INTERVAL, watch.changed(files)).await;
        assert!(waited.is_err(), "no change, no reload");

        // A file that disappears is a change too (the reload will say what is wrong).
        std::fs::remove_file(&file).expect("remove");
        tokio::time::timeout(3 * INTERVAL, watch.changed(files))
            .await
            .expect("a removed file is seen");
    }

    /// A ConfigMap or Secret volume as the kubelet writes it: the file is a link through `..data`
    /// to a timestamped folder, and an update makes a new folder, swaps `..data` to it with a
    /// rename and removes the old one. The file's own path never changes.
    #[tokio::test(start_paused = true)]
    async fn a_kubernetes_volume_update_is_seen_through_its_links() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().expect("tempdir");
        let version = |name: &str, text: &str| {
            let folder = dir.path().join(name);
            std::fs::create_dir(&folder).expect("mkdir");
            std::fs::write(folder.join("bridge.toml"), text).expect("write");
        };
        version("..2026_12_07_20_00_00.1", "a");
        symlink("..2026_12_07_20_00_00.1", dir.path().join("..data")).expect("link");
        let file = dir.path().join("bridge.toml");
        symlink("..data/bridge.toml", &file).expect("link");
        let files = || vec![file.clone()];
        let mut watch = FileWatch::new(&files());

        version("..2026_12_07_20_05_00.2", "b");
        symlink("..2026_12_07_20_05_00.2", dir.path().join("..data_tmp")).expect("link");
        std::fs::rename(dir.path().join("..data_tmp"), dir.path().join("..data")).expect("swap");
        std::fs::remove_dir_all(dir.path().join("..2026_12_07_20_00_00.1")).expect("remove");

        tokio::time::timeout(3 * INTERVAL, watch.changed(files))
            .await
            .expect("the swapped link is seen");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "b");
    }
}

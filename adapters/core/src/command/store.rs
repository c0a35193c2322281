//! The memory of executed commands, kept in `data_dir/commands.jsonl` so that a command delivered
//! twice (QoS 1 redelivery, a sender repeating its id, a bridge restart in between) is executed
//! once and every repeat gets the same result.
//!
//! One JSON line per event, appended and synced before the bridge goes on: `started` before a
//! command is handed to the field, `result` once it is answered. A command found `started` without
//! a result when the file is opened was cut off by a stop or crash: whether the device applied it
//! is unknown, so it is answered `failed` ("interrupted") and never executed again. The file is
//! rewritten with the newest `remember` ids when it holds twice that many lines.

use std::collections::{HashMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file's name in `data_dir`.
pub(crate) const FILE_NAME: &str = "commands.jsonl";

/// What is known of a command id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    /// Handed to the field; no result yet.
    Started,
    /// Answered: the result payload, exactly as published.
    Done(String),
}

#[derive(Serialize, Deserialize)]
struct Line {
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    result: Option<String>,
}

/// What opening the file found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Loaded {
    /// Ids remembered.
    pub(crate) entries: usize,
    /// Ids started and never answered (a stop or crash while executing).
    pub(crate) interrupted: Vec<String>,
    /// Lines that did not parse (a torn last line after a power cut), skipped.
    pub(crate) bad_lines: usize,
}

/// The executed-command memory.
#[derive(Debug)]
pub(crate) struct Store {
    path: PathBuf,
    file: File,
    entries: HashMap<String, Entry>,
    order: VecDeque<String>,
    remember: usize,
    lines: usize,
}

impl Store {
    /// Opens (or creates) the memory in `dir`, keeping at most `remember` ids.
    pub(crate) fn open(dir: &Path, remember: usize) -> io::Result<(Store, Loaded)> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(FILE_NAME);
        let mut entries = HashMap::new();
        let mut order = VecDeque::new();
        let mut loaded = Loaded::default();
        let mut lines = 0;
        if let Ok(f) = File::open(&path) {
            for line in BufReader::new(f).split(b'\n') {
                let line = line?;
                lines += 1;
                match serde_json::from_slice::<Line>(&line) {
                    Ok(Line { key, result }) => {
                        let entry = match result {
                            Some(r) => Entry::Done(r),
                            None => Entry::Started,
                        };
                        if entries.insert(key.clone(), entry).is_none() {
                            order.push_back(key);
                        }
                    }
                    Err(_) if line.iter().all(u8::is_ascii_whitespace) => {}
                    Err(_) => loaded.bad_lines += 1,
                }
            }
        }
        loaded.interrupted = order
            .iter()
            .filter(|k| entries.get(*k) == Some(&Entry::Started))
            .cloned()
            .collect();
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let mut store = Store {
            path,
            file,
            entries,
            order,
            remember: remember.max(1),
            lines,
        };
        store.trim();
        loaded.entries = store.entries.len();
        if loaded.bad_lines > 0 || store.lines > 2 * store.remember {
            store.compact()?;
        }
        Ok((store, loaded))
    }

    /// What is known of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// Records that `key` is being handed to the field; synced before returning.
    pub(crate) fn started(&mut self, key: &str) -> io::Result<()> {
        self.append(key, None)
    }

    /// Records the result of `key`; synced before returning.
    pub(crate) fn done(&mut self, key: &str, result: &str) -> io::Result<()> {
        self.append(key, Some(result))
    }

    fn append(&mut self, key: &str, result: Option<&str>) -> io::Result<()> {
        let line = Line {
            key: key.to_owned(),
            result: result.map(str::to_owned),
        };
        // Memory first: even when the disk fails, this run answers a repeat from what happened.
        let entry = match result {
            Some(r) => Entry::Done(r.to_owned()),
            None => Entry::Started,
        };
        if self.entries.insert(key.to_owned(), entry).is_none() {
            self.order.push_back(key.to_owned());
        }
        self.trim();
        let mut bytes = serde_json::to_vec(&line).map_err(io::Error::other)?;
        bytes.push(b'\n');
        self.file.write_all(&bytes)?;
        self.file.sync_data()?;
        self.lines += 1;
        if self.lines > 2 * self.remember {
            self.compact()?;
        }
        Ok(())
    }

    /// Forgets the oldest ids beyond `remember`; an id still executing is never forgotten.
    fn trim(&mut self) {
        let mut kept = VecDeque::new();
        while self.entries.len() > self.remember {
            let Some(key) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&key) == Some(&Entry::Started) {
                kept.push_back(key);
            } else {
                self.entries.remove(&key);
            }
        }
        while let Some(key) = kept.pop_back() {
            self.order.push_front(key);
        }
    }

    /// Rewrites the file with what is remembered: a temporary file, synced, then renamed over it.
    fn compact(&mut self) -> io::Result<()> {
        let tmp = self.path.with_extension("jsonl.tmp");
        {
            let mut out = io::BufWriter::new(File::create(&tmp)?);
            for key in &self.order {
                let result = match self.entries.get(key) {
                    Some(Entry::Done(r)) => Some(r.clone()),
                    Some(Entry::Started) => None,
                    None => continue,
                };
                let line = Line {
                    key: key.clone(),
                    result,
                };
                serde_json::to_writer(&mut out, &line).map_err(io::Error::other)?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
            out.get_ref().sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        self.file = OpenOptions::new().append(true).open(&self.path)?;
        self.lines = self.order.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_survive_a_restart_and_an_unanswered_command_is_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut s, loaded) = Store::open(dir.path(), 10).unwrap();
            assert_eq!(loaded, Loaded::default());
            s.started("d/p/1").unwrap();
            s.done("d/p/1", r#"{"id":"1","outcome":"success"}"#)
                .unwrap();
            s.started("d/p/2").unwrap();
        }
        let (s, loaded) = Store::open(dir.path(), 10).unwrap();
        assert_eq!(loaded.entries, 2);
        assert_eq!(loaded.interrupted, vec!["d/p/2".to_owned()]);
        assert_eq!(
            s.get("d/p/1"),
            Some(&Entry::Done(r#"{"id":"1","outcome":"success"}"#.into()))
        );
        assert_eq!(s.get("d/p/2"), Some(&Entry::Started));
        assert_eq!(s.get("d/p/3"), None);
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (mut s, _) = Store::open(dir.path(), 10).unwrap();
            s.done("d/p/1", "{}").unwrap();
        }
        let path = dir.path().join(FILE_NAME);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"key":"d/p/2","res"#).unwrap();
        drop(f);
        let (mut s, loaded) = Store::open(dir.path(), 10).unwrap();
        assert_eq!(loaded.bad_lines, 1);
        assert_eq!(s.get("d/p/1"), Some(&Entry::Done("{}".into())));
        s.done("d/p/3", "{}").unwrap();
        let (_, again) = Store::open(dir.path(), 10).unwrap();
        assert_eq!((again.entries, again.bad_lines), (2, 0));
    }

    #[test]
    fn the_memory_is_bounded_and_the_file_compacted() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, _) = Store::open(dir.path(), 3).unwrap();
        s.started("d/p/keep").unwrap();
        for i in 0..20 {
            s.started(&format!("d/p/{i}")).unwrap();
            s.done(&format!("d/p/{i}"), "{}").unwrap();
        }
        assert!(s.get("d/p/0").is_none());
        assert!(s.get("d/p/19").is_some());
        assert_eq!(s.get("d/p/keep"), Some(&Entry::Started));
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(text.lines().count() <= 2 * 3 + 1, "{text}");
        drop(s);
        let (s, loaded) = Store::open(dir.path(), 3).unwrap();
        assert_eq!(loaded.interrupted, vec!["d/p/keep".to_owned()]);
        assert!(s.get("d/p/19").is_some());
    }
}

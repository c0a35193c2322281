//! Reads typed keys out of a spanned TOML table and collects every mistake, each with its line.

use std::cell::{Cell, RefCell};
use std::ops::Range;
use std::time::Duration;

use super::node::{Entry, Node, NodeKind};
use super::units::{parse_duration, parse_size};
use super::ConfigError;

/// Every mistake found so far, and the text to turn spans into lines.
#[derive(Debug)]
pub(crate) struct Errors<'s> {
    src: &'s str,
    list: RefCell<Vec<ConfigError>>,
    warnings: RefCell<Vec<ConfigError>>,
}

impl<'s> Errors<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        Errors {
            src,
            list: RefCell::new(Vec::new()),
            warnings: RefCell::new(Vec::new()),
        }
    }

    /// The 1-based line and column where a span starts.
    fn position(&self, span: &Range<usize>) -> (usize, usize) {
        let start = span.start.min(self.src.len());
        let before = self.src.get(..start).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    pub(crate) fn push(&self, span: &Range<usize>, key: &str, message: impl Into<String>) {
        let (line, column) = self.position(span);
        self.list.borrow_mut().push(ConfigError {
            line,
            column,
            key: key.to_owned(),
            message: message.into(),
        });
    }

    /// The warnings so far (a key accepted but without effect), in line order.
    pub(crate) fn warnings(&self) -> Vec<ConfigError> {
        let mut list = self.warnings.borrow().clone();
        list.sort_by_key(|e| (e.line, e.column));
        list
    }

    pub(crate) fn into_vec(self) -> Vec<ConfigError> {
        let mut list = self.list.into_inner();
        list.sort_by_key(|e| (e.line, e.column));
        list
    }
}

/// A table being read: each key asked for is marked, and [`TableReader::finish`] reports the rest.
#[derive(Debug)]
pub(crate) struct TableReader<'a> {
    errors: &'a Errors<'a>,
    path: String,
    span: Range<usize>,
    entries: &'a [Entry],
    used: Vec<Cell<bool>>,
}

impl<'a> TableReader<'a> {
    /// A reader over `node`, which must be a table; otherwise the mistake is recorded.
    pub(crate) fn new(errors: &'a Errors<'a>, path: String, node: &'a Node) -> Option<Self> {
        match &node.kind {
            NodeKind::Table(entries) => Some(TableReader {
                errors,
                path,
                span: node.span.clone(),
                used: entries.iter().map(|_| Cell::new(false)).collect(),
                entries,
            }),
            other => {
                errors.push(
                    &node.span,
                    &path,
                    format!("expected a table, found {}", other.type_name()),
                );
                None
            }
        }
    }

    /// The dotted path of a key of this table, as shown in messages.
    pub(crate) fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Whether the key is present (without marking it read).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.key == key)
    }

    /// The entry for `key`, marked as read.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Entry> {
        let i = self.entries.iter().position(|e| e.key == key)?;
        if let Some(used) = self.used.get(i) {
            used.set(true);
        }
        self.entries.get(i)
    }

    /// Records a mistake about `key` (at its value when present, else at the table).
    pub(crate) fn error(&self, key: &str, message: impl Into<String>) {
        let span = self
            .entries
            .iter()
            .find(|e| e.key == key)
            .map_or(self.span.clone(), |e| e.value.span.clone());
        self.errors.push(&span, &self.key_path(key), message);
    }

    fn wrong_type(&self, entry: &Entry, expected: &str) {
        self.errors.push(
            &entry.value.span,
            &self.key_path(&entry.key),
            format!(
                "expected {expected}, found {}",
                entry.value.kind.type_name()
            ),
        );
    }

    /// A string key, absent allowed.
    pub(crate) fn str(&self, key: &str) -> Option<&'a str> {
        let e = self.get(key)?;
        match &e.value.kind {
            NodeKind::Str(s) => Some(s),
            _ => {
                self.wrong_type(e, "a string");
                None
            }
        }
    }

    /// A string key that must be present.
    pub(crate) fn required_str(&self, key: &str) -> Option<&'a str> {
        if !self.has(key) {
            self.errors
                .push(&self.span, &self.key_path(key), "missing (required)");
            return None;
        }
        self.str(key)
    }

    /// A key that must be present (reports it when missing); the caller reads it.
    pub(crate) fn require(&self, key: &str) -> bool {
        if self.has(key) {
            true
        } else {
            self.errors
                .push(&self.span, &self.key_path(key), "missing (required)");
            false
        }
    }

    /// An integer key within `min..=max`.
    pub(crate) fn int(&self, key: &str, min: i64, max: i64) -> Option<i64> {
        let e = self.get(key)?;
        match e.value.kind {
            NodeKind::Int(i) if (min..=max).contains(&i) => Some(i),
            NodeKind::Int(i) => {
                self.error(
                    key,
                    format!("{i} is out of range (expected {min} to {max})"),
                );
                None
            }
            _ => {
                self.wrong_type(e, "an integer");
                None
            }
        }
    }

    /// A number key (an integer is accepted as a float).
    pub(crate) fn float(&self, key: &str) -> Option<f64> {
        let e = self.get(key)?;
        match e.value.kind {
            NodeKind::Float(f) if f.is_finite() => Some(f),
            NodeKind::Float(_) => {
                self.error(key, "must be a finite number");
                None
            }
            NodeKind::Int(i) => Some(i as f64),
            _ => {
                self.wrong_type(e, "a number");
                None
            }
        }
    }

    /// A boolean key.
    pub(crate) fn bool(&self, key: &str) -> Option<bool> {
        let e = self.get(key)?;
        match e.value.kind {
            NodeKind::Bool(b) => Some(b),
            _ => {
                self.wrong_type(e, "true or false");
                None
            }
        }
    }

    /// A duration key such as `"500ms"`; zero is refused unless `allow_zero`.
    pub(crate) fn duration(&self, key: &str, allow_zero: bool) -> Option<Duration> {
        let text = self.str(key)?;
        match parse_duration(text) {
            Ok(d) if d.is_zero() && !allow_zero => {
                self.error(key, "must be longer than zero");
                None
            }
            Ok(d) => Some(d),
            Err(message) => {
                self.error(key, message);
                None
            }
        }
    }

    /// A size key: `"512MiB"` or a number of bytes.
    pub(crate) fn size(&self, key: &str) -> Option<u64> {
        let e = self.get(key)?;
        let parsed = match &e.value.kind {
            NodeKind::Str(s) => parse_size(s),
            NodeKind::Int(i) => u64::try_from(*i).map_err(|_| "must not be negative".to_owned()),
            _ => {
                self.wrong_type(e, "a size such as \"512MiB\"");
                return None;
            }
        };
        parsed.map_err(|m| self.error(key, m)).ok()
    }

    /// One of a fixed set of words.
    pub(crate) fn choice<T: Copy>(&self, key: &str, choices: &[(&str, T)]) -> Option<T> {
        let text = self.str(key)?;
        let found = choices
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, v)| *v);
        if found.is_none() {
            let names: Vec<_> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            self.error(
                key,
                format!(
                    "unknown value \"{text}\" (expected one of {})",
                    names.join(", ")
                ),
            );
        }
        found
    }

    /// A string or an array of strings.
    pub(crate) fn str_list(&self, key: &str) -> Option<Vec<&'a str>> {
        let e = self.get(key)?;
        match &e.value.kind {
            NodeKind::Str(s) => Some(vec![s.as_str()]),
            NodeKind::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match &item.kind {
                        NodeKind::Str(s) => out.push(s.as_str()),
                        other => self.errors.push(
                            &item.span,
                            &self.key_path(key),
                            format!("expected a string, found {}", other.type_name()),
                        ),
                    }
                }
                if out.is_empty() {
                    self.error(key, "must not be empty");
                    return None;
                }
                Some(out)
            }
            _ => {
                self.wrong_type(e, "a string or an array of strings");
                None
            }
        }
    }

    /// A sub-table (`[a.b]` or an inline table).
    pub(crate) fn table(&self, key: &str) -> Option<TableReader<'a>> {
        let e = self.get(key)?;
        TableReader::new(self.errors, self.key_path(key), &e.value)
    }

    /// An array of tables (`[[a.b]]`), each with its index in the path.
    pub(crate) fn tables(&self, key: &str) -> Vec<TableReader<'a>> {
        let Some(e) = self.get(key) else {
            return Vec::new();
        };
        match &e.value.kind {
            NodeKind::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, node)| {
                    TableReader::new(self.errors, format!("{}[{i}]", self.key_path(key)), node)
                })
                .collect(),
            _ => {
                self.wrong_type(e, "an array of tables");
                Vec::new()
            }
        }
    }

    /// Reports every key that nothing read: a typo, or a key that belongs to another protocol.
    pub(crate) fn finish(&self, what: &str) {
        for (entry, used) in self.entries.iter().zip(&self.used) {
            if !used.get() {
                self.errors.push(
                    &entry.key_span,
                    &self.key_path(&entry.key),
                    format!("unknown key for {what}"),
                );
            }
        }
    }

    /// The line of the table and of each of its keys.
    pub(crate) fn lines(&self) -> super::KeyLines {
        super::KeyLines {
            table: self.errors.position(&self.span).0,
            keys: self
                .entries
                .iter()
                .map(|e| (e.key.clone(), self.errors.position(&e.key_span).0))
                .collect(),
        }
    }

    /// Records a warning about `key`: accepted, but without effect.
    pub(crate) fn warn(&self, key: &str, message: impl Into<String>) {
        let Some(entry) = self.entries.iter().find(|e| e.key == key) else {
            return;
        };
        let (line, column) = self.errors.position(&entry.key_span);
        self.errors.warnings.borrow_mut().push(ConfigError {
            line,
            column,
            key: self.key_path(key),
            message: message.into(),
        });
    }

    /// Records a mistake about this whole table.
    pub(crate) fn table_error(&self, message: impl Into<String>) {
        self.errors.push(&self.span, &self.path, message);
    }
}

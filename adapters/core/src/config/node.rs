//! A spanned view of a TOML document, so every mistake can be reported with its line.

use std::ops::Range;

use toml_edit::{Item, Table, Value};

/// A TOML value with the byte range it came from.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) span: Range<usize>,
    pub(crate) kind: NodeKind,
}

/// The TOML value kinds the configuration uses.
#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A date or time: not used by any key, kept so it can be reported as a wrong type.
    Datetime,
    Array(Vec<Node>),
    /// A table, inline or not, with each key's own span.
    Table(Vec<Entry>),
}

/// A key of a table with its span and value.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_span: Range<usize>,
    pub(crate) value: Node,
}

impl NodeKind {
    /// The TOML type's name, for "expected a string, found an integer".
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Str(_) => "a string",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a float",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Datetime => "a date-time",
            NodeKind::Array(_) => "an array",
            NodeKind::Table(_) => "a table",
        }
    }
}

pub(crate) fn from_table(table: &Table, fallback: Range<usize>) -> Node {
    let span = table.span().unwrap_or(fallback);
    let entries = table
        .iter()
        .filter_map(|(key, item)| {
            let key_span = table
                .key(key)
                .and_then(|k| k.span())
                .unwrap_or(span.clone());
            from_item(item, key_span.clone()).map(|value| Entry {
                key: key.to_owned(),
                key_span,
                value,
            })
        })
        .collect();
    Node {
        span,
        kind: NodeKind::Table(entries),
    }
}

fn from_item(item: &Item, fallback: Range<usize>) -> Option<Node> {
    match item {
        Item::None => None,
        Item::Value(v) => Some(from_value(v, fallback)),
        Item::Table(t) => Some(from_table(t, fallback)),
        Item::ArrayOfTables(a) => {
            let span = a.span().unwrap_or(fallback.clone());
            let items = a.iter().map(|t| from_table(t, span.clone())).collect();
            Some(Node {
                span,
                kind: NodeKind::Array(items),
            })
        }
    }
}

fn from_value(value: &Value, fallback: Range<usize>) -> Node {
    let span = value.span().unwrap_or(fallback);
    let kind = match value {
        Value::String(s) => NodeKind::Str(s.value().clone()),
        Value::Integer(i) => NodeKind::Int(*i.value()),
        Value::Float(f) => NodeKind::Float(*f.value()),
        Value::Boolean(b) => NodeKind::Bool(*b.value()),
        Value::Datetime(_) => NodeKind::Datetime,
        Value::Array(a) => NodeKind::Array(a.iter().map(|v| from_value(v, span.clone())).collect()),
        Value::InlineTable(t) => NodeKind::Table(
            t.iter()
                .map(|(key, v)| {
                    let key_span = t.key(key).and_then(|k| k.span()).unwrap_or(span.clone());
                    Entry {
                        key: key.to_owned(),
                        key_span: key_span.clone(),
                        value: from_value(v, key_span),
                    }
                })
                .collect(),
        ),
    };
    Node { span, kind }
}

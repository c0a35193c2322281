//! A tracing subscriber that keeps the events of the current thread, so that a test can count
//! the log lines a source wrote (the crate has no tracing-subscriber).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One event: its level, message and other fields as text.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub(super) level: Level,
    pub(super) message: String,
    pub(super) fields: BTreeMap<String, String>,
}

/// The lines captured while its guard lives.
#[derive(Clone, Default)]
pub(super) struct Logs {
    lines: Arc<Mutex<Vec<Line>>>,
}

impl Logs {
    /// Captures the events of this thread until the guard drops. A `#[tokio::test]` runs its
    /// tasks on this thread.
    pub(super) fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        // tracing-core asks only the current thread's default whether a callsite is of interest
        // while a single dispatcher is registered: a callsite first reached on another test's
        // thread would then be cached as never of interest, here too. A second dispatcher that
        // lives for the whole run keeps every callsite asking the registered ones.
        static SECOND: OnceLock<tracing::Dispatch> = OnceLock::new();
        SECOND.get_or_init(|| tracing::Dispatch::new(Capture(Logs::default())));
        let logs = Logs::default();
        let guard = tracing::subscriber::set_default(Capture(logs.clone()));
        (logs, guard)
    }

    /// The lines with this message.
    pub(super) fn with_message(&self, message: &str) -> Vec<Line> {
        self.lines
            .lock()
            .expect("logs")
            .iter()
            .filter(|l| l.message == message)
            .cloned()
            .collect()
    }
}

struct Capture(Logs);

struct Fields<'a>(&'a mut Line);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "message" {
            self.0.message = format!("{value:?}");
        } else {
            self.0
                .fields
                .insert(field.name().to_owned(), format!("{value:?}"));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.message = value.to_owned();
        } else {
            self.0
                .fields
                .insert(field.name().to_owned(), value.to_owned());
        }
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = Line {
            level: *event.metadata().level(),
            message: String::new(),
            fields: BTreeMap::new(),
        };
        event.record(&mut Fields(&mut line));
        self.0.lines.lock().expect("logs").push(line);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

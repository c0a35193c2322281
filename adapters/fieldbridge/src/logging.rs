//! Structured logs: `tracing` with fields, text or JSON lines, on stderr.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `RUST_LOG` overrides `level` when set. The embedded broker
/// (rumqttd) logs every client disconnect as an error, so it is silenced unless `level` names it.
pub(crate) fn init(level: &str, json: bool) {
    let level = if level.contains("rumqttd") {
        level.to_owned()
    } else {
        format!("{level},rumqttd=off")
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // Colours only for a person at a terminal: a journal, a container log or a file gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

//! The bridge configuration: one TOML file (`design/CONFIG.md`, every key in `docs/configuration.md`).
//!
//! [`parse`] reports every mistake it finds, each with its line and dotted key, rather than stopping
//! at the first: `fieldbridge check` shows them all at once.

mod dlms;
mod iec;
mod modbus;
mod model;
mod node;
mod parse;
mod reader;
mod units;

use std::fmt;
use std::path::Path;

pub use dlms::load_key;
pub use model::*;

/// One mistake in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The dotted key, e.g. `source[0].point[2].type`.
    pub key: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.key, self.message)
        }
    }
}

/// Every mistake in a configuration file, in line order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors {
    /// The file, when read from one.
    pub file: Option<String>,
    /// The mistakes.
    pub errors: Vec<ConfigError>,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "{n} mistake{} in the configuration",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            match &self.file {
                Some(file) => write!(f, "\n  {file}:{e}")?,
                None => write!(f, "\n  {e}")?,
            }
        }
        Ok(())
    }
}

/// Parses and checks a configuration.
pub fn parse(text: &str) -> Result<Config, ConfigErrors> {
    let errors = reader::Errors::new(text);
    let doc = match toml_edit::Document::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            errors.push(&span, "", format!("TOML syntax: {}", e.message()));
            return Err(ConfigErrors {
                file: None,
                errors: errors.into_vec(),
            });
        }
    };
    let root = node::from_table(doc.as_table(), 0..0);
    let config =
        reader::TableReader::new(&errors, String::new(), &root).and_then(|t| parse::root(&t));
    let warnings = errors.warnings();
    let list = errors.into_vec();
    match config {
        Some(c) if list.is_empty() => Ok(Config {
            warnings,
            version: version_of(text),
            ..c
        }),
        _ => Err(ConfigErrors {
            file: None,
            errors: list,
        }),
    }
}

/// The version of a configuration text: `sha256:` and the first 16 hex digits of its SHA-256.
pub fn version_of(text: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    let mut out = String::from("sha256:");
    for byte in &digest[..8] {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Reads, parses and checks a configuration file.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let file = Some(path.display().to_string());
    let text = std::fs::read_to_string(path).map_err(|e| ConfigErrors {
        file: file.clone(),
        errors: vec![ConfigError {
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read: {e}"),
        }],
    })?;
    parse(&text).map_err(|e| ConfigErrors { file, ..e })
}

#[cfg(test)]
mod tests;

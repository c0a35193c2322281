//! `fieldbridge check --config FILE`.

use std::path::Path;
use std::process::ExitCode;

use fieldbridge_core::config;

/// Prints every mistake with its line and key and exits 2, or says the file is fine and exits 0.
pub(crate) fn run(path: &Path) -> ExitCode {
    match config::load(path) {
        Ok(c) => {
            let points: usize = c.sources.iter().map(super::run::point_count).sum();
            println!(
                "{}: ok ({} sources, {} points)",
                path.display(),
                c.sources.len(),
                points
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            ExitCode::from(2)
        }
    }
}

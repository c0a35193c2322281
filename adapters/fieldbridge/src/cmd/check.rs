//! `fieldbridge check --config FILE`.

use std::path::Path;
use std::process::ExitCode;

use fieldbridge_core::config;
use fieldbridge_core::tls::{self, Severity};

/// Prints every mistake with its line and key and exits 2, or says the file is fine and exits 0.
///
/// A file that parses is checked further for what is knowable without connecting: the TLS files
/// of an `mqtts://` broker (readable PEM, a CA in `ca_file`, a key that matches the certificate,
/// certificates valid now; RFC 5280) and the credentials (`password_file` readable, not empty,
/// never without `username`). Each problem names its file; an error exits 2 like any other mistake,
/// a warning is printed and the file is still fine.
pub(crate) fn run(path: &Path) -> ExitCode {
    match config::load(path) {
        Ok(c) => {
            let problems = tls::check_link(&c.mqtt, std::time::SystemTime::now());
            let errors = problems
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .count();
            if errors > 0 {
                eprintln!(
                    "{errors} mistake{} in the configuration",
                    if errors == 1 { "" } else { "s" }
                );
            }
            // Errors first, then warnings.
            let mut problems = problems;
            problems.sort_by_key(|p| p.severity == Severity::Warning);
            for problem in &problems {
                match problem.severity {
                    Severity::Error => eprintln!("  {}: {}", path.display(), problem.error),
                    Severity::Warning => {
                        eprintln!("  {}: warning: {}", path.display(), problem.error)
                    }
                }
            }
            if errors > 0 {
                return ExitCode::from(2);
            }
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

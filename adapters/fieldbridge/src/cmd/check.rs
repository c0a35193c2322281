//! `fieldbridge check --config FILE`.

use std::path::Path;
use std::process::ExitCode;

use fieldbridge_core::config::{self, Config, DlmsAuthentication, DlmsSecurity, SourceKind};
use fieldbridge_core::tls::{self, Severity};

/// Prints every mistake with its line and key and exits 2, or says the file is fine and exits 0.
///
/// A file that parses is checked against what this binary can run (a protocol without a driver is
/// refused with the line of its `protocol` key, exactly as `run` would refuse it), and the secret
/// files of DLMS sources are read (a suite 0 key is 16 bytes in hex; a password file not empty).
///
/// A file that parses is checked further for what is knowable without connecting: the TLS files
/// of an `mqtts://` broker (readable PEM, a CA in `ca_file`, a key that matches the certificate,
/// certificates valid now; RFC 5280) and the credentials (`password_file` readable, not empty,
/// never without `username`). Each problem names its file; an error exits 2 like any other mistake,
/// a warning is printed and the file is still fine.
pub(crate) fn run(path: &Path) -> ExitCode {
    match config::load(path) {
        Ok(c) => {
            let refusals = crate::protocols::registry().refusals(&c);
            if !refusals.is_empty() {
                let errors = config::ConfigErrors {
                    file: Some(path.display().to_string()),
                    errors: refusals,
                };
                eprintln!("{errors}");
                return ExitCode::from(2);
            }
            let secrets = secret_problems(&c);
            if !secrets.is_empty() {
                let n = secrets.len();
                eprintln!(
                    "{n} mistake{} in the configuration",
                    if n == 1 { "" } else { "s" }
                );
                for problem in &secrets {
                    eprintln!("  {}: {problem}", path.display());
                }
                return ExitCode::from(2);
            }
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
            for warning in &c.warnings {
                eprintln!("  {}:{warning} (warning)", path.display());
            }
            if let Some(warning) = disk_warning(&c) {
                eprintln!("  {}: warning: {warning}", path.display());
            }
            let points: usize = c.sources.iter().map(crate::bridge::point_count).sum();
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

/// The outbox bound against the filesystem `data_dir` is on (or would be on: the nearest existing
/// folder above it), when it cannot be held there.
fn disk_warning(c: &Config) -> Option<String> {
    let dir = c.bridge.data_dir.ancestors().find(|d| d.is_dir())?;
    let space = fieldbridge_outbox::FsSpace::of(dir).ok()?;
    bound_exceeds_disk(c.outbox.max_bytes, &space)
        .map(|w| format!("data_dir {}: {w}", c.bridge.data_dir.display()))
}

/// A warning when `[outbox] max_bytes` exceeds the filesystem that holds it: the disk, not the
/// bound, then decides when `when_full` applies (issue 14; `docs/reliability.md`).
pub(crate) fn bound_exceeds_disk(
    max_bytes: u64,
    space: &fieldbridge_outbox::FsSpace,
) -> Option<String> {
    (max_bytes > space.total).then(|| {
        format!(
            "[outbox] max_bytes ({} MiB) exceeds the filesystem ({} MiB, {} MiB free): a full disk \
             will apply when_full before the bound does",
            max_bytes >> 20,
            space.total >> 20,
            space.available >> 20
        )
    })
}

/// What is wrong with the key and password files of the DLMS sources, each naming its source and file.
fn secret_problems(c: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let keys = |out: &mut Vec<String>, name: &str, security: &DlmsSecurity| {
        for file in [
            &security.authentication_key_file,
            &security.encryption_key_file,
        ]
        .into_iter()
        .flatten()
        {
            if let Err(e) = config::load_key(file) {
                out.push(format!("source \"{name}\": {e}"));
            }
        }
    };
    for source in &c.sources {
        match &source.kind {
            SourceKind::Dlms(d) => {
                keys(&mut out, &source.name, &d.security);
                if let DlmsAuthentication::Low { password_file } = &d.authentication {
                    match std::fs::read_to_string(password_file) {
                        Ok(p) if p.trim_end_matches(['\r', '\n']).is_empty() => out.push(format!(
                            "source \"{}\": {}: the password file is empty",
                            source.name,
                            password_file.display()
                        )),
                        Ok(_) => {}
                        Err(e) => out.push(format!(
                            "source \"{}\": {}: cannot read: {e}",
                            source.name,
                            password_file.display()
                        )),
                    }
                }
            }
            SourceKind::DlmsPush(d) => keys(&mut out, &source.name, &d.security),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldbridge_outbox::FsSpace;

    #[test]
    fn a_bound_above_the_filesystem_is_warned_about() {
        let small = FsSpace {
            available: 2 << 20,
            total: 3 << 20,
        };
        let warning = bound_exceeds_disk(512 << 20, &small).expect("a warning");
        assert!(
            warning.contains("max_bytes (512 MiB) exceeds the filesystem (3 MiB, 2 MiB free)"),
            "{warning}"
        );
        assert_eq!(bound_exceeds_disk(2 << 20, &small), None);
    }
}

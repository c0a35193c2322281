//! Durable replacement of a small state file in a source's state folder: a temporary file,
//! synced, renamed over the old one, then the folder synced so that the rename itself survives a
//! power cut. A reader finds either the old file or the new one, never a mix.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A failed step of [`replace`].
#[derive(Debug)]
pub struct StateFileError {
    /// What was being done (`"create the folder"`, `"write"`, `"fsync"`, ...).
    pub action: &'static str,
    /// The file or folder.
    pub path: PathBuf,
    /// The operating system's error.
    pub source: io::Error,
}

fn fail<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StateFileError + 'a {
    move |source| StateFileError {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Replaces `dir/file` with `bytes` through `dir/tmp`, creating `dir` when needed. On failure the
/// temporary file is removed as far as the disk allows, so a full disk is not made fuller, and
/// the old file is left as it was.
///
/// # Errors
/// The step that failed, with its path.
pub fn replace(dir: &Path, file: &str, tmp: &str, bytes: &[u8]) -> Result<(), StateFileError> {
    fs::create_dir_all(dir).map_err(fail("create the folder", dir))?;
    let tmp = dir.join(tmp);
    let path = dir.join(file);
    let written = File::create(&tmp)
        .map_err(fail("create", &tmp))
        .and_then(|mut f| {
            f.write_all(bytes).map_err(fail("write", &tmp))?;
            f.sync_all().map_err(fail("fsync", &tmp))
        });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = fs::rename(&tmp, &path) {
        let _ = fs::remove_file(&tmp);
        return Err(fail("rename into place", &path)(e));
    }
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(fail("fsync the folder", dir))
}

//! What a set of files holds, as one SHA-256 digest: to tell a changed file from an unchanged
//! one (a reload's DLMS keys, `run --watch`) without keeping what the files hold.

use std::path::Path;

use sha2::{Digest, Sha256};

/// SHA-256 over each file's path and contents, or over the kind of error reading it gave (a file
/// that appears or disappears is a change).
pub(crate) fn files<P: AsRef<Path>>(files: &[P]) -> [u8; 32] {
    let mut hash = Sha256::new();
    for file in files {
        let file = file.as_ref();
        let path = file.as_os_str().as_encoded_bytes();
        hash.update((path.len() as u64).to_be_bytes());
        hash.update(path);
        match std::fs::read(file) {
            Ok(contents) => {
                hash.update([1]);
                hash.update((contents.len() as u64).to_be_bytes());
                hash.update(contents);
            }
            Err(e) => {
                hash.update([0]);
                hash.update(e.kind().to_string());
            }
        }
    }
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_paths_and_missing_files_tell_apart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "x").expect("write");
        std::fs::write(&b, "x").expect("write");
        assert_ne!(files(&[&a]), files(&[&b]), "same contents, other path");
        let before = files(&[&a, &b]);
        assert_eq!(before, files(&[&a, &b]), "the same files read twice");
        std::fs::write(&b, "y").expect("write");
        assert_ne!(before, files(&[&a, &b]), "other contents");
        let present = files(&[&b]);
        std::fs::remove_file(&b).expect("remove");
        assert_ne!(present, files(&[&b]), "a file gone");
    }
}

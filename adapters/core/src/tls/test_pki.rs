//! Test certificates, made at test time with the `openssl` command line tool.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A CA and certificates it signs, in a temporary directory.
pub(crate) struct Pki {
    pub(crate) dir: tempfile::TempDir,
}

impl Pki {
    pub(crate) fn new() -> Self {
        let pki = Pki {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        pki.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=fieldbridge test CA",
        ]);
        pki
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("the openssl command line tool");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub(crate) fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, data).expect("write");
        path
    }

    /// `NAME.pem` and `NAME.key` (PKCS#8, EC P-256), signed by `ca` (`ca` for the test CA), with
    /// the subject alternative names `san` (e.g. `IP:127.0.0.1,DNS:localhost`).
    pub(crate) fn issue(&self, name: &str, ca: &str, san: &str) -> (PathBuf, PathBuf) {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let pem = format!("{name}.pem");
        let ext = format!("{name}.ext");
        self.write(
            &ext,
            format!("basicConstraints=CA:FALSE\nsubjectAltName={san}\n").as_bytes(),
        );
        self.openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &format!("/CN={name}"),
        ]);
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-out",
            &pem,
            "-days",
            "30",
            "-extfile",
            &ext,
        ]);
        (self.path(&pem), self.path(&key))
    }

    /// Makes the files readable by everyone (mosquitto reads its key after dropping root).
    pub(crate) fn share(&self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(self.dir.path(), std::fs::Permissions::from_mode(0o755));
        for entry in std::fs::read_dir(self.dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let _ = std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o644));
        }
    }

    pub(crate) fn exists(path: &Path) -> bool {
        path.exists()
    }
}

//! A throw-away PKI for TLS tests, made by the `openssl` command-line tool (Debian package
//! `openssl`, installed by `scripts/install-peers`), not by code of ours.
//!
//! [`TestPki::generate`] writes PEM files (P-256 keys, SHA-256 signatures):
//!
//! | file | what |
//! | --- | --- |
//! | `ca.crt`, `ca.key` | the test CA (`CN=fieldbridge test CA`), valid ten years |
//! | `server.crt`, `server.key` | the broker: `CN=localhost`, subjectAltName `IP:127.0.0.1`, `DNS:localhost`, EKU serverAuth, signed by the CA |
//! | `client.crt`, `client.key` | the bridge: `CN=fieldbridge-test`, EKU clientAuth, signed by the CA |
//! | `expired-client.crt`, `expired-client.key` | the same client name, signed by the CA, valid only from 2020-01-01 to 2021-01-01 |
//! | `wrong-ca.crt`, `wrong-ca.key` | an unrelated CA (`CN=fieldbridge unrelated CA`) that signed nothing here |
//!
//! The expired certificate is issued with `openssl ca -startdate … -enddate …` and a minimal CA
//! configuration (OpenSSL 3.0's `x509 -req` cannot set past dates, and `faketime` is not
//! installed).
//!
//! mosquitto reads its certificate and key after dropping root to the user `mosquitto`
//! (`shared/design/PEERS.md`), so the folder is made `0755` and every file `0644`: these keys
//! protect nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::HarnessError;

/// The common name of the client certificates (also the MQTT user name a broker with
/// `use_identity_as_username true` sees).
pub const CLIENT_CN: &str = "fieldbridge-test";

/// The validity of the expired client certificate, as given to `openssl ca`.
const EXPIRED_FROM: &str = "20200101000000Z";
const EXPIRED_UNTIL: &str = "20210101000000Z";

/// A set of CA, server and client certificates and keys in one folder; see the module
/// documentation for the files.
#[derive(Debug)]
pub struct TestPki {
    dir: PathBuf,
    // Only when the PKI made its own folder; removed on drop.
    _temp: Option<TempDir>,
}

impl TestPki {
    /// A PKI in a temporary folder of its own, removed when the value is dropped.
    ///
    /// # Panics
    /// When `openssl` is missing or fails; the message names the failing command and its output.
    pub fn temp() -> TestPki {
        let result = tempfile::Builder::new()
            .prefix("fb-pki-")
            .tempdir()
            .map_err(HarnessError::from)
            .and_then(|temp| {
                let mut pki = TestPki::generate(temp.path())?;
                pki._temp = Some(temp);
                Ok(pki)
            });
        result.unwrap_or_else(|e| panic!("{e}"))
    }

    /// Writes every file into `dir` (created if needed; existing files of the same names are
    /// replaced) and makes the folder and the files readable by everyone.
    pub fn generate(dir: &Path) -> Result<TestPki, HarnessError> {
        let openssl = find_openssl()?;
        std::fs::create_dir_all(dir)?;
        let dir = dir.to_path_buf();
        let pki = TestPki { dir, _temp: None };
        let run = |args: &[&str]| run_openssl(&openssl, &pki.dir, args);
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];

        // The two CAs: self-signed, v3, CA:TRUE.
        for (name, cn) in [
            ("ca", "fieldbridge test CA"),
            ("wrong-ca", "fieldbridge unrelated CA"),
        ] {
            let (key, crt, subj) = (
                format!("{name}.key"),
                format!("{name}.crt"),
                format!("/CN={cn}"),
            );
            let mut args = vec!["req", "-x509", "-new"];
            args.extend(ec);
            args.extend([
                "-keyout",
                &key,
                "-out",
                &crt,
                "-days",
                "3650",
                "-sha256",
                "-subj",
                &subj,
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-addext",
                "subjectKeyIdentifier=hash",
            ]);
            run(&args)?;
        }

        // `openssl ca` state: its database, serial file and the folder it copies certificates to.
        std::fs::create_dir_all(pki.dir.join("ca-db/issued"))?;
        std::fs::write(pki.dir.join("ca-db/index.txt"), "")?;
        std::fs::write(pki.dir.join("ca-db/serial"), "1000\n")?;
        std::fs::write(pki.dir.join("ca.cnf"), CA_CONFIG)?;

        // Leaf certificates: a request with a fresh key, then signed by the CA.
        // (file name, common name, extensions section, validity dates or ten years)
        type Leaf<'a> = (&'a str, &'a str, &'a str, Option<(&'a str, &'a str)>);
        let leaves: [Leaf<'_>; 3] = [
            ("server", "localhost", "server_ext", None),
            ("client", CLIENT_CN, "client_ext", None),
            (
                "expired-client",
                CLIENT_CN,
                "client_ext",
                Some((EXPIRED_FROM, EXPIRED_UNTIL)),
            ),
        ];
        for (name, cn, extensions, dates) in leaves {
            let (key, csr, crt, subj) = (
                format!("{name}.key"),
                format!("ca-db/{name}.csr"),
                format!("{name}.crt"),
                format!("/CN={cn}"),
            );
            let mut args = vec!["req", "-new"];
            args.extend(ec);
            args.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
            run(&args)?;
            let mut args = vec![
                "ca",
                "-batch",
                "-notext",
                "-config",
                "ca.cnf",
                "-extensions",
                extensions,
                "-in",
                &csr,
                "-out",
                &crt,
            ];
            match dates {
                Some((from, until)) => args.extend(["-startdate", from, "-enddate", until]),
                None => args.extend(["-days", "3650"]),
            }
            run(&args)?;
        }

        make_world_readable(&pki.dir)?;
        Ok(pki)
    }

    /// The folder holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The test CA's certificate (the `ca_file` that makes the broker trusted).
    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// The test CA's private key.
    pub fn ca_key(&self) -> PathBuf {
        self.dir.join("ca.key")
    }

    /// The broker's certificate (127.0.0.1 and localhost), signed by the CA.
    pub fn server_cert(&self) -> PathBuf {
        self.dir.join("server.crt")
    }

    /// The broker's private key.
    pub fn server_key(&self) -> PathBuf {
        self.dir.join("server.key")
    }

    /// The client certificate ([`CLIENT_CN`]), signed by the CA.
    pub fn client_cert(&self) -> PathBuf {
        self.dir.join("client.crt")
    }

    /// The client's private key.
    pub fn client_key(&self) -> PathBuf {
        self.dir.join("client.key")
    }

    /// A client certificate ([`CLIENT_CN`], signed by the CA) that expired on 2021-01-01.
    pub fn expired_client_cert(&self) -> PathBuf {
        self.dir.join("expired-client.crt")
    }

    /// The expired client certificate's private key.
    pub fn expired_client_key(&self) -> PathBuf {
        self.dir.join("expired-client.key")
    }

    /// An unrelated CA's certificate: a `ca_file` that does not sign the broker's certificate.
    pub fn wrong_ca_cert(&self) -> PathBuf {
        self.dir.join("wrong-ca.crt")
    }

    /// The unrelated CA's private key.
    pub fn wrong_ca_key(&self) -> PathBuf {
        self.dir.join("wrong-ca.key")
    }
}

/// A minimal `openssl ca` configuration: no policy beyond a common name, extensions chosen by
/// `-extensions`, nothing copied from the request.
const CA_CONFIG: &str = "\
[ca]
default_ca = test_ca

[test_ca]
database = ca-db/index.txt
new_certs_dir = ca-db/issued
serial = ca-db/serial
certificate = ca.crt
private_key = ca.key
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
email_in_dn = no

[any_name]
commonName = supplied

[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

fn find_openssl() -> Result<PathBuf, HarnessError> {
    let mut dirs: Vec<PathBuf> = vec!["/usr/bin".into(), "/usr/local/bin".into()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.iter()
        .map(|dir| dir.join("openssl"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| HarnessError::MissingPeer {
            peer: "openssl",
            hint: "not in /usr/bin, /usr/local/bin or PATH".into(),
        })
}

fn run_openssl(openssl: &Path, dir: &Path, args: &[&str]) -> Result<(), HarnessError> {
    let output = Command::new(openssl)
        .args(args)
        .current_dir(dir)
        // No user configuration may change what is generated.
        .env_remove("OPENSSL_CONF")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| HarnessError::Spawn {
            program: openssl.to_path_buf(),
            source,
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(HarnessError::NotReady {
            what: format!("openssl {}", args.join(" ")),
            waited: std::time::Duration::ZERO,
            detail: format!(
                "exited with {}; its output:\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        })
    }
}

/// Opens `dir` and its files to every user: mosquitto reads its certificates and password file
/// after dropping root to the user `mosquitto`.
#[cfg(unix)]
pub(crate) fn make_world_readable(dir: &Path) -> Result<(), HarnessError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o644))?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn make_world_readable(_dir: &Path) -> Result<(), HarnessError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn openssl(pki: &TestPki, args: &[&str]) -> (bool, String) {
        let output = Command::new(find_openssl().expect("openssl"))
            .args(args)
            .current_dir(pki.dir())
            .output()
            .expect("run openssl");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }

    #[test]
    fn every_certificate_verifies_against_its_ca_and_only_the_expired_one_is_expired() {
        let pki = TestPki::temp();
        for (cert, purpose) in [("server.crt", "sslserver"), ("client.crt", "sslclient")] {
            let (ok, out) = openssl(
                &pki,
                &["verify", "-CAfile", "ca.crt", "-purpose", purpose, cert],
            );
            assert!(ok, "{cert}: {out}");
            let (ok, out) = openssl(&pki, &["verify", "-CAfile", "wrong-ca.crt", cert]);
            assert!(!ok, "{cert} must not verify against the wrong CA: {out}");
        }
        let (ok, out) = openssl(&pki, &["verify", "-CAfile", "ca.crt", "expired-client.crt"]);
        assert!(!ok && out.contains("expired"), "{out}");
        let (_, out) = openssl(
            &pki,
            &[
                "x509",
                "-in",
                "server.crt",
                "-noout",
                "-ext",
                "subjectAltName",
            ],
        );
        assert!(
            out.contains("IP Address:127.0.0.1") && out.contains("DNS:localhost"),
            "{out}"
        );
        let (_, out) = openssl(&pki, &["x509", "-in", "client.crt", "-noout", "-subject"]);
        assert!(out.contains(CLIENT_CN), "{out}");
        // Each key belongs to its certificate.
        for name in ["server", "client", "expired-client", "ca", "wrong-ca"] {
            let (_, from_cert) = openssl(
                &pki,
                &["x509", "-in", &format!("{name}.crt"), "-noout", "-pubkey"],
            );
            let (_, from_key) = openssl(&pki, &["pkey", "-in", &format!("{name}.key"), "-pubout"]);
            assert_eq!(from_cert, from_key, "{name}: key and certificate differ");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(pki.server_key())
                .expect("server key")
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o004,
                0o004,
                "the broker's key must be readable by mosquitto"
            );
        }
    }
}

//! A mosquitto broker of a test's own, plain or with a TLS listener, a password file and an ACL.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::pki::make_world_readable;
use crate::process::Guarded;
use crate::{free_port, locate, HarnessError, Peer, TestPki};

/// A TLS listener on a second free port of 127.0.0.1, beside the plain one (so that a test's own
/// subscriber can stay plain): `cafile`, `certfile`, `keyfile` and optionally
/// `require_certificate true` and `use_identity_as_username true`. These options are per
/// listener in mosquitto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsListener {
    /// CA bundle the broker checks client certificates against (`cafile`).
    pub cafile: PathBuf,
    /// The broker's certificate (`certfile`).
    pub certfile: PathBuf,
    /// The broker's private key (`keyfile`); mosquitto reads it as the user `mosquitto`.
    pub keyfile: PathBuf,
    /// `require_certificate true`: a client without a certificate signed by `cafile` is refused
    /// during the handshake.
    pub require_certificate: bool,
    /// `use_identity_as_username true`: the client certificate's common name becomes the MQTT
    /// user name (for the ACL); needs `require_certificate`.
    pub use_identity_as_username: bool,
}

impl TlsListener {
    /// The broker's certificate and key of `pki`, client certificates not required.
    pub fn from_pki(pki: &TestPki) -> TlsListener {
        TlsListener {
            cafile: pki.ca_cert(),
            certfile: pki.server_cert(),
            keyfile: pki.server_key(),
            require_certificate: false,
            use_identity_as_username: false,
        }
    }

    /// The same listener requiring (or not) a client certificate signed by the CA.
    pub fn require_certificate(mut self, required: bool) -> TlsListener {
        self.require_certificate = required;
        self
    }

    /// The same listener taking (or not) the client certificate's common name as the user name;
    /// turns `require_certificate` on when set.
    pub fn use_identity_as_username(mut self, used: bool) -> TlsListener {
        self.use_identity_as_username = used;
        self.require_certificate |= used;
        self
    }

    fn config(&self, port: u16) -> String {
        format!(
            "listener {port} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\n\
             require_certificate {}\nuse_identity_as_username {}\n",
            self.cafile.display(),
            self.certfile.display(),
            self.keyfile.display(),
            self.require_certificate,
            self.use_identity_as_username,
        )
    }
}

/// How to start a [`Mosquitto`] beyond the defaults: a TLS listener, users (a `password_file`
/// made by `mosquitto_passwd`, which also sets `allow_anonymous false`), an ACL file, extra
/// lines.
///
/// With mosquitto's default `per_listener_settings false`, `allow_anonymous`, the password file
/// and the ACL apply to every listener, the plain one included: a test's own subscriber then
/// needs credentials too ([`crate::Subscriber::connect_with_credentials`]).
#[derive(Debug, Clone, Default)]
pub struct MosquittoBuilder {
    tls: Option<TlsListener>,
    users: Vec<(String, String)>,
    acl: Option<String>,
    allow_anonymous: Option<bool>,
    extra: String,
}

impl MosquittoBuilder {
    /// Adds a TLS listener on a second free port ([`Mosquitto::tls_port`]).
    pub fn tls(mut self, listener: TlsListener) -> MosquittoBuilder {
        self.tls = Some(listener);
        self
    }

    /// Adds a user to the broker's password file; the first one turns anonymous access off
    /// (unless [`MosquittoBuilder::allow_anonymous`] says otherwise).
    pub fn user(mut self, name: &str, password: &str) -> MosquittoBuilder {
        self.users.push((name.to_owned(), password.to_owned()));
        self
    }

    /// The text of an `acl_file` (`user NAME` / `topic read|write|readwrite FILTER` /
    /// `pattern ...` lines, see mosquitto.conf(5)).
    pub fn acl(mut self, text: &str) -> MosquittoBuilder {
        self.acl = Some(text.to_owned());
        self
    }

    /// `allow_anonymous` explicitly (default: true without users, false with users).
    pub fn allow_anonymous(mut self, allowed: bool) -> MosquittoBuilder {
        self.allow_anonymous = Some(allowed);
        self
    }

    /// More whole configuration lines (global options; they go before the TLS listener).
    pub fn extra(mut self, lines: &str) -> MosquittoBuilder {
        self.extra.push_str(lines);
        self.extra.push('\n');
        self
    }

    /// Starts the broker and waits until every listener accepts connections.
    ///
    /// # Panics
    /// When mosquitto (or `mosquitto_passwd`) is not installed or the broker does not start;
    /// the message has its log.
    pub fn start(self) -> Mosquitto {
        self.try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The same, returning errors instead of panicking.
    pub fn try_start(self) -> Result<Mosquitto, HarnessError> {
        let binary = locate(Peer::Mosquitto)?;
        let dir = tempfile::Builder::new().prefix("fb-mosquitto-").tempdir()?;
        let port = free_port();
        let secured = self.tls.is_some() || !self.users.is_empty() || self.acl.is_some();
        let allow_anonymous = self.allow_anonymous.unwrap_or(self.users.is_empty());
        let mut config = format!(
            "listener {port} 127.0.0.1\nallow_anonymous {allow_anonymous}\nlog_dest stderr\n\
             log_type all\nmax_queued_messages 0\n"
        );
        let mut password_file = None;
        if !self.users.is_empty() {
            let path = dir.path().join("passwords");
            make_password_file(&path, &self.users)?;
            config.push_str(&format!("password_file {}\n", path.display()));
            password_file = Some(path);
        }
        let mut acl_file = None;
        if let Some(acl) = &self.acl {
            let path = dir.path().join("acl");
            std::fs::write(&path, acl)?;
            config.push_str(&format!("acl_file {}\n", path.display()));
            acl_file = Some(path);
        }
        config.push_str(&self.extra);
        config.push('\n');
        let tls_port = match &self.tls {
            Some(listener) => {
                let tls_port = loop {
                    let p = free_port();
                    if p != port {
                        break p;
                    }
                };
                config.push_str(&listener.config(tls_port));
                Some(tls_port)
            }
            None => None,
        };
        std::fs::write(dir.path().join("mosquitto.conf"), config)?;
        if secured {
            // mosquitto drops root to the user `mosquitto` before it reads its key, password
            // and ACL files (PEERS.md).
            make_world_readable(dir.path())?;
        }
        let mut broker = Mosquitto {
            port,
            tls_port,
            password_file,
            acl_file,
            binary,
            dir,
            process: None,
        };
        broker.spawn()?;
        Ok(broker)
    }
}

/// `mosquitto_passwd -b -c FILE USER PASSWORD` for the first user, without `-c` for the others.
fn make_password_file(path: &Path, users: &[(String, String)]) -> Result<(), HarnessError> {
    let passwd = ["/usr/bin", "/usr/sbin"]
        .iter()
        .map(|d| Path::new(d).join("mosquitto_passwd"))
        .find(|p| p.is_file())
        .ok_or_else(|| HarnessError::MissingPeer {
            peer: "mosquitto_passwd",
            hint: "not in /usr/bin or /usr/sbin (Debian package mosquitto)".into(),
        })?;
    for (i, (user, password)) in users.iter().enumerate() {
        let mut command = Command::new(&passwd);
        command.arg("-b");
        if i == 0 {
            command.arg("-c");
        }
        let output = command
            .arg(path)
            .arg(user)
            .arg(password)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| HarnessError::Spawn {
                program: passwd.clone(),
                source,
            })?;
        if !output.status.success() {
            return Err(HarnessError::NotReady {
                what: format!("mosquitto_passwd for user {user}"),
                waited: std::time::Duration::ZERO,
                detail: format!(
                    "exited with {}: {}{}",
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            });
        }
    }
    Ok(())
}

/// A mosquitto broker on a free 127.0.0.1 port, with its own configuration file in a
/// temporary folder; killed when dropped.
///
/// The configuration is `listener PORT 127.0.0.1`, `allow_anonymous true`, `log_dest stderr`
/// (unbuffered, unlike stdout) and `max_queued_messages 0` (no limit: the default of 1000
/// silently drops messages queued for an absent persistent subscriber), plus any extra lines
/// given to [`Mosquitto::start_with`]. No persistence is configured, so the broker keeps
/// running as root; a test that adds `persistence true` must make its folder writable by the
/// user `mosquitto`.
///
/// [`Mosquitto::builder`] adds a TLS listener beside the plain one, users and an ACL.
#[derive(Debug)]
pub struct Mosquitto {
    // killed before its folder is removed: fields drop in order
    process: Option<Guarded>,
    port: u16,
    tls_port: Option<u16>,
    password_file: Option<PathBuf>,
    acl_file: Option<PathBuf>,
    binary: PathBuf,
    dir: TempDir,
}

impl Mosquitto {
    /// A builder for a broker with a TLS listener, users or an ACL.
    pub fn builder() -> MosquittoBuilder {
        MosquittoBuilder::default()
    }

    /// A broker with a plain listener and a TLS listener using `pki`'s server certificate
    /// (client certificates not required), anonymous access allowed.
    ///
    /// # Panics
    /// As [`Mosquitto::start`].
    pub fn start_tls(pki: &TestPki) -> Mosquitto {
        Mosquitto::builder().tls(TlsListener::from_pki(pki)).start()
    }

    /// Start a broker and wait until its port accepts connections.
    ///
    /// # Panics
    /// When mosquitto is not installed or does not start; the message has its log.
    pub fn start() -> Mosquitto {
        Self::try_start_with("").unwrap_or_else(|e| panic!("{e}"))
    }

    /// Start a broker whose configuration file also has `extra` (whole lines).
    ///
    /// # Panics
    /// As [`Mosquitto::start`].
    pub fn start_with(extra: &str) -> Mosquitto {
        Self::try_start_with(extra).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Start a broker with extra configuration lines, returning errors instead of panicking.
    pub fn try_start_with(extra: &str) -> Result<Mosquitto, HarnessError> {
        Mosquitto::builder().extra(extra).try_start()
    }

    fn spawn(&mut self) -> Result<(), HarnessError> {
        let log_path = self.dir.path().join("mosquitto.log");
        let log = File::options().create(true).append(true).open(&log_path)?;
        let mut command = Command::new(&self.binary);
        command
            .arg("-c")
            .arg(self.config_path())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let mut process = Guarded::spawn(
            command,
            format!("mosquitto on port {}", self.port),
            &log_path,
        )?;
        process.wait_for_port(self.port)?;
        if let Some(tls_port) = self.tls_port {
            process.wait_for_port(tls_port)?;
        }
        self.process = Some(process);
        Ok(())
    }

    /// The broker's TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The broker's address as `mqtt://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// The TLS listener's port on 127.0.0.1, when the broker has one.
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// The TLS listener's address as `mqtts://127.0.0.1:PORT`.
    ///
    /// # Panics
    /// When the broker was started without a TLS listener.
    pub fn tls_url(&self) -> String {
        let port = self
            .tls_port
            .expect("this broker has no TLS listener (see Mosquitto::builder().tls(..))");
        format!("mqtts://127.0.0.1:{port}")
    }

    /// The `password_file` made by `mosquitto_passwd`, when users were given.
    pub fn password_file(&self) -> Option<&Path> {
        self.password_file.as_deref()
    }

    /// The `acl_file`, when an ACL was given.
    pub fn acl_file(&self) -> Option<&Path> {
        self.acl_file.as_deref()
    }

    /// The configuration file in use.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("mosquitto.conf")
    }

    /// The broker's temporary folder (configuration, log), removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the broker logged so far, across restarts.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    /// Whether the broker process is alive.
    pub fn is_running(&mut self) -> bool {
        self.process.as_mut().is_some_and(Guarded::is_running)
    }

    /// A broker that keeps its sessions and queued messages on disk across a stop
    /// ([`Mosquitto::stop`]): `persistence true` in a folder the `mosquitto` user may write (it
    /// drops root), saved every second and on a clean exit.
    pub fn start_persistent() -> Mosquitto {
        let dir = tempfile::Builder::new()
            .prefix("fb-mosquitto-db-")
            .tempdir()
            .unwrap_or_else(|e| panic!("{e}"));
        let db = dir.keep();
        let _ = Command::new("chown").arg("mosquitto:").arg(&db).status();
        Mosquitto::start_with(&format!(
            "persistence true\npersistence_location {}/\nautosave_interval 1\n",
            db.display()
        ))
    }

    /// Stop the broker cleanly (SIGTERM): with persistence it saves what it holds, so nothing it
    /// acknowledged is lost; the port stays reserved for [`Mosquitto::restart`].
    pub fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.terminate();
        }
    }

    /// Kill the broker (SIGKILL, as a crash would); the port stays reserved for
    /// [`Mosquitto::restart`].
    pub fn kill(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.kill();
        }
    }

    /// Kill the broker if it runs, then start it again on the same port and configuration and
    /// wait until it accepts connections.
    ///
    /// # Panics
    /// When it does not come back.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn().unwrap_or_else(|e| panic!("{e}"));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{require, Subscriber};

    /// `mosquitto_pub -h 127.0.0.1 -p PORT -t TOPIC -m MESSAGE ARGS...`: (success, output).
    fn publish(port: u16, topic: &str, message: &str, args: &[&str]) -> (bool, String) {
        let output = Command::new(require(Peer::MosquittoPub))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-t",
                topic,
                "-m",
                message,
            ])
            .args([
                "-q",
                "1",
                "-i",
                &format!("fb-harness-pub-{}", std::process::id()),
            ])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run mosquitto_pub");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }

    fn path(p: PathBuf) -> String {
        p.display().to_string()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_tls_listener_beside_the_plain_one_trusts_only_its_ca() {
        let pki = TestPki::temp();
        let broker = Mosquitto::start_tls(&pki);
        let port = broker.tls_port().expect("a TLS port");
        assert_eq!(broker.tls_url(), format!("mqtts://127.0.0.1:{port}"));
        let sub = Subscriber::connect(broker.port(), "tls/#").await;
        let ca = path(pki.ca_cert());
        let (ok, out) = publish(port, "tls/ok", "over tls", &["--cafile", &ca]);
        assert!(ok, "{out}\nbroker log:\n{}", broker.log());
        let got = sub
            .wait_for(|m| m.topic == "tls/ok", Duration::from_secs(5))
            .await;
        assert_eq!(got.map(|m| m.text()), Some("over tls".to_owned()));
        // Named by host name too (subjectAltName DNS:localhost).
        let output = Command::new(require(Peer::MosquittoPub))
            .args([
                "-h",
                "localhost",
                "-p",
                &port.to_string(),
                "-t",
                "tls/dns",
                "-m",
                "x",
            ])
            .args(["--cafile", &ca])
            .output()
            .expect("run mosquitto_pub");
        assert!(output.status.success(), "{output:?}");
        let wrong = path(pki.wrong_ca_cert());
        let (ok, out) = publish(port, "tls/wrong", "x", &["--cafile", &wrong]);
        assert!(!ok, "a client trusting another CA must fail: {out}");
        // Plain text on the TLS port is not MQTT to it.
        let (ok, _) = publish(port, "tls/plain", "x", &[]);
        assert!(!ok);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let topics: Vec<String> = sub.messages().into_iter().map(|m| m.topic).collect();
        assert_eq!(topics, ["tls/ok", "tls/dns"]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn required_client_certificates_users_and_an_acl_apply() {
        let pki = TestPki::temp();
        let broker = Mosquitto::builder()
            .tls(TlsListener::from_pki(&pki).require_certificate(true))
            .user("watcher", "watcher-pw")
            .user("sender", "sender-pw")
            .acl("user watcher\ntopic read acl/#\n\nuser sender\ntopic write acl/allowed/#\n")
            .start();
        assert!(broker.password_file().is_some_and(Path::exists));
        assert!(broker.acl_file().is_some_and(Path::exists));
        let port = broker.tls_port().expect("a TLS port");
        let sub =
            Subscriber::connect_with_credentials(broker.port(), "acl/#", "watcher", "watcher-pw")
                .await;
        let (ca, cert, key) = (
            path(pki.ca_cert()),
            path(pki.client_cert()),
            path(pki.client_key()),
        );
        let creds = ["-u", "sender", "-P", "sender-pw"];
        let tls = ["--cafile", &ca, "--cert", &cert, "--key", &key];
        let (ok, out) = publish(port, "acl/allowed/1", "yes", &[&tls[..], &creds].concat());
        assert!(ok, "{out}\nbroker log:\n{}", broker.log());
        // No client certificate: refused in the handshake.
        let (ok, out) = publish(
            port,
            "acl/allowed/2",
            "no cert",
            &[&["--cafile", &ca][..], &creds].concat(),
        );
        assert!(!ok, "{out}");
        // The expired certificate: refused too.
        let (expired, expired_key) = (
            path(pki.expired_client_cert()),
            path(pki.expired_client_key()),
        );
        let expired_tls = ["--cafile", &ca, "--cert", &expired, "--key", &expired_key];
        let (ok, out) = publish(
            port,
            "acl/allowed/3",
            "expired",
            &[&expired_tls[..], &creds].concat(),
        );
        assert!(!ok, "{out}");
        // A wrong password, on the plain listener too (allow_anonymous false is global).
        let (ok, out) = publish(
            broker.port(),
            "acl/allowed/4",
            "bad",
            &["-u", "sender", "-P", "nope"],
        );
        assert!(!ok, "{out}");
        let (ok, out) = publish(broker.port(), "acl/allowed/5", "anonymous", &[]);
        assert!(!ok, "{out}");
        // Allowed to connect but not to write there: mosquitto drops it silently.
        let (ok, out) = publish(broker.port(), "acl/denied", "denied", &creds);
        assert!(ok, "{out}");
        let (ok, out) = publish(broker.port(), "acl/allowed/6", "plain", &creds);
        assert!(ok, "{out}");
        assert!(
            sub.wait_for(|m| m.topic == "acl/allowed/6", Duration::from_secs(5))
                .await
                .is_some(),
            "broker log:\n{}",
            broker.log()
        );
        let topics: Vec<String> = sub.messages().into_iter().map(|m| m.topic).collect();
        assert_eq!(topics, ["acl/allowed/1", "acl/allowed/6"]);
    }
}

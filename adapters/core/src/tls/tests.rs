use super::test_pki::Pki;
use super::*;
use std::time::{Duration, SystemTime};

fn files(ca: Option<PathBuf>, cert: Option<PathBuf>, key: Option<PathBuf>) -> TlsFiles {
    TlsFiles {
        ca_file: ca,
        cert_file: cert,
        key_file: key,
    }
}

fn err(files: &TlsFiles) -> TlsError {
    match client_config(files) {
        Ok(_) => panic!("expected an error for {files:?}"),
        Err(e) => e,
    }
}

#[test]
fn a_ca_and_a_matching_client_identity_make_a_config() {
    let pki = Pki::new();
    let (cert, key) = pki.issue("client", "ca", "DNS:client");
    let f = files(Some(pki.path("ca.pem")), Some(cert), Some(key));
    assert!(client_config(&f).is_ok());
    assert!(check_files(&f, SystemTime::now()).is_empty());
    // Server authentication only.
    assert!(client_config(&files(Some(pki.path("ca.pem")), None, None)).is_ok());
}

#[test]
fn pkcs1_and_sec1_keys_and_bundles_of_several_cas_are_accepted() {
    let pki = Pki::new();
    // A second CA, RSA, and a client of it with a PKCS#1 key.
    pki.openssl(&["genrsa", "-traditional", "-out", "ca2.key", "2048"]);
    pki.openssl(&[
        "req",
        "-x509",
        "-key",
        "ca2.key",
        "-out",
        "ca2.pem",
        "-days",
        "30",
        "-subj",
        "/CN=second CA",
    ]);
    pki.openssl(&["genrsa", "-traditional", "-out", "rsa.key", "2048"]);
    pki.openssl(&[
        "req", "-new", "-key", "rsa.key", "-out", "rsa.csr", "-subj", "/CN=rsa",
    ]);
    pki.write("rsa.ext", b"basicConstraints=CA:FALSE\n");
    pki.openssl(&[
        "x509",
        "-req",
        "-in",
        "rsa.csr",
        "-CA",
        "ca2.pem",
        "-CAkey",
        "ca2.key",
        "-CAcreateserial",
        "-out",
        "rsa.pem",
        "-days",
        "30",
        "-extfile",
        "rsa.ext",
    ]);
    let rsa_key = std::fs::read_to_string(pki.path("rsa.key")).unwrap_or_default();
    assert!(rsa_key.contains("BEGIN RSA PRIVATE KEY"), "{rsa_key}");
    let bundle = [
        std::fs::read(pki.path("ca.pem")).unwrap_or_default(),
        std::fs::read(pki.path("ca2.pem")).unwrap_or_default(),
    ]
    .concat();
    let bundle = pki.write("bundle.pem", &bundle);
    let f = files(
        Some(bundle.clone()),
        Some(pki.path("rsa.pem")),
        Some(pki.path("rsa.key")),
    );
    client_config(&f).expect("PKCS#1 key");

    let (cert, key) = pki.issue("ec", "ca", "DNS:ec");
    pki.openssl(&["ec", "-in", "ec.key", "-out", "ec-sec1.key"]);
    let sec1 = std::fs::read_to_string(pki.path("ec-sec1.key")).unwrap_or_default();
    assert!(sec1.contains("BEGIN EC PRIVATE KEY"), "{sec1}");
    assert!(Pki::exists(&key));
    client_config(&files(
        Some(bundle),
        Some(cert),
        Some(pki.path("ec-sec1.key")),
    ))
    .expect("SEC1 key");
}

#[test]
fn each_file_problem_names_the_file() {
    let pki = Pki::new();
    let (cert, key) = pki.issue("client", "ca", "DNS:client");
    let (_, other_key) = pki.issue("other", "ca", "DNS:other");
    let ca = pki.path("ca.pem");
    let missing = pki.path("missing.pem");

    let e = err(&files(Some(missing.clone()), None, None));
    assert!(
        matches!(
            e,
            TlsError::Unreadable {
                role: FileRole::CaFile,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with(&format!("mqtt.ca_file {}: cannot read", missing.display())),
        "{e}"
    );

    let text = pki.write("text.pem", b"hello\n");
    let e = err(&files(Some(text.clone()), None, None));
    assert!(matches!(e, TlsError::NotPem { .. }), "{e}");
    assert!(e.to_string().contains(&text.display().to_string()), "{e}");

    pki.openssl(&["x509", "-in", "ca.pem", "-outform", "der", "-out", "ca.der"]);
    let e = err(&files(Some(pki.path("ca.der")), None, None));
    assert!(e.to_string().contains("looks like DER"), "{e}");

    let e = err(&files(Some(key.clone()), None, None));
    assert!(matches!(e, TlsError::NoCaCertificates { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("no CA certificates found (found: PRIVATE KEY)"),
        "{e}"
    );

    let e = err(&files(
        Some(ca.clone()),
        Some(key.clone()),
        Some(key.clone()),
    ));
    assert!(
        matches!(
            e,
            TlsError::NoCertificate {
                role: FileRole::CertFile,
                ..
            }
        ),
        "{e}"
    );

    let e = err(&files(
        Some(ca.clone()),
        Some(cert.clone()),
        Some(cert.clone()),
    ));
    assert!(matches!(e, TlsError::BadKey { .. }), "{e}");
    assert!(e.to_string().contains("no private key in the file"), "{e}");

    pki.openssl(&[
        "pkey",
        "-in",
        "client.key",
        "-out",
        "encrypted.key",
        "-aes256",
        "-passout",
        "pass:secret",
    ]);
    let e = err(&files(
        Some(ca.clone()),
        Some(cert.clone()),
        Some(pki.path("encrypted.key")),
    ));
    assert!(e.to_string().contains("encrypted"), "{e}");

    let garbage = pki.write(
        "garbage.key",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    let e = err(&files(Some(ca.clone()), Some(cert.clone()), Some(garbage)));
    assert!(e.to_string().contains("cannot be used"), "{e}");

    let e = err(&files(
        Some(ca.clone()),
        Some(cert.clone()),
        Some(other_key.clone()),
    ));
    assert!(matches!(e, TlsError::KeyMismatch { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "mqtt.key_file {} does not match the certificate in mqtt.cert_file {} (their public keys differ)",
            other_key.display(),
            cert.display()
        )
    );

    assert!(matches!(
        err(&files(None, None, None)),
        TlsError::CaFileRequired
    ));
    assert!(matches!(
        err(&files(Some(ca.clone()), Some(cert), None)),
        TlsError::HalfClientIdentity
    ));
}

#[test]
fn expired_and_not_yet_valid_certificates_are_reported_with_their_dates() {
    let pki = Pki::new();
    let (cert, key) = pki.issue("client", "ca", "DNS:client");
    let f = files(Some(pki.path("ca.pem")), Some(cert.clone()), Some(key));
    let later = SystemTime::now() + Duration::from_secs(365 * 86400);
    let problems = check_files(&f, later);
    assert_eq!(problems.len(), 2, "{problems:?}");
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(text[0].starts_with("error: mqtt.ca_file"), "{text:?}");
    assert!(
        text[0].contains("\"CN=fieldbridge test CA\" expired on 20"),
        "{text:?}"
    );
    assert!(
        text[1].contains(&format!(
            "mqtt.cert_file {}: certificate \"CN=client\" expired on",
            cert.display()
        )),
        "{text:?}"
    );
    // The loader itself does not refuse them: the broker has the last word.
    assert!(client_config(&f).is_ok());

    let before = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
    let problems = validity_problems(&f, before);
    assert_eq!(problems.len(), 2);
    assert!(matches!(problems[1], TlsError::NotYetValid { .. }));
    assert!(
        problems[1].to_string().contains("is not valid before 20"),
        "{}",
        problems[1]
    );
}

#[test]
fn credentials_follow_the_rules() {
    let pki = Pki::new();
    let mut mqtt = crate::config::parse(
        "[bridge]\nid = \"b\"\nsite = \"s\"\ndata_dir = \"/tmp/x\"\n[mqtt]\nurl = \"mqtts://broker\"\n",
    )
    .map(|c| c.mqtt)
    .expect("a minimal configuration");
    assert_eq!(credentials(&mqtt).ok(), Some(None));
    let problems = check_link(&mqtt, SystemTime::now());
    assert!(
        matches!(problems[0].error, TlsError::CaFileRequired),
        "{problems:?}"
    );

    let password = pki.write("password", b"s3cret\n");
    mqtt.password_file = Some(password.clone());
    let e = credentials(&mqtt)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("without mqtt.username"), "{e}");

    mqtt.username = Some("bridge".into());
    assert_eq!(
        credentials(&mqtt).ok(),
        Some(Some(("bridge".into(), "s3cret".into())))
    );
    pki.write("password", b"\n");
    let e = credentials(&mqtt)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        e,
        format!(
            "mqtt.password_file {}: the file is empty",
            password.display()
        )
    );
    mqtt.password_file = Some(pki.path("nope"));
    let e = credentials(&mqtt)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.starts_with("mqtt.password_file") && e.contains("cannot read"),
        "{e}"
    );
    mqtt.password_file = None;
    assert_eq!(
        credentials(&mqtt).ok(),
        Some(Some(("bridge".into(), String::new())))
    );
}

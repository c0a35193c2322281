//! `fieldbridge health [--url URL]`: asks a running bridge's `/health` (or `/ready`) and exits 0
//! when it answers 200. A container image has no shell and no curl, so its health check runs the
//! binary itself (`docs/deployment.md`).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

/// How long the whole probe may take: a health check that hangs is worse than one that fails.
const TIMEOUT: Duration = Duration::from_secs(3);

/// Probes `url` (`http://host:port/path`, the metrics endpoint of `[metrics] listen`).
pub(crate) fn run(url: &str) -> ExitCode {
    match probe(url) {
        Ok(200) => {
            println!("{url}: 200 OK");
            ExitCode::SUCCESS
        }
        Ok(status) => {
            eprintln!("fieldbridge health: {url} answered {status}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("fieldbridge health: {url}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The HTTP status `url` answers with (RFC 9112 §4: the status line).
fn probe(url: &str) -> Result<u16, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs are probed (the metrics endpoint has no TLS)")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/health"),
    };
    let addr = authority
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{authority} resolves to no address"))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("cannot connect: {e}"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut head = [0u8; 64];
    let mut len = 0;
    while len < head.len() {
        match stream.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) => return Err(format!("no answer: {e}")),
        }
        if head[..len].contains(&b'\n') {
            break;
        }
    }
    status_of(&head[..len]).ok_or_else(|| "the answer is not HTTP".to_owned())
}

/// The status code of an HTTP/1.x status line (`HTTP/1.1 200 OK`).
fn status_of(head: &[u8]) -> Option<u16> {
    let line = std::str::from_utf8(head).ok()?.lines().next()?;
    let mut parts = line.split(' ');
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_code_is_read_from_the_status_line() {
        assert_eq!(
            status_of(b"HTTP/1.1 200 OK\r\ncontent-length: 3"),
            Some(200)
        );
        assert_eq!(
            status_of(b"HTTP/1.0 503 Service Unavailable\r\n"),
            Some(503)
        );
        assert_eq!(status_of(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_of(b""), None);
    }

    #[test]
    fn a_url_without_http_or_a_listener_fails_with_a_reason() {
        assert!(probe("https://127.0.0.1:1/health").is_err());
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let error = probe(&format!("http://{closed}/health")).expect_err("nothing listens");
        assert!(error.contains("cannot connect"), "{error}");
    }
}

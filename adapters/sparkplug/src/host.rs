//! The STATE of a (primary) host application (Sparkplug 3.0, 4.2.3, 5.4 and 5.10).

use serde::{Deserialize, Serialize};

use crate::Error;

/// A host application's STATE payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostState {
    /// The host application is online.
    pub online: bool,
    /// Its connection time, ms since the epoch, UTC (3.0 JSON only; `None` for the 2.2 text).
    pub timestamp: Option<u64>,
}

#[derive(Deserialize)]
struct Json {
    online: bool,
    timestamp: u64,
}

impl HostState {
    /// Parses a STATE payload: Sparkplug 3.0's JSON `{"online":bool,"timestamp":ms}`
    /// (4.2.3.1.3; other keys are ignored) or Sparkplug 2.2's text `ONLINE` / `OFFLINE`.
    pub fn parse(payload: &[u8]) -> Result<HostState, Error> {
        let text = std::str::from_utf8(payload).map(str::trim);
        match text {
            Ok("ONLINE") => {
                return Ok(HostState {
                    online: true,
                    timestamp: None,
                })
            }
            Ok("OFFLINE") => {
                return Ok(HostState {
                    online: false,
                    timestamp: None,
                })
            }
            _ => {}
        }
        match serde_json::from_slice::<Json>(payload) {
            Ok(j) => Ok(HostState {
                online: j.online,
                timestamp: Some(j.timestamp),
            }),
            Err(_) => Err(Error::BadState {
                payload: String::from_utf8_lossy(payload).chars().take(64).collect(),
            }),
        }
    }

    /// The 3.0 JSON payload, for a host application (tests) to publish.
    pub fn to_json(&self) -> String {
        match self.timestamp {
            Some(ts) => format!("{{\"online\":{},\"timestamp\":{ts}}}", self.online),
            None => format!("{{\"online\":{}}}", self.online),
        }
    }
}

/// What an edge node should do after a STATE message of its primary host application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostDecision {
    /// The host is online: birth (again) if waiting for it.
    Online,
    /// The host went offline: publish NDEATH, disconnect and try the next server (5.10).
    Offline,
    /// A stale message (its timestamp older than the last online STATE): ignore it (5.5).
    Stale,
}

/// Tracks the primary host application's STATE with the timestamp rules of 5.4 and 5.5.
#[derive(Clone, Debug, Default)]
pub struct PrimaryHost {
    last_online: Option<u64>,
    online: bool,
}

impl PrimaryHost {
    /// A tracker that has seen no STATE yet (the host counts as offline).
    pub fn new() -> Self {
        PrimaryHost::default()
    }

    /// True after an accepted online STATE and no accepted offline one since.
    pub fn is_online(&self) -> bool {
        self.online
    }

    /// Applies a STATE payload: an online or offline message whose timestamp is older than
    /// the last accepted online one is [`HostDecision::Stale`]; a 2.2 text message (no
    /// timestamp) is always honoured.
    pub fn update(&mut self, payload: &[u8]) -> Result<HostDecision, Error> {
        let state = HostState::parse(payload)?;
        if let (Some(ts), Some(last)) = (state.timestamp, self.last_online) {
            if ts < last {
                return Ok(HostDecision::Stale);
            }
        }
        self.online = state.online;
        if state.online {
            if let Some(ts) = state.timestamp {
                self.last_online = Some(ts);
            }
            Ok(HostDecision::Online)
        } else {
            Ok(HostDecision::Offline)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_3_0_json_state_parses() {
        let s = HostState::parse(br#"{"online":true,"timestamp":1668114759262}"#).unwrap();
        assert_eq!(
            s,
            HostState {
                online: true,
                timestamp: Some(1668114759262)
            }
        );
        let s = HostState::parse(br#" {"timestamp": 5, "online": false, "x": 1} "#).unwrap();
        assert!(!s.online);
        assert_eq!(s.timestamp, Some(5));
        assert_eq!(HostState::parse(s.to_json().as_bytes()).unwrap(), s);
    }

    #[test]
    fn the_2_2_text_state_parses() {
        assert!(HostState::parse(b"ONLINE").unwrap().online);
        assert!(!HostState::parse(b"OFFLINE\n").unwrap().online);
        assert_eq!(HostState::parse(b"ONLINE").unwrap().timestamp, None);
    }

    #[test]
    fn bad_state_payloads_are_refused() {
        for bad in [
            &b""[..],
            b"online",
            b"{\"online\":true}",
            b"{\"online\":\"yes\",\"timestamp\":1}",
            b"{\"online\":true,\"timestamp\":-1}",
            b"\xff\xfe",
        ] {
            assert!(
                matches!(HostState::parse(bad), Err(Error::BadState { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_offline_state_older_than_the_last_online_is_stale() {
        let mut host = PrimaryHost::new();
        assert!(!host.is_online());
        assert_eq!(
            host.update(br#"{"online":true,"timestamp":100}"#).unwrap(),
            HostDecision::Online
        );
        // the will of an older session, delivered late
        assert_eq!(
            host.update(br#"{"online":false,"timestamp":99}"#).unwrap(),
            HostDecision::Stale
        );
        assert!(host.is_online());
        assert_eq!(
            host.update(br#"{"online":false,"timestamp":100}"#).unwrap(),
            HostDecision::Offline
        );
        assert!(!host.is_online());
        assert_eq!(host.update(b"ONLINE").unwrap(), HostDecision::Online);
    }
}

//! The embedded MQTT broker behind `mqtt.url = "embedded"` (rumqttd, in-process, on its own thread).
//!
//! It is the zero-setup default for a first run and for `demo`: nothing to install. A site in
//! production points the bridge at its own broker instead.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

use crate::error::Error;

/// Starts the broker on `listen` and returns once it accepts connections. The broker lives until the
/// process exits (rumqttd has no stop call).
pub(crate) fn start(listen: SocketAddr) -> Result<SocketAddr, Error> {
    // Bind first so that "address in use" is a clear error rather than a log line on another thread,
    // and so that port 0 picks a free port.
    let probe = TcpListener::bind(listen).map_err(|e| Error::Broker {
        listen,
        reason: e.to_string(),
    })?;
    let listen = probe.local_addr().map_err(|e| Error::Broker {
        listen,
        reason: e.to_string(),
    })?;
    drop(probe);

    let connections = ConnectionSettings {
        connection_timeout_ms: 60_000,
        max_payload_size: 1 << 20,
        max_inflight_count: 500,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let server = ServerSettings {
        name: "embedded".to_owned(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections,
    };
    let router = RouterConfig {
        max_connections: 1010,
        max_outgoing_packet_count: 200,
        max_segment_size: 1 << 20,
        max_segment_count: 10,
        ..RouterConfig::default()
    };
    let config = Config {
        id: 0,
        router,
        v4: Some(HashMap::from([("1".to_owned(), server.clone())])),
        ..Config::default()
    };
    std::thread::Builder::new()
        .name("mqtt-broker".to_owned())
        .spawn(move || {
            let mut broker = Broker::new(config);
            if let Err(error) = broker.start() {
                tracing::error!(%error, "embedded MQTT broker stopped");
            }
        })
        .map_err(|e| Error::Broker {
            listen,
            reason: e.to_string(),
        })?;

    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect_timeout(&listen, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline {
            return Err(Error::Broker {
                listen,
                reason: "not accepting connections after 5 s".to_owned(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    tracing::info!(%listen, "embedded MQTT broker listening");
    Ok(listen)
}

//! Test harness of fieldbridge: real peers started and stopped from Rust tests.
//!
//! Every peer is software nobody here wrote (see `shared/design/PEERS.md`):
//!
//! - [`Mosquitto`]: a broker of its own per test, on a free loopback port;
//! - [`RabbitCluster`] and [`NatsCluster`]: three clustered RabbitMQ or nats-server nodes with
//!   MQTT, for failover ([`BrokerCluster`]);
//! - [`SparkplugHost`]: a Sparkplug B host application (pysparkplug) that prints what it decodes;
//! - [`Subscriber`]: an MQTT client (rumqttc) that records every message it receives;
//! - [`PyModbusServer`]: the pymodbus 3.16 server of `tests/peers/modbus_server.py`, over TCP or
//!   RTU, serving the fixed map of `tests/peers/modbus_map.json` ([`ModbusMap`]);
//! - [`SocatPair`]: two linked pseudo-terminals, a null-modem cable for serial tests, and
//!   [`SerialLine`], one end of it opened for blocking reads and writes.
//!
//! Every process is killed when its handle is dropped. A test whose peer is not installed fails
//! with a message naming the peer and `scripts/install-peers` ([`require`]); it never passes
//! silently.

mod cluster;
mod dlms_sim;
mod error;
mod modbus_map;
mod mosquitto;
mod nats;
mod pcap_writer;
mod peers;
mod pki;
mod process;
mod pymodbus;
mod rabbitmq;
mod serial_line;
mod socat;
mod sparkplug_host;
mod subscriber;

pub use cluster::BrokerCluster;
pub use dlms_sim::DlmsSimulator;
pub use error::HarnessError;
pub use modbus_map::{ModbusMap, ModbusPoint};
pub use mosquitto::{Mosquitto, MosquittoBuilder, TlsListener};
pub use nats::NatsCluster;
pub use pcap_writer::{Direction, PcapWriter, TcpConnection, MAX_PAYLOAD};
pub use peers::{locate, python, repo_root, require, Peer};
pub use pki::{TestPki, CLIENT_CN};
pub use pymodbus::{ModbusProfile, PyModbusServer};
pub use rabbitmq::RabbitCluster;
pub use serial_line::{LineRead, SerialLine};
pub use socat::{SocatPair, SocatPtyToTcp};
pub use sparkplug_host::{sparkplug_python, SparkplugHost};
pub use subscriber::{Message, Subscriber};

use std::net::{Ipv4Addr, TcpListener};

/// A TCP port that is free on 127.0.0.1 right now.
///
/// It binds `127.0.0.1:0`, reads the port the kernel chose and releases it; another process
/// could in principle take it before the caller binds it, which is rare enough for tests.
///
/// # Panics
/// When no port can be bound on the loopback interface.
pub fn free_port() -> u16 {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0 to find a free port");
    listener
        .local_addr()
        .expect("local address of a bound listener")
        .port()
}

//! The core of the fieldbridge bridge: the normalized point, the point stream, the topic scheme, the
//! per-bridge sequence number, the configuration and the MQTT publisher.
//!
//! Sources (one crate per protocol) turn field traffic into [`point::Reading`]s and send them as
//! [`event::SourceEvent`]s; the [`publisher`] numbers them and publishes them. A source never talks to
//! MQTT and the publisher never knows a protocol (design brief §2).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod backoff;
pub mod clock;
pub mod command;
pub mod config;
pub mod event;
pub mod metrics;
pub mod point;
pub mod publisher;
pub mod seq;
pub mod source;
pub mod throttle;
pub mod time;
pub mod tls;
pub mod topic;

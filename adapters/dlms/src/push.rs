//! The `dlms-push` driver: a listener for the pushes meters send on their own (DLMS UA 1000-2
//! Ed. 10 clause 9.3.11 DataNotification, clause 9.3.12 EventNotificationRequest; the push setup
//! of IEC 62056-6-2 clause 4.4.8), over the wrapper on TCP or UDP, or HDLC UI frames on TCP.
//!
//! Each element of a DataNotification's structure is the value of the push setup's object list
//! at the same place, as the configuration lists it (`[[source.point]]`, in order). A register's
//! value is scaled when the push also carries its scaler_unit (attribute 3); the clock (class 8,
//! attribute 2), or the notification's own date-time, is every value's device timestamp.
//! Elements beyond the list reach MQTT as `element-<n>` unless `only_listed`; an
//! EventNotificationRequest names its attribute, and an unlisted one is published as
//! `<obis>-a<attribute>` (`0-0-96-11-0-255-a2`).
//!
//! Ciphered pushes (general-glo-ciphering, suite 0) are deciphered with the listener's keys and
//! its security policy: every tag is checked, a frame counter that does not move forward for the
//! meter's system title is refused, and a plain push where the policy asks for ciphering is
//! refused too. Each refusal is counted and logged, and the listener goes on.

mod listen;
mod map;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fieldbridge_core::config::{DlmsPushSource, PushTransport, SourceConfig, SourceKind};
use fieldbridge_core::event::{DeviceMeta, DeviceState, PointMeta, SourceEvent};
use fieldbridge_core::source::{SourceContext, SourceTask};
use fieldbridge_core::time::Timestamp;

pub use listen::{Framing, PushError, Shared, IDLE_TIMEOUT, MAX_APDU, MAX_CONNECTIONS};
pub use map::{MapError, Mapped, Mapper};

/// The DLMS push listener driver (`protocol = "dlms-push"`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PushDriver;

impl fieldbridge_core::source::Driver for PushDriver {
    fn family(&self) -> &'static str {
        "dlms"
    }

    fn protocols(&self) -> &'static [&'static str] {
        &["dlms-push"]
    }

    fn unsupported(&self, source: &SourceConfig) -> Vec<(String, String)> {
        let SourceKind::DlmsPush(config) = &source.kind else {
            return Vec::new();
        };
        config
            .points
            .iter()
            .filter(|p| p.writable())
            .map(|p| {
                (
                    "point".to_owned(),
                    format!("point {}: a push listener takes no commands", p.name),
                )
            })
            .collect()
    }

    fn start(&self, source: SourceConfig, context: SourceContext) -> SourceTask {
        let SourceKind::DlmsPush(config) = source.kind else {
            tracing::error!(device = %source.name, protocol = source.kind.protocol(), "not a DLMS push source");
            return Box::pin(async {});
        };
        Box::pin(run(context, config))
    }
}

/// The `$meta` of a push listener: its listed points.
pub fn push_meta(device: Arc<str>, config: &DlmsPushSource) -> DeviceMeta {
    DeviceMeta {
        device,
        protocol: "dlms",
        points: config
            .points
            .iter()
            .map(|p| PointMeta {
                name: p.name.clone(),
                unit: p.unit.clone(),
                writable: false,
                source: crate::convert::address(p),
            })
            .collect(),
    }
}

async fn state(context: &SourceContext, online: bool, reason: Option<String>) -> Result<(), ()> {
    let state = DeviceState {
        device: context.name.clone(),
        online,
        reason,
        since: Timestamp::now(),
    };
    context
        .events
        .send(SourceEvent::DeviceState(state))
        .await
        .map_err(|_| ())
}

async fn run(context: SourceContext, config: DlmsPushSource) {
    let device = context.name.clone();
    let meta = push_meta(device.clone(), &config);
    if context
        .events
        .send(SourceEvent::DeviceMeta(meta))
        .await
        .is_err()
    {
        return;
    }
    let keys = match crate::keys::load(&config.security, false) {
        Ok(keys) => keys,
        Err(error) => {
            tracing::error!(device = %device, %error, "dlms push listener not started");
            let _ = state(&context, false, Some(error.to_string())).await;
            context.events.closed().await;
            return;
        }
    };
    let shared = Arc::new(Shared {
        device: device.clone(),
        mapper: Mapper::new(
            device.clone(),
            config.points.clone(),
            config.only_listed,
            config.device_time.clone(),
        ),
        keys,
        guards: Mutex::new(HashMap::new()),
        events: context.events.clone(),
        stats: context.stats.clone(),
    });
    let listen = config.listen;
    let bound = match config.transport {
        PushTransport::WrapperUdp => tokio::net::UdpSocket::bind(listen)
            .await
            .map(|socket| (None, Some(socket))),
        PushTransport::WrapperTcp | PushTransport::HdlcTcp => tokio::net::TcpListener::bind(listen)
            .await
            .map(|listener| (Some(listener), None)),
    };
    let (tcp, udp) = match bound {
        Ok(bound) => bound,
        Err(error) => {
            tracing::error!(device = %device, %listen, %error, "dlms push listener cannot listen");
            let _ = state(
                &context,
                false,
                Some(format!("cannot listen on {listen}: {error}")),
            )
            .await;
            context.events.closed().await;
            return;
        }
    };
    let local = match (&tcp, &udp) {
        (Some(listener), _) => listener.local_addr().ok(),
        (_, Some(socket)) => socket.local_addr().ok(),
        _ => None,
    }
    .unwrap_or(listen);
    tracing::info!(device = %device, listen = %local, transport = ?config.transport, "dlms push listener listening");
    if state(&context, true, None).await.is_err() {
        return;
    }
    match (tcp, udp) {
        (Some(listener), _) => {
            let hdlc = config.transport == PushTransport::HdlcTcp;
            listen::serve_tcp(listener, hdlc, shared).await;
        }
        (None, Some(socket)) => listen::serve_udp(socket, shared).await,
        (None, None) => {}
    }
}

#[cfg(test)]
mod tests;

//! (b): the floor, the same work done by peers nobody here wrote: a bare tokio-modbus client
//! on the same pymodbus server, and an MQTT echo through the same mosquitto.

use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, QoS};
use tokio::sync::mpsc;
use tokio_modbus::prelude::*;

use crate::mqtt::{command_id, command_payload, mqtt_client, wait_for, Rx};
use crate::{Env, DEFAULT_RESULT_LEN, DEVICE, ECHO_PREFIX, POINT, REGISTER, SITE, UNIT, WARMUP};

#[derive(Debug, Default)]
pub(crate) struct FloorSeries {
    pub(crate) round: usize,
    pub(crate) modbus: Vec<f64>,
    pub(crate) mqtt: Vec<f64>,
}

/// The two registers of `holding:32` for `value`: an `f32` in `cdab` order.
fn cdab(value: f32) -> [u16; 2] {
    let bits = value.to_bits();
    [(bits & 0xFFFF) as u16, (bits >> 16) as u16]
}

/// FC16 write of `value`'s two registers, then FC3 read of them, checked equal.
async fn modbus_write_read(ctx: &mut client::Context, value: f32) -> Result<Duration, String> {
    let words = cdab(value);
    let t0 = Instant::now();
    match ctx.write_multiple_registers(REGISTER, &words).await {
        Ok(Ok(())) => {}
        other => return Err(format!("floor: FC16 write answered {other:?}")),
    }
    let back = match ctx.read_holding_registers(REGISTER, 2).await {
        Ok(Ok(back)) => back,
        other => return Err(format!("floor: FC3 read answered {other:?}")),
    };
    let took = t0.elapsed();
    if back != words {
        return Err(format!("floor: wrote {words:?}, read back {back:?}"));
    }
    Ok(took)
}

/// One echo: A publishes a command-sized payload, B answers, A receives the answer.
async fn echo(
    a: &AsyncClient,
    a_rx: &mut mpsc::UnboundedReceiver<Rx>,
    id: &str,
    value: f32,
) -> Result<Duration, String> {
    let topic = format!("{ECHO_PREFIX}/{SITE}/{DEVICE}/{POINT}/set");
    let payload = command_payload(id, value);
    let deadline = Instant::now() + Duration::from_secs(10);
    let t0 = Instant::now();
    a.publish(topic, QoS::AtLeastOnce, false, payload)
        .await
        .expect("publish");
    match wait_for(a_rx, id, deadline).await {
        Some((at, _, _)) => Ok(at - t0),
        None => Err(format!("floor: echo {id} not answered within 10 s")),
    }
}

pub(crate) async fn floor_series(env: &mut Env, round: usize) -> Result<FloorSeries, String> {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], env.modbus_port));
    let mut ctx = tcp::connect_slave(address, Slave(UNIT))
        .await
        .map_err(|e| format!("floor: cannot connect to pymodbus: {e}"))?;
    let reply_len = env.result_len.unwrap_or(DEFAULT_RESULT_LEN);
    let (a, mut a_rx) = mqtt_client(
        "cmd-echo-a",
        env.broker_port,
        &format!("{ECHO_PREFIX}/{SITE}/{DEVICE}/{POINT}/set/result"),
        None,
        !env.args.nagle,
    )
    .await;
    let (b, _b_rx) = mqtt_client(
        "cmd-echo-b",
        env.broker_port,
        &format!("{ECHO_PREFIX}/{SITE}/{DEVICE}/{POINT}/set"),
        Some(reply_len),
        !env.args.nagle,
    )
    .await;

    let mut s = FloorSeries {
        round,
        ..FloorSeries::default()
    };
    for i in 0..WARMUP + env.args.commands {
        let value = env.next_value();
        let modbus = modbus_write_read(&mut ctx, value).await?;
        env.writes += 1;
        let id = command_id("ech", round, 0, i);
        let mqtt = echo(&a, &mut a_rx, &id, value).await?;
        if i >= WARMUP {
            s.modbus.push(modbus.as_secs_f64() * 1000.0);
            s.mqtt.push(mqtt.as_secs_f64() * 1000.0);
        }
    }
    let _ = a.disconnect().await;
    let _ = b.disconnect().await;
    let _ = ctx.disconnect().await;
    Ok(s)
}

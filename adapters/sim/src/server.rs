//! Serving a [`ModbusSim`] over Modbus TCP and Modbus RTU.

use std::{io, net::SocketAddr, time::Duration};

use tokio::{
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};
use tokio_serial::SerialStream;

use crate::{
    service::{SimService, Transport},
    ModbusSim,
};

/// Binds `listen` (port 0 picks a free port) and serves the simulator over Modbus TCP on a spawned
/// task. Returns the bound address and the server task.
///
/// Aborting (or dropping the runtime of) the task closes the listener and every open connection.
/// The task ends with an error only if accepting connections fails.
pub async fn bind_tcp(
    listen: SocketAddr,
    sim: ModbusSim,
) -> io::Result<(SocketAddr, JoinHandle<io::Result<()>>)> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    Ok((addr, tokio::spawn(serve_tcp_listener(listener, sim))))
}

/// Binds `listen` and serves the simulator over Modbus TCP until accepting fails. Dropping the
/// future closes the listener and every open connection.
pub async fn serve_tcp(listen: SocketAddr, sim: ModbusSim) -> io::Result<()> {
    serve_tcp_listener(TcpListener::bind(listen).await?, sim).await
}

/// Serves the simulator over Modbus TCP on an already bound listener, one task per connection,
/// and starts the animation.
pub async fn serve_tcp_listener(listener: TcpListener, sim: ModbusSim) -> io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, units = %sim.config().units, tick = ?sim.config().tick, "modbus simulator listening");
    sim.start_animation();
    let server = tokio_modbus::server::tcp::Server::new(listener);
    let on_connected = |stream: TcpStream, peer: SocketAddr| {
        let service = SimService::new(sim.clone(), Transport::Tcp);
        async move {
            tracing::info!(%peer, "modbus client connected");
            Ok::<_, io::Error>(Some((service, stream)))
        }
    };
    let on_process_error = |err: io::Error| {
        tracing::debug!(%err, "modbus client connection ended with an error");
    };
    let result = server.serve(&on_connected, on_process_error).await;
    if let Err(err) = &result {
        tracing::warn!(%addr, %err, "modbus simulator stopped accepting connections");
    }
    result
}

/// Opens the serial port `path` at `baud` bits/s (8 data bits, no parity, 1 stop bit) and serves
/// the simulator over Modbus RTU, then starts the animation.
///
/// A frame the codec cannot decode ends a serial session; the port is then reopened after 100 ms.
/// Returns an error when the port cannot be opened (also on a reopen). Dropping the future closes
/// the port. For other line settings open the port yourself and use [`serve_rtu_stream`].
pub async fn serve_rtu(path: &str, baud: u32, sim: ModbusSim) -> io::Result<()> {
    loop {
        let port = SerialStream::open(&tokio_serial::new(path, baud))?;
        tracing::info!(path, baud, units = %sim.config().units, "modbus RTU simulator listening");
        match serve_rtu_stream(port, sim.clone()).await {
            Ok(()) => return Ok(()),
            Err(err) => {
                tracing::warn!(path, %err, "modbus RTU session failed; reopening the port");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Serves the simulator over Modbus RTU on an already opened serial port and starts the
/// animation. Returns when the port reaches end of file, or with the first I/O or framing error.
///
/// Unit 0 is a broadcast: writes reach every model and nothing is answered. Requests for a unit
/// the simulator does not serve are ignored, as a real bus would.
pub async fn serve_rtu_stream(port: SerialStream, sim: ModbusSim) -> io::Result<()> {
    sim.start_animation();
    let server = tokio_modbus::server::rtu::Server::new(port);
    server
        .serve_forever(SimService::new(sim, Transport::Rtu))
        .await
}

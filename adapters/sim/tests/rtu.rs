//! The simulator over Modbus RTU on a pseudo-terminal pair made by socat (skipped without socat).

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use fieldbridge_sim::{map, serve_rtu, ModbusSim, SimConfig, UnitIds};
use tokio_modbus::prelude::*;
use tokio_serial::SerialStream;

/// A socat process linking two ptys; killed (by its own pid) on drop.
struct PtyPair {
    child: Child,
    dir: PathBuf,
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn pty_pair() -> Option<(PtyPair, PathBuf, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("fieldbridge-sim-rtu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let (a, b) = (dir.join("server"), dir.join("client"));
    let child = Command::new("socat")
        .arg(format!("pty,raw,echo=0,link={}", a.display()))
        .arg(format!("pty,raw,echo=0,link={}", b.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        eprintln!("socat not available; skipping the RTU test");
        let _ = std::fs::remove_dir_all(&dir);
        return None;
    };
    let pair = PtyPair { child, dir };
    for _ in 0..100 {
        if Path::new(&a).exists() && Path::new(&b).exists() {
            return Some((pair, a, b));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("socat did not create the ptys");
}

#[tokio::test]
async fn rtu_over_a_pty_pair() {
    let Some((_pair, server_path, client_path)) = pty_pair().await else {
        return;
    };
    let sim = ModbusSim::new(SimConfig {
        units: UnitIds::Only(vec![1, 2]),
        ..SimConfig::default()
    })
    .unwrap();
    let path = server_path.to_string_lossy().into_owned();
    let server = tokio::spawn(serve_rtu_owned(path, sim.clone()));

    let port =
        SerialStream::open(&tokio_serial::new(client_path.to_string_lossy(), 19200)).unwrap();
    let mut ctx = rtu::attach_slave(port, Slave(1));
    let timeout = Duration::from_secs(2);

    assert_eq!(read(&mut ctx, map::HR_U16, 1).await, Ok(vec![12345]));
    assert_eq!(read(&mut ctx, map::HR_F32, 2).await, Ok(vec![0x4050, 0]));
    assert_eq!(
        read(&mut ctx, 999, 2).await,
        Err(tokio_modbus::ExceptionCode::IllegalDataAddress)
    );
    ctx.set_slave(Slave(2));
    assert_eq!(read(&mut ctx, map::HR_UNIT_ID, 1).await, Ok(vec![2]));
    tokio::time::timeout(timeout, ctx.write_single_register(map::HR_SCRATCH, 77))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(sim.snapshot(2).unwrap().holding_registers()[200], 77);
    assert_eq!(sim.snapshot(1).unwrap().holding_registers()[200], 0);

    // A unit that is not simulated stays silent, like an absent device on the bus.
    ctx.set_slave(Slave(3));
    let silent =
        tokio::time::timeout(Duration::from_millis(300), ctx.read_holding_registers(0, 1)).await;
    assert!(silent.is_err(), "unit 3 answered: {silent:?}");

    // A broadcast (unit 0) write reaches every unit and gets no answer.
    ctx.set_slave(Slave(0));
    let silent = tokio::time::timeout(
        Duration::from_millis(300),
        ctx.write_single_register(map::HR_SCRATCH + 1, 5),
    )
    .await;
    assert!(silent.is_err(), "the broadcast was answered: {silent:?}");
    for unit in [1, 2] {
        assert_eq!(sim.snapshot(unit).unwrap().holding_registers()[201], 5);
    }
    server.abort();
}

async fn read(
    ctx: &mut tokio_modbus::client::Context,
    addr: u16,
    n: u16,
) -> Result<Vec<u16>, tokio_modbus::ExceptionCode> {
    tokio::time::timeout(Duration::from_secs(2), ctx.read_holding_registers(addr, n))
        .await
        .expect("no answer")
        .unwrap()
}

async fn serve_rtu_owned(path: String, sim: ModbusSim) -> std::io::Result<()> {
    serve_rtu(&path, 19200, sim).await
}

//! The simulator over Modbus TCP, read and written by the tokio-modbus client.

use std::{borrow::Cow, net::SocketAddr};

use fieldbridge_sim::{bind_tcp, map, ModbusSim, SimConfig, Table, UnitIds, WordOrder};
use tokio_modbus::{client::Context, prelude::*, ExceptionCode};

async fn start(units: UnitIds) -> (ModbusSim, SocketAddr) {
    let sim = ModbusSim::new(SimConfig {
        units,
        ..SimConfig::default()
    })
    .unwrap();
    let (addr, _server) = bind_tcp("127.0.0.1:0".parse().unwrap(), sim.clone())
        .await
        .unwrap();
    (sim, addr)
}

async fn connect(addr: SocketAddr, unit: u8) -> Context {
    tcp::connect_slave(addr, Slave(unit)).await.unwrap()
}

async fn holding(ctx: &mut Context, addr: u16, n: u16) -> Vec<u16> {
    ctx.read_holding_registers(addr, n).await.unwrap().unwrap()
}

#[tokio::test]
async fn static_values_in_every_word_order() {
    let (_sim, addr) = start(UnitIds::Any).await;
    let mut ctx = connect(addr, 1).await;

    assert_eq!(holding(&mut ctx, map::HR_U16, 1).await, [12345]);
    assert_eq!(holding(&mut ctx, map::HR_I16, 1).await, [(-1234i16) as u16]);
    assert_eq!(holding(&mut ctx, map::HR_U32, 2).await, [0x1234, 0x5678]);
    assert_eq!(holding(&mut ctx, map::HR_I32, 2).await, [0xF8A4, 0x32EB]); // -123456789
    assert_eq!(
        holding(&mut ctx, map::HR_U64, 4).await,
        [0x0000, 0x011F, 0x71FB, 0x04CB] // 1234567890123
    );
    assert_eq!(
        holding(&mut ctx, map::HR_I64, 4).await,
        [0xFFFF, 0xFEE0, 0x8E04, 0xFB35] // -1234567890123
    );
    // f32 3.25 = 0x40500000 in abcd, cdab, badc, dcba.
    assert_eq!(
        holding(&mut ctx, map::HR_F32, 8).await,
        [0x4050, 0x0000, 0x0000, 0x4050, 0x5040, 0x0000, 0x0000, 0x5040]
    );
    // f64 -2.5 = 0xC004000000000000 in abcd, cdab, badc, dcba.
    assert_eq!(
        holding(&mut ctx, map::HR_F64, 16).await,
        [
            0xC004, 0, 0, 0, //
            0, 0, 0, 0xC004, //
            0x04C0, 0, 0, 0, //
            0, 0, 0, 0x04C0,
        ]
    );
    assert_eq!(
        holding(&mut ctx, map::HR_U32_ORDERS, 8).await,
        [0x1234, 0x5678, 0x5678, 0x1234, 0x3412, 0x7856, 0x7856, 0x3412]
    );
    assert_eq!(
        holding(&mut ctx, map::HR_U64_ORDERS, 16).await,
        [
            0x0000, 0x011F, 0x71FB, 0x04CB, //
            0x04CB, 0x71FB, 0x011F, 0x0000, //
            0x0000, 0x1F01, 0xFB71, 0xCB04, //
            0xCB04, 0xFB71, 0x1F01, 0x0000,
        ]
    );
    let text = holding(&mut ctx, map::HR_STRING, map::STRING_REGISTERS).await;
    let bytes: Vec<u8> = text.iter().flat_map(|w| w.to_be_bytes()).collect();
    assert_eq!(bytes, b"FIELDBRIDGE-SIM\0");

    // Decoded through the public helpers as well.
    let words = holding(&mut ctx, map::HR_F64, 16).await;
    for (i, order) in WordOrder::ALL.into_iter().enumerate() {
        use fieldbridge_sim::RegisterValue;
        assert_eq!(f64::from_words(&words[i * 4..i * 4 + 4], order), -2.5);
    }

    let input = ctx
        .read_input_registers(map::IR_U16, 4)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(input, [54321, 0x4050, 0x0000, (-1234i16) as u16]);
    let coils = ctx
        .read_coils(map::CO_STATIC_TRUE, 3)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(coils, [true, false, true]);
    let inputs = ctx
        .read_discrete_inputs(map::DI_STATIC_TRUE, 3)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inputs, [true, false, true]);
    // A whole table in the largest reads the protocol allows.
    assert_eq!(
        ctx.read_coils(0, 2000).await.unwrap(),
        Err(ExceptionCode::IllegalDataAddress)
    );
    assert_eq!(ctx.read_coils(0, 1000).await.unwrap().unwrap().len(), 1000);
    assert_eq!(holding(&mut ctx, 875, 125).await.len(), 125);
}

#[tokio::test]
async fn writes_change_the_model() {
    let (sim, addr) = start(UnitIds::Only(vec![1, 2])).await;
    let mut ctx = connect(addr, 1).await;
    let s = map::HR_SCRATCH;

    // FC 6
    ctx.write_single_register(s, 0x1234).await.unwrap().unwrap();
    assert_eq!(holding(&mut ctx, s, 1).await, [0x1234]);
    // FC 16
    ctx.write_multiple_registers(s + 1, &[1, 2, 3, 4])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(holding(&mut ctx, s, 5).await, [0x1234, 1, 2, 3, 4]);
    // FC 22: (0x1234 AND 0xFF00) OR (0x0056 AND NOT 0xFF00) = 0x1256
    ctx.masked_write_register(s, 0xFF00, 0x0056)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(holding(&mut ctx, s, 1).await, [0x1256]);
    // FC 23: the write happens before the read.
    let read = ctx
        .read_write_multiple_registers(s, 3, s + 2, &[9])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, [0x1256, 1, 9]);
    // FC 5 and FC 15
    ctx.write_single_coil(map::CO_SCRATCH, true)
        .await
        .unwrap()
        .unwrap();
    ctx.write_multiple_coils(map::CO_SCRATCH + 1, &[false, true, true])
        .await
        .unwrap()
        .unwrap();
    let coils = ctx.read_coils(map::CO_SCRATCH, 4).await.unwrap().unwrap();
    assert_eq!(coils, [true, false, true, true]);
    // Static values can be overwritten too (a later command test relies on it).
    ctx.write_single_register(map::HR_U16, 1)
        .await
        .unwrap()
        .unwrap();

    // The model itself changed; unit 2 did not.
    let model = sim.snapshot(1).unwrap();
    assert_eq!(
        model.words(Table::HoldingRegisters, s, 3).unwrap(),
        [0x1256, 1, 9]
    );
    assert_eq!(model.holding_registers()[usize::from(map::HR_U16)], 1);
    assert!(model.coils()[usize::from(map::CO_SCRATCH)]);
    let other = sim.snapshot(2).unwrap();
    assert_eq!(
        other.words(Table::HoldingRegisters, s, 3).unwrap(),
        [0, 0, 0]
    );
    assert_eq!(other.holding_registers()[usize::from(map::HR_U16)], 12345);

    // In-process writes are visible to the client.
    sim.with_unit(1, |m| {
        m.set(Table::HoldingRegisters, s + 10, 1.5f32, WordOrder::Cdab)
    })
    .unwrap()
    .unwrap();
    assert_eq!(holding(&mut ctx, s + 10, 2).await, [0x0000, 0x3FC0]);
}

#[tokio::test]
async fn several_units_over_one_connection() {
    let (_sim, addr) = start(UnitIds::Only(vec![1, 2])).await;
    let mut ctx = connect(addr, 1).await;
    assert_eq!(holding(&mut ctx, map::HR_UNIT_ID, 1).await, [1]);
    ctx.set_slave(Slave(2));
    assert_eq!(holding(&mut ctx, map::HR_UNIT_ID, 1).await, [2]);
    ctx.write_single_register(map::HR_SCRATCH, 22)
        .await
        .unwrap()
        .unwrap();
    ctx.set_slave(Slave(3));
    assert_eq!(
        ctx.read_holding_registers(map::HR_UNIT_ID, 1)
            .await
            .unwrap(),
        Err(ExceptionCode::GatewayTargetDevice)
    );
    ctx.set_slave(Slave(1));
    assert_eq!(holding(&mut ctx, map::HR_SCRATCH, 1).await, [0]);
    ctx.set_slave(Slave(2));
    assert_eq!(holding(&mut ctx, map::HR_SCRATCH, 1).await, [22]);
}

#[tokio::test]
async fn exceptions() {
    let (_sim, addr) = start(UnitIds::Any).await;
    let mut ctx = connect(addr, 1).await;
    let illegal_address = ExceptionCode::IllegalDataAddress;
    assert_eq!(
        ctx.read_holding_registers(999, 2)
            .await
            .unwrap()
            .unwrap_err(),
        illegal_address
    );
    assert_eq!(
        ctx.read_holding_registers(1000, 1)
            .await
            .unwrap()
            .unwrap_err(),
        illegal_address
    );
    assert_eq!(
        ctx.read_input_registers(999, 2).await.unwrap().unwrap_err(),
        illegal_address
    );
    assert_eq!(
        ctx.read_coils(1000, 1).await.unwrap().unwrap_err(),
        illegal_address
    );
    assert_eq!(
        ctx.read_discrete_inputs(995, 8).await.unwrap().unwrap_err(),
        illegal_address
    );
    assert_eq!(
        ctx.write_single_register(1000, 1)
            .await
            .unwrap()
            .unwrap_err(),
        illegal_address
    );
    assert_eq!(
        ctx.write_single_coil(1000, true)
            .await
            .unwrap()
            .unwrap_err(),
        illegal_address
    );
    assert_eq!(
        ctx.write_multiple_registers(998, &[1, 2, 3])
            .await
            .unwrap()
            .unwrap_err(),
        illegal_address
    );
    assert_eq!(
        ctx.masked_write_register(1000, 0, 0)
            .await
            .unwrap()
            .unwrap_err(),
        illegal_address
    );
    assert_eq!(
        ctx.read_holding_registers(0, 126).await.unwrap(),
        Err(ExceptionCode::IllegalDataValue)
    );
    // An unsupported function (FC 0x41, user-defined; FC 0x11 report server id).
    let custom = ctx
        .call(Request::Custom(0x41, Cow::Borrowed(&[1, 2])))
        .await
        .unwrap();
    assert_eq!(custom, Err(ExceptionCode::IllegalFunction));
    let report = ctx.call(Request::ReportServerId).await.unwrap();
    assert_eq!(report, Err(ExceptionCode::IllegalFunction));
    // One model for every unit, but the unit-id register tells them apart.
    assert_eq!(holding(&mut ctx, map::HR_UNIT_ID - 1, 2).await, [0, 1]);
    ctx.set_slave(Slave(247));
    assert_eq!(holding(&mut ctx, map::HR_UNIT_ID, 1).await, [247]);
    // The connection still works after exceptions.
    assert_eq!(holding(&mut ctx, map::HR_U16, 1).await, [12345]);
}

#[tokio::test]
async fn values_animate() {
    let sim = ModbusSim::new(SimConfig {
        tick: std::time::Duration::from_millis(20),
        ..SimConfig::default()
    })
    .unwrap();
    let (addr, server) = bind_tcp("127.0.0.1:0".parse().unwrap(), sim.clone())
        .await
        .unwrap();
    let mut ctx = connect(addr, 1).await;
    let mut seen_status = std::collections::BTreeSet::new();
    let mut ramp = Vec::new();
    for _ in 0..200 {
        let words = holding(&mut ctx, map::HR_RAMP_U16, 1).await;
        ramp.push(words[0]);
        seen_status.insert(holding(&mut ctx, map::HR_STATUS, 1).await[0]);
        if ramp.last() >= Some(&5) && seen_status.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(ramp.windows(2).all(|w| w[0] <= w[1]), "{ramp:?}");
    assert!(ramp.last() >= Some(&5), "{ramp:?}");
    assert_eq!(
        seen_status.into_iter().collect::<Vec<_>>(),
        [0x0001, 0x0009]
    );
    assert!(sim.ticks() >= 5);
    server.abort();
}

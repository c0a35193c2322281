//! What the meter answers, and what the source makes of it: wPorts, stale answers, refusals,
//! the clock status, a meter lost.

use super::logs::Logs;
use super::*;
use fieldbridge_dlms::apdu::get::{DataAccessResult, OwnedGetDataResult};
use fieldbridge_dlms::axdr::Data;

#[tokio::test]
async fn a_refused_point_is_counted_every_poll_but_logged_once_per_change() {
    let (logs, _guard) = Logs::capture();
    let mut meter = Meter::wrapper(Script::default()).await;
    let mut config = source(&meter.address);
    config.poll = Duration::from_millis(100);
    let source = start(config, |_| {});
    for _ in 0..3 {
        meter.seen_until(&Seen::Rlrq).await;
    }
    let refused = |logs: &Logs| {
        logs.with_message("dlms point not read")
            .into_iter()
            .filter(|l| l.fields.get("point").map(String::as_str) == Some("missing"))
            .count()
    };
    assert_eq!(
        refused(&logs),
        1,
        "three polls, one line: {:?}",
        logs.with_message("dlms point not read")
    );
    assert!(source.stats.snapshot().exceptions >= 3);

    // It reads again: one line says so.
    meter.edit(|s| {
        s.answers
            .insert((1, MISSING, 2), OwnedGetDataResult::Data(Data::Unsigned(7)));
    });
    for _ in 0..2 {
        meter.seen_until(&Seen::Rlrq).await;
    }
    assert_eq!(logs.with_message("dlms point read again").len(), 1);

    // Refused for another reason: logged again, once.
    meter.edit(|s| {
        s.answers.insert(
            (1, MISSING, 2),
            OwnedGetDataResult::DataAccessResult(DataAccessResult::READ_WRITE_DENIED),
        );
    });
    for _ in 0..3 {
        meter.seen_until(&Seen::Rlrq).await;
    }
    assert_eq!(refused(&logs), 2);
    let lines = logs.with_message("dlms point not read");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.level == tracing::Level::WARN)
            .count(),
        2
    );
}

#[tokio::test]
async fn when_the_meter_is_lost_the_clock_offset_is_marked_lost_with_the_other_points() {
    let meter = Meter::wrapper(Script::default()).await;
    let mut config = source(&meter.address);
    config.poll = Duration::from_millis(100);
    let mut source = start(config, |t| t.retry_pause = Duration::from_millis(10));
    source.readings(&ALL).await;
    meter.edit(|s| s.drop_connections = usize::MAX);
    loop {
        if !source.next_state().await.online {
            break;
        }
    }
    let lost = source
        .readings(&["energy", "clock", "clock_offset", "serial"])
        .await;
    for (point, r) in &lost {
        assert_eq!(r.quality, Quality::comm_failure(), "{point}");
    }
    let Value::Float(_) = lost["clock_offset"].value else {
        panic!("the last offset again: {:?}", lost["clock_offset"].value);
    };
    assert_eq!(lost["clock_offset"].unit.as_deref(), Some("s"));
}

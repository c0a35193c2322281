//! What the meter answers, and what the source makes of it: wPorts, stale answers, refusals,
//! the clock status, a meter lost.

use super::logs::Logs;
use super::*;
use fieldbridge_dlms::apdu::get::{DataAccessResult, OwnedGetDataResult};
use fieldbridge_dlms::axdr::{ClockStatus, Data};

#[tokio::test]
async fn a_wrapper_pdu_between_other_wports_is_discarded_counted_and_not_taken_as_the_answer() {
    let meter = Meter::wrapper(Script {
        other_port_first: true,
        ..Script::default()
    })
    .await;
    let mut source = start(source(&meter.address), |_| {});
    let readings = source.readings(&ALL).await;
    let Value::Float(wh) = readings["energy"].value else {
        panic!("energy is {:?}", readings["energy"].value);
    };
    assert!(
        (wh - 1234.5).abs() < 1e-9,
        "the other wPort's 9999.9 was taken: {wh}"
    );
    assert_eq!(readings["energy"].quality, Quality::GOOD);
    // One stray PDU before each of the five GET answers.
    assert_eq!(source.stats.snapshot().decode_errors, 5);
}

#[tokio::test]
async fn an_answer_that_comes_while_no_request_is_outstanding_is_discarded_not_read_as_the_next() {
    let meter = Meter::wrapper(Script {
        answer_twice: true,
        ..Script::default()
    })
    .await;
    let mut source = start(source(&meter.address), |_| {});
    assert!(source.next_state().await.online);
    let readings = source.readings(&ALL).await;
    assert_eq!(readings["energy"].quality, Quality::GOOD);
    assert_eq!(
        readings["serial"].value,
        Value::String("GRX0001".to_owned())
    );
    assert!(source.stats.snapshot().decode_errors >= 1);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), source.next_state())
            .await
            .is_err(),
        "the source stayed online"
    );
}

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
async fn a_clock_marked_invalid_is_bad_with_invalid_and_gives_no_device_time() {
    let meter = Meter::wrapper(Script {
        clock_status: ClockStatus::INVALID,
        ..Script::default()
    })
    .await;
    let mut source = start(source(&meter.address), |_| {});
    let readings = source.readings(&["clock", "clock_offset"]).await;
    for point in ["clock", "clock_offset"] {
        let r = &readings[point];
        assert_eq!(r.quality.level, QualityLevel::Bad, "{point}");
        assert!(r.quality.flags.contains(QualityFlag::Invalid), "{point}");
        assert_eq!(r.ts, None, "{point}");
    }
}

#[tokio::test]
async fn a_clock_marked_doubtful_is_uncertain_and_keeps_its_device_time() {
    let meter = Meter::wrapper(Script {
        clock_status: ClockStatus::DOUBTFUL | ClockStatus::DAYLIGHT_SAVING,
        ..Script::default()
    })
    .await;
    let mut source = start(source(&meter.address), |_| {});
    let readings = source.readings(&["clock", "clock_offset"]).await;
    for point in ["clock", "clock_offset"] {
        let r = &readings[point];
        assert_eq!(
            r.quality,
            Quality::new(QualityLevel::Uncertain, [QualityFlag::ClockDoubtful]),
            "{point}"
        );
        assert!(r.ts.is_some(), "{point}");
    }
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

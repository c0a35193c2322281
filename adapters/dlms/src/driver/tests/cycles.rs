//! Each poll is a whole cycle (connect, associate, read, release, close); stops; the silent
//! retry; the backoff.

use super::*;

/// What the meter sees of one cycle of the test source over the wrapper.
fn one_cycle(connection: usize) -> Vec<Seen> {
    vec![
        Seen::Connected(connection),
        Seen::Aarq,
        Seen::Get(ENERGY, 3),
        Seen::Get(ENERGY, 2),
        Seen::Get(CLOCK, 2),
        Seen::Get(SERIAL, 2),
        Seen::Get(MISSING, 2),
        Seen::Rlrq,
        Seen::Eof,
    ]
}

#[tokio::test]
async fn each_poll_connects_associates_reads_releases_and_closes_so_nothing_stays_open_between_polls(
) {
    let mut meter = Meter::wrapper(Script::default()).await;
    let mut config = source(&meter.address);
    config.poll = Duration::from_millis(300);
    let mut source = start(config, |_| {});
    assert_eq!(meter.seen_until(&Seen::Eof).await, one_cycle(1));
    // The connection is closed before the next poll opens another.
    assert_eq!(meter.seen_until(&Seen::Eof).await, one_cycle(2));
    assert!(source.next_state().await.online);
    let counts = source.stats.snapshot();
    assert_eq!(
        counts.reconnects, 0,
        "a poll's connection is no reconnection"
    );
    assert_eq!(counts.timeouts, 0);
}

#[tokio::test]
async fn over_hdlc_each_poll_ends_with_the_release_then_disc_then_the_close() {
    let mut meter = Meter::hdlc(Script::default()).await;
    let mut source = start(hdlc_source(&meter.address), |_| {});
    let mut expected = one_cycle(1);
    expected.insert(8, Seen::Disc);
    assert_eq!(meter.seen_until(&Seen::Eof).await, expected);
    let readings = source.readings(&ALL).await;
    assert_eq!(
        readings["serial"].value,
        Value::String("GRX0001".to_owned())
    );
    assert_eq!(readings["energy"].quality, Quality::GOOD);
}

#[tokio::test]
async fn a_stop_mid_cycle_closes_the_connection_and_the_next_start_reads_afresh() {
    let mut meter = Meter::wrapper(Script {
        hold_gets: true,
        ..Script::default()
    })
    .await;
    let stopped = start(source(&meter.address), |_| {});
    meter.seen_until(&Seen::Get(ENERGY, 3)).await;
    // The bridge stops while the meter holds the answer: the task is aborted.
    stopped.task.abort();
    assert_eq!(meter.seen_until(&Seen::Eof).await, [Seen::Eof]);
    drop(stopped);

    meter.edit(|s| s.hold_gets = false);
    let mut again = start(source(&meter.address), |_| {});
    let readings = again.readings(&["energy"]).await;
    assert_eq!(readings["energy"].quality, Quality::GOOD);
}

#[tokio::test]
async fn a_connection_dropped_at_once_is_tried_again_silently_without_going_offline() {
    let mut meter = Meter::wrapper(Script {
        drop_connections: 1,
        ..Script::default()
    })
    .await;
    let mut source = start(source(&meter.address), |t| {
        t.retry_pause = Duration::from_millis(10);
    });
    let state = source.next_state().await;
    assert!(state.online, "{state:?}");
    let seen = meter.seen_until(&Seen::Eof).await;
    assert_eq!(seen[..2], [Seen::Connected(1), Seen::Connected(2)]);
    let counts = source.stats.snapshot();
    assert_eq!(counts.reconnects, 1);
    assert_eq!(counts.timeouts + counts.decode_errors, 0);
}

#[tokio::test]
async fn a_meter_that_drops_every_connection_is_offline_after_the_one_retry() {
    let mut meter = Meter::wrapper(Script {
        drop_connections: usize::MAX,
        ..Script::default()
    })
    .await;
    let mut source = start(source(&meter.address), |t| {
        t.retry_pause = Duration::from_millis(10);
        t.backoff_min = Duration::from_secs(10);
    });
    let state = source.next_state().await;
    assert!(!state.online);
    let reason = state.reason.unwrap_or_default();
    assert!(
        reason.contains("closed") || reason.contains("reset"),
        "{reason}"
    );
    assert_eq!(meter.seen.recv().await, Some(Seen::Connected(1)));
    assert_eq!(meter.seen.recv().await, Some(Seen::Connected(2)));
    assert!(
        meter.seen.try_recv().is_err(),
        "no third try before the backoff"
    );
}

#[tokio::test]
async fn the_backoff_grows_while_cycles_fail_after_the_association() {
    // The meter accepts every association and then answers garbage: each attempt gets as far
    // as the AARE, which must not start the backoff over.
    let mut meter = Meter::wrapper(Script {
        garbage_after: Some(0),
        ..Script::default()
    })
    .await;
    let _source = start(source(&meter.address), |t| {
        t.backoff_min = Duration::from_millis(100);
        t.backoff_max = Duration::from_secs(10);
    });
    let mut at = Vec::new();
    for n in 1..=5 {
        meter.seen_until(&Seen::Connected(n)).await;
        at.push(tokio::time::Instant::now());
    }
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    // Steps of 100, 200, 400 and 800 ms, each delay in the upper half of its step.
    assert!(gaps[0] < Duration::from_millis(300), "{gaps:?}");
    assert!(gaps[3] >= Duration::from_millis(400), "{gaps:?}");
    assert!(gaps[3] > gaps[0] * 2, "{gaps:?}");
}

//! The bounds of an exchange: a GET whose blocks never end, one slower than its total
//! deadline, a meter that does not answer at all; and what the errors say.

use super::logs::Logs;
use super::*;

/// The first `$state` offline, and its reason.
async fn offline_reason(source: &mut Running) -> String {
    loop {
        let state = source.next_state().await;
        if !state.online {
            return state.reason.unwrap_or_default();
        }
    }
}

#[tokio::test]
async fn a_get_whose_blocks_never_end_is_cut_off_at_the_block_limit_and_the_source_recovers() {
    let (logs, _guard) = Logs::capture();
    let mut meter = Meter::wrapper(Script {
        endless_blocks: Some((ENERGY, Duration::ZERO)),
        ..Script::default()
    })
    .await;
    // 256 octets at 16 per block at least: 16 blocks.
    let mut source = start(source(&meter.address), |t| {
        t.max_value_len = 256;
        t.backoff_min = Duration::from_millis(50);
    });
    let reason = offline_reason(&mut source).await;
    assert!(
        reason.contains("16 blocks for one GET and was not done; a value takes at most 16"),
        "{reason}"
    );
    let seen = meter.seen_until(&Seen::Eof).await;
    assert!(seen.contains(&Seen::Next(15)), "{seen:?}");
    assert!(!seen.contains(&Seen::Next(16)), "{seen:?}");
    assert!(
        !seen.contains(&Seen::Rlrq),
        "no release of a misbehaving association"
    );
    assert_eq!(source.stats.snapshot().decode_errors, 1);
    assert_eq!(logs.with_message("dlms poll failed").len(), 1);

    meter.edit(|s| s.endless_blocks = None);
    assert!(source.next_state().await.online, "the source recovers");
}

#[tokio::test]
async fn a_get_that_takes_longer_than_ten_response_timeouts_in_all_is_cut_off() {
    // Each block comes within the 100 ms timeout, but they never end: the whole GET is cut
    // off after 10 x 100 ms.
    let mut meter = Meter::wrapper(Script {
        endless_blocks: Some((ENERGY, Duration::from_millis(40))),
        ..Script::default()
    })
    .await;
    let mut config = source(&meter.address);
    config.timeout = Duration::from_millis(100);
    let started = tokio::time::Instant::now();
    let mut source = start(config, |t| t.backoff_min = Duration::from_secs(10));
    let reason = offline_reason(&mut source).await;
    let took = started.elapsed();
    assert!(reason.contains("longer than 1s in all"), "{reason}");
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    meter.seen_until(&Seen::Eof).await;
    assert_eq!(source.stats.snapshot().timeouts, 1);
}

#[tokio::test]
async fn a_silent_meter_over_the_wrapper_times_out_after_the_configured_timeout_and_says_so() {
    let meter = Meter::wrapper(Script {
        silent: true,
        ..Script::default()
    })
    .await;
    let mut config = source(&meter.address);
    config.timeout = Duration::from_millis(300);
    let mut source = start(config, |t| t.retry_pause = Duration::from_millis(10));
    let reason = offline_reason(&mut source).await;
    assert_eq!(
        reason,
        "no answer from the meter within 300ms (waiting for an AARE)"
    );
    let counts = source.stats.snapshot();
    assert_eq!(counts.timeouts, 1, "the silent retry is not counted");
    assert_eq!(counts.reconnects, 1);
}

#[tokio::test]
async fn a_silent_meter_over_hdlc_times_out_after_the_configured_timeout_and_says_so() {
    let meter = Meter::hdlc(Script {
        silent: true,
        ..Script::default()
    })
    .await;
    let mut config = hdlc_source(&meter.address);
    config.timeout = Duration::from_millis(300);
    let mut source = start(config, |t| t.retry_pause = Duration::from_millis(10));
    let reason = offline_reason(&mut source).await;
    assert_eq!(
        reason,
        "no answer from the meter within 300ms (waiting for the UA to the SNRM)"
    );
    assert!(!reason.contains("0ns"));
}

#[tokio::test]
async fn a_meter_that_holds_a_get_over_hdlc_times_out_with_the_configured_timeout() {
    let meter = Meter::hdlc(Script {
        hold_gets: true,
        ..Script::default()
    })
    .await;
    let mut config = hdlc_source(&meter.address);
    config.timeout = Duration::from_millis(300);
    let mut source = start(config, |_| {});
    let reason = offline_reason(&mut source).await;
    assert!(reason.contains("within 300ms"), "{reason}");
}

//! Unit tests of discarding queued user data ([`UnbalancedPrimary::clear`],
//! [`Balanced::clear`]): what is dropped, and that the frame on the line is not.

use fieldbridge_iec60870::ft12::{self, Frame, PrimaryFunction};
use fieldbridge_iec60870::link101::{
    Balanced, Event, Params, Refusal, Station, Transmit, UnbalancedPrimary, UnbalancedSecondary,
};
use std::time::{Duration, Instant};

use crate::common::asdu;

/// A master polling link address 4 and the secondary at that address, both down.
fn pair(params: Params, now: Instant) -> (UnbalancedPrimary, UnbalancedSecondary) {
    let Ok(master) = UnbalancedPrimary::new(params, &[4], now) else {
        panic!("the parameters are valid");
    };
    let Ok(secondary) = UnbalancedSecondary::new(params, 4) else {
        panic!("the parameters are valid");
    };
    (master, secondary)
}

/// Brings the link to `address` up: status, reset, each answered by `secondary`.
fn start(master: &mut UnbalancedPrimary, secondary: &mut UnbalancedSecondary, now: Instant) {
    while let Some(request) = master.poll_transmit(now) {
        secondary.on_bytes(request.as_bytes(), |_| {});
        while let Some(answer) = secondary.poll_transmit() {
            master.on_bytes(answer.as_bytes(), now, |_| {});
        }
        if master.is_up(secondary.address()) == Some(true) {
            break;
        }
    }
}

/// The ASDU of a frame of user data, `None` for any other frame.
fn user_data(frame: &Transmit, params: &Params) -> Option<Vec<u8>> {
    match ft12::decode(frame.as_bytes(), &params.link) {
        Ok(Some((
            Frame::Variable {
                control: ft12::Control::Primary { function, .. },
                asdu,
                ..
            },
            _,
        ))) if function == PrimaryFunction::USER_DATA_CONFIRM => Some(asdu.to_vec()),
        _ => None,
    }
}

#[test]
fn clear_discards_the_user_data_waiting_for_one_address_only() {
    let now = Instant::now();
    let params = Params::default();
    let Ok(mut master) = UnbalancedPrimary::new(params, &[3, 4], now) else {
        panic!("the parameters are valid");
    };
    for n in 0..3 {
        assert!(master.send(4, &asdu(n)).is_ok());
    }
    assert!(master.send(3, &asdu(9)).is_ok());
    assert_eq!(master.clear(4), Some(3));
    assert_eq!(master.queued(4), Some(0));
    assert_eq!(
        master.queued(3),
        Some(1),
        "the other address keeps its data"
    );
    assert_eq!(master.clear(7), None, "an unknown address");
    assert_eq!(master.clear(4), Some(0), "nothing left");
}

#[test]
fn cleared_user_data_never_go_after_the_next_reset() {
    let now = Instant::now();
    let params = Params::default();
    let (mut master, mut secondary) = pair(params, now);
    // Queued while the link is down, then discarded.
    assert!(master.send(4, &asdu(1)).is_ok());
    assert_eq!(master.clear(4), Some(1));
    start(&mut master, &mut secondary, now);
    assert_eq!(master.is_up(4), Some(true));
    // The requests that follow are polls only.
    for _ in 0..4 {
        let Some(frame) = master.poll_transmit(now + Duration::from_secs(5)) else {
            break;
        };
        assert_eq!(user_data(&frame, &params), None, "{frame:?}");
        secondary.on_bytes(frame.as_bytes(), |_| {});
        while let Some(answer) = secondary.poll_transmit() {
            master.on_bytes(answer.as_bytes(), now, |_| {});
        }
    }
}

#[test]
fn clear_keeps_the_frame_on_the_line_and_its_repetition_and_refusal() {
    let now = Instant::now();
    let params = Params::default();
    let (mut master, mut secondary) = pair(params, now);
    start(&mut master, &mut secondary, now);
    let (Ok(first), Ok(_second)) = (master.send(4, &asdu(1)), master.send(4, &asdu(2))) else {
        panic!("the queue takes two");
    };
    let Some(on_line) = master.poll_transmit(now) else {
        panic!("the first user data go out");
    };
    assert_eq!(user_data(&on_line, &params), Some(asdu(1)));
    assert_eq!(master.clear(4), Some(1), "only the second is dropped");
    assert_eq!(master.queued(4), Some(1));
    // Unanswered: repeated byte for byte, then refused with its own number.
    let mut at = now;
    let mut events = Vec::new();
    for _ in 0..=params.retries {
        at += params.response_timeout;
        master.on_timeout(at, |e| events.push(format!("{e:?}")));
        if let Some(again) = master.poll_transmit(at) {
            assert_eq!(again.as_bytes(), on_line.as_bytes());
        }
    }
    let refused = format!(
        "{:?}",
        Event::NotConfirmed {
            address: 4,
            id: first,
            reason: Refusal::NoResponse
        }
    );
    assert!(events.contains(&refused), "{events:?}");
    assert_eq!(master.queued(4), Some(0));
}

#[test]
fn a_balanced_station_clears_its_queue_but_not_the_frame_on_the_line() {
    let now = Instant::now();
    let params = Params::default();
    let Ok(mut a) = Balanced::new(params, Station::A, 1, 2, now) else {
        panic!("the parameters are valid");
    };
    let Ok(mut b) = Balanced::new(params, Station::B, 2, 1, now) else {
        panic!("the parameters are valid");
    };
    // Both links up.
    for _ in 0..20 {
        while let Some(f) = a.poll_transmit(now) {
            b.on_bytes(f.as_bytes(), now, |_| {});
        }
        while let Some(f) = b.poll_transmit(now) {
            a.on_bytes(f.as_bytes(), now, |_| {});
        }
        if a.is_up() && !a.is_waiting() {
            break;
        }
    }
    assert!(a.is_up());
    for n in 0..3 {
        assert!(a.send(&asdu(n)).is_ok());
    }
    assert_eq!(a.clear(), 3, "nothing on the line yet");
    assert!(a.send(&asdu(5)).is_ok());
    assert!(a.send(&asdu(6)).is_ok());
    let sent = std::iter::from_fn(|| a.poll_transmit(now)).find_map(|f| user_data(&f, &params));
    assert_eq!(sent, Some(asdu(5)));
    assert_eq!(a.clear(), 1, "the frame on the line stays");
    assert_eq!(a.queued(), 1);
}

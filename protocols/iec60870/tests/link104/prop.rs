//! Random interleavings of sends, deliveries, STOPDT/STARTDT, withheld or paced acknowledgements and
//! time between two links that follow the rules never close the connection, and deliver every
//! ASDU once, in order.

use crate::common::*;
use fieldbridge_iec60870::link104::{AckMode, AckTimeout, Params, State};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    MasterSends,
    OutstationSends,
    ToOutstation(usize),
    ToMaster(usize),
    Advance(u64),
    StopOrStart,
    MasterHolds(bool),
    OutstationHolds(bool),
    MasterPaces(bool),
}

/// Which way of pushing back the operations include.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PushBack {
    None,
    Hold,
    Pace,
}

fn op(push_back: PushBack) -> impl Strategy<Value = Op> {
    let hold_weight = u32::from(push_back == PushBack::Hold);
    let pace_weight = u32::from(push_back == PushBack::Pace);
    prop_oneof![
        4 => Just(Op::MasterSends),
        6 => Just(Op::OutstationSends),
        3 => (1..4usize).prop_map(Op::ToOutstation),
        3 => (1..4usize).prop_map(Op::ToMaster),
        3 => (0..40_000u64).prop_map(Op::Advance),
        1 => Just(Op::StopOrStart),
        hold_weight => any::<bool>().prop_map(Op::MasterHolds),
        hold_weight => any::<bool>().prop_map(Op::OutstationHolds),
        pace_weight => any::<bool>().prop_map(Op::MasterPaces),
    ]
}

fn params(k: u16, w: u16, on_ack_timeout: AckTimeout) -> Params {
    Params {
        k,
        w,
        on_ack_timeout,
        ..Params::default()
    }
}

fn run(ops: &[Op], master: Params, outstation: Params) -> Result<(), TestCaseError> {
    let mut p = Pair::new(master, outstation);
    let (mut from_master, mut from_outstation) = (Vec::new(), Vec::new());
    for op in ops {
        match *op {
            Op::MasterSends => {
                let asdu = (from_master.len() as u32).to_le_bytes().to_vec();
                if p.master.link.send_asdu(&asdu, p.now).is_ok() {
                    from_master.push(asdu);
                }
            }
            Op::OutstationSends => {
                let asdu = (from_outstation.len() as u32).to_le_bytes().to_vec();
                if p.outstation.link.send_asdu(&asdu, p.now).is_ok() {
                    from_outstation.push(asdu);
                }
            }
            Op::ToOutstation(n) => {
                p.deliver_to_outstation(n);
            }
            Op::ToMaster(n) => {
                p.deliver_to_master(n);
            }
            Op::Advance(ms_) => p.advance(ms(ms_)),
            // STOPDT acknowledges what was received whatever the mode, so it may come any time.
            Op::StopOrStart => match p.master.link.state() {
                State::Started => p.master.link.stop_dt(p.now).unwrap(),
                State::Stopped => p.master.link.start_dt(p.now).unwrap(),
                _ => {}
            },
            Op::MasterHolds(hold) => {
                if !hold || p.master.link.state() != State::StopPending {
                    p.master.link.hold_acks(hold);
                }
            }
            Op::OutstationHolds(hold) => p.outstation.link.hold_acks(hold),
            Op::MasterPaces(pace) => p.master.link.set_ack_mode(if pace {
                AckMode::Paced
            } else {
                AckMode::Prompt
            }),
        }
        prop_assert_eq!(p.any_closed(), None, "after {:?}", op);
    }
    p.master.link.hold_acks(false);
    p.outstation.link.hold_acks(false);
    p.advance(secs(60));
    prop_assert_eq!(p.any_closed(), None);
    prop_assert_eq!(p.outstation.received(), from_master);
    prop_assert_eq!(p.master.received(), from_outstation);
    prop_assert_eq!(p.master.link.unacknowledged(), 0);
    prop_assert_eq!(p.outstation.link.unacknowledged(), 0);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn two_links_that_follow_clause_5_never_close_and_deliver_everything_in_order(
        ops in proptest::collection::vec(op(PushBack::None), 1..200),
        k in 1..16u16,
        w in 1..12u16,
    ) {
        run(&ops, params(k, w, AckTimeout::Close), params(k, w, AckTimeout::Close))?;
    }

    #[test]
    fn withholding_acknowledgements_towards_probing_peers_never_closes(
        ops in proptest::collection::vec(op(PushBack::Hold), 1..200),
        k in 1..16u16,
        w in 1..12u16,
    ) {
        run(&ops, params(k, w, AckTimeout::Probe), params(k, w, AckTimeout::Probe))?;
    }

    #[test]
    fn paced_acknowledgements_towards_strict_peers_never_close(
        ops in proptest::collection::vec(op(PushBack::Pace), 1..200),
        k in 1..16u16,
        w in 1..12u16,
    ) {
        run(&ops, params(k, w, AckTimeout::Close), params(k, w, AckTimeout::Close))?;
    }
}

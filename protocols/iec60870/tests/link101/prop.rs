//! Properties: any split of the byte stream gives the same events, and a lossy line never
//! delivers anything twice or out of order.

use crate::common::*;
use fieldbridge_iec60870::ft12::PrimaryFunction as P;
use fieldbridge_iec60870::link101::{Params, Service, UnbalancedSecondary};
use proptest::prelude::*;

/// A stream of requests to address 5 (and some for address 6), with garbage between.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let p0 = Params::default();
    let frame = prop_oneof![
        Just(pri(P::RESET_REMOTE_LINK, false, false, 5)),
        Just(pri(P::REQUEST_LINK_STATUS, false, false, 5)),
        any::<bool>().prop_map(|fcb| pri(P::REQUEST_CLASS_2, fcb, true, 5)),
        any::<bool>().prop_map(|fcb| pri(P::REQUEST_CLASS_1, fcb, true, 6)),
        (any::<bool>(), any::<u8>()).prop_map(|(fcb, n)| pri_data(
            P::USER_DATA_CONFIRM,
            fcb,
            5,
            &asdu(n)
        )),
    ]
    .prop_map(move |w| w.encode(&p0));
    let garbage = proptest::collection::vec(any::<u8>(), 0..4);
    proptest::collection::vec((garbage, frame), 1..12).prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(g, f)| g.into_iter().chain(f))
            .collect()
    })
}

/// Feeds `stream` in reads cut at `cuts`; returns the events other than discards, the bytes
/// discarded and the answers.
fn run(stream: &[u8], cuts: &[usize]) -> (Vec<Seen>, usize, Vec<Vec<u8>>) {
    let mut s = UnbalancedSecondary::new(Params::default(), 5).unwrap();
    s.push_class2(&asdu(1)).unwrap();
    s.push_class2(&asdu(2)).unwrap();
    let mut seen = Vec::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    bounds.sort_unstable();
    bounds.push(stream.len());
    for end in bounds {
        seen.extend(feed_secondary(&mut s, &stream[at..end]));
        while let Some(t) = s.poll_transmit() {
            out.push(t.as_bytes().to_vec());
        }
        at = end;
    }
    let discarded = seen
        .iter()
        .map(|e| if let Seen::Discarded(n) = e { *n } else { 0 })
        .sum();
    seen.retain(|e| !matches!(e, Seen::Discarded(_)));
    (seen, discarded, out)
}

proptest! {
    #[test]
    fn any_split_of_the_reads_gives_the_same_events_and_answers(
        stream in stream(),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let whole = run(&stream, &[]);
        let split = run(&stream, &cuts);
        prop_assert_eq!(whole, split);
    }

    #[test]
    fn a_lossy_line_delivers_nothing_twice_and_in_order(
        losses in proptest::collection::vec(any::<bool>(), 0..40),
        pushes in 1u8..8,
    ) {
        let mut line = PartyLine::new(Params::default(), &[1, 2]);
        for n in 0..pushes {
            line.secondaries[0].push_class1(&asdu(n)).unwrap();
            line.secondaries[1].push_class2(&asdu(n)).unwrap();
            line.primary.send(1, &asdu(100 + n)).unwrap();
        }
        // Lose frame k when losses[k] says so (one frame in three at most); then a clean line.
        let pattern: Vec<bool> = losses.iter().enumerate().map(|(k, l)| *l && k % 3 == 0).collect();
        line.lose = Box::new(move |k, _| pattern.get(k).copied().unwrap_or(false));
        line.run(secs(60));
        let went_down = line.primary_events.iter().any(|e| matches!(e, Seen::Down(_)));
        for (address, service) in [(1, Service::Class1), (2, Service::Class2)] {
            let got: Vec<u8> = data(&line.primary_events)
                .into_iter()
                .filter(|d| d.0 == address)
                .map(|d| { prop_assert_eq!(d.1, service); Ok(d.2[4]) })
                .collect::<Result<_, _>>()?;
            prop_assert!(got.windows(2).all(|w| w[0] < w[1]), "in order, once: {:?}", got);
            if !went_down {
                prop_assert_eq!(got.len(), usize::from(pushes));
            }
        }
        let sent: Vec<u8> = data(&line.secondary_events[0]).into_iter().map(|d| d.2[4]).collect();
        prop_assert!(sent.windows(2).all(|w| w[0] < w[1]), "in order, once: {:?}", sent);
        if !went_down {
            prop_assert_eq!(sent.len(), usize::from(pushes));
        }
    }

    #[test]
    fn a_lossy_balanced_line_delivers_nothing_twice_and_in_order(
        losses in proptest::collection::vec(any::<bool>(), 0..60),
        n in 1u8..6,
    ) {
        let mut pair = BalancedPair::new(Params::default());
        for k in 0..n {
            pair.a.send(&asdu(k)).unwrap();
            pair.b.send(&asdu(50 + k)).unwrap();
        }
        let pattern: Vec<bool> = losses.iter().enumerate().map(|(k, l)| *l && k % 3 == 0).collect();
        pair.lose = Box::new(move |k, _, _| pattern.get(k).copied().unwrap_or(false));
        pair.run(secs(60));
        for (events, other_events, first) in [
            (&pair.b_events, &pair.a_events, 0u8),
            (&pair.a_events, &pair.b_events, 50),
        ] {
            let got: Vec<u8> = data(events).into_iter().map(|d| d.2[4]).collect();
            prop_assert!(got.windows(2).all(|w| w[0] < w[1]), "in order, once: {:?}", got);
            prop_assert!(got.iter().all(|g| (first..first + n).contains(g)));
            let confirmed = other_events.iter().filter(|e| matches!(e, Seen::Confirmed(..))).count();
            let down = other_events.iter().any(|e| matches!(e, Seen::Down(_)));
            if !down {
                prop_assert_eq!(got.len(), usize::from(n));
                prop_assert_eq!(confirmed, usize::from(n));
            }
        }
        prop_assert!(pair.a.is_up() && pair.b.is_up(), "up again on the clean line");
    }
}

//! Random interleavings of append, hand out, ack, rewind, sync and reopen against a model.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::small;
use fieldbridge_outbox::{Config, Outbox, WhenFull};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    /// Append a record of this payload length, `gap` numbers after the last one.
    Append {
        len: usize,
        gap: u64,
    },
    /// Hand out up to this many records.
    Send(usize),
    /// Acknowledge the in-flight record at this index (modulo the window).
    Ack(usize),
    Rewind,
    Sync,
    /// Reopen, after a clean close or as after kill -9.
    Reopen {
        clean: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..64, 1u64..4).prop_map(|(len, gap)| Op::Append { len, gap }),
        4 => (1usize..6).prop_map(Op::Send),
        5 => any::<usize>().prop_map(Op::Ack),
        1 => Just(Op::Rewind),
        1 => Just(Op::Sync),
        1 => any::<bool>().prop_map(|clean| Op::Reopen { clean }),
    ]
}

fn payload(seq: u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (seq as u8).wrapping_mul(31).wrapping_add(i as u8))
        .collect()
}

struct Model {
    appended: BTreeMap<u64, Vec<u8>>,
    delivered: BTreeSet<u64>,
    acked: BTreeSet<u64>,
    in_flight: Vec<u64>,
    dropped: u64,
    last: u64,
}

fn run(ops: Vec<Op>, bounded: bool) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let cfg = if bounded {
        Config {
            max_bytes: 1024,
            when_full: WhenFull::DropOldest,
            ..small()
        }
    } else {
        small()
    };
    let open = |p: &Path| Outbox::open(p, cfg.clone()).unwrap().0;
    let mut ob = open(dir.path());
    let mut m = Model {
        appended: BTreeMap::new(),
        delivered: BTreeSet::new(),
        acked: BTreeSet::new(),
        in_flight: Vec::new(),
        dropped: 0,
        last: 0,
    };
    // After a clean close nothing at or below the model's low-water mark may come back.
    let mut floor: Option<u64> = None;
    for op in ops {
        match op {
            Op::Append { len, gap } => {
                let seq = m.last + gap;
                let p = payload(seq, len);
                let out = ob.append_at(seq, &p, seq).unwrap();
                m.dropped += out.dropped_records;
                m.appended.insert(seq, p);
                m.last = seq;
                prop_assert_eq!(ob.last_seq(), Some(seq));
            }
            Op::Send(n) => {
                for _ in 0..n {
                    let Some(r) = ob.next_unsent().unwrap() else {
                        break;
                    };
                    prop_assert_eq!(m.appended.get(&r.seq), Some(&r.payload), "seq {}", r.seq);
                    prop_assert_eq!(r.appended_at_ms, r.seq);
                    if let Some(f) = floor {
                        prop_assert!(
                            r.seq > f,
                            "seq {} replayed after a clean close at {}",
                            r.seq,
                            f
                        );
                    }
                    m.delivered.insert(r.seq);
                    m.in_flight.push(r.seq);
                }
            }
            Op::Ack(i) => {
                if !m.in_flight.is_empty() {
                    let seq = m.in_flight.remove(i % m.in_flight.len());
                    ob.ack(seq).unwrap();
                    m.acked.insert(seq);
                }
            }
            Op::Rewind => {
                ob.rewind();
                m.in_flight.clear();
            }
            Op::Sync => ob.sync().unwrap(),
            Op::Reopen { clean } => {
                let before = ob.low_water();
                if clean {
                    ob.close().unwrap();
                } else {
                    drop(ob);
                }
                ob = open(dir.path());
                m.in_flight.clear();
                let lw = ob.low_water();
                if !bounded {
                    // The recovered mark never covers a record that was not acknowledged...
                    let bad = m
                        .appended
                        .keys()
                        .find(|&&s| lw.is_some_and(|l| s <= l) && !m.acked.contains(&s));
                    prop_assert!(
                        bad.is_none(),
                        "recovered mark {:?} covers unacknowledged {:?}",
                        lw,
                        bad
                    );
                    // ... and after a clean close it is exactly the one the outbox had.
                    if clean {
                        prop_assert_eq!(lw, before);
                    }
                }
                floor = if clean && !bounded { lw } else { None };
                prop_assert!(m.appended.is_empty() || ob.last_seq() == Some(m.last));
            }
        }
        prop_assert!(!bounded || ob.disk_bytes() <= cfg.max_bytes);
    }
    // Hand out everything still pending.
    ob.rewind();
    let pending = ob.pending_len();
    let mut drained = 0u64;
    while let Some(r) = ob.next_unsent().unwrap() {
        prop_assert_eq!(m.appended.get(&r.seq), Some(&r.payload));
        m.delivered.insert(r.seq);
        drained += 1;
    }
    prop_assert_eq!(drained, pending);
    prop_assert!(m.delivered.iter().all(|s| m.appended.contains_key(s)));
    let missing = m
        .appended
        .keys()
        .filter(|s| !m.delivered.contains(s))
        .count() as u64;
    prop_assert!(
        missing <= m.dropped,
        "{} never delivered, {} dropped",
        missing,
        m.dropped
    );
    if !bounded {
        prop_assert_eq!(m.dropped, 0);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_appended_record_is_delivered_at_least_once_and_nothing_else_is(
        ops in prop::collection::vec(op(), 1..200),
    ) {
        run(ops, false)?;
    }

    #[test]
    fn under_drop_oldest_only_dropped_records_go_undelivered(
        ops in prop::collection::vec(op(), 1..300),
    ) {
        run(ops, true)?;
    }
}

//! Polling groups and request coalescing: which read requests poll which points.
//!
//! Points sharing a unit id and a poll interval form a [`Group`]. Within a group, per table, points
//! are sorted by address and merged greedily into [`Block`]s: a block grows while the gap to the next
//! point is at most `max_gap` registers (or bits) and the block stays within `max_registers` (or
//! `max_bits`). Greedy merging of start-sorted spans yields the fewest blocks under both limits.
//! A register bit (`holding:N.3`) spans register `N` and shares its read with the other points of the
//! table. Everything here is pure; the poller executes the plan.

use std::time::Duration;

use fieldbridge_core::config::{ModbusPoint, ModbusSource, ModbusType};
use fieldbridge_core::point::ModbusTable;

/// Most registers one read may ask for (Modbus Application Protocol V1.1b3 §6.3, §6.4).
pub const MAX_READ_REGISTERS: u16 = 125;
/// Most bits one read may ask for (Modbus Application Protocol V1.1b3 §6.1, §6.2).
pub const MAX_READ_BITS: u16 = 2000;

/// The limits coalescing respects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest gap bridged between two points, in registers or bits.
    pub max_gap: u16,
    /// Most registers per request, 1 to 125.
    pub max_registers: u16,
    /// Most bits per request, 1 to 2000.
    pub max_bits: u16,
}

impl Limits {
    /// The limits of a source, clamped to what the protocol allows.
    pub fn from_source(source: &ModbusSource) -> Self {
        Limits::new(source.max_gap, source.max_registers, source.max_bits)
    }

    /// Limits clamped to 1 ..= the protocol maximum.
    pub fn new(max_gap: u16, max_registers: u16, max_bits: u16) -> Self {
        Limits {
            max_gap,
            max_registers: max_registers.clamp(1, MAX_READ_REGISTERS),
            max_bits: max_bits.clamp(1, MAX_READ_BITS),
        }
    }

    /// The most registers or bits one request on `table` may ask for.
    pub fn max_for(&self, table: ModbusTable) -> u16 {
        if table.is_bits() {
            self.max_bits
        } else {
            self.max_registers
        }
    }
}

/// The registers (or bits) one point occupies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// The data table.
    pub table: ModbusTable,
    /// First address.
    pub start: u16,
    /// Registers or bits, at least 1.
    pub count: u16,
}

impl Span {
    /// The span of a configured point: one bit for coils and discrete inputs, one register for a
    /// register bit, else as many registers as the type needs.
    pub fn of(point: &ModbusPoint) -> Self {
        let r = point.register;
        let count = if r.table.is_bits() || r.bit.is_some() || point.data_type == ModbusType::Bool {
            1
        } else {
            point.data_type.registers().max(1)
        };
        Span {
            table: r.table,
            start: r.address,
            count,
        }
    }

    /// One past the last address (may be 65536).
    pub fn end(&self) -> u32 {
        u32::from(self.start) + u32::from(self.count)
    }
}

/// One point inside a block: where its registers or bits are in the block's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Index of the point in the source's point list.
    pub point: usize,
    /// Offset of its first register or bit from the block's start.
    pub offset: u16,
    /// Registers or bits it spans.
    pub count: u16,
}

/// One contiguous range read for one or more points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The data table.
    pub table: ModbusTable,
    /// First address.
    pub start: u16,
    /// Registers or bits.
    pub count: u16,
    /// The points, in address order.
    pub members: Vec<Member>,
}

impl Block {
    /// One past the last address (may be 65536).
    pub fn end(&self) -> u32 {
        u32::from(self.start) + u32::from(self.count)
    }

    /// Whether the block covers points at more than one distinct span, so that splitting it would
    /// change the requests.
    pub fn is_splittable(&self) -> bool {
        self.members
            .windows(2)
            .any(|w| (w[0].offset, w[0].count) != (w[1].offset, w[1].count))
    }

    /// The requests `(start, count)` that read this block, each within `max`. Only a single point
    /// larger than `max` (a long string on a device with a low `max_registers`) needs more than one.
    pub fn requests(&self, max: u16) -> Vec<(u16, u16)> {
        let max = u32::from(max.max(1));
        let mut out = Vec::with_capacity(1);
        let mut at = u32::from(self.start);
        while at < self.end() {
            let n = (self.end() - at).min(max);
            // Both fit: `at` < 65536 and `n` <= 2000.
            out.push((at as u16, n as u16));
            at += n;
        }
        out
    }

    /// This block split into one block per distinct point span (points at the same span, such as
    /// several bits of one register, still share a request).
    pub fn split(&self) -> Vec<Block> {
        let mut out: Vec<Block> = Vec::new();
        for m in &self.members {
            let start = u32::from(self.start) + u32::from(m.offset);
            // Within the block, hence within 0..=65535.
            let start = start as u16;
            let member = Member { offset: 0, ..*m };
            match out
                .iter_mut()
                .find(|b| b.start == start && b.count == m.count)
            {
                Some(b) => b.members.push(member),
                None => out.push(Block {
                    table: self.table,
                    start,
                    count: m.count,
                    members: vec![member],
                }),
            }
        }
        out
    }
}

/// Points polled together: same unit id, same interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The unit id (slave address).
    pub unit: u8,
    /// The poll interval.
    pub interval: Duration,
    /// The read requests, by table then address.
    pub blocks: Vec<Block>,
}

/// Merges points into as few blocks as the limits allow. `items` are `(point index, span)`; points
/// of different tables never share a block. Blocks come out ordered by table, then address.
pub fn coalesce(items: &[(usize, Span)], limits: &Limits) -> Vec<Block> {
    let mut sorted: Vec<(usize, Span)> = items.to_vec();
    sorted.sort_by_key(|&(i, s)| (s.table, s.start, s.count, i));
    let mut blocks: Vec<Block> = Vec::new();
    for (point, span) in sorted {
        let max = u32::from(limits.max_for(span.table));
        if let Some(b) = blocks.last_mut() {
            let gap = u32::from(span.start).saturating_sub(b.end());
            let end = b.end().max(span.end());
            if b.table == span.table
                && gap <= u32::from(limits.max_gap)
                && end - u32::from(b.start) <= max
            {
                // `end - start` <= max <= 2000.
                b.count = (end - u32::from(b.start)) as u16;
                b.members.push(Member {
                    point,
                    offset: span.start - b.start,
                    count: span.count,
                });
                continue;
            }
        }
        blocks.push(Block {
            table: span.table,
            start: span.start,
            count: span.count,
            members: vec![Member {
                point,
                offset: 0,
                count: span.count,
            }],
        });
    }
    blocks
}

/// The polling groups of a source's points, ordered by unit id then interval.
pub fn groups(points: &[ModbusPoint], limits: &Limits) -> Vec<Group> {
    let mut keys: Vec<(u8, Duration)> = points.iter().map(|p| (p.unit_id, p.poll)).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|(unit, interval)| {
            let items: Vec<(usize, Span)> = points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.unit_id == unit && p.poll == interval)
                .map(|(i, p)| (i, Span::of(p)))
                .collect();
            Group {
                unit,
                interval,
                blocks: coalesce(&items, limits),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldbridge_core::config::RegisterRef;
    use proptest::prelude::*;

    use ModbusTable::{Coil, Discrete, Holding, Input};

    fn span(table: ModbusTable, start: u16, count: u16) -> Span {
        Span {
            table,
            start,
            count,
        }
    }

    /// `(start, count, [point indices])` of each block, for compact expectations.
    fn shape(blocks: &[Block]) -> Vec<(ModbusTable, u16, u16, Vec<usize>)> {
        blocks
            .iter()
            .map(|b| {
                (
                    b.table,
                    b.start,
                    b.count,
                    b.members.iter().map(|m| m.point).collect(),
                )
            })
            .collect()
    }

    fn items(spans: &[Span]) -> Vec<(usize, Span)> {
        spans.iter().copied().enumerate().collect()
    }

    fn point(
        name: &str,
        register: RegisterRef,
        data_type: ModbusType,
        unit_id: u8,
        poll_ms: u64,
    ) -> ModbusPoint {
        ModbusPoint {
            poll: Duration::from_millis(poll_ms),
            unit_id,
            ..ModbusPoint::new(name, register, data_type)
        }
    }

    #[test]
    fn coalescing_follows_the_gap_and_size_limits() {
        type Case = (
            &'static str,
            Vec<Span>,
            Limits,
            Vec<(ModbusTable, u16, u16, Vec<usize>)>,
        );
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("adjacent registers become one request", vec![span(Holding, 0, 2), span(Holding, 2, 1), span(Holding, 3, 4)], Limits::new(0, 125, 2000), vec![(Holding, 0, 7, vec![0, 1, 2])]),
            ("a gap up to max_gap is bridged", vec![span(Holding, 0, 1), span(Holding, 9, 1)], Limits::new(8, 125, 2000), vec![(Holding, 0, 10, vec![0, 1])]),
            ("a gap beyond max_gap starts a new request", vec![span(Holding, 0, 1), span(Holding, 10, 1)], Limits::new(8, 125, 2000), vec![(Holding, 0, 1, vec![0]), (Holding, 10, 1, vec![1])]),
            ("max_gap zero merges only contiguous points", vec![span(Input, 5, 1), span(Input, 6, 2), span(Input, 9, 1)], Limits::new(0, 125, 2000), vec![(Input, 5, 3, vec![0, 1]), (Input, 9, 1, vec![2])]),
            ("a request never exceeds max_registers", vec![span(Holding, 0, 2), span(Holding, 2, 2), span(Holding, 4, 2)], Limits::new(8, 4, 2000), vec![(Holding, 0, 4, vec![0, 1]), (Holding, 4, 2, vec![2])]),
            ("the protocol maximum of 125 registers holds even when configured higher", vec![span(Holding, 0, 1), span(Holding, 125, 1)], Limits::new(200, 500, 2000), vec![(Holding, 0, 1, vec![0]), (Holding, 125, 1, vec![1])]),
            ("bits are limited by max_bits, not max_registers", vec![span(Coil, 0, 1), span(Coil, 199, 1)], Limits::new(200, 10, 200), vec![(Coil, 0, 200, vec![0, 1])]),
            ("bits beyond max_bits split", vec![span(Discrete, 0, 1), span(Discrete, 200, 1)], Limits::new(500, 10, 200), vec![(Discrete, 0, 1, vec![0]), (Discrete, 200, 1, vec![1])]),
            ("tables are never merged and come out in table order", vec![span(Holding, 0, 1), span(Coil, 0, 1), span(Input, 1, 1), span(Discrete, 0, 1)], Limits::new(8, 125, 2000), vec![(Coil, 0, 1, vec![1]), (Discrete, 0, 1, vec![3]), (Input, 1, 1, vec![2]), (Holding, 0, 1, vec![0])]),
            ("unsorted points are sorted by address first", vec![span(Holding, 20, 2), span(Holding, 10, 2), span(Holding, 0, 2)], Limits::new(10, 125, 2000), vec![(Holding, 0, 22, vec![2, 1, 0])]),
            ("overlapping points share a request", vec![span(Holding, 0, 4), span(Holding, 2, 2), span(Holding, 2, 1)], Limits::new(0, 125, 2000), vec![(Holding, 0, 4, vec![0, 2, 1])]),
            ("a point larger than max_registers stays one block on its own", vec![span(Holding, 0, 1), span(Holding, 1, 10), span(Holding, 11, 1)], Limits::new(8, 4, 2000), vec![(Holding, 0, 1, vec![0]), (Holding, 1, 10, vec![1]), (Holding, 11, 1, vec![2])]),
            ("the last register of the address space is reachable", vec![span(Holding, 65534, 2), span(Holding, 65530, 1)], Limits::new(8, 125, 2000), vec![(Holding, 65530, 6, vec![1, 0])]),
        ];
        for (name, spans, limits, expected) in cases {
            assert_eq!(
                shape(&coalesce(&items(&spans), &limits)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn register_bits_share_the_read_with_other_holding_points() {
        let points = vec![
            point(
                "level",
                RegisterRef {
                    table: Holding,
                    address: 100,
                    bit: None,
                },
                ModbusType::F32,
                1,
                1000,
            ),
            point(
                "alarm",
                RegisterRef {
                    table: Holding,
                    address: 102,
                    bit: Some(3),
                },
                ModbusType::Bool,
                1,
                1000,
            ),
            point(
                "trip",
                RegisterRef {
                    table: Holding,
                    address: 102,
                    bit: Some(4),
                },
                ModbusType::Bool,
                1,
                1000,
            ),
        ];
        let g = groups(&points, &Limits::new(8, 125, 2000));
        assert_eq!(g.len(), 1);
        assert_eq!(shape(&g[0].blocks), vec![(Holding, 100, 3, vec![0, 1, 2])]);
        assert_eq!(
            g[0].blocks[0].members[1],
            Member {
                point: 1,
                offset: 2,
                count: 1
            }
        );
    }

    #[test]
    fn points_form_groups_by_unit_and_interval() {
        let reg = |a| RegisterRef {
            table: Holding,
            address: a,
            bit: None,
        };
        let points = vec![
            point("a", reg(0), ModbusType::U16, 2, 1000),
            point("b", reg(1), ModbusType::U16, 1, 1000),
            point("c", reg(2), ModbusType::U16, 1, 200),
            point("d", reg(3), ModbusType::U16, 1, 1000),
        ];
        let g = groups(&points, &Limits::new(8, 125, 2000));
        let keys: Vec<_> = g.iter().map(|g| (g.unit, g.interval.as_millis())).collect();
        assert_eq!(keys, [(1, 200), (1, 1000), (2, 1000)]);
        assert_eq!(shape(&g[1].blocks), vec![(Holding, 1, 3, vec![1, 3])]);
    }

    #[test]
    fn a_split_block_reads_each_distinct_span_once() {
        let blocks = coalesce(
            &items(&[
                span(Holding, 0, 2),
                span(Holding, 5, 1),
                span(Holding, 5, 1),
                span(Holding, 9, 4),
            ]),
            &Limits::new(8, 125, 2000),
        );
        assert_eq!(blocks.len(), 1);
        assert!(blocks[0].is_splittable());
        let split = blocks[0].split();
        assert_eq!(
            shape(&split),
            vec![
                (Holding, 0, 2, vec![0]),
                (Holding, 5, 1, vec![1, 2]),
                (Holding, 9, 4, vec![3])
            ]
        );
        assert!(split
            .iter()
            .all(|b| b.members.iter().all(|m| m.offset == 0) && !b.is_splittable()));
    }

    #[test]
    fn requests_are_chunked_only_when_one_point_is_larger_than_the_limit() {
        let block = Block {
            table: Holding,
            start: 10,
            count: 10,
            members: vec![],
        };
        assert_eq!(block.requests(125), [(10, 10)]);
        assert_eq!(block.requests(4), [(10, 4), (14, 4), (18, 2)]);
        let top = Block {
            table: Holding,
            start: 65534,
            count: 2,
            members: vec![],
        };
        assert_eq!(top.requests(1), [(65534, 1), (65535, 1)]);
    }

    fn arb_span() -> impl Strategy<Value = Span> {
        (0usize..2, 0u16..300, 1u16..=8).prop_map(|(t, start, count)| Span {
            table: [Holding, Coil][t],
            start,
            count: if t == 1 { 1 } else { count },
        })
    }

    proptest! {
        #[test]
        fn every_point_is_covered_by_exactly_one_block_within_the_limits(
            spans in proptest::collection::vec(arb_span(), 0..60),
            max_gap in 0u16..20,
            max_registers in 8u16..=125,
            max_bits in 1u16..=100,
        ) {
            let limits = Limits::new(max_gap, max_registers, max_bits);
            let blocks = coalesce(&items(&spans), &limits);
            let mut seen = vec![0usize; spans.len()];
            for b in &blocks {
                prop_assert!(b.count <= limits.max_for(b.table));
                prop_assert!(!b.members.is_empty());
                for m in &b.members {
                    seen[m.point] += 1;
                    let s = spans[m.point];
                    prop_assert_eq!(s.table, b.table);
                    prop_assert_eq!(u32::from(b.start) + u32::from(m.offset), u32::from(s.start));
                    prop_assert!(s.end() <= b.end());
                }
                // Every register of the block lies in a point or in a bridged gap of at most max_gap.
                let mut covered: Vec<(u32, u32)> = b.members.iter()
                    .map(|m| (u32::from(m.offset), u32::from(m.offset) + u32::from(m.count))).collect();
                covered.sort();
                let mut reach = 0u32;
                for (s, e) in covered {
                    prop_assert!(s.saturating_sub(reach) <= u32::from(max_gap));
                    reach = reach.max(e);
                }
                prop_assert_eq!(reach, u32::from(b.count));
            }
            prop_assert!(seen.iter().all(|&n| n == 1));
            prop_assert!(blocks.len() <= spans.len());
        }
    }
}

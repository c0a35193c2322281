//! The IEC 101 link state machines (`link101`) driven by fuzzed bytes and time: the unbalanced
//! primary, the unbalanced secondary and both balanced stations. None may panic, and whatever
//! they emit must stay well formed: every frame handed out decodes as exactly one FT1.2 frame of
//! its length under the link's address length, an unbalanced primary sends only primary frames
//! with DIR (RES) clear, a secondary only secondary frames or E5, and a balanced station every
//! frame with its own DIR bit.
//!
//! Input: byte 0 chooses the station (`% 4`: unbalanced primary, unbalanced secondary, balanced
//! A, balanced B), the link address length (bits 2-3: 0, 1, 2 octets), E5 answers (bit 4) and
//! the queue length (bits 5-7, plus 1); byte 1 the link addresses. Then operations, each one byte
//! `op` and its operands: `op % 8` = 0 bytes from the line (length octet, then that many),
//! 1 time passes (two octets, milliseconds × 4), 2 user data to send or queue as class 1
//! (address index, length octet, octets), 3 the same without reply or as class 2, 4 a broadcast,
//! 5 full on, 6 full off, 7 run to the next deadline.
#![no_main]
use fieldbridge_iec60870::ft12::{self, AddressLen, Control, Frame, LinkConfig};
use fieldbridge_iec60870::link101::{
    Balanced, Event, Params, Station, Transmit, UnbalancedPrimary, UnbalancedSecondary,
};
use std::time::{Duration, Instant};

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
}

enum Link {
    Primary(UnbalancedPrimary, Vec<u16>),
    Secondary(UnbalancedSecondary),
    Balanced(Balanced),
}

fn check_event(event: &Event<'_>, max_asdu: usize) {
    if let Event::UserData { asdu, .. } = event {
        assert!(asdu.len() <= max_asdu, "delivered user data fit a frame");
    }
}

fn check_frame(transmit: &Transmit, link: &Link, config: &LinkConfig) {
    let bytes = transmit.as_bytes();
    let (frame, len) = ft12::decode(bytes, config)
        .expect("an emitted frame decodes")
        .expect("an emitted frame is whole");
    assert_eq!(len, bytes.len(), "one frame per transmit");
    assert_eq!(transmit.frame(config), Some(frame));
    let control = match frame {
        Frame::SingleChar => None,
        Frame::Fixed { control, .. } | Frame::Variable { control, .. } => Some(control),
    };
    assert_eq!(transmit.control(), control);
    match (link, control) {
        (Link::Primary(..), Some(Control::Primary { dir, .. })) => assert!(!dir, "RES is 0"),
        (Link::Primary(..), other) => panic!("a primary station sent {other:?}"),
        (Link::Secondary(_), None) => {}
        (Link::Secondary(_), Some(Control::Secondary { dir, .. })) => assert!(!dir, "RES is 0"),
        (Link::Secondary(_), other) => panic!("a secondary station sent {other:?}"),
        (
            Link::Balanced(b),
            Some(Control::Primary { dir, .. } | Control::Secondary { dir, .. }),
        ) => {
            assert_eq!(dir, b.station().dir(), "our own DIR bit")
        }
        (Link::Balanced(_), None) => {}
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let mode = input.byte();
    let addresses = input.byte();
    let address_len = match (mode >> 2) & 3 {
        0 => AddressLen::Zero,
        2 => AddressLen::Two,
        _ => AddressLen::One,
    };
    let params = Params {
        link: LinkConfig::new(address_len),
        single_char_ack: mode & 0x10 != 0,
        queue_len: 1 + usize::from(mode >> 5),
        ..Params::default()
    };
    let config = params.link;
    let max_asdu = params.max_asdu_len();
    // Addresses below the broadcast address (0 alone without an address field).
    let fit = |a: u8| u16::from(a) % params.broadcast_address().max(1);
    let mut now = Instant::now();
    let mut link = match mode % 4 {
        0 => {
            let mut list = vec![fit(addresses), fit(addresses.wrapping_add(1))];
            list.dedup();
            match UnbalancedPrimary::new(params, &list, now) {
                Ok(p) => Link::Primary(p, list),
                Err(_) => return,
            }
        }
        1 => match UnbalancedSecondary::new(params, fit(addresses)) {
            Ok(s) => Link::Secondary(s),
            Err(_) => return,
        },
        m => {
            let station = if m == 2 { Station::A } else { Station::B };
            let own = fit(addresses);
            let remote = fit(addresses.wrapping_add(1));
            match Balanced::new(params, station, own, remote, now) {
                Ok(b) => Link::Balanced(b),
                Err(_) => return,
            }
        }
    };

    while !input.0.is_empty() {
        let op = input.byte();
        let on_event = |e: Event<'_>| check_event(&e, max_asdu);
        match op % 8 {
            0 => {
                let len = usize::from(input.byte());
                let bytes = input.bytes(len);
                match &mut link {
                    Link::Primary(p, _) => p.on_bytes(bytes, now, on_event),
                    Link::Secondary(s) => s.on_bytes(bytes, on_event),
                    Link::Balanced(b) => b.on_bytes(bytes, now, on_event),
                }
            }
            1 | 7 => {
                if op % 8 == 1 {
                    let ms = u64::from(u16::from_le_bytes([input.byte(), input.byte()]));
                    now += Duration::from_millis(ms * 4);
                }
                let due = match &link {
                    Link::Primary(p, _) => p.poll_timeout(),
                    Link::Secondary(_) => None,
                    Link::Balanced(b) => b.poll_timeout(),
                };
                if let Some(due) = due {
                    if op % 8 == 7 {
                        now = now.max(due);
                    }
                    if due <= now {
                        match &mut link {
                            Link::Primary(p, _) => p.on_timeout(now, on_event),
                            Link::Secondary(_) => {}
                            Link::Balanced(b) => b.on_timeout(now, on_event),
                        }
                    }
                }
            }
            2 | 3 => {
                let index = usize::from(input.byte());
                let len = usize::from(input.byte());
                let asdu = input.bytes(len);
                let reply = op % 8 == 2;
                let _ = match &mut link {
                    Link::Primary(p, list) => {
                        let address = list[index % list.len()];
                        if reply {
                            p.send(address, asdu).map(|_| ())
                        } else {
                            p.send_no_reply(address, asdu).map(|_| ())
                        }
                    }
                    Link::Secondary(s) if reply => s.push_class1(asdu),
                    Link::Secondary(s) => s.push_class2(asdu),
                    Link::Balanced(b) if reply => b.send(asdu).map(|_| ()),
                    Link::Balanced(b) => b.send_no_reply(asdu).map(|_| ()),
                };
            }
            4 => {
                let len = usize::from(input.byte());
                let asdu = input.bytes(len);
                if let Link::Primary(p, _) = &mut link {
                    let _ = p.broadcast(asdu);
                }
            }
            _ => {
                let full = op % 8 == 5;
                match &mut link {
                    Link::Primary(..) => {}
                    Link::Secondary(s) => s.set_full(full),
                    Link::Balanced(b) => b.set_full(full),
                }
            }
        }
        loop {
            let transmit = match &mut link {
                Link::Primary(p, _) => p.poll_transmit(now),
                Link::Secondary(s) => s.poll_transmit(),
                Link::Balanced(b) => b.poll_transmit(now),
            };
            let Some(transmit) = transmit else { break };
            check_frame(&transmit, &link, &config);
        }
    }
});

//! The IEC 104 link state machine (`link104::Link104`) driven by fuzzed bytes and time, in
//! either role. It must never panic, and whatever it emits must stay well formed: every frame it
//! hands out decodes as exactly one APDU of its length, its I frames count N(S) up by one, at
//! most k are unacknowledged, and every ASDU it delivers fits an I frame.
//!
//! Input: byte 0 chooses the role (bit 0: controlled), the acknowledgement mode (bits 1-2) and
//! what t1 does (bit 3: probe); byte 1 chooses k (1 + low nibble) and w (1 + high nibble, at
//! most k). Then operations, each one byte `op` and its operands:
//! `op % 8` = 0 bytes from the peer (length octet, then that many), 1 time passes (two octets,
//! milliseconds × 16), 2 send an ASDU (length octet 1..=255, then the octets), 3 STARTDT,
//! 4 STOPDT, 5 close, 6 hold acknowledgements (`op` bit 3), 7 run to the next deadline.
#![no_main]
use fieldbridge_iec60870::apci::{self, Apci, SeqNo};
use fieldbridge_iec60870::link104::{AckMode, AckTimeout, Event, Link104, Params, Role};
use std::time::{Duration, Instant};

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
}

fn check_event(event: &Event<'_>) {
    if let Event::Received(asdu) = event {
        assert!((1..=249).contains(&asdu.len()), "an ASDU fits an I frame");
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let (Some(mode), Some(window)) = (input.byte(), input.byte()) else {
        return;
    };
    let role = if mode & 1 == 0 {
        Role::Controlling
    } else {
        Role::Controlled
    };
    let k = 1 + u16::from(window & 0x0F);
    let params = Params {
        k,
        w: (1 + u16::from(window >> 4)).min(k),
        on_ack_timeout: if mode & 0x08 == 0 {
            AckTimeout::Close
        } else {
            AckTimeout::Probe
        },
        ..Params::default()
    };
    let t0 = Instant::now();
    let mut now = t0;
    let mut link = Link104::new(role, params, now).expect("the parameters are valid");
    link.set_ack_mode(match (mode >> 1) & 3 {
        0 => AckMode::Prompt,
        1 => AckMode::Paced,
        _ => AckMode::Held,
    });
    let mut next_send: Option<SeqNo> = None;

    while let Some(op) = input.byte() {
        match op % 8 {
            0 => {
                let len = usize::from(input.byte().unwrap_or(0));
                let bytes = input.bytes(len);
                link.on_bytes(bytes, now, |e| check_event(&e));
            }
            1 => {
                let ms = u64::from(u16::from_le_bytes([
                    input.byte().unwrap_or(0),
                    input.byte().unwrap_or(0),
                ]));
                now += Duration::from_millis(ms * 16);
                if link.poll_timeout().is_some_and(|due| due <= now) {
                    if let Some(event) = link.on_timeout(now) {
                        check_event(&event);
                    }
                }
            }
            2 => {
                let len = usize::from(input.byte().unwrap_or(1).max(1));
                let asdu = input.bytes(len);
                let _ = link.send_asdu(asdu, now);
            }
            3 => {
                let _ = link.start_dt(now);
            }
            4 => {
                let _ = link.stop_dt(now);
            }
            5 => link.close(),
            6 => link.hold_acks(op & 0x08 != 0),
            _ => {
                if let Some(due) = link.poll_timeout() {
                    // Deadlines only move forward from the caller's point of view.
                    now = now.max(due);
                    if let Some(event) = link.on_timeout(now) {
                        check_event(&event);
                    }
                }
            }
        }
        assert!(
            link.unacknowledged() <= k,
            "at most k I frames unacknowledged"
        );
        while let Some(frame) = link.poll_transmit() {
            let bytes = frame.as_bytes();
            let (apdu, len) = apci::decode(bytes)
                .expect("an emitted frame decodes")
                .expect("an emitted frame is whole");
            assert_eq!(len, bytes.len(), "one APDU per frame");
            assert_eq!(apdu, frame.apdu());
            if let Apci::I { send, .. } = apdu.apci {
                if let Some(expected) = next_send {
                    assert_eq!(send, expected, "N(S) counts up by one");
                }
                next_send = Some(send.next());
            }
        }
    }
});

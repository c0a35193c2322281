//! A relay between two serial lines that can lose chosen frames: the test's way to make a real
//! peer see a lost answer. Each direction is a thread that reads one line, cuts what it reads
//! into FT1.2 frames and writes each whole frame to the other line unless told to lose it.

use crate::driver::{decode_all, Decoded};
use fieldbridge_iec60870::ft12::{self, LinkConfig};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread;

/// Decides whether a frame (the n-th in its direction, from 0) is lost.
pub type Lose = Box<dyn FnMut(usize, &Decoded) -> bool + Send>;

/// The frames a relay lost, per direction.
#[derive(Debug, Default)]
pub struct Lost {
    pub left_to_right: Vec<Decoded>,
    pub right_to_left: Vec<Decoded>,
}

/// Starts relaying between `left` and `right` (pseudo-terminals); the threads end when a line
/// closes (socat killed at the end of the test).
pub fn start(
    left: &Path,
    right: &Path,
    config: LinkConfig,
    lose_to_right: Lose,
    lose_to_left: Lose,
) -> Arc<Mutex<Lost>> {
    let open = |p: &Path| -> File {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(p)
            .unwrap_or_else(|e| panic!("open {}: {e}", p.display()))
    };
    let l = open(left);
    let r = open(right);
    let lost = Arc::new(Mutex::new(Lost::default()));
    let (l2, r2) = (l.try_clone().unwrap(), r.try_clone().unwrap());
    let lost1 = lost.clone();
    thread::spawn(move || {
        pump(l, r2, config, lose_to_right, move |f| {
            lost1.lock().unwrap().left_to_right.push(f)
        })
    });
    let lost2 = lost.clone();
    thread::spawn(move || {
        pump(r, l2, config, lose_to_left, move |f| {
            lost2.lock().unwrap().right_to_left.push(f)
        })
    });
    lost
}

fn pump(
    mut from: File,
    mut to: File,
    config: LinkConfig,
    mut lose: Lose,
    mut note: impl FnMut(Decoded),
) {
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = [0u8; 512];
    let mut n = 0;
    loop {
        let got = match from.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(got) => got,
        };
        pending.extend_from_slice(&buf[..got]);
        loop {
            let hunt = ft12::decode_hunting(&pending, &config);
            let (discarded, frame_len) = (hunt.discarded, hunt.frame.map(|(_, len)| len));
            let Some(len) = frame_len else {
                // Garbage goes through as it came; a partial frame waits.
                let garbage: Vec<u8> = pending.drain(..discarded).collect();
                if !garbage.is_empty() && to.write_all(&garbage).is_err() {
                    return;
                }
                break;
            };
            let frame: Vec<u8> = pending.drain(..discarded + len).collect();
            let decoded = decode_all(&frame[discarded..], &config).remove(0);
            if lose(n, &decoded) {
                note(decoded);
            } else if to.write_all(&frame).is_err() {
                return;
            }
            n += 1;
        }
    }
}

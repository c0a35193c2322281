//! The canonical form of an A-XDR Data element, written from the standard's layout and
//! independently of the crate's encoder: booleans as 0x00/0x01, lengths in the fewest octets.
//! Shared by the DLMS fuzz targets (included with `#[path]`; not a target of its own, which is why
//! it is not in `fuzz_targets/`).
#![allow(dead_code)]

/// Reads an A-XDR length (the validated input has a well-formed one).
pub fn length(r: &mut &[u8]) -> usize {
    let first = take(r, 1)[0];
    if first < 0x80 {
        return usize::from(first);
    }
    take(r, usize::from(first & 0x7F))
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
}

/// Writes an A-XDR (or BER definite) length in the fewest octets.
pub fn put_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

pub fn take<'a>(r: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, tail) = r.split_at(n);
    *r = tail;
    head
}

/// The fixed body size of a simple type tag (with the delta types 28..=33 of the Blue Book's
/// 14th edition, which the crate reads and the first round's normaliser predates).
pub fn fixed(tag: u8) -> Option<usize> {
    Some(match tag {
        0 | 255 => 0,
        3 | 13 | 15 | 17 | 22 | 28 | 31 => 1,
        16 | 18 | 29 | 32 => 2,
        5 | 6 | 23 | 27 | 30 | 33 => 4,
        26 => 5,
        20 | 21 | 24 => 8,
        25 => 12,
        _ => return None,
    })
}

/// Copies one validated compact-array type description in its canonical form.
pub fn normalise_description(r: &mut &[u8], out: &mut Vec<u8>) {
    let tag = take(r, 1)[0];
    out.push(tag);
    match tag {
        1 => {
            out.extend_from_slice(take(r, 2));
            normalise_description(r, out);
        }
        2 => {
            let n = length(r);
            put_length(out, n);
            for _ in 0..n {
                normalise_description(r, out);
            }
        }
        _ => {}
    }
}

/// Copies one validated Data element in its canonical form: booleans as 0 or 1, lengths in the
/// fewest octets.
pub fn normalise(r: &mut &[u8], out: &mut Vec<u8>) {
    let tag = take(r, 1)[0];
    out.push(tag);
    match tag {
        3 => out.push(u8::from(take(r, 1)[0] != 0)),
        1 | 2 => {
            let n = length(r);
            put_length(out, n);
            for _ in 0..n {
                normalise(r, out);
            }
        }
        9 | 10 | 12 => {
            let n = length(r);
            put_length(out, n);
            out.extend_from_slice(take(r, n));
        }
        4 => {
            let bits = length(r);
            put_length(out, bits);
            out.extend_from_slice(take(r, bits.div_ceil(8)));
        }
        19 => {
            normalise_description(r, out);
            let n = length(r);
            put_length(out, n);
            out.extend_from_slice(take(r, n));
        }
        t => out.extend_from_slice(take(r, fixed(t).expect("a validated tag"))),
    }
}

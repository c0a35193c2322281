//! The text forms of an OBIS code (IEC 62056-6-1 clause 4.3): `A-B:C.D.E*F` (or `&F`, or no F)
//! and the dotted `A.B.C.D.E.F`.

use crate::Error;

/// The names of the six value groups, for error messages.
const GROUP: [&str; 6] = [
    "OBIS value group A",
    "OBIS value group B",
    "OBIS value group C",
    "OBIS value group D",
    "OBIS value group E",
    "OBIS value group F",
];

/// A cursor over the string's bytes.
struct Text<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Text<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// A decimal number 0..=255 naming value group `group`.
    fn number(&mut self, group: usize) -> Result<u8, Error> {
        let what = GROUP.get(group).copied().unwrap_or("OBIS value group");
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(byte @ b'0'..=b'9') = self.peek() {
            value = value
                .saturating_mul(10)
                .saturating_add(u64::from(byte - b'0'));
            self.pos += 1;
        }
        if self.pos == start {
            return Err(match self.peek() {
                Some(found) => Error::BadByte {
                    offset: start,
                    what,
                    expected: "a decimal number 0..=255",
                    found,
                },
                None => Error::Truncated {
                    offset: start,
                    what,
                    needed: 1,
                },
            });
        }
        u8::try_from(value).map_err(|_| Error::BadValue {
            offset: start,
            what,
            expected: "0..=255",
            found: value,
        })
    }

    /// The separator `sep` before value group `group`.
    fn separator(&mut self, sep: u8, group: usize, expected: &'static str) -> Result<(), Error> {
        match self.peek() {
            Some(found) if found == sep => {
                self.pos += 1;
                Ok(())
            }
            Some(found) => Err(Error::BadByte {
                offset: self.pos,
                what: "OBIS code separator",
                expected,
                found,
            }),
            None => Err(Error::Truncated {
                offset: self.pos,
                what: GROUP.get(group).copied().unwrap_or("OBIS value group"),
                needed: 1,
            }),
        }
    }
}

/// Parses one of the text forms into the six octets.
pub(super) fn parse(bytes: &[u8]) -> Result<[u8; 6], Error> {
    let mut t = Text { bytes, pos: 0 };
    let mut out = [0u8; 6];
    let [a, b, c, d, e, f] = &mut out;
    *a = t.number(0)?;
    match t.peek() {
        Some(b'-') => {
            t.pos += 1;
            *b = t.number(1)?;
            t.separator(b':', 2, "':' after value group B")?;
            *c = t.number(2)?;
            t.separator(b'.', 3, "'.' after value group C")?;
            *d = t.number(3)?;
            t.separator(b'.', 4, "'.' after value group D")?;
            *e = t.number(4)?;
            *f = match t.peek() {
                None => 255,
                Some(b'*' | b'&') => {
                    t.pos += 1;
                    t.number(5)?
                }
                Some(found) => {
                    return Err(Error::BadByte {
                        offset: t.pos,
                        what: "OBIS code separator",
                        expected: "'*' or '&' before value group F, or the end",
                        found,
                    })
                }
            };
        }
        Some(b'.') => {
            let rest = [&mut *b, c, d, e, f];
            for (i, group) in rest.into_iter().enumerate() {
                t.separator(b'.', i + 1, "'.' between value groups")?;
                *group = t.number(i + 1)?;
            }
        }
        Some(found) => {
            return Err(Error::BadByte {
                offset: t.pos,
                what: "OBIS code separator",
                expected: "'-' (A-B:C.D.E*F) or '.' (A.B.C.D.E.F) after value group A",
                found,
            })
        }
        None => {
            return Err(Error::Truncated {
                offset: t.pos,
                what: "OBIS value group B",
                needed: 1,
            })
        }
    }
    if let Some(found) = t.peek() {
        return Err(Error::BadByte {
            offset: t.pos,
            what: "OBIS code",
            expected: "the end after value group F",
            found,
        });
    }
    Ok(out)
}

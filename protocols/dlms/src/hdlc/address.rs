//! HDLC addresses (IEC 62056-46 clause 6.4.2, DLMS UA 1000-2 Ed. 10 clause 8.4.2.2 and 8.4.2.3).
//!
//! ```text
//! one octet    AAAAAAA1                                  client address, or a server's upper
//!                                                        (logical) address alone
//! two octets   UUUUUUU0 LLLLLLL1                         upper, lower (physical): 7 bits each
//! four octets  UUUUUUU0 UUUUUUU0 LLLLLLL0 LLLLLLL1       upper, lower: 14 bits each, high first
//! ```
//!
//! Seven bits per octet; the low bit is 1 on the last octet only. The client address is always
//! one octet; the server address has one, two or four, which both stations know beforehand.

use crate::Error;

/// The reserved "no station" address, for client, upper and lower addresses alike (Green Book
/// 8.4.2.3).
pub const NO_STATION: u16 = 0x00;
/// The client management process (Green Book 8.4.2.3, table "reserved client addresses").
pub const CLIENT_MANAGEMENT: u8 = 0x01;
/// The public client, which every server lets associate with the lowest security (Green Book
/// 8.4.2.3).
pub const CLIENT_PUBLIC: u8 = 0x10;
/// The all-station (broadcast) address in one octet, or in one octet of a two-octet server
/// address (Green Book 8.4.2.3).
pub const ALL_STATION: u8 = 0x7F;
/// The all-station (broadcast) address as an upper or lower address of the four-octet form.
pub const ALL_STATION_4: u16 = 0x3FFF;
/// The server upper address of the management logical device (Green Book 8.4.2.3).
pub const MANAGEMENT_LOGICAL_DEVICE: u16 = 0x01;
/// The lower address "CALLING physical device", with which a server that calls sends (Green Book
/// 8.4.2.3), in the two-octet form.
pub const CALLING_PHYSICAL: u16 = 0x7E;
/// The lower address "CALLING physical device" in the four-octet form.
pub const CALLING_PHYSICAL_4: u16 = 0x3FFE;

/// The largest value of one 7-bit address octet.
const MAX_7: u16 = 0x7F;
/// The largest upper or lower address of the four-octet form.
const MAX_14: u16 = 0x3FFF;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Form {
    One(u16),
    Two(u16, u16),
    Four(u16, u16),
}

/// An HDLC address of one, two or four octets, its values always in range.
///
/// Equality and hashing compare the form as well as the values: `Address::two(1, 17)` is not
/// `Address::four(1, 17)`, though both name upper 1, lower 17, because they are different
/// octets on the wire and a station answers only the form it was configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address(Form);

impl Address {
    /// The public client, 0x10 (one octet: 0x21).
    pub const PUBLIC_CLIENT: Address = Address(Form::One(CLIENT_PUBLIC as u16));
    /// The client management process, 0x01 (one octet: 0x03).
    pub const MANAGEMENT_CLIENT: Address = Address(Form::One(CLIENT_MANAGEMENT as u16));
    /// The one-octet all-station address 0x7F (0xFF on the wire).
    pub const ALL_STATION: Address = Address(Form::One(ALL_STATION as u16));
    /// The one-octet no-station address 0 (0x01 on the wire).
    pub const NO_STATION: Address = Address(Form::One(NO_STATION));

    /// A one-octet address: a client address, or a server's upper address alone.
    ///
    /// # Errors
    /// [`Error::BadValue`] (offset 0) when `value` is above 0x7F.
    pub fn one(value: u8) -> Result<Self, Error> {
        let value = u16::from(value);
        check(value, MAX_7, "HDLC one-octet address", "0..=0x7F")?;
        Ok(Address(Form::One(value)))
    }

    /// A client address (always one octet, Green Book 8.4.2.2).
    ///
    /// # Errors
    /// As [`Address::one`].
    pub fn client(value: u8) -> Result<Self, Error> {
        Self::one(value)
    }

    /// A two-octet server address: upper (logical) and lower (physical) 7 bits each.
    ///
    /// # Errors
    /// [`Error::BadValue`] (offset 0) when either is above 0x7F.
    pub fn two(upper: u8, lower: u8) -> Result<Self, Error> {
        let (upper, lower) = (u16::from(upper), u16::from(lower));
        check(upper, MAX_7, "HDLC upper address", "0..=0x7F")?;
        check(lower, MAX_7, "HDLC lower address", "0..=0x7F")?;
        Ok(Address(Form::Two(upper, lower)))
    }

    /// A four-octet server address: upper and lower 14 bits each.
    ///
    /// # Errors
    /// [`Error::BadValue`] (offset 0) when either is above 0x3FFF.
    pub fn four(upper: u16, lower: u16) -> Result<Self, Error> {
        check(upper, MAX_14, "HDLC upper address", "0..=0x3FFF")?;
        check(lower, MAX_14, "HDLC lower address", "0..=0x3FFF")?;
        Ok(Address(Form::Four(upper, lower)))
    }

    /// A server address in the fewest octets: one when there is no lower address, two when both
    /// fit 7 bits, else four.
    ///
    /// # Errors
    /// [`Error::BadValue`] when a value does not fit 14 bits, or `upper` does not fit 7 bits
    /// without a lower address.
    pub fn server(upper: u16, lower: Option<u16>) -> Result<Self, Error> {
        match lower {
            None => {
                check(upper, MAX_7, "HDLC upper address", "0..=0x7F")?;
                Ok(Address(Form::One(upper)))
            }
            Some(lower) if upper <= MAX_7 && lower <= MAX_7 => Ok(Address(Form::Two(upper, lower))),
            Some(lower) => Self::four(upper, lower),
        }
    }

    /// The upper (logical) address, or the whole value of a one-octet address.
    pub const fn upper(&self) -> u16 {
        match self.0 {
            Form::One(v) | Form::Two(v, _) | Form::Four(v, _) => v,
        }
    }

    /// The lower (physical) address; `None` in the one-octet form.
    pub const fn lower(&self) -> Option<u16> {
        match self.0 {
            Form::One(_) => None,
            Form::Two(_, l) | Form::Four(_, l) => Some(l),
        }
    }

    /// The number of octets on the wire: 1, 2 or 4.
    pub const fn octets(&self) -> usize {
        match self.0 {
            Form::One(_) => 1,
            Form::Two(..) => 2,
            Form::Four(..) => 4,
        }
    }

    /// Whether this is the all-station (broadcast) address: every part all ones.
    pub const fn is_all_station(&self) -> bool {
        match self.0 {
            Form::One(v) => v == MAX_7,
            Form::Two(u, l) => u == MAX_7 && l == MAX_7,
            Form::Four(u, l) => u == MAX_14 && l == MAX_14,
        }
    }

    /// Appends the address octets, the low bit set on the last.
    pub fn encode(&self, out: &mut Vec<u8>) {
        // Values were checked on construction: each shifted part fits its octet.
        let low7 = |v: u16| ((v & MAX_7) as u8) << 1;
        match self.0 {
            Form::One(v) => out.push(low7(v) | 1),
            Form::Two(u, l) => out.extend_from_slice(&[low7(u), low7(l) | 1]),
            Form::Four(u, l) => {
                out.extend_from_slice(&[low7(u >> 7), low7(u), low7(l >> 7), low7(l) | 1])
            }
        }
    }

    /// Reads an address from the start of `input`, reporting offsets from `base`. `Ok(None)`
    /// when the input ends before the address does.
    ///
    /// # Errors
    /// [`Error::BadByte`] at the third octet when it ends the address (3 octets are not
    /// allowed), or at the fourth when it does not.
    pub fn decode(
        input: &[u8],
        base: usize,
        what: &'static str,
    ) -> Result<Option<(Self, usize)>, Error> {
        let Some(len) = input.iter().take(4).position(|b| b & 1 == 1) else {
            return match input.get(3) {
                Some(&found) => Err(Error::BadByte {
                    offset: base + 3,
                    what,
                    expected: "the low bit set on the 1st, 2nd or 4th octet",
                    found,
                }),
                None => Ok(None),
            };
        };
        let part = |i: usize| input.get(i).map_or(0, |b| u16::from(b >> 1));
        let form = match len {
            0 => Form::One(part(0)),
            1 => Form::Two(part(0), part(1)),
            3 => Form::Four((part(0) << 7) | part(1), (part(2) << 7) | part(3)),
            _ => {
                return Err(Error::BadByte {
                    offset: base + len,
                    what,
                    expected: "an address of 1, 2 or 4 octets",
                    found: input.get(len).copied().unwrap_or(0),
                })
            }
        };
        Ok(Some((Address(form), len + 1)))
    }
}

fn check(value: u16, max: u16, what: &'static str, expected: &'static str) -> Result<(), Error> {
    if value > max {
        return Err(Error::BadValue {
            offset: 0,
            what,
            expected,
            found: u64::from(value),
        });
    }
    Ok(())
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.lower() {
            None => write!(f, "{:#04x}", self.upper()),
            Some(lower) => write!(f, "{:#x}/{:#x}", self.upper(), lower),
        }
    }
}

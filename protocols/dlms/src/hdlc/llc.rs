//! The LLC header that opens every APDU carried in HDLC I and UI frames (IEC 62056-46 clause 6.5.2,
//! DLMS UA 1000-2 Ed. 10 clause 8.4.5.2).
//!
//! ```text
//! destination LSAP | source LSAP | LLC quality
//! E6               | E6          | 00            command (client to server)
//! E6               | E7          | 00            response (server to client)
//! ```

use crate::Error;

/// The LLC header of a command: E6 E6 00.
pub const LLC_COMMAND: [u8; 3] = [0xE6, 0xE6, 0x00];
/// The LLC header of a response: E6 E7 00.
pub const LLC_RESPONSE: [u8; 3] = [0xE6, 0xE7, 0x00];

/// Which LLC header: the direction of the APDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Llc {
    /// E6 E6 00: from the client.
    Command,
    /// E6 E7 00: from the server.
    Response,
}

impl Llc {
    /// The three octets.
    pub const fn bytes(self) -> [u8; 3] {
        match self {
            Llc::Command => LLC_COMMAND,
            Llc::Response => LLC_RESPONSE,
        }
    }

    /// Appends the header.
    pub fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes());
    }

    /// `apdu` with the header before it.
    pub fn prefix(self, apdu: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(3 + apdu.len());
        self.put(&mut out);
        out.extend_from_slice(apdu);
        out
    }

    /// The APDU after the header at the start of `info`.
    ///
    /// # Errors
    /// [`Error::Truncated`] when `info` is shorter than 3 octets; [`Error::BadByte`] at the
    /// destination LSAP (offset 0), source LSAP (1) or LLC quality (2) that differs.
    pub fn strip(self, info: &[u8]) -> Result<&[u8], Error> {
        let mut r = crate::reader::Reader::new(info);
        let [dst, src, quality] = r.array::<3>("LLC header")?;
        let [want_dst, want_src, want_quality] = self.bytes();
        let fields: [(u8, u8, &'static str, &'static str); 3] = [
            (dst, want_dst, "LLC destination LSAP", "0xE6"),
            (
                src,
                want_src,
                "LLC source LSAP",
                match self {
                    Llc::Command => "0xE6 (command)",
                    Llc::Response => "0xE7 (response)",
                },
            ),
            (quality, want_quality, "LLC quality", "0x00"),
        ];
        for (offset, (found, want, what, expected)) in fields.into_iter().enumerate() {
            if found != want {
                return Err(Error::BadByte {
                    offset,
                    what,
                    expected,
                    found,
                });
            }
        }
        Ok(r.rest())
    }
}

//! Helpers shared by the test modules.

/// The octets of hex strings, one per field so that each can carry a comment; spaces are
/// ignored.
pub fn bytes(fields: &[&str]) -> Vec<u8> {
    let joined: String = fields.concat().split_whitespace().collect();
    hex::decode(joined).expect("test vectors are valid hex")
}

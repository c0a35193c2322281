//! The AES-GCM-128 of security suite 0 with a 12-octet tag (DLMS UA 1000-2 Ed. 10, 9.2.3.3,
//! NIST SP 800-38D), from the RustCrypto `aes-gcm` crate: this module only shapes DLMS's IV and
//! additional authenticated data around it.

use aes_gcm::aes::cipher::consts::U12;
use aes_gcm::aes::Aes128;
use aes_gcm::{AeadInOut, AesGcm, KeyInit};

use super::{Key, SystemTitle, TAG_LEN};

/// AES-GCM-128 with a 96-bit IV and a 96-bit tag.
type Suite0 = AesGcm<Aes128, U12, U12>;

/// The IV of suite 0: the sender's system title, then the frame counter (9.2.7.2.4.1).
pub(super) fn iv(system_title: &SystemTitle, frame_counter: u32) -> [u8; 12] {
    let mut iv = [0u8; 12];
    let (title, counter) = iv.split_at_mut(8);
    title.copy_from_slice(system_title);
    counter.copy_from_slice(&frame_counter.to_be_bytes());
    iv
}

fn cipher(key: &Key) -> Suite0 {
    Suite0::new(&aes_gcm::Key::<Suite0>::from(*key))
}

/// Encrypts `buffer` in place (empty for a GMAC) and returns the tag over `aad` and the
/// ciphertext. `None` only if the lengths exceed what GCM allows (64 GiB), which no DLMS APDU
/// reaches.
pub(super) fn seal(
    key: &Key,
    iv: [u8; 12],
    aad: &[u8],
    buffer: &mut [u8],
) -> Option<[u8; TAG_LEN]> {
    let nonce = aes_gcm::Nonce::<U12>::from(iv);
    let tag = cipher(key)
        .encrypt_inout_detached(&nonce, aad, buffer.into())
        .ok()?;
    Some(tag.into())
}

/// Checks `tag` over `aad` and the ciphertext in `buffer`, then decrypts `buffer` in place.
/// `false` when the tag does not verify (`buffer` is left as it was).
pub(super) fn open(
    key: &Key,
    iv: [u8; 12],
    aad: &[u8],
    buffer: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> bool {
    let nonce = aes_gcm::Nonce::<U12>::from(iv);
    let tag = aes_gcm::Tag::<U12>::from(*tag);
    cipher(key)
        .decrypt_inout_detached(&nonce, aad, buffer.into(), &tag)
        .is_ok()
}

/// Applies the GCM key stream alone (encryption only, where no tag is sent): the same operation
/// encrypts and decrypts.
pub(super) fn keystream(key: &Key, iv: [u8; 12], buffer: &mut [u8]) -> bool {
    seal(key, iv, &[], buffer).is_some()
}

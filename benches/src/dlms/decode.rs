//! fieldbridge's decoders of the frames (view, Items walk, owned, ciphered) and AES-GCM alone.

use super::*;

// ---------------------------------------------------------------------------------------------
// fieldbridge

/// The profile digest of a view: every value of the tree, recursively.
fn tree_digest_view(mut h: u64, data: DataRef<'_>) -> u64 {
    let tag = u64::from(data.data_type().tag());
    match data.value() {
        Value::Array(items) | Value::Structure(items) => {
            h = mix(mix(h, tag), items.len() as u64);
            for item in items {
                h = tree_digest_view(h, item);
            }
            h
        }
        Value::OctetString(bytes) => mix_octets(mix(h, tag), bytes),
        Value::Unsigned(v) => mix(mix(h, tag), v.into()),
        Value::LongUnsigned(v) => mix(mix(h, tag), v.into()),
        Value::DoubleLongUnsigned(v) => mix(mix(h, tag), v.into()),
        // Not in these frames.
        _ => mix(h, tag),
    }
}

/// One value of the profile digest: its type tag, then the value.
#[inline]
fn value_digest(h: u64, value: &Value<'_>) -> u64 {
    match *value {
        Value::OctetString(bytes) => mix_octets(mix(h, 9), bytes),
        Value::Unsigned(v) => mix(mix(h, 17), v.into()),
        Value::LongUnsigned(v) => mix(mix(h, 18), v.into()),
        Value::DoubleLongUnsigned(v) => mix(mix(h, 6), v.into()),
        // Not in these frames.
        _ => mix(h, u64::from(value.data_type().tag())),
    }
}

/// The profile digest of a view read in one pass ([`DataRef::events`]): the same as
/// [`tree_digest_view`], which mixes a container's tag and count on the way in and nothing on
/// the way out.
fn events_digest(data: DataRef<'_>) -> u64 {
    data.events().fold(SEED, |h, event| match event {
        Event::Array(n) => mix(mix(h, 1), n as u64),
        Event::Structure(n) => mix(mix(h, 2), n as u64),
        Event::End => h,
        Event::Value(value) => value_digest(h, &value),
    })
}

/// The profile digest of an owned tree.
fn tree_digest_owned(mut h: u64, data: &Data) -> u64 {
    let tag = u64::from(data.data_type().tag());
    match data {
        Data::Array(items) | Data::Structure(items) => {
            h = mix(mix(h, tag), items.len() as u64);
            for item in items {
                h = tree_digest_owned(h, item);
            }
            h
        }
        Data::OctetString(bytes) => mix_octets(mix(h, tag), bytes),
        Data::Unsigned(v) => mix(mix(h, tag), (*v).into()),
        Data::LongUnsigned(v) => mix(mix(h, tag), (*v).into()),
        Data::DoubleLongUnsigned(v) => mix(mix(h, tag), (*v).into()),
        _ => mix(h, tag),
    }
}

fn elem_of_view(data: DataRef<'_>) -> Elem<'_> {
    match data.value() {
        Value::OctetString(bytes) => Elem::Octets(bytes),
        Value::LongUnsigned(v) => Elem::U16(v),
        Value::DoubleLongUnsigned(v) => Elem::U32(v),
        Value::Structure(mut items) if items.len() == 2 => {
            match (
                items.next().map(|d| d.value()),
                items.next().map(|d| d.value()),
            ) {
                (Some(Value::Integer(s)), Some(Value::Enum(u))) => Elem::ScalerUnit(s, u),
                _ => Elem::Other,
            }
        }
        _ => Elem::Other,
    }
}

/// The elements of a push body read from its events: the body structure's elements, a
/// container among them read to its end (a scaler_unit when it is a structure of an integer and
/// an enum, as [`elem_of_view`] decides).
struct ElemsOfEvents<'a> {
    events: Events<'a>,
}

impl<'a> ElemsOfEvents<'a> {
    /// The elements of the body structure, if `body` is one.
    fn new(body: DataRef<'a>) -> Option<Self> {
        let mut events = body.events();
        match events.next()? {
            Event::Structure(_) => Some(ElemsOfEvents { events }),
            _ => None,
        }
    }
}

impl<'a> Iterator for ElemsOfEvents<'a> {
    type Item = Elem<'a>;

    #[inline]
    fn next(&mut self) -> Option<Elem<'a>> {
        let count = match self.events.next()? {
            Event::Value(Value::OctetString(bytes)) => return Some(Elem::Octets(bytes)),
            Event::Value(Value::LongUnsigned(v)) => return Some(Elem::U16(v)),
            Event::Value(Value::DoubleLongUnsigned(v)) => return Some(Elem::U32(v)),
            Event::Value(_) => return Some(Elem::Other),
            // The end of the body.
            Event::End => return None,
            Event::Array(_) => None,
            Event::Structure(count) => Some(count),
        };
        // A container: its first two elements if they are values, then on to its end.
        let (mut first, mut second) = (None, None);
        let (mut depth, mut index) = (1usize, 0usize);
        while depth > 0 {
            match self.events.next()? {
                Event::Array(_) | Event::Structure(_) => {
                    index += usize::from(depth == 1);
                    depth += 1;
                }
                Event::End => depth -= 1,
                Event::Value(value) if depth == 1 => {
                    match index {
                        0 => first = Some(value),
                        1 => second = Some(value),
                        _ => {}
                    }
                    index += 1;
                }
                Event::Value(_) => {}
            }
        }
        Some(match (count, first, second) {
            (Some(2), Some(Value::Integer(s)), Some(Value::Enum(u))) => Elem::ScalerUnit(s, u),
            _ => Elem::Other,
        })
    }
}

fn elem_of_owned(data: &Data) -> Elem<'_> {
    match data {
        Data::OctetString(bytes) => Elem::Octets(bytes),
        Data::LongUnsigned(v) => Elem::U16(*v),
        Data::DoubleLongUnsigned(v) => Elem::U32(*v),
        Data::Structure(items) => match items.as_slice() {
            [Data::Integer(s), Data::Enum(u)] => Elem::ScalerUnit(*s, *u),
            _ => Elem::Other,
        },
        _ => Elem::Other,
    }
}

/// The view of a plain profile response: `GetResponse::decode`, then every value in one pass
/// ([`DataRef::events`]).
#[inline]
fn view_profile_bytes(apdu: &[u8]) -> Option<u64> {
    match GetResponse::decode(apdu).ok()? {
        GetResponse::Normal {
            result: GetDataResult::Data(data),
            ..
        } => Some(events_digest(data)),
        _ => None,
    }
}

/// The view of a plain push: `DataNotification::decode`, then every register in one pass
/// ([`DataRef::events`]).
#[inline]
fn view_push_bytes(apdu: &[u8]) -> Option<u64> {
    let notification = DataNotification::decode(apdu).ok()?;
    register_digest(ElemsOfEvents::new(notification.body)?)
}

/// fieldbridge view of the profile (no allocation): one pass over the tree.
pub fn view_profile(frame: &[u8], _: &mut Scratch) -> Option<u64> {
    view_profile_bytes(frame)
}

/// fieldbridge view of the profile read element by element with `Items` (each level of the
/// tree skips the elements below it once more).
pub fn view_profile_items(frame: &[u8], _: &mut Scratch) -> Option<u64> {
    match GetResponse::decode(frame).ok()? {
        GetResponse::Normal {
            result: GetDataResult::Data(data),
            ..
        } => Some(tree_digest_view(SEED, data)),
        _ => None,
    }
}

/// fieldbridge owned form of the profile: the view, `to_owned`, then every value.
pub fn owned_profile(frame: &[u8], _: &mut Scratch) -> Option<u64> {
    match GetResponse::decode(frame).ok()?.to_owned() {
        OwnedGetResponse::Normal {
            result: OwnedGetDataResult::Data(data),
            ..
        } => Some(tree_digest_owned(SEED, &data)),
        _ => None,
    }
}

/// fieldbridge view of the push (no allocation): one pass over the body.
pub fn view_push(frame: &[u8], _: &mut Scratch) -> Option<u64> {
    view_push_bytes(frame)
}

/// fieldbridge view of the push read element by element with `Items`.
pub fn view_push_items(frame: &[u8], _: &mut Scratch) -> Option<u64> {
    let notification = DataNotification::decode(frame).ok()?;
    match notification.body.value() {
        Value::Structure(items) => register_digest(items.map(elem_of_view)),
        _ => None,
    }
}

/// fieldbridge owned form of the push.
pub fn owned_push(frame: &[u8], _: &mut Scratch) -> Option<u64> {
    match DataNotification::decode(frame).ok()?.to_owned().body {
        Data::Structure(items) => register_digest(items.iter().map(elem_of_owned)),
        _ => None,
    }
}

/// fieldbridge ciphered profile: `CipheredApdu::decode`, `decrypt` (tag checked) into the
/// reused buffer, then the view.
pub fn ciphered_profile(frame: &[u8], scratch: &mut Scratch) -> Option<u64> {
    let apdu = CipheredApdu::decode(frame).ok()?;
    let plain = apdu
        .decrypt(&KEYS, Some(&SERVER_TITLE), &mut scratch.plain)
        .ok()?;
    view_profile_bytes(plain)
}

/// fieldbridge ciphered push: as [`ciphered_profile`], then the push's view. The push is
/// encryption only (the only policy `dlms_cosem` reads), which the receiver must ask for.
pub fn ciphered_push(frame: &[u8], scratch: &mut Scratch) -> Option<u64> {
    let apdu = CipheredApdu::decode(frame).ok()?;
    let plain = apdu
        .decrypt_with_policy(
            &KEYS,
            SecurityPolicy::Encrypted,
            Some(&SERVER_TITLE),
            &mut scratch.plain,
        )
        .ok()?;
    view_push_bytes(plain)
}

// ---------------------------------------------------------------------------------------------
// AES-GCM alone

/// Suite 0's AES-GCM-128 with a 12-octet tag.
type Suite0 = AesGcm<Aes128, U12, U12>;

/// What a decoder may keep between frames: the plaintext buffer, and for AES-GCM alone the
/// cipher and where the ciphertext, IV, AAD and tag of the frame are.
pub struct Scratch {
    plain: Vec<u8>,
    aes: Option<AesJob>,
}

struct AesJob {
    cipher: Suite0,
    iv: [u8; 12],
    aad: [u8; 17],
    ciphertext: Range<usize>,
    tag: [u8; TAG_LEN],
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch")
            .field("plain", &self.plain.len())
            .field("aes", &self.aes.is_some())
            .finish()
    }
}

impl Scratch {
    /// The scratch for decoding `frame`; for an authenticated ciphered frame also the AES-GCM
    /// job (found with `CipheredApdu::decode`, outside the timing).
    pub fn new(frame: &[u8]) -> Scratch {
        let aes = CipheredApdu::decode(frame).ok().and_then(|apdu| {
            let tag = *apdu.auth_tag()?;
            let start = apdu.header_offset() + 5;
            let mut iv = [0u8; 12];
            iv[..8].copy_from_slice(&SERVER_TITLE);
            iv[8..].copy_from_slice(&apdu.frame_counter().to_be_bytes());
            let mut aad = [0u8; 17];
            aad[0] = apdu.security_control().0;
            aad[1..].copy_from_slice(&AUTHENTICATION_KEY);
            Some(AesJob {
                cipher: Suite0::new(&ENCRYPTION_KEY.into()),
                iv,
                aad,
                ciphertext: start..start + apdu.information().len(),
                tag,
            })
        });
        Scratch {
            plain: Vec::new(),
            aes,
        }
    }

    /// The buffer the last ciphered decode wrote its plaintext to.
    pub fn plaintext(&self) -> &[u8] {
        &self.plain
    }
}

/// AES-GCM alone on the frame's ciphertext: copy it into the reused buffer and
/// `decrypt_inout_detached` (tag checked; `decrypt_in_place_detached`, deprecated in
/// aead 0.6, is a wrapper around it), the cipher (key schedule) kept from frame to frame.
/// Returns the plaintext length.
pub fn aes_gcm_alone(frame: &[u8], scratch: &mut Scratch) -> Option<u64> {
    let job = scratch.aes.as_ref()?;
    scratch.plain.clear();
    scratch
        .plain
        .extend_from_slice(frame.get(job.ciphertext.clone())?);
    job.cipher
        .decrypt_inout_detached(
            &job.iv.into(),
            &job.aad,
            scratch.plain.as_mut_slice().into(),
            &job.tag.into(),
        )
        .ok()?;
    Some(scratch.plain.len() as u64)
}

/// As [`aes_gcm_alone`], with a new cipher (key schedule) for every frame, as
/// `CipheredApdu::decrypt` does.
pub fn aes_gcm_alone_rekeyed(frame: &[u8], scratch: &mut Scratch) -> Option<u64> {
    let job = scratch.aes.as_ref()?;
    scratch.plain.clear();
    scratch
        .plain
        .extend_from_slice(frame.get(job.ciphertext.clone())?);
    Suite0::new(&ENCRYPTION_KEY.into())
        .decrypt_inout_detached(
            &job.iv.into(),
            &job.aad,
            scratch.plain.as_mut_slice().into(),
            &job.tag.into(),
        )
        .ok()?;
    Some(scratch.plain.len() as u64)
}

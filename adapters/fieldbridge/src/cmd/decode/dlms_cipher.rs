//! Ciphered APDUs as JSON (security suite 0, DLMS UA 1000-2 Ed. 10 clause 9.2.7.2 and 9.5): the
//! envelope (system title when carried, the security control byte split into its bits, the frame
//! counter, the ciphered information and the authentication tag) and, with keys, the APDU
//! deciphered and decoded in full under `deciphered`, or `decipher_error` with the codec's
//! reason (a GCM tag that does not verify: wrong key, wrong system title or counter, or altered
//! bytes).
//!
//! The IV needs the sender's system title. general-glo- and general-ded-ciphering carry it; for
//! the service-specific forms (glo-get-request ...) it is the one the association gave (the
//! AARQ's calling-AP-title for the client, the AARE's responding-AP-title for the server), else
//! the keys file's `client_system_title` or `server_system_title`. Which side sent the APDU is
//! what the transport says (the TCP side, the HDLC LLC header), else what the service is (a
//! response comes from the server).

use fieldbridge_dlms::security::{CipheredApdu, CipheredTag, SystemTitle};
use fieldbridge_dlms::Error;

use super::dlms_apdu::{apdu_at_depth, Ctx};
use super::json::{hex, Obj};

/// How deep ciphered APDUs inside deciphered ones are deciphered again.
const MAX_DEPTH: usize = 2;

/// Whether the server sends the APDU a service-specific ciphered tag protects; `None` for the
/// general forms, which protect any APDU.
fn sent_by_server(tag: CipheredTag) -> Option<bool> {
    let (plain, _) = tag.service()?;
    Some(matches!(
        plain,
        // InitiateResponse, ReadResponse, WriteResponse, ConfirmedServiceError,
        // InformationReportRequest, EventNotificationRequest, GET/SET/ACTION responses.
        0x08 | 0x0C | 0x0D | 0x0E | 0x18 | 0xC2 | 0xC4 | 0xC5 | 0xC7
    ))
}

/// The envelope's fields, then `deciphered` or `decipher_error` when keys are given.
pub(crate) fn ciphered_fields(
    obj: &mut Obj,
    c: &CipheredApdu<'_>,
    ctx: &mut Ctx<'_>,
    depth: usize,
) {
    if let Some(title) = c.system_title() {
        obj.put("system_title", hex(title));
    }
    let sc = c.security_control();
    let mut control = Obj::new();
    control
        .put("value", format!("{:#04x}", sc.0))
        .put("security_suite", sc.suite())
        .put("authentication", sc.authenticated())
        .put("encryption", sc.encrypted())
        .put("broadcast_key", sc.broadcast_key())
        .put("compression", sc.compressed());
    obj.put_obj("security_control", control)
        .put("frame_counter", c.frame_counter())
        .put("information", hex(c.information()));
    if let Some(tag) = c.auth_tag() {
        obj.put("authentication_tag", hex(tag));
    }
    let Some(keys) = ctx.keys else {
        return;
    };
    if depth >= MAX_DEPTH {
        obj.put(
            "decipher_error",
            "a ciphered APDU inside a deciphered one inside another: not deciphered",
        );
        return;
    }
    let from_server = ctx.from_server.or_else(|| sent_by_server(c.tag()));
    let title: Option<SystemTitle> = match (c.system_title(), from_server) {
        (Some(_), _) | (None, None) => None,
        (None, Some(true)) => ctx.session.server_title.or(keys.server_title),
        (None, Some(false)) => ctx.session.client_title.or(keys.client_title),
    };
    if let (None, Some(title)) = (c.system_title(), title) {
        obj.put("sender_system_title", hex(&title));
    }
    let mut plain = Vec::new();
    match c.decrypt(&keys.keys, title.as_ref(), &mut plain) {
        Ok(_) => {
            let inner = match apdu_at_depth(&plain, ctx, depth + 1) {
                Ok(inner) => inner,
                Err(e) => {
                    let mut o = Obj::new();
                    o.put("error", e.to_string())
                        .put("error_offset", e.offset())
                        .put("error_in", "apdu")
                        .put("raw", hex(&plain));
                    o
                }
            };
            obj.put_obj("deciphered", inner);
        }
        Err(e) => {
            obj.put("decipher_error", decipher_message(&e, from_server));
        }
    }
}

/// The codec's reason, with a hint when the sender's system title is unknown.
fn decipher_message(e: &Error, from_server: Option<bool>) -> String {
    match e {
        Error::Key {
            what: "system title",
            ..
        } => {
            let side = match from_server {
                Some(true) => "the server's (server_system_title",
                _ => "the client's (client_system_title",
            };
            format!("{e}: no AARQ or AARE seen gave it; give {side} in --keys)")
        }
        _ => e.to_string(),
    }
}

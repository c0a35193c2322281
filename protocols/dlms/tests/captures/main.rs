//! Capture replay against Gurux's recordings (`captures/dlms`, see its README.md): ten sessions
//! between Gurux's client and a patched Gurux meter, over the TCP wrapper (IEC 62056-47) and HDLC
//! (IEC 62056-46), with no authentication, LLS, HLS-GMAC, and security suite 0 ciphering
//! (service-specific glo- and general-glo-ciphering).
//!
//! What the issue asks, one module each:
//! - [`transport`]: every frame decodes at its transport layer (wrapper header; HDLC with HCS and
//!   FCS checked) and re-encodes byte for byte; HDLC segments put together by hand give the
//!   recorded APDU;
//! - [`link`]: the HDLC link state machines, each fed the other side's recorded frames, send the
//!   recorded frames and deliver the recorded APDUs;
//! - [`apdus`]: every APDU decodes, and the unciphered ones encode back byte for byte, through
//!   [`fieldbridge_dlms::apdu::Apdu`] and through each APDU's own owned form;
//! - [`ciphered`]: every ciphered APDU deciphers to Gurux's plaintext and ciphers back to the
//!   recorded bytes; the HLS-GMAC replies verify;
//! - [`agree`]: Gurux's translator (`GXDLMSTranslator.pduToXml`) and our decoder agree on every
//!   element of every APDU ([`xml`] reads the XML, [`gurux`] maps Gurux's names to ours);
//! - [`summary`]: one line a frame from our decode, checked against
//!   `captures/dlms/<scenario>.decode.txt` (`FIELDBRIDGE_BLESS=1` writes them).

mod agree;
mod apdus;
mod ciphered;
mod gurux;
mod link;
mod scenario;
mod summary;
mod transport;
mod xml;

use scenario::{scenarios, Transport};

#[test]
fn the_captures_folder_holds_the_ten_recorded_scenarios() {
    let all = scenarios();
    let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    // README.md: `{wrapper,hdlc}-{none,low,hls,ciphered,ciphered-general}`, with these frame
    // counts (wrapper 16/24/22/18/18, HDLC 20/68/26/22/22).
    let expected = [
        ("hdlc-ciphered", 22),
        ("hdlc-ciphered-general", 22),
        ("hdlc-hls", 26),
        ("hdlc-low", 68),
        ("hdlc-none", 20),
        ("wrapper-ciphered", 18),
        ("wrapper-ciphered-general", 18),
        ("wrapper-hls", 22),
        ("wrapper-low", 24),
        ("wrapper-none", 16),
    ];
    for (name, count) in expected {
        let s = all
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("scenario {name} missing; found {names:?}"));
        assert_eq!(s.frames.len(), count, "{name}: frame count");
        let transport = if name.starts_with("hdlc") {
            Transport::Hdlc
        } else {
            Transport::Wrapper
        };
        assert_eq!(s.transport, transport, "{name}");
    }
}

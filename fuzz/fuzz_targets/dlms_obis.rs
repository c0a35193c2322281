//! OBIS codes (IEC 62056-6-1): the input, when UTF-8, is parsed with `ObisCode::from_str`, which
//! never panics and agrees with an independent reading of the four text forms (`A-B:C.D.E*F`,
//! `A-B:C.D.E&F`, `A-B:C.D.E`, `A.B.C.D.E.F`, each group a decimal number 0..=255): the same code
//! or an error whose offset is within the string. A parsed code formats to `A-B:C.D.E*F`, which
//! parses back to it. The first six input octets also go through the logical_name decoder, the
//! encoder and `name()` with every accessor of the name.
#![no_main]
use fieldbridge_dlms::obis::ObisCode;

/// Reads the text forms from the standard's grammar: numbers (runs of ASCII digits) separated by
/// single characters.
fn reference(s: &str) -> Option<[u8; 6]> {
    let mut numbers = Vec::new();
    let mut separators = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        let mut value: Option<u64> = None;
        while let Some(&c) = chars.peek() {
            let Some(d) = c.to_digit(10).filter(|_| c.is_ascii_digit()) else {
                break;
            };
            value = Some(value.unwrap_or(0).saturating_mul(10).saturating_add(d.into()));
            chars.next();
        }
        numbers.push(u8::try_from(value?).ok()?);
        match chars.next() {
            Some(c) => separators.push(c),
            None => break,
        }
    }
    let groups: [u8; 6] = match separators.as_slice() {
        ['-', ':', '.', '.'] => {
            let mut g = [255; 6];
            g[..5].copy_from_slice(&numbers);
            g
        }
        ['-', ':', '.', '.', '*' | '&'] | ['.', '.', '.', '.', '.'] => numbers.try_into().ok()?,
        _ => return None,
    };
    Some(groups)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let parsed = text.parse::<ObisCode>();
        match (&parsed, reference(text)) {
            (Ok(code), Some(groups)) => assert_eq!(code.to_bytes(), groups, "{text:?}"),
            (Err(e), None) => assert!(e.offset() <= text.len(), "{e:?} for {text:?}"),
            _ => panic!("{text:?} parsed as {parsed:?}"),
        }
        if let Ok(code) = parsed {
            let shown = code.to_string();
            let [a, b, c, d, e, f] = code.to_bytes();
            assert_eq!(shown, format!("{a}-{b}:{c}.{d}.{e}*{f}"));
            assert_eq!(shown.parse::<ObisCode>(), Ok(code), "it parses back");
            assert_eq!(format!("{code:?}"), format!("ObisCode({shown})"));
        }
    }

    let Some(six) = data.get(..6) else {
        assert!(ObisCode::decode(data).is_err());
        return;
    };
    let code = ObisCode::decode(data).expect("six octets decode");
    assert_eq!(ObisCode::try_from(six), Ok(code));
    let bytes: [u8; 6] = code.into();
    assert_eq!(bytes, six);
    assert_eq!(
        [code.a(), code.b(), code.c(), code.d(), code.e(), code.f()],
        bytes
    );
    assert_eq!(code.with_f(code.f()), code);
    let mut out = Vec::new();
    code.encode(&mut out);
    assert_eq!(out, six);
    assert_eq!(code.encoded_len(), 6);
    assert_eq!(code.to_string().parse::<ObisCode>(), Ok(code));
    if let Some(name) = code.name() {
        let shown = name.to_string();
        assert!(shown.contains(name.quantity()), "{shown}");
        if let Some(phase) = name.phase() {
            assert!(shown.starts_with(phase), "{shown}");
        }
        if let Some(processing) = name.processing() {
            assert!(shown.contains(processing), "{shown}");
        }
        let _ = (name.qualifier(), name.channel(), name.billing_period());
        let _ = format!("{name:?}");
    }
});

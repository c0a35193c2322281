//! Values and params: what each command type accepts, and every refusal.

use super::*;

/// Starts a direct command with `value` on a point of `kind` and returns its element, or the
/// refusal.
fn first(
    kind: IecCommandKind,
    value: serde_json::Value,
    params: serde_json::Value,
) -> Result<(TypeId, Element), FieldReply> {
    let t0 = Instant::now();
    let mut c = commands();
    c.start(
        command(t0, value, params),
        1,
        &point(kind, false),
        at(t0, 0),
    )
    .map(|bytes| {
        let (t, e, _) = element(&bytes);
        (t, e)
    })
    .map_err(|(_, reply)| reply)
}

fn refused(kind: IecCommandKind, value: serde_json::Value, params: serde_json::Value) -> String {
    match first(kind, value, params) {
        Err(reply) => {
            assert_eq!(reply.outcome, Outcome::Refused, "{reply:?}");
            reply.reason.unwrap_or_default()
        }
        Ok(sent) => panic!("sent {sent:?}"),
    }
}

#[test]
fn every_kind_builds_its_element_with_the_configured_qualifier_or_the_param() {
    use IecCommandKind::*;
    let none = json!(null);
    let cases = [
        (
            Single,
            json!(true),
            none.clone(),
            TypeId::C_SC_NA_1,
            Element::SingleCommand(Sco::new(true, Qu(0), false)),
        ),
        (
            Single,
            json!("off"),
            json!({"qualifier": "short-pulse"}),
            TypeId::C_SC_NA_1,
            Element::SingleCommand(Sco::new(false, Qu::SHORT_PULSE, false)),
        ),
        (
            Single,
            json!(1),
            json!({"qualifier": 17}),
            TypeId::C_SC_NA_1,
            Element::SingleCommand(Sco::new(true, Qu(17), false)),
        ),
        (
            Double,
            json!("on"),
            json!({"qualifier": "persistent"}),
            TypeId::C_DC_NA_1,
            Element::DoubleCommand(Dco::new(Dco::ON, Qu::PERSISTENT, false)),
        ),
        (
            Double,
            json!(false),
            none.clone(),
            TypeId::C_DC_NA_1,
            Element::DoubleCommand(Dco::new(Dco::OFF, Qu(0), false)),
        ),
        (
            Step,
            json!("higher"),
            json!({"qualifier": "long-pulse"}),
            TypeId::C_RC_NA_1,
            Element::RegulatingStep(Rco::new(Rco::HIGHER, Qu::LONG_PULSE, false)),
        ),
        (
            Step,
            json!("lower"),
            none.clone(),
            TypeId::C_RC_NA_1,
            Element::RegulatingStep(Rco::new(Rco::LOWER, Qu(0), false)),
        ),
        (
            SetpointNormalized,
            json!(0.5),
            none.clone(),
            TypeId::C_SE_NA_1,
            Element::SetpointNormalized {
                nva: Nva(16384),
                qos: Qos(0),
            },
        ),
        (
            SetpointNormalized,
            json!(-1),
            json!({"qualifier": 100}),
            TypeId::C_SE_NA_1,
            Element::SetpointNormalized {
                nva: Nva(-32768),
                qos: Qos(100),
            },
        ),
        (
            SetpointScaled,
            json!(-32768),
            none.clone(),
            TypeId::C_SE_NB_1,
            Element::SetpointScaled {
                sva: -32768,
                qos: Qos(0),
            },
        ),
        (
            SetpointFloat,
            json!(21.5),
            none.clone(),
            TypeId::C_SE_NC_1,
            Element::SetpointFloat {
                value: 21.5,
                qos: Qos(0),
            },
        ),
        (
            Bitstring,
            json!(4_294_967_295u64),
            none.clone(),
            TypeId::C_BO_NA_1,
            Element::BitstringCommand(u32::MAX),
        ),
        (
            Bitstring,
            json!("0xA5"),
            none.clone(),
            TypeId::C_BO_NA_1,
            Element::BitstringCommand(0xA5),
        ),
    ];
    for (kind, value, params, type_id, expected) in cases {
        let sent = first(kind, value.clone(), params.clone());
        assert_eq!(sent, Ok((type_id, expected)), "{kind:?} {value} {params}");
    }
}

#[test]
fn the_configured_pulse_qualifier_is_sent_when_no_param_overrides_it() {
    let t0 = Instant::now();
    let mut p = point(IecCommandKind::Single, false);
    if let Some(c) = p.command.as_mut() {
        c.qualifier = PulseQualifier::LongPulse;
    }
    let bytes = commands()
        .start(command(t0, json!("on"), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    assert_eq!(
        element(&bytes).1,
        Element::SingleCommand(Sco::new(true, Qu::LONG_PULSE, false))
    );
}

#[test]
fn every_value_that_does_not_suit_the_type_is_refused_with_its_reason() {
    use IecCommandKind::*;
    let none = json!(null);
    let cases = [
        (
            Single,
            json!("maybe"),
            none.clone(),
            "value \"maybe\" is not a single command state",
        ),
        (
            Single,
            json!(2),
            none.clone(),
            "value 2 is not a single command state",
        ),
        (Single, json!(null), none.clone(), "got no value"),
        (Double, json!(1), none.clone(), "a number is ambiguous"),
        (
            Double,
            json!("intermediate"),
            none.clone(),
            "is not a double command state",
        ),
        (
            Step,
            json!(true),
            none.clone(),
            "expected \"lower\" or \"higher\", got bool",
        ),
        (
            Step,
            json!("up"),
            none.clone(),
            "value \"up\" is not a step",
        ),
        (
            SetpointNormalized,
            json!(1.0),
            none.clone(),
            "value 1 does not fit a normalized value",
        ),
        (
            SetpointNormalized,
            json!(-1.01),
            none.clone(),
            "does not fit a normalized value",
        ),
        (SetpointNormalized, json!("0.5"), none.clone(), "got string"),
        (
            SetpointScaled,
            json!(32768),
            none.clone(),
            "value 32768 does not fit a scaled value",
        ),
        (
            SetpointScaled,
            json!(-40000),
            none.clone(),
            "does not fit a scaled value",
        ),
        (
            SetpointScaled,
            json!(2.5),
            none.clone(),
            "value 2.5 is not an integer",
        ),
        (
            SetpointFloat,
            json!(1e39),
            none.clone(),
            "does not fit a short floating point number",
        ),
        (
            SetpointFloat,
            json!(true),
            none.clone(),
            "expected a number, got bool",
        ),
        (
            Bitstring,
            json!(4_294_967_296u64),
            none.clone(),
            "does not fit a bitstring of 32 bits",
        ),
        (
            Bitstring,
            json!(-1),
            none.clone(),
            "does not fit a bitstring of 32 bits",
        ),
        (
            Bitstring,
            json!("0x123456789"),
            none.clone(),
            "is not a bitstring of 32 bits",
        ),
        (
            Bitstring,
            json!("12"),
            none.clone(),
            "is not a bitstring of 32 bits",
        ),
        (
            Single,
            json!(true),
            json!({"qualifier": "forever"}),
            "param qualifier \"forever\" is not a pulse qualifier",
        ),
        (
            Single,
            json!(true),
            json!({"qualifier": 32}),
            "param qualifier 32 is not a QU (0..31)",
        ),
        (
            Double,
            json!(true),
            json!({"qualifier": true}),
            "got a bool",
        ),
        (
            SetpointFloat,
            json!(1),
            json!({"qualifier": "short-pulse"}),
            "QL, a number 0..127, got a string",
        ),
        (
            SetpointFloat,
            json!(1),
            json!({"qualifier": 128}),
            "param qualifier 128 is not a QL",
        ),
        (
            Bitstring,
            json!(1),
            json!({"qualifier": 0}),
            "a bitstring command (C_BO) has no qualifier",
        ),
        (
            Bitstring,
            json!(1),
            json!({"select": true}),
            "select is not possible",
        ),
        (
            Single,
            json!(true),
            json!({"select": "yes"}),
            "param select must be true or false, got a string",
        ),
    ];
    for (kind, value, params, reason) in cases {
        let got = refused(kind, value.clone(), params.clone());
        assert!(got.contains(reason), "{kind:?} {value} {params}: {got}");
    }
}

#[test]
fn min_and_max_apply_to_the_value_as_sent() {
    let t0 = Instant::now();
    let mut p = point(IecCommandKind::SetpointFloat, false);
    p.min = Some(0.0);
    p.max = Some(0.1);
    let mut c = commands();
    let (_, reply) = c
        .start(command(t0, json!(0.2), json!(null)), 1, &p, at(t0, 0))
        .expect_err("refused");
    assert_eq!(
        reply.reason.as_deref(),
        Some("value 0.2 is above the point's max 0.1")
    );
    let (_, reply) = c
        .start(command(t0, json!(-0.5), json!(null)), 1, &p, at(t0, 0))
        .expect_err("refused");
    assert_eq!(
        reply.reason.as_deref(),
        Some("value -0.5 is below the point's min 0")
    );
    // 0.1 rounds up as an f32, but the sender respected the max.
    assert!(c
        .start(command(t0, json!(0.1), json!(null)), 1, &p, at(t0, 0))
        .is_ok());
}

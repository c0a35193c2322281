//! Commands on writable points (SET, ACTION) against a scripted meter of this file that takes
//! SET and ACTION too ([`meter`]), and the conversions behind them.

mod meter;

use std::time::Duration;

use fieldbridge_core::command::{
    CommandRequest, CommandSender, CommandValue, FieldCommand, FieldReply, Outcome,
};
use fieldbridge_dlms::apdu::get::{ActionResult, DataAccessResult};
use fieldbridge_dlms::axdr::Data;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::*;
use crate::driver::command::action::{judge, parameters};
use crate::driver::command::encode::to_data;
use meter::{CommandMeter, Heard, DISCONNECT, EXPORT, NAME, VOLTAGE};

fn number(text: &str) -> CommandValue {
    CommandValue::Number(serde_json::from_str(text).expect("a JSON number"))
}

fn writable(name: &str, obis: [u8; 6], class: u16, attribute: i8, write: DlmsWrite) -> DlmsPoint {
    DlmsPoint {
        attribute,
        write,
        ..point(name, obis, class)
    }
}

fn command_source(address: &str) -> DlmsSource {
    DlmsSource {
        timeout: Duration::from_secs(2),
        points: vec![
            writable("voltage", VOLTAGE, 3, 2, DlmsWrite::Set),
            writable("export", EXPORT, 3, 2, DlmsWrite::Set),
            writable("name", NAME, 1, 2, DlmsWrite::Set),
            writable("disconnect", DISCONNECT, 70, 2, DlmsWrite::Action(1)),
            writable("reconnect", DISCONNECT, 70, 3, DlmsWrite::Action(2)),
            point("serial", SERIAL, 1),
        ],
        ..source(address)
    }
}

/// A source with a command queue, its point stream kept apart so that a test can close it.
struct Commanded {
    rx: Option<EventReceiver>,
    commands: CommandSender,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Commanded {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Commanded {
    /// A source with `config`, with `queued` in its queue before it starts (they run before
    /// the first poll).
    fn start(config: DlmsSource, queued: Vec<CommandRequest>) -> Commanded {
        let (tx, rx) = fieldbridge_core::event::channel(256);
        let (commands, queue) = fieldbridge_core::command::channel();
        for request in queued {
            commands.try_send(request).expect("room in the queue");
        }
        let mut poller = Poller::new(
            Arc::from("meter"),
            config,
            tx,
            Arc::new(SourceStats::new()),
            std::env::temp_dir().join("fieldbridge-dlms-command-tests"),
        )
        .with_commands(queue);
        poller.tuning.retry_pause = Duration::from_millis(10);
        let task = tokio::spawn(poller.run());
        Commanded {
            rx: Some(rx),
            commands,
            task,
        }
    }

    async fn send(&self, request: CommandRequest) {
        self.commands.send(request).await.expect("the source runs");
    }

    /// The next reading of `point`.
    async fn reading(&mut self, point: &str) -> Reading {
        let rx = self.rx.as_mut().expect("the point stream");
        loop {
            let event = tokio::time::timeout(Duration::from_secs(20), rx.recv())
                .await
                .expect("an event in time")
                .expect("the source runs");
            if let SourceEvent::Reading(r) = event {
                if &*r.point == point {
                    return r;
                }
            }
        }
    }
}

/// A command for `point` with 10 s left, and where its reply comes.
fn command(point: &str, value: CommandValue) -> (CommandRequest, oneshot::Receiver<FieldReply>) {
    command_until(
        point,
        value,
        Instant::now() + Duration::from_secs(10),
        false,
    )
}

fn command_until(
    point: &str,
    value: CommandValue,
    deadline: Instant,
    deadline_is_expiry: bool,
) -> (CommandRequest, oneshot::Receiver<FieldReply>) {
    let (reply, answer) = oneshot::channel();
    let request = CommandRequest {
        command: FieldCommand {
            id: Arc::from(format!("{point}-1")),
            point: Arc::from(point),
            value,
            params: Default::default(),
            deadline,
            deadline_is_expiry,
        },
        reply,
    };
    (request, answer)
}

async fn reply(answer: oneshot::Receiver<FieldReply>) -> FieldReply {
    tokio::time::timeout(Duration::from_secs(20), answer)
        .await
        .expect("a reply in time")
        .expect("a reply, not a dropped command")
}

fn reason(reply: &FieldReply) -> &str {
    reply.reason.as_deref().unwrap_or_default()
}

/// What one command cycle of one command looks like to the meter, between AARQ and RLRQ.
fn heard_sets(heard: &[Heard]) -> Vec<&Heard> {
    heard
        .iter()
        .filter(|h| matches!(h, Heard::Set(..) | Heard::Action(..)))
        .collect()
}

#[test]
fn a_value_is_scaled_exactly_in_reverse_into_the_attributes_own_integer_type() {
    let long_unsigned = Data::LongUnsigned(2301);
    assert_eq!(
        to_data(&number("230.5"), &long_unsigned, Some(-1)),
        Ok(Data::LongUnsigned(2305))
    );
    // 230.1 is no double exactly; as written it is 2301 tenths.
    assert_eq!(
        to_data(&number("230.1"), &long_unsigned, Some(-1)),
        Ok(Data::LongUnsigned(2301))
    );
    assert_eq!(
        to_data(&number("123400"), &Data::DoubleLong(0), Some(2)),
        Ok(Data::DoubleLong(1234))
    );
    assert_eq!(
        to_data(&number("-5"), &Data::Long64(0), None),
        Ok(Data::Long64(-5))
    );
    assert_eq!(
        to_data(&number("1e3"), &Data::DoubleLongUnsigned(0), None),
        Ok(Data::DoubleLongUnsigned(1000))
    );
    assert_eq!(
        to_data(
            &number("18446744073709551615"),
            &Data::Long64Unsigned(0),
            None
        ),
        Ok(Data::Long64Unsigned(u64::MAX))
    );
    let refused = |value: &str, current: &Data, scaler| {
        to_data(&number(value), current, scaler)
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default()
    };
    assert_eq!(
        refused("230.15", &long_unsigned, Some(-1)),
        "value 230.15 with scaler -1 gives 2301.5, not an integer as long-unsigned needs"
    );
    assert_eq!(
        refused("70000", &long_unsigned, None),
        "value 70000 does not fit long-unsigned (0 to 65535)"
    );
    assert_eq!(
        refused("6553.6", &long_unsigned, Some(-1)),
        "value 6553.6 (raw 65536 with scaler -1) does not fit long-unsigned (0 to 65535)"
    );
    assert_eq!(
        refused("-1", &Data::DoubleLongUnsigned(0), None),
        "value -1 does not fit double-long-unsigned (0 to 4294967295)"
    );
    assert_eq!(
        refused("1e60", &Data::Long64(0), None),
        "value 1e+60 does not fit long64 (-9223372036854775808 to 9223372036854775807)"
    );
    assert_eq!(
        refused("0.5", &Data::Enum(0), None),
        "value 0.5 with scaler 0 gives 0.5, not an integer as enum needs"
    );
}

#[test]
fn floats_booleans_and_strings_take_their_own_json_types_and_nothing_else() {
    assert_eq!(
        to_data(&number("230.5"), &Data::Float32(0.0), Some(-1)),
        Ok(Data::Float32(2305.0))
    );
    assert_eq!(
        to_data(&CommandValue::Bool(true), &Data::Boolean(false), None),
        Ok(Data::Boolean(true))
    );
    let text = |t: &str| CommandValue::String(t.to_owned());
    assert_eq!(
        to_data(&text("FBGX0002"), &Data::OctetString(vec![]), None),
        Ok(Data::OctetString(b"FBGX0002".to_vec()))
    );
    assert_eq!(
        to_data(&text("0x0aff00"), &Data::OctetString(vec![]), None),
        Ok(Data::OctetString(vec![0x0A, 0xFF, 0x00]))
    );
    assert_eq!(
        to_data(&text("héllo"), &Data::Utf8String(vec![]), None),
        Ok(Data::Utf8String("héllo".as_bytes().to_vec()))
    );
    let refused = |value: &CommandValue, current: &Data| {
        to_data(value, current, None)
            .map_err(|e| e.to_string())
            .err()
            .unwrap_or_default()
    };
    assert_eq!(
        refused(&number("1"), &Data::Boolean(false)),
        "expected true or false for a boolean attribute, got number"
    );
    assert_eq!(
        refused(&text("5"), &Data::LongUnsigned(0)),
        "expected a number for a long-unsigned attribute, got string"
    );
    assert_eq!(
        refused(&text("héllo"), &Data::VisibleString(vec![])),
        "a visible-string holds printable ASCII only"
    );
    assert!(refused(&text("0xabc"), &Data::OctetString(vec![])).contains("even number"));
    assert_eq!(
        refused(&number("1"), &Data::Structure(vec![])),
        "a structure attribute is not written by commands (numbers, booleans and strings are)"
    );
}

#[test]
fn action_parameters_follow_the_method_table_and_default_to_the_standards() {
    // Disconnect control: data ::= integer (0).
    assert_eq!(
        parameters(70, 1, &CommandValue::None),
        Ok(Some(Data::Integer(0)))
    );
    assert_eq!(parameters(70, 2, &number("0")), Ok(Some(Data::Integer(0))));
    assert!(parameters(70, 1, &number("300")).is_err());
    assert_eq!(
        parameters(70, 1, &CommandValue::Bool(true)),
        Err("expected no value or a number for remote_disconnect, got bool".to_owned())
    );
    // The clock's shift_time: long seconds, -900 to 900; preset_adjusting_time: a structure.
    assert_eq!(parameters(8, 6, &number("-60")), Ok(Some(Data::Long(-60))));
    assert!(parameters(8, 6, &number("901")).is_err());
    assert!(parameters(8, 6, &CommandValue::None).is_err());
    assert!(parameters(8, 5, &CommandValue::None).is_err_and(|e| e.contains("structure")));
    // Script table execute: the script identifier, required.
    assert_eq!(
        parameters(9, 1, &number("3")),
        Ok(Some(Data::LongUnsigned(3)))
    );
    assert!(parameters(9, 1, &CommandValue::None).is_err());
    // A method the bridge does not know: null-data without a value, nothing else.
    assert_eq!(
        parameters(100, 3, &CommandValue::None),
        Ok(Some(Data::Null))
    );
    assert!(parameters(100, 3, &number("1")).is_err());
    assert!(parameters(
        70,
        1,
        &CommandValue::Structured(serde_json::json!({"a": 1}))
    )
    .is_err());
}

#[test]
fn a_reconnect_that_only_arms_the_switch_is_what_control_modes_1_3_5_and_6_ask_for() {
    assert_eq!(judge(1, 0, Some(1)), Ok(()));
    assert!(judge(1, 1, Some(1)).is_err());
    assert!(judge(1, 2, None).is_err());
    assert_eq!(judge(2, 1, Some(2)), Ok(()));
    for mode in [Some(1), Some(3), Some(5), Some(6), None] {
        assert_eq!(judge(2, 2, mode), Ok(()), "{mode:?}");
    }
    for mode in [2, 4] {
        assert!(judge(2, 2, Some(mode)).is_err(), "{mode}");
    }
    assert!(judge(2, 0, Some(1)).is_err());
}

#[test]
fn writable_points_are_accepted_and_dlms_commands_take_no_params() {
    let config = command_source("127.0.0.1:4059");
    assert!(refusals(&config).is_empty(), "{:?}", refusals(&config));
    assert!(Driver.command_params().is_empty());
}

#[tokio::test]
async fn a_set_writes_in_the_attributes_own_type_with_the_scaler_reversed_and_reads_it_back() {
    let mut meter = CommandMeter::start().await;
    let (request, answer) = command("voltage", number("230.5"));
    let mut source = Commanded::start(command_source(&meter.address), vec![request]);
    let done = reply(answer).await;
    assert_eq!(done.outcome, Outcome::Success, "{done:?}");
    assert_eq!(done.method.as_deref(), Some("set 1.0.32.7.0.255/2"));
    let heard = meter.heard_until(&Heard::Eof).await;
    assert_eq!(
        heard,
        [
            Heard::Connected,
            Heard::Aarq,
            Heard::Get(VOLTAGE, 3),
            Heard::Get(VOLTAGE, 2),
            Heard::Set(VOLTAGE, 2, Data::LongUnsigned(2305)),
            Heard::Get(VOLTAGE, 2),
            Heard::Rlrq,
            Heard::Eof,
        ]
    );
    // The value read back is published at once, in engineering units.
    let voltage = source.reading("voltage").await;
    assert_eq!(voltage.value, Value::Float(230.5));
    assert_eq!(voltage.unit.as_deref(), Some("V"));
}

#[tokio::test]
async fn a_value_that_is_not_whole_after_the_scaler_is_refused_and_nothing_is_set() {
    let mut meter = CommandMeter::start().await;
    let (request, answer) = command("voltage", number("230.15"));
    let _source = Commanded::start(command_source(&meter.address), vec![request]);
    let done = reply(answer).await;
    assert_eq!(done.outcome, Outcome::Refused, "{done:?}");
    assert!(reason(&done).contains("gives 2301.5"), "{done:?}");
    assert!(heard_sets(&meter.heard_until(&Heard::Eof).await).is_empty());
}

#[tokio::test]
async fn a_set_the_meter_refuses_is_failed_with_the_data_access_result_named() {
    let meter = CommandMeter::start().await;
    meter.edit(|m| m.set_result = Some(DataAccessResult::READ_WRITE_DENIED));
    let (request, answer) = command("export", number("5000"));
    let _source = Commanded::start(command_source(&meter.address), vec![request]);
    let done = reply(answer).await;
    assert_eq!(done.outcome, Outcome::Failed);
    assert_eq!(reason(&done), "data-access-result 3 (read-write-denied)");
    assert_eq!(done.method.as_deref(), Some("set 1.0.2.8.0.255/2"));
}

#[tokio::test]
async fn a_meter_holding_another_value_after_the_set_is_a_mismatch() {
    let meter = CommandMeter::start().await;
    meter.edit(|m| m.ignore_sets = true);
    let (request, answer) = command("export", number("5000"));
    let (text, text_answer) = command("name", CommandValue::String("FBGX0002".to_owned()));
    let _source = Commanded::start(command_source(&meter.address), vec![request, text]);
    let done = reply(answer).await;
    assert_eq!(done.outcome, Outcome::Failed);
    assert_eq!(reason(&done), "mismatch: wrote 5000, read back 4321");
    let done = reply(text_answer).await;
    assert_eq!(
        reason(&done),
        "mismatch: wrote \"FBGX0002\", read back \"FBGX0001\""
    );
}

#[tokio::test]
async fn remote_disconnect_sends_integer_zero_and_succeeds_on_the_state_read_back() {
    let mut meter = CommandMeter::start().await;
    let (request, answer) = command("disconnect", CommandValue::None);
    let mut source = Commanded::start(command_source(&meter.address), vec![request]);
    let done = reply(answer).await;
    assert_eq!(done.outcome, Outcome::Success, "{done:?}");
    assert_eq!(
        done.method.as_deref(),
        Some("action 0.0.96.3.10.255/1 remote_disconnect; control_state 0 (disconnected), output_state false")
    );
    let heard = meter.heard_until(&Heard::Eof).await;
    assert_eq!(
        heard[2..7],
        [
            Heard::Action(DISCONNECT, 1, Some(Data::Integer(0))),
            Heard::Get(DISCONNECT, 3),
            Heard::Get(DISCONNECT, 2),
            Heard::Get(DISCONNECT, 4),
            Heard::Rlrq,
        ]
    );
    // The point reads output_state (attribute 2): published at once.
    assert_eq!(source.reading("disconnect").await.value, Value::Bool(false));
}

#[tokio::test]
async fn remote_reconnect_succeeds_when_it_arms_the_switch_in_mode_1_but_not_in_mode_2() {
    let meter = CommandMeter::start().await;
    let (request, answer) = command("reconnect", CommandValue::None);
    let source = Commanded::start(command_source(&meter.address), vec![request]);
    let done = reply(answer).await;
    assert_eq!(done.outcome, Outcome::Success, "{done:?}");
    assert!(done.method.as_deref().is_some_and(|m| m.ends_with(
        "remote_reconnect; control_state 2 (ready_for_reconnection), output_state false"
    )));

    // A meter in control_mode 2 must connect at once: arming only is not what was asked.
    meter.edit(|m| m.control_mode = 2);
    let (request, answer) = command("reconnect", CommandValue::None);
    source.send(request).await;
    let done = reply(answer).await;
    assert_eq!(done.outcome, Outcome::Failed);
    assert!(
        reason(&done).starts_with("mismatch: control_state 2 (ready_for_reconnection)"),
        "{done:?}"
    );
}

#[tokio::test]
async fn an_action_result_other_than_success_is_failed_with_its_name() {
    let meter = CommandMeter::start().await;
    meter.edit(|m| m.action_result = ActionResult::HARDWARE_FAULT);
    let (request, answer) = command("disconnect", CommandValue::None);
    let _source = Commanded::start(command_source(&meter.address), vec![request]);
    let done = reply(answer).await;
    assert_eq!(done.outcome, Outcome::Failed);
    assert_eq!(reason(&done), "action-result 1 (hardware-fault)");
    assert_eq!(
        done.method.as_deref(),
        Some("action 0.0.96.3.10.255/1 remote_disconnect")
    );
}

#[tokio::test]
async fn commands_queued_together_share_one_association() {
    let mut meter = CommandMeter::start().await;
    let (a, first) = command("export", number("5000"));
    let (b, second) = command("disconnect", CommandValue::None);
    let (c, third) = command("reconnect", CommandValue::None);
    let _source = Commanded::start(command_source(&meter.address), vec![a, b, c]);
    for answer in [first, second, third] {
        assert_eq!(reply(answer).await.outcome, Outcome::Success);
    }
    let heard = meter.heard_until(&Heard::Eof).await;
    let count = |h: &Heard| heard.iter().filter(|x| *x == h).count();
    assert_eq!(
        (count(&Heard::Aarq), count(&Heard::Rlrq)),
        (1, 1),
        "{heard:?}"
    );
    assert_eq!(heard_sets(&heard).len(), 3, "{heard:?}");
}

#[tokio::test]
async fn a_command_past_its_deadline_is_expired_and_never_reaches_the_meter() {
    let mut meter = CommandMeter::start().await;
    let past = Instant::now() - Duration::from_millis(1);
    let (request, answer) = command_until("export", number("5000"), past, true);
    let (late, late_answer) = command_until("export", number("5000"), past, false);
    let _source = Commanded::start(command_source(&meter.address), vec![request, late]);
    let done = reply(answer).await;
    assert_eq!(done.outcome, Outcome::Expired);
    assert!(
        reason(&done).starts_with("not sent to the meter"),
        "{done:?}"
    );
    assert_eq!(reply(late_answer).await.outcome, Outcome::Timeout);
    // What the meter then sees is the first poll, and no SET.
    let heard = meter.heard_until(&Heard::Eof).await;
    assert!(heard_sets(&heard).is_empty(), "{heard:?}");
}

#[tokio::test]
async fn a_meter_that_cannot_be_reached_answers_timeout_and_nothing_is_sent() {
    // A port nobody listens on: bound, then closed.
    let address = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").to_string()
    };
    let (request, answer) = command("disconnect", CommandValue::None);
    let (second, second_answer) = command("export", number("1"));
    let _source = Commanded::start(command_source(&address), vec![request, second]);
    let done = reply(answer).await;
    assert_eq!(done.outcome, Outcome::Timeout, "{done:?}");
    assert!(reason(&done).starts_with("not sent: cannot reach the meter"));
    assert_eq!(
        done.method.as_deref(),
        Some("action 0.0.96.3.10.255/1 remote_disconnect")
    );
    assert_eq!(reply(second_answer).await.outcome, Outcome::Timeout);
}

#[tokio::test]
async fn a_set_without_an_answer_is_a_timeout_whose_effect_is_unknown() {
    let mut meter = CommandMeter::start().await;
    meter.edit(|m| m.hold_commands = true);
    let mut config = command_source(&meter.address);
    config.timeout = Duration::from_millis(300);
    let (request, answer) = command("export", number("5000"));
    let _source = Commanded::start(config, vec![request]);
    let done = reply(answer).await;
    assert_eq!(done.outcome, Outcome::Timeout, "{done:?}");
    assert!(
        reason(&done).ends_with("whether the meter carried out the SET is unknown"),
        "{done:?}"
    );
    // The connection is closed, never released: the association is not trusted after it.
    let heard = meter.heard_until(&Heard::Eof).await;
    assert!(!heard.contains(&Heard::Rlrq), "{heard:?}");
}

#[tokio::test]
async fn a_command_waits_for_the_poll_cycle_in_progress_then_runs_in_its_own() {
    let mut meter = CommandMeter::start().await;
    meter.edit(|m| m.get_pause = Duration::from_millis(100));
    let source = Commanded::start(command_source(&meter.address), Vec::new());
    meter.heard_until(&Heard::Aarq).await;
    let (request, answer) = command("export", number("5000"));
    source.send(request).await;
    // The poll goes on to its release and close; then the command's own cycle.
    let poll = meter.heard_until(&Heard::Eof).await;
    assert!(heard_sets(&poll).is_empty(), "{poll:?}");
    assert_eq!(poll.last(), Some(&Heard::Eof));
    assert_eq!(reply(answer).await.outcome, Outcome::Success);
    let own = meter.heard_until(&Heard::Eof).await;
    assert_eq!(own[..2], [Heard::Connected, Heard::Aarq]);
    assert_eq!(heard_sets(&own).len(), 1);
}

#[tokio::test]
async fn the_bridge_stopping_while_a_set_is_out_answers_failed_interrupted() {
    let mut meter = CommandMeter::start().await;
    meter.edit(|m| m.hold_commands = true);
    let mut config = command_source(&meter.address);
    config.timeout = Duration::from_secs(30);
    let (request, answer) = command("export", number("5000"));
    let (queued, queued_answer) = command("name", CommandValue::String("X".to_owned()));
    let mut source = Commanded::start(config, vec![request, queued]);
    meter
        .heard_until(&Heard::Set(EXPORT, 2, Data::DoubleLongUnsigned(5000)))
        .await;
    // The point stream closes: the bridge is stopping.
    source.rx = None;
    let done = reply(answer).await;
    assert_eq!(done.outcome, Outcome::Failed);
    assert!(reason(&done).starts_with("interrupted"), "{done:?}");
    assert_eq!(reply(queued_answer).await.outcome, Outcome::Refused);
}

#[tokio::test]
async fn values_no_point_can_take_are_refused_before_connecting() {
    let mut meter = CommandMeter::start().await;
    let (structured, a) = command(
        "export",
        CommandValue::Structured(serde_json::json!([1, 2])),
    );
    let (empty, b) = command("export", CommandValue::None);
    let (read_only, c) = command("serial", number("1"));
    let (unknown, d) = command("nowhere", number("1"));
    let _source = Commanded::start(
        command_source(&meter.address),
        vec![structured, empty, read_only, unknown],
    );
    for answer in [a, b, c, d] {
        let done = reply(answer).await;
        assert_eq!(done.outcome, Outcome::Refused, "{done:?}");
    }
    // The first connection the meter sees is the poll's.
    let heard = meter.heard_until(&Heard::Eof).await;
    assert!(heard.contains(&Heard::Get(SERIAL, 2)), "{heard:?}");
    assert!(heard_sets(&heard).is_empty());
}

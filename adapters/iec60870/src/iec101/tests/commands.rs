//! Commands on the line: nothing handed to the link layer after its command was answered or
//! its deadline passed, a refusal by the outstation's link answered at once, and the bound on
//! waiting commands.

use super::outstations::with_cause;
use super::*;
use crate::iec101::control::Control as Waiting;
use fieldbridge_iec60870::link101::SendId;

/// A writable single point at link address 4, station 4.
fn breaker(name: &str, ioa: u32, select_before_operate: bool) -> (IecPoint, u16) {
    let (mut p, link) = point(4, 4, ioa, name);
    p.writable = true;
    p.command = Some(IecCommand {
        kind: IecCommandKind::Single,
        time_tag: false,
        select_before_operate,
        qualifier: PulseQualifier::None,
    });
    (p, link)
}

fn field_command(id: &str, point: &str, within: Duration) -> FieldCommand {
    FieldCommand {
        id: Arc::from(id),
        point: Arc::from(point),
        value: CommandValue::Bool(true),
        params: Default::default(),
        deadline: tokio::time::Instant::now() + within,
        deadline_is_expiry: false,
    }
}

/// Sends command `id` (on) for `point` with `within` left; where its reply comes.
async fn send(rig: &Rig, id: &str, point: &str, within: Duration) -> oneshot::Receiver<FieldReply> {
    let (reply, rx) = oneshot::channel();
    let command = field_command(id, point, within);
    let sent = rig.commands.send(CommandRequest { command, reply }).await;
    assert!(sent.is_ok(), "the source takes commands");
    rx
}

/// The single commands the outstation at `link` took: (IOA, select).
fn commands_at(rig: &Rig, link: u16) -> Vec<(u32, bool)> {
    let data = rig.seen.lock().map(|s| s.data.clone()).unwrap_or_default();
    data.iter()
        .filter(|(a, _)| *a == link)
        .filter_map(|(_, bytes)| {
            let asdu = Asdu::decode(bytes, &SIZES).ok()?;
            match asdu.objects().next()? {
                InformationObject {
                    address,
                    element: Element::SingleCommand(sco),
                    ..
                } => Some((address, sco.select())),
                _ => None,
            }
        })
        .collect()
}

/// How many requests the outstations saw at `link`.
fn requests_at(rig: &Rig, link: u16) -> usize {
    rig.seen
        .lock()
        .map(|s| s.requests.iter().filter(|(a, _)| *a == link).count())
        .unwrap_or(0)
}

/// Waits until `more` further requests went to `link`.
async fn requests_go_on(rig: &Rig, link: u16, more: usize) {
    let start = requests_at(rig, link);
    let end = tokio::time::Instant::now() + LIMIT;
    while requests_at(rig, link) < start + more {
        assert!(
            tokio::time::Instant::now() < end,
            "link {link} is not polled"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn interrogated(rig: &mut Rig, got: &mut Got) {
    until(rig, got, "both interrogations", |g| {
        g.has("ca3-ioa200", 12.5, false) && g.has("feeder4", 40.0, false)
    })
    .await;
}

#[tokio::test]
async fn commands_answered_while_their_link_address_was_silent_never_go_out_when_it_returns() {
    let config = source(
        Iec101Mode::Unbalanced,
        &[3, 4],
        3,
        vec![
            breaker("breaker_a", 300, true),
            breaker("breaker_b", 301, false),
            point(4, 4, 200, "feeder4"),
        ],
    );
    let mut rig = unbalanced_rig(config, vec![(3, 3, 12.5), (4, 4, 40.0)], 64);
    let mut got = Got::default();
    interrogated(&mut rig, &mut got).await;
    // Link 4 stops answering; A (select before operate) and B (direct) follow at once.
    let _ = rig.asks.send(Ask::Silent(4, true));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    let a = send(&rig, "a", "breaker_a", Duration::from_secs(2)).await;
    let b = send(&rig, "b", "breaker_b", Duration::from_secs(2)).await;
    let (a, b) = (reply(a).await, reply(b).await);
    assert_eq!(a.outcome, Outcome::Timeout, "{a:?}");
    assert_eq!(b.outcome, Outcome::Timeout, "{b:?}");
    // Link 4 back well after the deadline: started, interrogated again, polled.
    tokio::time::sleep_until(deadline + Duration::from_secs(1)).await;
    let _ = rig.asks.send(Ask::Silent(4, false));
    until(&mut rig, &mut got, "link 4 back", |g| {
        g.readings
            .iter()
            .filter(|(p, v, f)| p == "feeder4" && v.as_f64() == Some(40.0) && !f)
            .count()
            >= 2
    })
    .await;
    requests_go_on(&rig, 4, 10).await;
    // The outstation may have seen A's select (it went out before the link was known lost);
    // no execute ever reached it.
    let taken = commands_at(&rig, 4);
    assert!(
        taken.iter().all(|&(_, select)| select),
        "an execute went out after its command was answered: {taken:?}"
    );
    assert!(!taken.contains(&(301, false)), "{taken:?}");
}

#[tokio::test]
async fn a_select_refused_by_the_outstations_link_fails_at_once() {
    let config = source(
        Iec101Mode::Unbalanced,
        &[3, 4],
        3,
        vec![breaker("breaker4", 300, true), point(4, 4, 200, "feeder4")],
    );
    let mut rig = unbalanced_rig(config, vec![(3, 3, 12.5), (4, 4, 40.0)], 64);
    let mut got = Got::default();
    interrogated(&mut rig, &mut got).await;
    let _ = rig.asks.send(Ask::NackNext(4));
    let answer = reply(send(&rig, "n", "breaker4", Duration::from_secs(10)).await).await;
    assert_eq!(answer.outcome, Outcome::Failed, "{answer:?}");
    assert_eq!(
        answer.reason.as_deref(),
        Some("the outstation's link refused the select (NACK): not executed")
    );
    assert_eq!(answer.method.as_deref(), Some("C_SC_NA_1 select+execute"));
    assert_eq!(commands_at(&rig, 4), [], "the outstation took nothing");
    let stats = rig.stats.snapshot();
    assert_eq!((stats.writes, stats.write_failures), (1, 1));
}

#[tokio::test]
async fn a_command_held_by_dfc_is_answered_at_its_deadline_and_never_sent() {
    let config = source(
        Iec101Mode::Unbalanced,
        &[3, 4],
        3,
        vec![breaker("breaker4", 300, false), point(4, 4, 200, "feeder4")],
    );
    let mut rig = unbalanced_rig(config, vec![(3, 3, 12.5), (4, 4, 40.0)], 64);
    let mut got = Got::default();
    interrogated(&mut rig, &mut got).await;
    // Busy (DFC = 1) from the next answer on; two requests later the master has seen it.
    let _ = rig.asks.send(Ask::Full(4, true));
    requests_go_on(&rig, 4, 2).await;
    let answer = reply(send(&rig, "d", "breaker4", Duration::from_secs(1)).await).await;
    assert_eq!(answer.outcome, Outcome::Timeout, "{answer:?}");
    assert_eq!(
        answer.reason.as_deref(),
        Some("not sent to the field: link address 4 busy (DFC = 1) before the deadline")
    );
    // The outstation clears DFC: still nothing goes to it.
    let _ = rig.asks.send(Ask::Full(4, false));
    requests_go_on(&rig, 4, 10).await;
    assert_eq!(commands_at(&rig, 4), []);
    let fc3_after_busy = rig
        .seen
        .lock()
        .map(|s| s.requests.iter().filter(|r| **r == (4, 3)).count())
        .unwrap_or(0);
    // The two station interrogations of link 4 only.
    assert_eq!(fc3_after_busy, 2);
}

#[tokio::test]
async fn commands_beyond_32_waiting_are_refused() {
    // Link address 4 never answers: its commands wait.
    let config = source(
        Iec101Mode::Unbalanced,
        &[3, 4],
        3,
        vec![breaker("breaker4", 300, false)],
    );
    let rig = unbalanced_rig(config, vec![(3, 3, 12.5)], 64);
    let mut waiting = Vec::new();
    for n in 0..32 {
        waiting.push(send(&rig, &format!("w{n}"), "breaker4", Duration::from_secs(30)).await);
    }
    let answer = reply(send(&rig, "w32", "breaker4", Duration::from_secs(30)).await).await;
    assert_eq!(answer.outcome, Outcome::Refused, "{answer:?}");
    assert_eq!(
        answer.reason.as_deref(),
        Some("not sent: too many commands waiting for this device")
    );
    for mut rx in waiting {
        assert!(rx.try_recv().is_err(), "the first 32 still wait");
    }
}

/// A station at link address 4 with one breaker (select before operate), its control
/// direction, and the context they need.
struct Desk {
    config: Iec101Source,
    asdu: AsduConfig,
    device: Arc<str>,
    stats: SourceStats,
    _router: CommandSender,
}

impl Desk {
    fn new() -> (Self, Waiting, Station) {
        let config = source(
            Iec101Mode::Unbalanced,
            &[4],
            4,
            vec![breaker("breaker4", 300, true)],
        );
        let device: Arc<str> = Arc::from("rtu");
        let (router, rx) = mpsc::channel(8);
        let control = Waiting::new(device.clone(), &config, rx);
        let station = Station::new(device.clone(), &config, 4);
        let desk = Desk {
            asdu: station::asdu_config(&config),
            config,
            device,
            stats: SourceStats::new(),
            _router: router,
        };
        (desk, control, station)
    }

    fn cx(&self) -> station::Context<'_> {
        station::Context {
            config: &self.config,
            asdu: &self.asdu,
            device: &self.device,
            stats: &self.stats,
        }
    }
}

/// Offers the link to `station` once; what it handed over.
fn offer(desk: &Desk, control: &mut Waiting, station: &mut Station) -> Option<Vec<u8>> {
    let mut handed = None;
    station.offer(&desk.cx(), control, &mut |asdu| {
        handed = Some(asdu.to_vec());
        Ok(SendId(7))
    });
    handed
}

/// The select of a command confirmed, with `within` left on its deadline.
fn selected(
    desk: &Desk,
    control: &mut Waiting,
    station: &mut Station,
    within: Duration,
) -> oneshot::Receiver<FieldReply> {
    let (reply, rx) = oneshot::channel();
    let command = field_command("x", "breaker4", within);
    control.queue(CommandRequest { command, reply });
    let Some(select) = offer(desk, control, station) else {
        panic!("the select is handed over");
    };
    let mut handoff = Handoff::new(HANDOFF);
    let actcon = with_cause(&select, Cot::ACTIVATION_CON);
    station.on_asdu(&desk.cx(), &actcon, &mut handoff);
    rx
}

#[tokio::test]
async fn an_execute_is_checked_against_its_deadline_when_the_line_can_take_it() {
    let (desk, mut control, mut station) = Desk::new();
    station.on_up(&desk.cx(), tokio::time::Instant::now());
    let mut rx = selected(&desk, &mut control, &mut station, Duration::from_millis(50));
    // The line is busy with other exchanges until after the deadline.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let next = offer(&desk, &mut control, &mut station);
    // The station interrogation goes instead; the execute never does.
    let next = next.and_then(|b| Asdu::decode(&b, &SIZES).ok().map(|a| a.header.type_id));
    assert_eq!(next, Some(TypeId::C_IC_NA_1));
    let Ok(answer) = rx.try_recv() else {
        panic!("answered when the line could take the execute");
    };
    assert_eq!(answer.outcome, Outcome::Timeout, "{answer:?}");
    assert_eq!(
        answer.reason.as_deref(),
        Some("selected, not executed: deadline passed")
    );
    assert_eq!(answer.method.as_deref(), Some("C_SC_NA_1 select+execute"));
}

#[tokio::test]
async fn an_execute_the_line_cannot_take_is_answered_at_its_deadline() {
    let (desk, mut control, mut station) = Desk::new();
    station.on_up(&desk.cx(), tokio::time::Instant::now());
    let mut rx = selected(&desk, &mut control, &mut station, Duration::from_millis(50));
    let Some(due) = station.next_deadline() else {
        panic!("the waiting execute has a deadline");
    };
    assert!(due <= tokio::time::Instant::now() + Duration::from_millis(60));
    tokio::time::sleep_until(due).await;
    station.on_tick(&desk.cx(), tokio::time::Instant::now(), false);
    let Ok(answer) = rx.try_recv() else {
        panic!("answered at the deadline");
    };
    assert_eq!(
        answer.reason.as_deref(),
        Some("selected, not executed: deadline passed")
    );
    // And nothing of the command is handed over afterwards.
    let next = offer(&desk, &mut control, &mut station);
    let next = next.and_then(|b| Asdu::decode(&b, &SIZES).ok().map(|a| a.header.type_id));
    assert_eq!(next, Some(TypeId::C_IC_NA_1));
}

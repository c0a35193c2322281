//! The outstations of the source's tests, made of the codec's own link layers: unbalanced
//! secondaries sharing one line, and a balanced station B.

use super::*;

pub(super) fn encode(asdu: &OwnedAsdu) -> Vec<u8> {
    let mut out = Vec::new();
    asdu.encode(&mut out).unwrap_or_default();
    out
}

pub(super) fn float(ca: u16, ioa: u32, value: f32, cot: Cot) -> Vec<u8> {
    encode(
        &OwnedAsdu::new(SIZES, TypeId::M_ME_NC_1, cot, ca).with(InformationObject::new(
            ioa,
            Element::Float { value, qds: Qds(0) },
        )),
    )
}

/// `asdu` with another cause of transmission.
pub(super) fn with_cause(asdu: &[u8], cot: Cot) -> Vec<u8> {
    match OwnedAsdu::decode(asdu, &SIZES) {
        Ok(mut owned) => {
            owned.header.cause = cot;
            encode(&owned)
        }
        Err(_) => Vec::new(),
    }
}

/// What an outstation answers to `asdu`, in order: to a station interrogation of its `ca`,
/// ACTCON, one float at IOA 200 with `value`, ACTTERM (of another common address: the request
/// back negative with cause 46); to a single command at its `ca`, ACTCON, and after an execute
/// ACTTERM.
pub(super) fn answer(asdu: &[u8], ca: u16, value: f32) -> Vec<Vec<u8>> {
    let Ok(request) = Asdu::decode(asdu, &SIZES) else {
        return Vec::new();
    };
    let h = request.header;
    if h.type_id == TypeId::C_SC_NA_1 && h.common_address == ca {
        let select = matches!(
            request.objects().next().map(|o| o.element),
            Some(Element::SingleCommand(sco)) if sco.0 & 0x80 != 0
        );
        let mut out = vec![with_cause(asdu, Cot::ACTIVATION_CON)];
        if !select {
            out.push(with_cause(asdu, Cot::ACTIVATION_TERMINATION));
        }
        return out;
    }
    if h.type_id != TypeId::C_IC_NA_1 {
        return Vec::new();
    }
    let mirror = |cot: Cot, negative: bool| {
        encode(
            &OwnedAsdu::new(SIZES, TypeId::C_IC_NA_1, cot, h.common_address)
                .negative(negative)
                .with(InformationObject::new(
                    0,
                    Element::Interrogation(fieldbridge_iec60870::types::Qoi::STATION),
                )),
        )
    };
    if h.common_address != ca {
        return vec![mirror(Cot(46), true)];
    }
    vec![
        mirror(Cot::ACTIVATION_CON, false),
        float(ca, 200, value, Cot::INTERROGATED_BY_STATION),
        mirror(Cot::ACTIVATION_TERMINATION, false),
    ]
}

/// What the test asks of the outstations while they run.
pub(super) enum Ask {
    /// Class 1 (true) or class 2 data for a link address.
    Push(u16, bool, Vec<u8>),
    /// Stop (true) or resume answering at a link address.
    Silent(u16, bool),
    /// Say busy (DFC = 1, user data refused with NACK) at a link address, or not.
    Full(u16, bool),
    /// Refuse the next user data (FC 3) at a link address with NACK.
    NackNext(u16),
}

/// What the outstations saw, shared with the test.
#[derive(Default)]
pub(super) struct Seen {
    /// (link address, primary function) of every request, in order.
    pub(super) requests: Vec<(u16, u8)>,
    /// Class 1 and class 2 data waiting per link address.
    pub(super) queued: HashMap<u16, (usize, usize)>,
    /// (link address, ASDU) of the user data each secondary took, in order.
    pub(super) data: Vec<(u16, Vec<u8>)>,
}

/// Secondaries at `stations` ((link address, common address, value of IOA 200)) sharing one
/// line, on `end`: each answers only its own address, the interrogation answers go to class 1.
pub(super) async fn party_line(
    mut end: DuplexStream,
    stations: Vec<(u16, u16, f32)>,
    mut asks: mpsc::UnboundedReceiver<Ask>,
    seen: Arc<Mutex<Seen>>,
) {
    let params = Params {
        queue_len: 8192,
        ..Params::default()
    };
    let mut secondaries: Vec<(UnbalancedSecondary, u16, f32)> = stations
        .iter()
        .filter_map(|&(a, ca, v)| Some((UnbalancedSecondary::new(params, a).ok()?, ca, v)))
        .collect();
    let mut silent = HashSet::new();
    let mut full = HashSet::new();
    let mut nack_next = HashSet::new();
    let mut pending = Vec::new();
    let mut buf = vec![0u8; 1024];
    let config = LinkConfig::default();
    loop {
        tokio::select! {
            ask = asks.recv() => match ask {
                Some(Ask::Push(a, class1, asdu)) => {
                    if let Some((s, _, _)) = secondaries.iter_mut().find(|(s, _, _)| s.address() == a) {
                        let _ = if class1 { s.push_class1(&asdu) } else { s.push_class2(&asdu) };
                    }
                }
                Some(Ask::Silent(a, on)) => {
                    if on { silent.insert(a); } else { silent.remove(&a); }
                }
                Some(Ask::Full(a, on)) => {
                    if on { full.insert(a); } else { full.remove(&a); }
                    if let Some((s, _, _)) = secondaries.iter_mut().find(|(s, _, _)| s.address() == a) {
                        s.set_full(on);
                    }
                }
                Some(Ask::NackNext(a)) => {
                    nack_next.insert(a);
                }
                None => return,
            },
            read = end.read(&mut buf) => {
                let Ok(n) = read else { return };
                if n == 0 {
                    return;
                }
                let data = buf.get(..n).unwrap_or_default();
                pending.extend_from_slice(data);
                let mut user_data = HashSet::new();
                loop {
                    let hunt = ft12::decode_hunting(&pending, &config);
                    let used = hunt.consumed();
                    if let Some((Frame::Fixed { control: Control::Primary { function, .. }, address }
                        | Frame::Variable { control: Control::Primary { function, .. }, address, .. }, _)) = hunt.frame {
                        if let Ok(mut seen) = seen.lock() {
                            seen.requests.push((address, function.code()));
                        }
                        if function.code() == 3 {
                            user_data.insert(address);
                        }
                    }
                    let found = hunt.frame.is_some();
                    pending.drain(..used.min(pending.len()));
                    if !found {
                        break;
                    }
                }
                for (s, ca, value) in &mut secondaries {
                    let a = s.address();
                    let refuse = user_data.contains(&a) && nack_next.remove(&a);
                    if refuse {
                        s.set_full(true);
                    }
                    let mut data_in = Vec::new();
                    s.on_bytes(data, |e| {
                        if let Event::UserData { asdu, .. } = e {
                            data_in.push(asdu.to_vec());
                        }
                    });
                    if let Ok(mut seen) = seen.lock() {
                        seen.data.extend(data_in.iter().map(|d| (a, d.clone())));
                    }
                    for asdu in data_in {
                        for out in answer(&asdu, *ca, *value) {
                            let _ = s.push_class1(&out);
                        }
                    }
                    let quiet = silent.contains(&s.address());
                    while let Some(frame) = s.poll_transmit() {
                        if !quiet && end.write_all(frame.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                    if refuse {
                        s.set_full(full.contains(&a));
                    }
                }
                if let Ok(mut seen) = seen.lock() {
                    for (s, _, _) in &secondaries {
                        seen.queued.insert(s.address(), s.queued());
                    }
                }
            }
        }
    }
}

/// A balanced outstation (station B, link address 5) on `end`: answers interrogations, sends
/// `count` spontaneous floats with FC 3 as fast as its link allows, and sends data refused with
/// NACK again; reports how many it sent and how many were refused.
pub(super) async fn balanced_outstation(
    mut end: DuplexStream,
    count: u32,
    sent: Arc<Mutex<(u32, u32)>>,
) {
    let params = Params {
        response_timeout: Duration::from_millis(250),
        link_retry: Duration::from_millis(200),
        queue_len: 1,
        ..Params::default()
    };
    let Ok(mut link) = Balanced::new(params, LinkStation::B, 5, 5, StdInstant::now()) else {
        return;
    };
    let mut outbox: std::collections::VecDeque<Vec<u8>> = (0..count)
        .map(|i| float(5, 300, i as f32, Cot::SPONTANEOUS))
        .collect();
    let mut in_flight: HashMap<u64, Vec<u8>> = HashMap::new();
    let mut buf = vec![0u8; 1024];
    loop {
        if link.is_up() && link.queued() == 0 {
            if let Some(asdu) = outbox.pop_front() {
                match link.send(&asdu) {
                    Ok(id) => {
                        in_flight.insert(id.0, asdu);
                    }
                    Err(_) => outbox.push_front(asdu),
                }
            }
        }
        while let Some(frame) = link.poll_transmit(StdInstant::now()) {
            if end.write_all(frame.as_bytes()).await.is_err() {
                return;
            }
        }
        let timer = link
            .poll_timeout()
            .map(tokio::time::Instant::from_std)
            .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(1));
        let mut incoming = Vec::new();
        let mut done = Vec::new();
        tokio::select! {
            read = end.read(&mut buf) => {
                let Ok(n) = read else { return };
                if n == 0 {
                    return;
                }
                link.on_bytes(buf.get(..n).unwrap_or_default(), StdInstant::now(), |e| match e {
                    Event::UserData { asdu, service: Service::Confirmed, .. } => incoming.push(asdu.to_vec()),
                    Event::Confirmed { id, .. } => done.push((id.0, None)),
                    Event::NotConfirmed { id, reason, .. } => done.push((id.0, Some(reason))),
                    _ => {}
                });
            }
            _ = tokio::time::sleep_until(timer) => {
                link.on_timeout(StdInstant::now(), |e| {
                    if let Event::NotConfirmed { id, reason, .. } = e {
                        done.push((id.0, Some(reason)));
                    }
                });
            }
        }
        for (id, refusal) in done {
            let Some(asdu) = in_flight.remove(&id) else {
                continue;
            };
            if let Ok(mut s) = sent.lock() {
                match refusal {
                    None => s.0 += 1,
                    Some(Refusal::Busy) => s.1 += 1,
                    Some(_) => {}
                }
            }
            if refusal.is_some() {
                // Not taken: it goes again, first.
                outbox.push_front(asdu);
            }
        }
        for asdu in incoming {
            for out in answer(&asdu, 5, 7.5).into_iter().rev() {
                outbox.push_front(out);
            }
        }
    }
}

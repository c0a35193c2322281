//! The one request a primary station has outstanding, and its repetition after the response
//! timeout with the same frame and FCB (IEC 60870-5-2 clause 5.1.2 and 5.1.3). Shared by the
//! unbalanced primary and the balanced station.

use super::params::Params;
use super::remote::Request;
use super::transmit::Transmit;
use std::time::Instant;

/// The outstanding request, kept to be repeated as it was.
#[derive(Debug, Clone)]
struct Exchange {
    /// Which remote (an index of the owner's).
    remote: usize,
    request: Request,
    frame: Transmit,
    deadline: Instant,
    /// Repetitions so far.
    repeated: u8,
}

/// What the response timeout did, from [`Outstanding::on_timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Timeout {
    /// The frame to `remote` goes again; this is repetition number `attempt`.
    Repeat { remote: usize, attempt: u8 },
    /// Every repetition of `request` to `remote` went unanswered: the exchange is over.
    Failed { remote: usize, request: Request },
}

/// A primary station's request on the line (at most one), and its repetition waiting to be
/// written.
#[derive(Debug, Clone, Default)]
pub(super) struct Outstanding {
    exchange: Option<Exchange>,
    resend: Option<Transmit>,
}

impl Outstanding {
    /// Whether a request waits for its answer.
    pub(super) fn is_waiting(&self) -> bool {
        self.exchange.is_some()
    }

    /// The remote and the request waiting for an answer.
    pub(super) fn current(&self) -> Option<(usize, Request)> {
        self.exchange.as_ref().map(|e| (e.remote, e.request))
    }

    /// The repetition due to be written, once.
    pub(super) fn take_resend(&mut self) -> Option<Transmit> {
        self.resend.take()
    }

    /// When the owner must act: `now` while a repetition waits to be written, else the
    /// answer's deadline; `None` with nothing outstanding.
    pub(super) fn timeout(&self, now: Instant) -> Option<Instant> {
        if self.resend.is_some() {
            return Some(now);
        }
        self.exchange.as_ref().map(|e| e.deadline)
    }

    /// `frame`, just written with `request` to `remote`, waits for its answer from `now` on.
    pub(super) fn start(
        &mut self,
        remote: usize,
        request: Request,
        frame: &Transmit,
        now: Instant,
        params: &Params,
    ) {
        self.exchange = Some(Exchange {
            remote,
            request,
            frame: frame.clone(),
            deadline: now.checked_add(params.response_timeout).unwrap_or(now),
            repeated: 0,
        });
    }

    /// The answer came: nothing is outstanding any more.
    pub(super) fn answered(&mut self) {
        self.exchange = None;
        self.resend = None;
    }

    /// Runs the response timeout at `now`: queues the frame again (same bytes, same FCB)
    /// while [`Params::retries`] allow, else ends the exchange. `None` when nothing is due.
    pub(super) fn on_timeout(&mut self, now: Instant, params: &Params) -> Option<Timeout> {
        let exchange = self.exchange.as_mut().filter(|e| e.deadline <= now)?;
        if exchange.repeated < params.retries {
            exchange.repeated += 1;
            exchange.deadline = now.checked_add(params.response_timeout).unwrap_or(now);
            self.resend = Some(exchange.frame.clone());
            return Some(Timeout::Repeat {
                remote: exchange.remote,
                attempt: exchange.repeated,
            });
        }
        let failed = Timeout::Failed {
            remote: exchange.remote,
            request: exchange.request,
        };
        self.answered();
        Some(failed)
    }
}

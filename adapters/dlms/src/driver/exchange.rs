//! One request and its answer, blocks included (DLMS UA 1000-2 Ed. 10 clause 9.4.6.5.2), with
//! the bounds that keep a meter from holding the source: each answer within the response
//! timeout, a whole GET within [`GET_DEADLINE_FACTOR`] response timeouts and within
//! [`Bounds::max_blocks`] blocks.

use std::time::Duration;

use fieldbridge_core::source::{Counter, SourceStats};
use tokio::time::Instant;

use crate::invocation::InvocationStore;
use crate::link::{Link, LinkError};
use crate::session::{Received, Session};

/// How many response timeouts one request may take in all, its blocks included: a meter that
/// keeps sending blocks, each in time, is cut off after this.
pub(crate) const GET_DEADLINE_FACTOR: u32 = 10;

/// The fewest raw-data octets a block is expected to carry. The block limit is the longest
/// value the session joins (`max_value_len`) divided by this: a meter can fill that value in
/// as many blocks, and one that sends more is streaming without end.
pub(crate) const MIN_BLOCK_OCTETS: usize = 16;

/// The bounds of one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    /// How long the meter has for each answer (the source's `timeout`).
    pub(crate) timeout: Duration,
    /// How long one request may take with all its blocks.
    pub(crate) total: Duration,
    /// The most blocks one request may take.
    pub(crate) max_blocks: u32,
}

impl Bounds {
    /// The bounds for a response timeout and the longest value the session joins.
    pub(crate) fn new(timeout: Duration, max_value_len: usize) -> Self {
        let max_blocks = u32::try_from(max_value_len.div_ceil(MIN_BLOCK_OCTETS))
            .unwrap_or(u32::MAX)
            .max(1);
        Bounds {
            timeout,
            total: timeout.saturating_mul(GET_DEADLINE_FACTOR),
            max_blocks,
        }
    }
}

/// Sends `apdu` and feeds the session every answer until it has a result that needs no further
/// request (an association, a value, a refusal, a release), sending each GET-Request-Next the
/// session asks for. `awaiting` names the answer, for the error when none comes. With
/// `counters`, no request goes out before the invocation counters it may use are reserved on
/// disk.
///
/// # Errors
/// Any [`LinkError`]; [`LinkError::TooManyBlocks`] or [`LinkError::GetTooLong`] past the
/// bounds. The session is then idle and the connection must be closed.
pub(crate) async fn exchange(
    link: &mut Link,
    session: &mut Session,
    apdu: Vec<u8>,
    awaiting: &'static str,
    bounds: Bounds,
    stats: &SourceStats,
    mut counters: Option<&mut InvocationStore>,
) -> Result<Received, LinkError> {
    let give_up = Instant::now() + bounds.total;
    let mut blocks = 0u32;
    let mut request = apdu;
    loop {
        if let Some(store) = counters.as_deref_mut() {
            // The request holds the counter before this one; the next may be used by the
            // session's answer to it (HLS pass 3, a block acknowledgement).
            if let Err(error) = store.reserve(session.invocation_counter()) {
                session.reset();
                return Err(LinkError::Counter(error));
            }
        }
        let step = step(link, session, &request, give_up, bounds, stats).await;
        let outcome = match step {
            Ok(Some(received)) => received,
            Ok(None) => {
                session.reset();
                return Err(if Instant::now() >= give_up {
                    LinkError::GetTooLong {
                        within: bounds.total,
                        blocks,
                    }
                } else {
                    LinkError::NoAnswer {
                        within: bounds.timeout,
                        awaiting,
                    }
                });
            }
            Err(error) => {
                session.reset();
                return Err(error);
            }
        };
        match outcome {
            Received::Send(next) => {
                blocks = blocks.saturating_add(1);
                if blocks >= bounds.max_blocks {
                    session.reset();
                    return Err(LinkError::TooManyBlocks {
                        blocks,
                        limit: bounds.max_blocks,
                    });
                }
                request = next;
            }
            done => return Ok(done),
        }
    }
}

/// One request and the session's reading of its answer; `None` when no answer came before the
/// request's own deadline or `give_up`.
async fn step(
    link: &mut Link,
    session: &mut Session,
    request: &[u8],
    give_up: Instant,
    bounds: Bounds,
    stats: &SourceStats,
) -> Result<Option<Received>, LinkError> {
    link.send(request).await?;
    stats.bump(Counter::Requests);
    let deadline = session
        .deadline()
        .map(Instant::from_std)
        .unwrap_or_else(|| Instant::now() + bounds.timeout)
        .min(give_up);
    let Some(answer) = link.receive(deadline).await? else {
        return Ok(None);
    };
    stats.bump(Counter::Responses);
    Ok(Some(session.receive(&answer, std::time::Instant::now())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_get_may_take_ten_response_timeouts_and_enough_blocks_for_the_longest_value() {
        let bounds = Bounds::new(Duration::from_secs(3), 1 << 20);
        assert_eq!(bounds.total, Duration::from_secs(30));
        assert_eq!(bounds.max_blocks, 65_536);
        assert_eq!(Bounds::new(Duration::from_secs(1), 0).max_blocks, 1);
    }
}

//! One request and its answer, blocks included (DLMS UA 1000-2 Ed. 10 clause 9.4.6.5.2), each
//! answer within the response timeout.

use std::time::Duration;

use fieldbridge_core::source::{Counter, SourceStats};
use tokio::time::Instant;

use crate::link::{Link, LinkError};
use crate::session::{Received, Session};

/// The bounds of one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    /// How long the meter has for each answer (the source's `timeout`).
    pub(crate) timeout: Duration,
}

impl Bounds {
    /// The bounds for a response timeout.
    pub(crate) fn new(timeout: Duration) -> Self {
        Bounds { timeout }
    }
}

/// Sends `apdu` and feeds the session every answer until it has a result that needs no further
/// request (an association, a value, a refusal, a release), sending each GET-Request-Next the
/// session asks for. `awaiting` names the answer, for the error when none comes.
///
/// # Errors
/// Any [`LinkError`]. The session is then idle and the connection must be closed.
pub(crate) async fn exchange(
    link: &mut Link,
    session: &mut Session,
    apdu: Vec<u8>,
    awaiting: &'static str,
    bounds: Bounds,
    stats: &SourceStats,
) -> Result<Received, LinkError> {
    let mut request = apdu;
    loop {
        let step = step(link, session, &request, bounds, stats).await;
        let outcome = match step {
            Ok(Some(received)) => received,
            Ok(None) => {
                session.reset();
                return Err(LinkError::NoAnswer {
                    within: bounds.timeout,
                    awaiting,
                });
            }
            Err(error) => {
                session.reset();
                return Err(error);
            }
        };
        match outcome {
            Received::Send(next) => request = next,
            done => return Ok(done),
        }
    }
}

/// One request and the session's reading of its answer; `None` when no answer came before the
/// request's deadline.
async fn step(
    link: &mut Link,
    session: &mut Session,
    request: &[u8],
    bounds: Bounds,
    stats: &SourceStats,
) -> Result<Option<Received>, LinkError> {
    link.send(request).await?;
    stats.bump(Counter::Requests);
    let deadline = session
        .deadline()
        .map(Instant::from_std)
        .unwrap_or_else(|| Instant::now() + bounds.timeout);
    let Some(answer) = link.receive(deadline).await? else {
        return Ok(None);
    };
    stats.bump(Counter::Responses);
    Ok(Some(session.receive(&answer, std::time::Instant::now())?))
}

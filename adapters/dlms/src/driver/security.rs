//! A cycle's session set up from the configuration: the authentication (none, a password, HLS
//! with GMAC: DLMS UA 1000-2 Ed. 10 clause 9.2.7.4), security suite 0 with the configured keys
//! and system title (clause 9.2.7), the client's invocation counter kept across cycles and
//! restarts ([`InvocationStore`]), and short name referencing for a meter that refuses the
//! logical name context (IEC 62056-5-3 clause 6.3).
//!
//! The key files are read at each cycle, so a key fixed on disk is taken without a restart;
//! a missing or malformed one fails the cycle with its reason (the meter shows offline, saying
//! which key), and no request goes out.

use fieldbridge_core::config::DlmsAuthentication;

use super::poll::Poller;
use crate::invocation::InvocationStore;
use crate::link::LinkError;
use crate::session::{Authentication, Referencing, Security, Session, SessionConfig, SessionError};

/// The diagnostic of an AARE refusing the application context, after which the source tries
/// short name referencing (IEC 62056-5-3 clause 6.3: a meter speaks LN, SN or both).
const CONTEXT_NOT_SUPPORTED: &str = "application-context-name-not-supported";

impl Poller {
    /// The session of one cycle, its invocation counter taken from the store (opened on first
    /// use) when it ciphers or authenticates with HLS.
    pub(super) fn new_session(&mut self) -> Result<Session, LinkError> {
        let config = self.session_config()?;
        if config.security.is_none() {
            return Ok(Session::new(config));
        }
        if self.invocation.is_none() {
            let (store, first) =
                InvocationStore::open(&self.state_dir).map_err(LinkError::Counter)?;
            tracing::info!(device = %self.device, first, "dlms invocation counter resumes");
            self.invocation = Some(store);
            self.next_invocation = first;
        }
        Ok(Session::with_invocation_counter(
            config,
            self.next_invocation,
        ))
    }

    /// Remembers where the session's invocation counter stands, for the next cycle.
    pub(super) fn keep_invocation(&mut self, session: &Session) {
        if self.invocation.is_some() {
            self.next_invocation = self.next_invocation.max(session.invocation_counter());
        }
    }

    /// Whether a failed association asks for short name referencing: the meter refused the
    /// logical name context. The source then associates by short names from then on.
    pub(super) fn try_short_names(&mut self, error: &LinkError) -> bool {
        let refused_context = matches!(
            error,
            LinkError::Session(SessionError::Rejected { diagnostic, .. })
                if *diagnostic == CONTEXT_NOT_SUPPORTED
        );
        if refused_context && self.referencing == Referencing::LogicalNames {
            tracing::info!(device = %self.device, "dlms meter refused logical name referencing; associating by short names");
            self.referencing = Referencing::ShortNames;
            return true;
        }
        false
    }

    fn session_config(&self) -> Result<SessionConfig, LinkError> {
        let hls = self.config.authentication == DlmsAuthentication::HighGmac;
        let authentication = match &self.config.authentication {
            DlmsAuthentication::None => Authentication::None,
            DlmsAuthentication::Low { password_file } => {
                let password = std::fs::read(password_file)?;
                let end = password
                    .iter()
                    .rposition(|b| !b.is_ascii_whitespace())
                    .map_or(0, |i| i + 1);
                Authentication::Low {
                    password: password.get(..end).unwrap_or_default().to_vec(),
                }
            }
            DlmsAuthentication::HighGmac => Authentication::high_gmac(),
        };
        let keys = crate::keys::load(&self.config.security, hls).map_err(LinkError::Keys)?;
        let security = match (hls || keys.policy.is_some(), keys.system_title) {
            (false, _) => None,
            (true, Some(system_title)) => Some(Security {
                system_title,
                keys: keys.keys,
                policy: keys.policy,
                general_ciphering: false,
            }),
            (true, None) => return Err(LinkError::Keys(crate::keys::KeyError::NoSystemTitle)),
        };
        Ok(SessionConfig {
            authentication,
            security,
            timeout: self.config.timeout,
            max_value_len: self.tuning.max_value_len,
            referencing: self.referencing,
            ..SessionConfig::default()
        })
    }
}

//! The tokio runtime and the process's exit codes.

use std::future::Future;
use std::process::ExitCode;

use crate::error::Error;

/// Runs `main` on a multi-threaded runtime and turns its outcome into an exit code: 0 on success,
/// 2 for a configuration mistake, 1 for anything else.
pub(crate) fn block_on(main: impl Future<Output = Result<(), Error>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("fieldbridge: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(main) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fieldbridge: {e}");
            e.exit_code()
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM: the two ways a supervisor stops the bridge.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// SIGHUP, the signal to reload the configuration file (`docs/reload.md`).
///
/// Listening starts when this is made and lasts for the life of the process: from then on a
/// SIGHUP no longer ends the process (its default action), even while nothing waits for it
/// (during a reload, or a shutdown: it is ignored then).
#[derive(Debug)]
pub(crate) struct ReloadSignal {
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl ReloadSignal {
    /// Starts listening; without a signal to listen to (not Unix, or the handler cannot be
    /// installed), [`ReloadSignal::recv`] never resolves.
    pub(crate) fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let hangup = match signal(SignalKind::hangup()) {
                Ok(s) => Some(s),
                Err(error) => {
                    tracing::warn!(%error, "cannot listen to SIGHUP: configuration reloads are off");
                    None
                }
            };
            ReloadSignal { hangup }
        }
        #[cfg(not(unix))]
        {
            ReloadSignal {}
        }
    }

    /// Resolves at the next SIGHUP (several received meanwhile count as one).
    pub(crate) async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(hangup) = &mut self.hangup {
            if hangup.recv().await.is_some() {
                return;
            }
            self.hangup = None;
        }
        std::future::pending::<()>().await;
    }
}

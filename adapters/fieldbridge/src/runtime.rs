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

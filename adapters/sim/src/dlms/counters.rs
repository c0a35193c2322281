//! The frame (invocation) counters of the simulated meter's security (Green Book 9.2.7.2.4.3;
//! the invocation counter objects 0-0:43.1.x*255 of IEC 62056-6-2).
//!
//! AES-GCM must never see the same key, initialisation vector (system title and frame counter)
//! and a different plaintext twice: the authentication key could be recovered from two such
//! messages. So the meter has **one** counter for everything it ciphers with its global key,
//! shared by every connection and by the push task of the process, strictly increasing, and it
//! refuses to cipher once the counter would wrap (a real meter then needs a new key).
//!
//! The other way round, the meter remembers the last counter it accepted from each client
//! address (SAP) for as long as it runs, across associations and connections, as a real meter
//! keeps it with the client's association object: a new association must go on above it, so a
//! recorded session cannot be replayed on a new connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use fieldbridge_dlms::security::CounterGuard;

/// The meter's own frame counter and the last counter accepted from each client SAP.
#[derive(Debug, Default)]
pub struct Counters {
    /// The last frame counter the meter used.
    own: AtomicU32,
    /// The last frame counter accepted from each client SAP.
    clients: Mutex<HashMap<u16, CounterGuard>>,
}

impl Counters {
    /// Counters that have not been used: the meter's first frame counter is 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counters whose own counter last used `last` (a meter that has been ciphering before).
    pub fn after(last: u32) -> Self {
        Counters {
            own: AtomicU32::new(last),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The meter's next frame counter, above every one handed out before by any connection or
    /// push; `None` once `u32::MAX` has been used (nothing may be ciphered any more).
    pub fn next_own(&self) -> Option<u32> {
        self.own
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                last.checked_add(1)
            })
            .ok()
            .and_then(|last| last.checked_add(1))
    }

    /// The meter's last frame counter (0: none used yet).
    pub fn last_own(&self) -> u32 {
        self.own.load(Ordering::SeqCst)
    }

    /// The last frame counter accepted from the client at `sap`, if any.
    pub fn last_accepted(&self, sap: u16) -> Option<u32> {
        self.guards().get(&sap).and_then(CounterGuard::last)
    }

    /// Runs `f` with the replay guard of the client at `sap`, under the lock, so that two
    /// connections of the same client cannot both accept one counter.
    pub fn with_client<T>(&self, sap: u16, f: impl FnOnce(&mut CounterGuard) -> T) -> T {
        f(self.guards().entry(sap).or_default())
    }

    fn guards(&self) -> std::sync::MutexGuard<'_, HashMap<u16, CounterGuard>> {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_own_counter_starts_at_one_and_refuses_to_wrap() {
        let counters = Counters::new();
        assert_eq!(counters.next_own(), Some(1));
        assert_eq!(counters.next_own(), Some(2));
        let counters = Counters::after(u32::MAX - 1);
        assert_eq!(counters.next_own(), Some(u32::MAX));
        assert_eq!(counters.next_own(), None);
        assert_eq!(counters.next_own(), None);
        assert_eq!(counters.last_own(), u32::MAX);
    }

    #[test]
    fn threads_sharing_the_own_counter_never_get_the_same_value() {
        let counters = std::sync::Arc::new(Counters::new());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let counters = counters.clone();
                std::thread::spawn(move || {
                    (0..1000)
                        .map(|_| counters.next_own().expect("counter"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<u32> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 4000);
        assert_eq!(all.last(), Some(&4000));
    }

    #[test]
    fn each_client_sap_has_its_own_replay_guard() {
        let counters = Counters::new();
        counters.with_client(0x10, |guard| guard.accept(7));
        assert_eq!(counters.last_accepted(0x10), Some(7));
        assert_eq!(counters.last_accepted(0x11), None);
        assert!(counters
            .with_client(0x10, |guard| guard.check(7, 0))
            .is_err());
        assert!(counters
            .with_client(0x11, |guard| guard.check(1, 0))
            .is_ok());
    }
}

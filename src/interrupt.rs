//! Interruption: a flag the command line sets on SIGINT (Ctrl-C), SIGTERM
//! and SIGHUP and long loops poll. The library never installs a signal
//! handler; it only checks the flag between steps (a run, and each run of
//! a sweep, whose runs cut short are dropped), so an interrupted sweep
//! stops with its completed runs on disk, ready to resume.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);

/// Asks running loops to stop at their next check.
pub fn request() {
    STOP.store(true, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

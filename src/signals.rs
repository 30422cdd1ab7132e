//! Ctrl-C / SIGTERM end a run cleanly: a live session is closed, a clip analysis removes its partial outputs. A
//! second signal exits at once (status 128 + signal number, as a shell reports a signal death).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use signal_hook::consts::{SIGINT, SIGTERM};

static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();

fn flag() -> &'static Arc<AtomicBool> {
    STOP.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Installs the handlers for SIGINT and SIGTERM (idempotent).
pub fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        for sig in [SIGINT, SIGTERM] {
            // Order matters: the shutdown check sees the flag as it was before this signal set it.
            let _ = signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(flag()));
            let _ = signal_hook::flag::register(sig, Arc::clone(flag()));
        }
    });
}

/// Whether a stop was requested.
pub fn stop_requested() -> bool {
    flag().load(Ordering::SeqCst)
}

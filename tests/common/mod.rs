//! The test harness shared by the end-to-end tests: the binary, scratch folders, waiting on conditions (never on
//! wall-clock windows), and the checks every run of the binary must pass (no panic, no abort, no signal death).
#![allow(dead_code)] // each test binary uses a different part of it

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// The sample clip: 91 frames of 640x480 at 30 fps (3.03 s).
pub const CLIP: &str = "samples/bridging.mp4";

/// Longest wait for a condition before a test is declared hung. Not a timing requirement: a loaded 2-core machine
/// only makes conditions come later, and nothing is asserted about how long they took.
pub const HANG_GUARD: Duration = Duration::from_secs(180);

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch folder removed when dropped.
pub fn tmp(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(&format!("rc-{name}-")).tempdir().expect("temp dir")
}

/// The binary, run from the checkout, with the session folder pointed away from the user's own.
pub fn rollcoach() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rollcoach"));
    c.current_dir(repo()).env_remove("ROLLCOACH_SESSIONS");
    c
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// What a finished run printed.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` to its end and checks that it ended by itself: an exit code (no signal death: SIGSEGV, SIGBUS,
/// SIGABRT), no Rust panic and no allocation failure message.
pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("spawn rollcoach");
    checked(out)
}

pub fn checked(out: Output) -> Run {
    let r = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(r.code.is_some(), "killed by a signal ({}):\n{}", out.status, r.stderr);
    for bad in ["panicked", "memory allocation", "RUST_BACKTRACE", "core dumped"] {
        assert!(!r.stderr.contains(bad), "{bad:?} in stderr:\n{}", r.stderr);
    }
    r
}

impl Run {
    /// Exit code 1 with a message naming `what` and containing every `needle`.
    pub fn assert_error(&self, what: &str, needles: &[&str]) {
        assert_eq!(self.code, Some(1), "expected exit 1; stderr:\n{}", self.stderr);
        assert!(self.stderr.contains(what), "error does not name {what:?}:\n{}", self.stderr);
        for n in needles {
            assert!(self.stderr.contains(n), "error lacks {n:?}:\n{}", self.stderr);
        }
    }

    pub fn assert_ok(&self) {
        assert_eq!(self.code, Some(0), "failed:\n{}\n{}", self.stdout, self.stderr);
    }
}

/// Polls `cond` until it gives a value; panics with `what` after [`HANG_GUARD`], or if `child` exits first.
pub fn wait_for<T>(what: &str, mut child: Option<&mut Child>, mut cond: impl FnMut() -> Option<T>) -> T {
    let t0 = Instant::now();
    loop {
        if let Some(v) = cond() {
            return v;
        }
        if let Some(c) = child.as_deref_mut() {
            if let Ok(Some(st)) = c.try_wait() {
                let mut err = String::new();
                if let Some(e) = c.stderr.as_mut() {
                    let _ = std::io::Read::read_to_string(e, &mut err);
                }
                panic!("rollcoach exited ({st}) while waiting for {what}:\n{err}");
            }
        }
        assert!(t0.elapsed() < HANG_GUARD, "hung: no {what} after {HANG_GUARD:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The newest session folder under `root`.
pub fn session_dir(root: &Path) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(root).ok()?.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs.pop()
}

/// Complete frame lines in a pose track being written (header excluded, a cut-off last line not counted).
pub fn frames_written(track: &Path) -> usize {
    let text = std::fs::read_to_string(track).unwrap_or_default();
    text.lines().skip(1).filter(|l| l.ends_with('}')).count()
}

/// A display for the window tests: they need one and fail (not skip) without it.
pub fn require_display() {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "DISPLAY is not set: run the window tests under `xvfb-run -a cargo test`"
    );
}

/// Runs `script` with `sh` in a private mount namespace as root of a new user namespace (`unshare -rm`): tests can
/// mount small or read-only file systems there, and they vanish with the process. `$RC` is the binary.
pub fn in_mount_namespace(script: &str) -> Run {
    let out = Command::new("unshare")
        .args(["-rm", "sh", "-c", script])
        .env("RC", env!("CARGO_BIN_EXE_rollcoach"))
        .env_remove("ROLLCOACH_SESSIONS")
        .current_dir(repo())
        .output()
        .expect("unshare (util-linux)");
    checked(out)
}

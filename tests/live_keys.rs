//! Keyboard control of the live window under X11 (Xvfb): space pauses and resumes, `e` switches exercise, `q` quits
//! with the session closed. Keys are injected with the XTEST extension into the window found by its title.
//!
//! Needs a display: run with `xvfb-run -a cargo test --test live_keys`. Without DISPLAY it fails when CI=true and is
//! skipped (with a message) otherwise. Needs the ONNX Runtime library like the other live tests.

#![cfg(target_os = "linux")]

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rollcoach::live::session::{SessionMeta, EVENTS_FILE, META_FILE};
use x11_dl::xlib::{Display, Xlib};
use x11_dl::xtest::Xf86vmode as XTest;

const TITLE: &str = "rollcoach live";

struct X {
    xlib: Xlib,
    xtest: XTest,
    dpy: *mut Display,
}

impl X {
    fn open() -> X {
        let xlib = Xlib::open().expect("libX11");
        let xtest = XTest::open().expect("libXtst");
        let dpy = unsafe { (xlib.XOpenDisplay)(std::ptr::null()) };
        assert!(!dpy.is_null(), "cannot open the X display");
        X { xlib, xtest, dpy }
    }

    /// Depth-first search for a window titled `title`.
    fn find(&self, w: u64, title: &str) -> Option<u64> {
        unsafe {
            let mut name: *mut std::os::raw::c_char = std::ptr::null_mut();
            if (self.xlib.XFetchName)(self.dpy, w, &mut name) != 0 && !name.is_null() {
                let found = CStr::from_ptr(name).to_string_lossy() == title;
                (self.xlib.XFree)(name.cast());
                if found {
                    return Some(w);
                }
            }
            let (mut root, mut parent, mut children, mut n) = (0, 0, std::ptr::null_mut(), 0);
            if (self.xlib.XQueryTree)(self.dpy, w, &mut root, &mut parent, &mut children, &mut n) == 0 {
                return None;
            }
            let kids: Vec<u64> =
                if children.is_null() { vec![] } else { std::slice::from_raw_parts(children, n as usize).to_vec() };
            if !children.is_null() {
                (self.xlib.XFree)(children.cast());
            }
            kids.into_iter().find_map(|c| self.find(c, title))
        }
    }

    fn press(&self, win: u64, keysym: u32) {
        unsafe {
            (self.xlib.XSetInputFocus)(self.dpy, win, x11_dl::xlib::RevertToParent, x11_dl::xlib::CurrentTime);
            let code = (self.xlib.XKeysymToKeycode)(self.dpy, keysym as u64);
            assert_ne!(code, 0, "no keycode for keysym {keysym:#x}");
            (self.xtest.XTestFakeKeyEvent)(self.dpy, code as u32, 1, 0);
            (self.xlib.XSync)(self.dpy, 0);
            std::thread::sleep(Duration::from_millis(60));
            (self.xtest.XTestFakeKeyEvent)(self.dpy, code as u32, 0, 0);
            (self.xlib.XSync)(self.dpy, 0);
        }
    }
}

fn session_dir(root: &Path) -> Option<PathBuf> {
    std::fs::read_dir(root).ok()?.flatten().map(|e| e.path()).find(|p| p.is_dir())
}

/// Waits until events.jsonl has `n` lines containing `needle`.
fn wait_for_event(s: &Path, needle: &str, n: usize) -> String {
    let t0 = Instant::now();
    loop {
        let ev = std::fs::read_to_string(s.join(EVENTS_FILE)).unwrap_or_default();
        if ev.lines().filter(|l| l.contains(needle)).count() >= n {
            return ev;
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "no {needle} event (x{n}) after 5 s:\n{ev}");
        std::thread::sleep(Duration::from_millis(30));
    }
}

#[test]
fn keys_pause_resume_switch_exercise_and_quit() {
    if std::env::var_os("DISPLAY").is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("DISPLAY is not set: run the test suite under xvfb-run");
        }
        eprintln!("SKIPPED: no DISPLAY; run with `xvfb-run -a cargo test --test live_keys`");
        return;
    }
    let dir = std::env::temp_dir().join(format!("rc-live-keys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sessions = dir.join("sessions");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollcoach"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["live", "--source", "samples/bridging.mp4", "--repeat", "20", "--mute", "--quiet"])
        .arg("--sessions-dir")
        .arg(&sessions)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let x = X::open();
    let root = unsafe { (x.xlib.XDefaultRootWindow)(x.dpy) };
    let t0 = Instant::now();
    let (s, win) = loop {
        if let (Some(s), Some(w)) = (session_dir(&sessions), x.find(root, TITLE)) {
            break (s, w);
        }
        if let Ok(Some(st)) = child.try_wait() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("live exited early ({st}): {err}");
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "no window titled {TITLE:?} after 60 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(500));
    use x11_dl::keysym::{XK_e, XK_q, XK_space};
    x.press(win, XK_space);
    wait_for_event(&s, "\"paused\"", 1);
    x.press(win, XK_space);
    wait_for_event(&s, "\"resumed\"", 1);
    x.press(win, XK_e);
    let ev = wait_for_event(&s, "\"kind\":\"exercise\"", 1);
    assert!(!ev.contains("\"kind\":\"exercise\",\"t\":0.0,\"exercise\":\"auto\""), "{ev}");
    x.press(win, XK_q);
    let t0 = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if t0.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("q did not quit within 10 s");
        }
        std::thread::sleep(Duration::from_millis(30));
    };
    assert!(status.success(), "{status}");
    let meta: SessionMeta = serde_json::from_str(&std::fs::read_to_string(s.join(META_FILE)).unwrap()).unwrap();
    assert_eq!(meta.status, "complete");
    // Quit long before the 20 repeats (60 s) of the clip were over.
    assert!(meta.duration_s.unwrap() < 30.0, "{meta:?}");
    unsafe { (x.xlib.XCloseDisplay)(x.dpy) };
}

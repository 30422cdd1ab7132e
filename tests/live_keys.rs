//! Keyboard control of the live window under X11 (Xvfb): space pauses and resumes, `e` switches exercise, `q` quits
//! with the session closed. Keys are injected with the XTEST extension into the window found by its title.
//!
//! Needs a display: run with `xvfb-run -a cargo test --test live_keys`; without DISPLAY it fails. Needs the ONNX
//! Runtime library like the other live tests.

#![cfg(target_os = "linux")]

mod common;

use std::ffi::CStr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{frames_written, session_dir, wait_for};
use rollcoach::live::session::POSES_FILE;

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

/// Waits until events.jsonl has `n` lines containing `needle`.
fn wait_for_event(s: &Path, needle: &str, n: usize) -> String {
    wait_for(&format!("{n} {needle} event(s)"), None, || {
        let ev = std::fs::read_to_string(s.join(EVENTS_FILE)).unwrap_or_default();
        (ev.lines().filter(|l| l.contains(needle)).count() >= n).then_some(ev)
    })
}

/// The clip is played this many times (3.03 s each), so it cannot end before the keys are pressed.
const REPEATS: u32 = 100;

#[test]
fn keys_pause_resume_switch_exercise_and_quit() {
    common::require_display();
    let dir = common::tmp("live-keys");
    let sessions = dir.path().join("sessions");
    let mut child = common::rollcoach()
        .args(["live", "--source", common::CLIP, "--repeat", &REPEATS.to_string(), "--mute", "--quiet"])
        .arg("--sessions-dir")
        .arg(&sessions)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let x = X::open();
    let root = unsafe { (x.xlib.XDefaultRootWindow)(x.dpy) };
    let (s, win) = wait_for(&format!("a session and a window titled {TITLE:?}"), Some(&mut child), || {
        Some((session_dir(&sessions)?, x.find(root, TITLE)?))
    });
    // The loop is running (and the window handling keys) once frames reach the session.
    wait_for("frames in the session", Some(&mut child), || (frames_written(&s.join(POSES_FILE)) >= 5).then_some(()));
    use x11_dl::keysym::{XK_e, XK_q, XK_space};
    x.press(win, XK_space);
    wait_for_event(&s, "\"paused\"", 1);
    x.press(win, XK_space);
    wait_for_event(&s, "\"resumed\"", 1);
    x.press(win, XK_e);
    let ev = wait_for_event(&s, "\"kind\":\"exercise\"", 1);
    assert!(!ev.contains("\"kind\":\"exercise\",\"t\":0.0,\"exercise\":\"auto\""), "{ev}");
    x.press(win, XK_q);
    let status = wait_for("live to quit after q", None, || child.try_wait().unwrap());
    assert!(status.success(), "{status}");
    let meta: SessionMeta = serde_json::from_str(&std::fs::read_to_string(s.join(META_FILE)).unwrap()).unwrap();
    assert_eq!(meta.status, "complete");
    // q ended it, not the end of the clip's repeats.
    let whole = f64::from(REPEATS) * 91.0 / 30.0;
    assert!(meta.duration_s.unwrap() < whole - 1.0, "{meta:?}");
    unsafe { (x.xlib.XCloseDisplay)(x.dpy) };
}

//! The live window (minifb): shows a BGR frame and maps keys to actions.

use std::cell::RefCell;
use std::rc::Rc;

use minifb::{InputCallback, Key, Window, WindowOptions};
use opencv::core::{Mat, CV_8UC3};
use opencv::prelude::*;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum WindowError {
    #[error(
        "cannot open a window ({0}); is a display available (DISPLAY/WAYLAND_DISPLAY)? Use --no-window to run headless"
    )]
    Open(String),
    #[error("cannot update the window: {0}")]
    Update(String),
    #[error("frame is not 8-bit BGR (type {0})")]
    BadFrame(i32),
}

/// What the user asked for with the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    TogglePause,
    NextExercise,
    Quit,
}

/// Maps a key to an action: space = pause, e/tab = next exercise, q/escape = quit.
pub fn action_for(key: Key) -> Option<Action> {
    match key {
        Key::Space | Key::P => Some(Action::TogglePause),
        Key::E | Key::Tab => Some(Action::NextExercise),
        Key::Q | Key::Escape => Some(Action::Quit),
        _ => None,
    }
}

/// Converts a BGR `Mat` into 0RGB `u32` pixels in `out` (resized only when the frame size changes).
pub fn bgr_to_u32(bgr: &Mat, out: &mut Vec<u32>) -> Result<(usize, usize), WindowError> {
    if bgr.typ() != CV_8UC3 {
        return Err(WindowError::BadFrame(bgr.typ()));
    }
    let (w, h) = (bgr.cols() as usize, bgr.rows() as usize);
    out.resize(w * h, 0);
    let fill = |src: &[u8], dst: &mut [u32]| {
        for (d, s) in dst.iter_mut().zip(src.chunks_exact(3)) {
            *d = (u32::from(s[2]) << 16) | (u32::from(s[1]) << 8) | u32::from(s[0]);
        }
    };
    match bgr.data_bytes() {
        Ok(bytes) => fill(bytes, out),
        Err(_) => {
            // Not continuous (a view): row by row.
            for y in 0..h {
                let row = bgr.row(y as i32).map_err(|e| WindowError::Update(e.to_string()))?;
                let bytes = row.data_bytes().map_err(|e| WindowError::Update(e.to_string()))?;
                fill(bytes, &mut out[y * w..(y + 1) * w]);
            }
        }
    }
    Ok((w, h))
}

/// Converts 0RGB `u32` pixels back to a BGR `Mat` (for screenshots of exactly what the window shows).
pub fn u32_to_bgr(px: &[u32], w: usize, h: usize) -> opencv::Result<Mat> {
    let mut m = Mat::new_rows_cols_with_default(h as i32, w as i32, CV_8UC3, 0.into())?;
    for (d, p) in m.data_bytes_mut()?.chunks_exact_mut(3).zip(px) {
        d[0] = (p & 0xff) as u8;
        d[1] = ((p >> 8) & 0xff) as u8;
        d[2] = ((p >> 16) & 0xff) as u8;
    }
    Ok(m)
}

pub struct LiveWindow {
    win: Window,
    buf: Vec<u32>,
    size: (usize, usize),
    keys: Rc<RefCell<KeyEdges>>,
}

/// Key presses collected from the window's input callback. minifb's `get_keys_pressed` loses a tap whose press and
/// release both arrive between two polls (the state is sampled once per update), so presses are taken from the
/// event stream itself: every up->down transition is queued once (auto-repeat is ignored).
#[derive(Default)]
struct KeyEdges {
    down: Vec<Key>,
    pressed: Vec<Key>,
}

impl KeyEdges {
    fn set(&mut self, key: Key, is_down: bool) {
        let was_down = self.down.contains(&key);
        if is_down && !was_down {
            self.down.push(key);
            self.pressed.push(key);
        } else if !is_down {
            self.down.retain(|k| *k != key);
        }
    }
}

struct KeyCallback(Rc<RefCell<KeyEdges>>);

impl InputCallback for KeyCallback {
    fn add_char(&mut self, _uni_char: u32) {}
    fn set_key_state(&mut self, key: Key, state: bool) {
        self.0.borrow_mut().set(key, state);
    }
}

impl LiveWindow {
    pub fn open(title: &str, width: usize, height: usize) -> Result<Self, WindowError> {
        if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
            return Err(WindowError::Open("no DISPLAY or WAYLAND_DISPLAY set".into()));
        }
        let win = Window::new(title, width, height, WindowOptions { resize: true, ..WindowOptions::default() })
            .map_err(|e| WindowError::Open(e.to_string()))?;
        let mut win = win;
        let keys = Rc::new(RefCell::new(KeyEdges::default()));
        win.set_input_callback(Box::new(KeyCallback(Rc::clone(&keys))));
        Ok(Self { win, buf: Vec::with_capacity(width * height), size: (width, height), keys })
    }

    /// Shows `bgr` and returns the actions of keys pressed since the last call.
    pub fn show(&mut self, bgr: &Mat, actions: &mut Vec<Action>) -> Result<(), WindowError> {
        self.size = bgr_to_u32(bgr, &mut self.buf)?;
        self.win
            .update_with_buffer(&self.buf, self.size.0, self.size.1)
            .map_err(|e| WindowError::Update(e.to_string()))?;
        self.poll_keys(actions);
        Ok(())
    }

    /// Processes window events without a new frame (while paused or waiting for the camera).
    pub fn idle(&mut self, actions: &mut Vec<Action>) {
        self.win.update();
        self.poll_keys(actions);
    }

    fn poll_keys(&mut self, actions: &mut Vec<Action>) {
        if !self.win.is_open() {
            actions.push(Action::Quit);
            return;
        }
        let mut keys = self.keys.borrow_mut();
        actions.extend(keys.pressed.drain(..).filter_map(action_for));
    }

    /// The pixels last handed to the window.
    pub fn pixels(&self) -> (&[u32], usize, usize) {
        (&self.buf, self.size.0, self.size.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_round_trips_and_orders_channels() {
        let mut m = Mat::new_rows_cols_with_default(2, 3, CV_8UC3, 0.into()).unwrap();
        for (i, b) in m.data_bytes_mut().unwrap().iter_mut().enumerate() {
            *b = (i * 13 % 251) as u8;
        }
        let mut px = Vec::new();
        assert_eq!(bgr_to_u32(&m, &mut px).unwrap(), (3, 2));
        let d = m.data_bytes().unwrap();
        assert_eq!(px[0], (u32::from(d[2]) << 16) | (u32::from(d[1]) << 8) | u32::from(d[0]));
        let back = u32_to_bgr(&px, 3, 2).unwrap();
        assert_eq!(back.data_bytes().unwrap(), m.data_bytes().unwrap());
    }

    #[test]
    fn a_quick_tap_is_one_press_and_auto_repeat_is_ignored() {
        let mut k = KeyEdges::default();
        k.set(Key::Space, true);
        k.set(Key::Space, false); // released before anyone polled
        k.set(Key::E, true);
        k.set(Key::E, true); // auto-repeat
        k.set(Key::E, true);
        assert_eq!(k.pressed, vec![Key::Space, Key::E]);
        k.set(Key::E, false);
        k.set(Key::E, true);
        assert_eq!(k.pressed.len(), 3);
    }

    #[test]
    fn keys_map_to_actions() {
        assert_eq!(action_for(Key::Space), Some(Action::TogglePause));
        assert_eq!(action_for(Key::Tab), Some(Action::NextExercise));
        assert_eq!(action_for(Key::Escape), Some(Action::Quit));
        assert_eq!(action_for(Key::A), None);
    }
}

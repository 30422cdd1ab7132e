//! Frame capture for the live coach.
//!
//! * [`CameraSource`]: a webcam read with nokhwa (V4L2 on Linux), implementing [`FrameSource`].
//! * [`Paced`]: wraps any source and releases frames at the source's own timestamps (a clip played in real time).
//! * [`CaptureThread`]: runs a source on its own thread and hands frames over through a [`LatestSlot`] of capacity
//!   one: a new frame replaces a frame the consumer has not taken yet, so the consumer always gets the freshest frame
//!   and latency stays bounded by one frame. Frame buffers are recycled back to the thread (no per-frame allocation).
//!   When the source fails (camera unplugged) the thread reports it and keeps trying to reopen the source.

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opencv::core::{Mat, CV_8UC3};
use opencv::prelude::*;
use thiserror::Error;

use crate::source::{FrameSource, SourceError, SourceInfo};

#[derive(Debug, Error)]
pub enum CaptureError {
    #[error("no camera found (no video device is connected or visible to this user); connect a webcam, or play a clip with --source CLIP")]
    NoCamera,
    #[error("camera {index} does not exist; {count} camera(s) found (see `rollcoach devices`)")]
    NoSuchCamera { index: u32, count: usize },
    #[error("cannot list cameras: {0}")]
    Query(String),
    #[error("cannot open camera {index}: {msg}")]
    Open { index: u32, msg: String },
    #[error("capture thread could not start: {0}")]
    Thread(String),
}

/// One camera as listed by `rollcoach devices`.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraDescr {
    pub index: u32,
    pub name: String,
    pub description: String,
}

/// Lists cameras. An empty list is not an error (the caller words the message).
pub fn list_cameras() -> Result<Vec<CameraDescr>, CaptureError> {
    // V4L2 enumerates /dev/video*; on a machine without any, nokhwa returns an empty list or an error about the
    // missing devices. Both mean "no camera".
    if cfg!(target_os = "linux") && !any_video_device_node() {
        return Ok(Vec::new());
    }
    let list = nokhwa::query(nokhwa::utils::ApiBackend::Auto).map_err(|e| CaptureError::Query(e.to_string()))?;
    Ok(list
        .into_iter()
        .enumerate()
        .map(|(i, c)| CameraDescr {
            index: match c.index() {
                nokhwa::utils::CameraIndex::Index(n) => *n,
                _ => i as u32,
            },
            name: c.human_name(),
            description: c.description().to_string(),
        })
        .collect())
}

fn any_video_device_node() -> bool {
    std::fs::read_dir("/dev")
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("video")))
        .unwrap_or(false)
}

/// What the user asked of the camera.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CameraRequest {
    pub index: u32,
    pub width: u32,
    pub height: u32,
    pub fps: u32,
}

/// A webcam read with nokhwa, decoded to RGB in a reused buffer and swapped into the caller's BGR `Mat`.
pub struct CameraSource {
    cam: nokhwa::Camera,
    info: SourceInfo,
    rgb: Vec<u8>,
    /// Session clock: timestamps are seconds since this instant, so they stay monotonic across reconnects.
    epoch: Instant,
}

impl CameraSource {
    /// Opens camera `req.index` with the closest format to the request. `epoch` is the session start.
    pub fn open(req: CameraRequest, epoch: Instant) -> Result<Self, CaptureError> {
        use nokhwa::pixel_format::RgbFormat;
        use nokhwa::utils::{CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType};
        let cams = list_cameras()?;
        if cams.is_empty() {
            return Err(CaptureError::NoCamera);
        }
        if !cams.iter().any(|c| c.index == req.index) {
            return Err(CaptureError::NoSuchCamera { index: req.index, count: cams.len() });
        }
        let open_err = |e: nokhwa::NokhwaError| CaptureError::Open { index: req.index, msg: e.to_string() };
        let wanted = CameraFormat::new_from(req.width, req.height, FrameFormat::MJPEG, req.fps);
        let format = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(wanted));
        let mut cam = nokhwa::Camera::new(CameraIndex::Index(req.index), format).map_err(open_err)?;
        cam.open_stream().map_err(open_err)?;
        let fmt = cam.camera_format();
        let info = SourceInfo {
            width: fmt.resolution().width(),
            height: fmt.resolution().height(),
            fps: f64::from(fmt.frame_rate().max(1)),
            frame_count: None,
        };
        Ok(Self { cam, info, rgb: Vec::new(), epoch })
    }
}

impl FrameSource for CameraSource {
    fn info(&self) -> SourceInfo {
        self.info
    }

    fn next_frame(&mut self, frame: &mut Mat) -> Result<Option<f64>, SourceError> {
        use nokhwa::pixel_format::RgbFormat;
        let buf =
            self.cam.frame().map_err(|e| SourceError::Camera(format!("camera stopped delivering frames ({e})")))?;
        let t = self.epoch.elapsed().as_secs_f64();
        let res = buf.resolution();
        let (w, h) = (res.width() as usize, res.height() as usize);
        self.rgb.resize(w * h * 3, 0);
        buf.decode_image_to_buffer::<RgbFormat>(&mut self.rgb)
            .map_err(|e| SourceError::Camera(format!("cannot decode camera frame: {e}")))?;
        rgb_to_bgr_mat(&self.rgb, w, h, frame).map_err(|e| SourceError::Camera(e.to_string()))?;
        Ok(Some(t))
    }
}

/// Copies packed RGB bytes into `out` as BGR, (re)allocating `out` only when its size or type differs.
pub fn rgb_to_bgr_mat(rgb: &[u8], width: usize, height: usize, out: &mut Mat) -> opencv::Result<()> {
    if out.rows() != height as i32 || out.cols() != width as i32 || out.typ() != CV_8UC3 {
        *out = Mat::new_rows_cols_with_default(height as i32, width as i32, CV_8UC3, 0.into())?;
    }
    let dst = out.data_bytes_mut()?;
    for (d, s) in dst.chunks_exact_mut(3).zip(rgb.chunks_exact(3)) {
        d[0] = s[2];
        d[1] = s[1];
        d[2] = s[0];
    }
    Ok(())
}

/// Plays a source in real time: each frame is released no earlier than its timestamp after the first frame.
/// Pacing lives here, not in the sources, so analysis of a clip still runs as fast as it can.
pub struct Paced<S> {
    inner: S,
    start: Option<(Instant, f64)>,
}

impl<S: FrameSource> Paced<S> {
    pub fn new(inner: S) -> Self {
        Self { inner, start: None }
    }
}

impl<S: FrameSource> FrameSource for Paced<S> {
    fn info(&self) -> SourceInfo {
        self.inner.info()
    }

    fn next_frame(&mut self, frame: &mut Mat) -> Result<Option<f64>, SourceError> {
        let Some(t) = self.inner.next_frame(frame)? else {
            return Ok(None);
        };
        match self.start {
            None => self.start = Some((Instant::now(), t)),
            Some((wall0, t0)) => {
                let due = wall0 + Duration::from_secs_f64((t - t0).max(0.0));
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
            }
        }
        Ok(Some(t))
    }
}

/// A slot holding at most one item. `put` replaces an item not yet taken (returning it for reuse), so the consumer
/// never works on a stale frame. With `block_when_full` the producer instead waits (lossless, for benchmarks of
/// throughput).
pub struct LatestSlot<T> {
    state: Mutex<SlotState<T>>,
    cond: Condvar,
    block_when_full: bool,
}

struct SlotState<T> {
    item: Option<T>,
    closed: bool,
    dropped: u64,
}

impl<T> LatestSlot<T> {
    pub fn new(block_when_full: bool) -> Self {
        Self {
            state: Mutex::new(SlotState { item: None, closed: false, dropped: 0 }),
            cond: Condvar::new(),
            block_when_full,
        }
    }

    /// Puts an item; returns the stale item it replaced (drop mode), or `Err(item)` if the slot is closed.
    pub fn put(&self, item: T) -> Result<Option<T>, T> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if self.block_when_full {
            while s.item.is_some() && !s.closed {
                s = self.cond.wait(s).unwrap_or_else(|p| p.into_inner());
            }
        }
        if s.closed {
            return Err(item);
        }
        let old = s.item.replace(item);
        if old.is_some() {
            s.dropped += 1;
        }
        self.cond.notify_all();
        Ok(old)
    }

    /// Takes the item, waiting up to `timeout`. `None` on timeout or when closed and empty.
    pub fn take(&self, timeout: Duration) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(item) = s.item.take() {
                self.cond.notify_all();
                return Some(item);
            }
            if s.closed {
                return None;
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            s = self.cond.wait_timeout(s, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    pub fn close(&self) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.closed = true;
        self.cond.notify_all();
    }

    pub fn is_closed(&self) -> bool {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).closed
    }

    /// Items replaced before the consumer took them.
    pub fn dropped(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).dropped
    }
}

/// A captured frame with its source time and the wall-clock instant it left the source.
pub struct CapturedFrame {
    pub bgr: Mat,
    pub t: f64,
    pub captured_at: Instant,
    pub seq: u64,
}

/// Things the capture thread reports besides frames.
#[derive(Debug)]
pub enum CaptureEvent {
    Opened(SourceInfo),
    /// The source failed (e.g. camera unplugged); the thread keeps retrying.
    Lost(String),
    /// Opening (or reopening) failed; `fatal` when the thread gives up (first open of a clip, or stop requested).
    OpenFailed {
        msg: String,
        fatal: bool,
    },
    Reopened,
    /// End of a clip.
    Ended,
}

/// Opens (and reopens) the source inside the capture thread.
pub type Opener = Box<dyn FnMut() -> Result<Box<dyn FrameSource>, String> + Send>;

/// Capture thread configuration.
pub struct CaptureConfig {
    /// Keep retrying after a failure (cameras). Clips end instead.
    pub retry: bool,
    pub retry_interval: Duration,
    /// Lossless hand-over (producer waits) instead of dropping stale frames.
    pub lossless: bool,
    /// Play a clip this many times (timestamps continue across repeats). 1 for cameras.
    pub repeats: u32,
}

/// Longest wait for the capture thread to end when stopping.
pub const STOP_WAIT: Duration = Duration::from_secs(2);

/// Default wait between attempts to reopen a lost camera.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(1);

pub struct CaptureThread {
    pub slot: Arc<LatestSlot<CapturedFrame>>,
    pub events: Receiver<CaptureEvent>,
    recycle: Sender<Mat>,
    handle: Option<JoinHandle<()>>,
}

impl CaptureThread {
    pub fn spawn(mut open: Opener, cfg: CaptureConfig) -> Result<Self, CaptureError> {
        let slot = Arc::new(LatestSlot::new(cfg.lossless));
        let (ev_tx, ev_rx) = mpsc::channel();
        let (rec_tx, rec_rx) = mpsc::channel::<Mat>();
        let slot2 = Arc::clone(&slot);
        let handle = std::thread::Builder::new()
            .name("capture".into())
            .spawn(move || capture_loop(&mut open, &cfg, &slot2, &ev_tx, &rec_rx))
            .map_err(|e| CaptureError::Thread(e.to_string()))?;
        Ok(Self { slot, events: ev_rx, recycle: rec_tx, handle: Some(handle) })
    }

    /// Returns a frame buffer for reuse by the capture thread.
    pub fn recycle(&self, m: Mat) {
        let _ = self.recycle.send(m);
    }

    /// Stops the thread (it notices at its next frame or retry).
    /// Stops the thread: it notices at its next frame or retry. A source stuck in a blocking read (a camera that hangs
    /// when unplugged) is left behind after [`STOP_WAIT`] so quitting never hangs.
    pub fn stop(&mut self) {
        self.slot.close();
        if let Some(h) = self.handle.take() {
            let t0 = Instant::now();
            while !h.is_finished() && t0.elapsed() < STOP_WAIT {
                std::thread::sleep(Duration::from_millis(10));
            }
            if h.is_finished() {
                let _ = h.join();
            }
        }
    }
}

impl Drop for CaptureThread {
    fn drop(&mut self) {
        self.stop();
    }
}

fn sleep_unless_closed(slot: &LatestSlot<CapturedFrame>, d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end && !slot.is_closed() {
        std::thread::sleep(Duration::from_millis(20).min(end.saturating_duration_since(Instant::now())));
    }
}

fn capture_loop(
    open: &mut Opener,
    cfg: &CaptureConfig,
    slot: &LatestSlot<CapturedFrame>,
    events: &Sender<CaptureEvent>,
    recycled: &Receiver<Mat>,
) {
    let mut seq = 0u64;
    let mut ever_opened = false;
    let mut repeats_left = cfg.repeats.max(1);
    let mut t_offset = 0.0;
    let mut last_t = 0.0;
    let mut frame_dt;
    'outer: while !slot.is_closed() {
        let mut src = match open() {
            Ok(s) => s,
            Err(msg) => {
                let fatal = !cfg.retry || !ever_opened;
                let _ = events.send(CaptureEvent::OpenFailed { msg, fatal });
                if fatal {
                    break;
                }
                sleep_unless_closed(slot, cfg.retry_interval);
                continue;
            }
        };
        let info = src.info();
        frame_dt = 1.0 / info.fps.max(1.0);
        let _ = events.send(if ever_opened && cfg.retry { CaptureEvent::Reopened } else { CaptureEvent::Opened(info) });
        ever_opened = true;
        loop {
            if slot.is_closed() {
                break 'outer;
            }
            let mut m = recycled.try_recv().unwrap_or_default();
            match src.next_frame(&mut m) {
                Ok(Some(t)) => {
                    last_t = t + t_offset;
                    let f = CapturedFrame { bgr: m, t: last_t, captured_at: Instant::now(), seq };
                    seq += 1;
                    if slot.put(f).is_err() {
                        break 'outer;
                    }
                    // A replaced stale frame is simply dropped; its buffer is not worth a channel round trip.
                }
                Ok(None) => {
                    repeats_left -= 1;
                    if repeats_left > 0 {
                        t_offset = last_t + frame_dt;
                        continue 'outer;
                    }
                    let _ = events.send(CaptureEvent::Ended);
                    break 'outer;
                }
                Err(e) => {
                    let _ = events.send(CaptureEvent::Lost(e.to_string()));
                    if !cfg.retry {
                        break 'outer;
                    }
                    drop(src);
                    sleep_unless_closed(slot, cfg.retry_interval);
                    continue 'outer;
                }
            }
        }
    }
    slot.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic source: `n` frames at `fps`, each filled with its index; fails at `fail_at` if set.
    struct Synthetic {
        n: u64,
        i: u64,
        fps: f64,
        fail_at: Option<u64>,
    }

    impl FrameSource for Synthetic {
        fn info(&self) -> SourceInfo {
            SourceInfo { width: 4, height: 2, fps: self.fps, frame_count: Some(self.n) }
        }
        fn next_frame(&mut self, frame: &mut Mat) -> Result<Option<f64>, SourceError> {
            if Some(self.i) == self.fail_at {
                return Err(SourceError::Camera("unplugged".into()));
            }
            if self.i >= self.n {
                return Ok(None);
            }
            *frame = Mat::new_rows_cols_with_default(2, 4, CV_8UC3, ((self.i % 256) as f64).into()).unwrap();
            let t = self.i as f64 / self.fps;
            self.i += 1;
            Ok(Some(t))
        }
    }

    #[test]
    fn slot_replaces_stale_item_and_counts_it() {
        let s = LatestSlot::new(false);
        assert_eq!(s.put(1).unwrap(), None);
        assert_eq!(s.put(2).unwrap(), Some(1));
        assert_eq!(s.dropped(), 1);
        assert_eq!(s.take(Duration::from_millis(1)), Some(2));
        assert_eq!(s.take(Duration::from_millis(1)), None);
        s.close();
        assert!(s.put(3).is_err());
    }

    #[test]
    fn paced_source_takes_the_clip_duration() {
        let mut p = Paced::new(Synthetic { n: 10, i: 0, fps: 100.0, fail_at: None });
        let mut m = Mat::default();
        let t0 = Instant::now();
        let mut n = 0;
        while p.next_frame(&mut m).unwrap().is_some() {
            n += 1;
        }
        let took = t0.elapsed().as_secs_f64();
        assert_eq!(n, 10);
        // Pacing can only be late on a busy machine, never early: a lower bound is all that holds everywhere.
        assert!(took >= 0.085, "10 frames at 100 fps took {took} s: not paced");
    }

    #[test]
    fn slow_consumer_gets_fresh_frames_and_stale_ones_are_dropped() {
        let open: Opener = Box::new(|| {
            Ok(Box::new(Paced::new(Synthetic { n: 40, i: 0, fps: 200.0, fail_at: None })) as Box<dyn FrameSource>)
        });
        let cfg = CaptureConfig { retry: false, retry_interval: RETRY_INTERVAL, lossless: false, repeats: 1 };
        let mut ct = CaptureThread::spawn(open, cfg).unwrap();
        let mut got = Vec::new();
        while let Some(f) = ct.slot.take(Duration::from_secs(30)) {
            got.push(f.seq);
            // A slow consumer, by condition rather than by sleeping: take the next frame only after the producer
            // has replaced an untaken one (or ended), however busy the machine is.
            let d0 = ct.slot.dropped();
            while ct.slot.dropped() == d0 && !ct.slot.is_closed() {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        assert!(matches!(ct.events.recv().unwrap(), CaptureEvent::Opened(_)));
        assert!(matches!(ct.events.recv().unwrap(), CaptureEvent::Ended));
        assert_eq!(got.len() as u64 + ct.slot.dropped(), 40, "every frame is either taken or dropped");
        assert!(got.len() <= 21, "consumer saw {} of 40 frames; stale frames were not dropped", got.len());
        assert!(got.windows(2).all(|w| w[1] > w[0]));
        assert!(got.windows(2).any(|w| w[1] > w[0] + 1), "no frame was skipped: {got:?}");
        assert!(ct.slot.dropped() > 0);
        ct.stop();
    }

    #[test]
    fn lossless_mode_delivers_every_frame_and_repeats_continue_time() {
        let open: Opener =
            Box::new(|| Ok(Box::new(Synthetic { n: 5, i: 0, fps: 10.0, fail_at: None }) as Box<dyn FrameSource>));
        let cfg = CaptureConfig { retry: false, retry_interval: RETRY_INTERVAL, lossless: true, repeats: 2 };
        let ct = CaptureThread::spawn(open, cfg).unwrap();
        let mut ts = Vec::new();
        while let Some(f) = ct.slot.take(Duration::from_secs(2)) {
            ts.push(f.t);
            ct.recycle(f.bgr);
        }
        assert_eq!(ts.len(), 10);
        assert!(ts.windows(2).all(|w| (w[1] - w[0] - 0.1).abs() < 1e-9), "{ts:?}");
    }

    #[test]
    fn lost_source_is_reported_and_reopened() {
        let mut opens = 0;
        let open: Opener = Box::new(move || {
            opens += 1;
            // First instance fails after 3 frames (unplugged); the second runs to the end.
            let fail_at = if opens == 1 { Some(3) } else { None };
            Ok(Box::new(Synthetic { n: 4, i: 0, fps: 100.0, fail_at }) as Box<dyn FrameSource>)
        });
        let cfg = CaptureConfig { retry: true, retry_interval: Duration::from_millis(10), lossless: true, repeats: 1 };
        let ct = CaptureThread::spawn(open, cfg).unwrap();
        let mut n = 0;
        while ct.slot.take(Duration::from_secs(2)).is_some() {
            n += 1;
        }
        let evs: Vec<_> = ct.events.try_iter().collect();
        assert!(matches!(evs[0], CaptureEvent::Opened(_)), "{evs:?}");
        assert!(matches!(&evs[1], CaptureEvent::Lost(m) if m.contains("unplugged")), "{evs:?}");
        assert!(matches!(evs[2], CaptureEvent::Reopened), "{evs:?}");
        assert!(matches!(evs[3], CaptureEvent::Ended), "{evs:?}");
        assert_eq!(n, 7);
    }

    /// A source whose read blocks (far) longer than any stop should wait; `reading` says the read has begun.
    struct Stuck {
        reading: std::sync::Arc<std::sync::atomic::AtomicBool>,
    }
    impl FrameSource for Stuck {
        fn info(&self) -> SourceInfo {
            SourceInfo { width: 4, height: 2, fps: 30.0, frame_count: None }
        }
        fn next_frame(&mut self, _frame: &mut Mat) -> Result<Option<f64>, SourceError> {
            self.reading.store(true, std::sync::atomic::Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(30));
            Ok(None)
        }
    }

    #[test]
    fn stopping_does_not_hang_on_a_blocked_source() {
        let reading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = reading.clone();
        let open: Opener = Box::new(move || Ok(Box::new(Stuck { reading: flag.clone() }) as Box<dyn FrameSource>));
        let cfg = CaptureConfig { retry: true, retry_interval: RETRY_INTERVAL, lossless: false, repeats: 1 };
        let mut ct = CaptureThread::spawn(open, cfg).unwrap();
        assert!(matches!(ct.events.recv().unwrap(), CaptureEvent::Opened(_)));
        // stop only once the capture thread is inside the blocking read (else it simply sees the stop and ends)
        let wait0 = Instant::now();
        while !reading.load(std::sync::atomic::Ordering::SeqCst) {
            assert!(wait0.elapsed() < Duration::from_secs(10), "the capture thread never started reading");
            std::thread::sleep(Duration::from_millis(1));
        }
        let t0 = Instant::now();
        ct.stop();
        let took = t0.elapsed();
        // The source blocks for 30 s; a stop that returns well before that did not wait for it.
        assert!(took >= STOP_WAIT && took < Duration::from_secs(20), "stop took {took:?}");
    }

    #[test]
    fn rgb_is_swapped_into_bgr() {
        let rgb = [1u8, 2, 3, 4, 5, 6];
        let mut m = Mat::default();
        rgb_to_bgr_mat(&rgb, 2, 1, &mut m).unwrap();
        assert_eq!(m.data_bytes().unwrap(), &[3, 2, 1, 6, 5, 4]);
    }

    #[test]
    fn no_camera_is_reported_as_such() {
        if any_video_device_node() {
            return; // a machine with a camera: nothing to check here
        }
        assert!(list_cameras().unwrap().is_empty());
        let err = CameraSource::open(CameraRequest { index: 0, width: 640, height: 480, fps: 30 }, Instant::now())
            .err()
            .expect("no camera");
        assert!(matches!(err, CaptureError::NoCamera));
        assert!(err.to_string().contains("camera"));
    }
}

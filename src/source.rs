//! Frame sources: a recorded clip read with OpenCV videoio (and, in `live`, a webcam). Every source fills a
//! caller-owned BGR `Mat`, so a frame loop allocates nothing per frame.

use std::path::{Path, PathBuf};

use opencv::core::Mat;
use opencv::prelude::*;
use opencv::videoio;
use thiserror::Error;

use crate::posetrack::FPS_RANGE;

#[derive(Debug, Error)]
pub enum SourceError {
    #[error("{path}: file not found")]
    NotFound { path: PathBuf },
    #[error("{path}: file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: not a video OpenCV can read (unknown format or corrupt header)")]
    NotVideo { path: PathBuf },
    #[error("{path}: not an image OpenCV can read (unknown format or corrupt)")]
    NotImage { path: PathBuf },
    #[error("{path}: video has no decodable frames (truncated or corrupt)")]
    NoFrames { path: PathBuf },
    #[error(
        "{path}: video is truncated: decoded {decoded} of the {expected} frames its header lists"
    )]
    Truncated {
        path: PathBuf,
        decoded: u64,
        expected: u64,
    },
    #[error("{path}: {msg}")]
    Other { path: PathBuf, msg: String },
    #[error("camera: {0}")]
    Camera(String),
}

/// What a source delivers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceInfo {
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// Frame count when the container says so (clips); `None` for cameras.
    pub frame_count: Option<u64>,
}

/// Anything that yields BGR frames with timestamps.
pub trait FrameSource {
    fn info(&self) -> SourceInfo;
    /// Reads the next frame into `frame` (BGR, 8-bit, 3 channels) and returns its time in seconds from the start,
    /// or `None` at the end of the stream.
    fn next_frame(&mut self, frame: &mut Mat) -> Result<Option<f64>, SourceError>;
}

/// Undecodable frames skipped in the middle of a clip: `frames` bad frames before the good frame at `before_t`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DecodeGap {
    /// Time (s) of the first good frame after the gap.
    pub before_t: f64,
    pub frames: u64,
}

/// A clip read with OpenCV videoio (mp4/H.264, avi/MJPG, webm, ...), or a photo (see [`PHOTO_EXTENSIONS`]).
pub struct VideoFileSource {
    path: PathBuf,
    cap: videoio::VideoCapture,
    /// A photo, delivered as a still clip of [`PHOTO_FRAMES`] frames.
    still: Option<Mat>,
    info: SourceInfo,
    /// Frames delivered so far.
    index: u64,
    /// Time of the last delivered frame.
    last_t: Option<f64>,
    /// The last [`RECENT_INTERVALS`] intervals between delivered frames (s), for frames without a timestamp.
    recent_dt: std::collections::VecDeque<f64>,
    gaps: Vec<DecodeGap>,
}

/// Frame intervals remembered for timing a frame the container gives no time for.
const RECENT_INTERVALS: usize = 8;

/// Frame rate assumed when a container does not state one.
const FALLBACK_FPS: f64 = 30.0;
/// A container frame count above this (about 4 days at 30 fps) is treated as unknown: it only sizes buffers and the
/// progress bar, and a corrupt header must not make us allocate for it.
pub const MAX_CONTAINER_FRAMES: u64 = 10_000_000;
/// Consecutive failed reads after which a clip is taken to have ended. A read fails once per undecodable frame
/// (measured: zeroing 20 kB in the middle of samples/bridging.mp4 gives 2 failed reads, then 46 good frames), and a
/// few hundred failed reads at the real end cost milliseconds; 300 frames is 10 s of corrupt video at 30 fps.
const MAX_CONSECUTIVE_BAD_READS: u64 = 300;
/// Containers' frame counts are estimates (from duration x fps); a clip that ends this many frames short of it
/// (and at least this fraction short) is reported as truncated.
const TRUNCATION_MIN_MISSING_FRAMES: u64 = 3;
const TRUNCATION_MIN_MISSING_FRACTION: f64 = 0.05;

/// File name extensions read as a photo (OpenCV imgcodecs) rather than a clip.
pub const PHOTO_EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "jp2"];
/// A photo is analysed as a still clip this long at [`FALLBACK_FPS`]: every step that needs a steady view over time
/// (the roller's confirmation over `roller::ON_S`, exercise recognition after 1 s of evidence) then sees
/// the one image steadily, and the report holds its verdict.
pub const PHOTO_SECONDS: f64 = 2.0;
const PHOTO_FRAMES: u64 = (PHOTO_SECONDS * FALLBACK_FPS) as u64;

/// True when `path` names a photo by its extension.
pub fn is_photo(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| PHOTO_EXTENSIONS.iter().any(|p| p.eq_ignore_ascii_case(e)))
}

impl VideoFileSource {
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let meta =
            std::fs::metadata(path).map_err(|_| SourceError::NotFound { path: path.into() })?;
        if !meta.is_file() {
            return Err(SourceError::Other {
                path: path.into(),
                msg: "not a regular file".into(),
            });
        }
        if meta.len() == 0 {
            return Err(SourceError::Empty { path: path.into() });
        }
        let other = |e: opencv::Error| SourceError::Other {
            path: path.into(),
            msg: e.to_string(),
        };
        let name = path.to_str().ok_or_else(|| SourceError::Other {
            path: path.into(),
            msg: "path is not UTF-8".into(),
        })?;
        if is_photo(path) {
            return Self::open_photo(path, name, other);
        }
        let cap = videoio::VideoCapture::from_file(name, videoio::CAP_FFMPEG).map_err(other)?;
        if !cap.is_opened().map_err(other)? {
            return Err(SourceError::NotVideo { path: path.into() });
        }
        let width = cap.get(videoio::CAP_PROP_FRAME_WIDTH).map_err(other)? as u32;
        let height = cap.get(videoio::CAP_PROP_FRAME_HEIGHT).map_err(other)? as u32;
        if width == 0 || height == 0 {
            return Err(SourceError::NotVideo { path: path.into() });
        }
        let fps = cap.get(videoio::CAP_PROP_FPS).map_err(other)?;
        let fps = if fps.is_finite() && FPS_RANGE.contains(&fps) {
            fps
        } else {
            FALLBACK_FPS
        };
        let n = cap.get(videoio::CAP_PROP_FRAME_COUNT).map_err(other)?;
        let frame_count = (n.is_finite() && n >= 1.0 && n <= MAX_CONTAINER_FRAMES as f64).then_some(n as u64);
        Ok(Self {
            path: path.into(),
            cap,
            still: None,
            info: SourceInfo {
                width,
                height,
                fps,
                frame_count,
            },
            index: 0,
            last_t: None,
            recent_dt: std::collections::VecDeque::with_capacity(RECENT_INTERVALS),
            gaps: Vec::new(),
        })
    }

    fn open_photo(path: &Path, name: &str, other: impl Fn(opencv::Error) -> SourceError) -> Result<Self, SourceError> {
        let image = opencv::imgcodecs::imread(name, opencv::imgcodecs::IMREAD_COLOR).map_err(&other)?;
        if image.empty() || image.cols() <= 0 || image.rows() <= 0 {
            return Err(SourceError::NotImage { path: path.into() });
        }
        Ok(Self {
            path: path.into(),
            cap: videoio::VideoCapture::default().map_err(other)?,
            info: SourceInfo {
                width: image.cols() as u32,
                height: image.rows() as u32,
                fps: FALLBACK_FPS,
                frame_count: Some(PHOTO_FRAMES),
            },
            still: Some(image),
            index: 0,
            last_t: None,
            recent_dt: std::collections::VecDeque::with_capacity(RECENT_INTERVALS),
            gaps: Vec::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the source is a photo delivered as a still clip.
    pub fn is_photo(&self) -> bool {
        self.still.is_some()
    }

    /// Undecodable frames skipped so far, in clip order.
    pub fn decode_gaps(&self) -> &[DecodeGap] {
        &self.gaps
    }

    /// The frame's presentation time (s) from the container, falling back to one frame interval after the previous
    /// frame when the container gives none or a time that does not advance. OpenCV 4.6 gives no time (0) for the
    /// frames the decoder still holds when the file ends (the last 2 of the rendered samples); the interval is then
    /// the median of the recent ones, not 1 / the stated rate: a variable-frame-rate clip states its average rate
    /// (11.3 fps with every 4th frame of 15 dropped), which put the last frames up to 0.04 s late.
    fn frame_time(&self) -> f64 {
        let ms = self.cap.get(videoio::CAP_PROP_POS_MSEC).unwrap_or(f64::NAN);
        let pts = ms / 1000.0;
        match self.last_t {
            None if pts.is_finite() && pts >= 0.0 => pts,
            None => 0.0,
            Some(prev) if pts.is_finite() && pts > prev => pts,
            Some(prev) => prev + self.typical_interval(),
        }
    }

    /// Median of the recent frame intervals, or one frame at the stated rate before there are any.
    fn typical_interval(&self) -> f64 {
        let mut v: Vec<f64> = self.recent_dt.iter().copied().collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(1.0 / self.info.fps)
    }

    /// Reads until a frame decodes; returns the number of failed reads before it, or `None` at the end.
    fn read_good(&mut self, frame: &mut Mat) -> Result<Option<u64>, SourceError> {
        let mut bad = 0;
        while bad < MAX_CONSECUTIVE_BAD_READS {
            // An OpenCV error on one packet is a bad frame like a failed read: skip it.
            let ok = self.cap.read(frame).unwrap_or(false);
            if ok && !frame.empty() {
                return Ok(Some(bad));
            }
            bad += 1;
        }
        Ok(None)
    }

    fn end_of_clip(&self) -> Result<Option<f64>, SourceError> {
        if self.index == 0 {
            return Err(SourceError::NoFrames { path: self.path.clone() });
        }
        if let Some(expected) = self.info.frame_count {
            let seen = self.index + self.gaps.iter().map(|g| g.frames).sum::<u64>();
            let missing = expected.saturating_sub(seen);
            if missing >= TRUNCATION_MIN_MISSING_FRAMES
                && missing as f64 >= TRUNCATION_MIN_MISSING_FRACTION * expected as f64
            {
                return Err(SourceError::Truncated { path: self.path.clone(), decoded: self.index, expected });
            }
        }
        Ok(None)
    }
}

impl FrameSource for VideoFileSource {
    fn info(&self) -> SourceInfo {
        self.info
    }

    fn next_frame(&mut self, frame: &mut Mat) -> Result<Option<f64>, SourceError> {
        if let Some(image) = &self.still {
            if self.index >= PHOTO_FRAMES {
                return Ok(None);
            }
            image.copy_to(frame).map_err(|e| SourceError::Other { path: self.path.clone(), msg: e.to_string() })?;
            let t = self.index as f64 / self.info.fps;
            self.index += 1;
            return Ok(Some(t));
        }
        let Some(bad) = self.read_good(frame)? else {
            return self.end_of_clip();
        };
        let t = self.frame_time();
        if bad > 0 {
            self.gaps.push(DecodeGap { before_t: t, frames: bad });
        }
        if let Some(prev) = self.last_t.filter(|_| bad == 0) {
            if self.recent_dt.len() == RECENT_INTERVALS {
                self.recent_dt.pop_front();
            }
            self.recent_dt.push_back(t - prev);
        }
        self.last_t = Some(t);
        self.index += 1;
        Ok(Some(t))
    }
}

//! Frame sources: a recorded clip read with OpenCV videoio (and, in `live`, a webcam). Every source fills a
//! caller-owned BGR `Mat`, so a frame loop allocates nothing per frame.

use std::path::{Path, PathBuf};

use opencv::core::Mat;
use opencv::prelude::*;
use opencv::videoio;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SourceError {
    #[error("{path}: file not found")]
    NotFound { path: PathBuf },
    #[error("{path}: file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: not a video OpenCV can read (unknown format or corrupt header)")]
    NotVideo { path: PathBuf },
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

/// A clip read with OpenCV videoio (mp4/H.264, avi/MJPG, webm, ...).
pub struct VideoFileSource {
    path: PathBuf,
    cap: videoio::VideoCapture,
    info: SourceInfo,
    index: u64,
}

/// Frame rate assumed when a container does not state one.
const FALLBACK_FPS: f64 = 30.0;
/// Containers' frame counts are estimates (from duration x fps); a clip that ends this many frames short of it
/// (and at least this fraction short) is reported as truncated.
const TRUNCATION_MIN_MISSING_FRAMES: u64 = 3;
const TRUNCATION_MIN_MISSING_FRACTION: f64 = 0.05;

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
        let fps = if fps.is_finite() && fps > 1.0 && fps < 1000.0 {
            fps
        } else {
            FALLBACK_FPS
        };
        let n = cap.get(videoio::CAP_PROP_FRAME_COUNT).map_err(other)?;
        let frame_count = (n.is_finite() && n > 0.0).then_some(n as u64);
        Ok(Self {
            path: path.into(),
            cap,
            info: SourceInfo {
                width,
                height,
                fps,
                frame_count,
            },
            index: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl FrameSource for VideoFileSource {
    fn info(&self) -> SourceInfo {
        self.info
    }

    fn next_frame(&mut self, frame: &mut Mat) -> Result<Option<f64>, SourceError> {
        let ok = self.cap.read(frame).map_err(|e| SourceError::Other {
            path: self.path.clone(),
            msg: e.to_string(),
        })?;
        if !ok || frame.empty() {
            if self.index == 0 {
                return Err(SourceError::NoFrames {
                    path: self.path.clone(),
                });
            }
            if let Some(expected) = self.info.frame_count {
                let missing = expected.saturating_sub(self.index);
                if missing >= TRUNCATION_MIN_MISSING_FRAMES
                    && missing as f64 >= TRUNCATION_MIN_MISSING_FRACTION * expected as f64
                {
                    return Err(SourceError::Truncated {
                        path: self.path.clone(),
                        decoded: self.index,
                        expected,
                    });
                }
            }
            return Ok(None);
        }
        let t = self.index as f64 / self.info.fps;
        self.index += 1;
        Ok(Some(t))
    }
}

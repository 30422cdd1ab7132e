//! Encoding the annotated video: raw BGR frames piped to an `ffmpeg` process (libx264, a fast preset), or OpenCV's
//! VideoWriter when `ffmpeg` is not installed. Also the output-size policy (`--video-size`).
//!
//! Why a pipe to ffmpeg: OpenCV 4.6's writer encodes H.264 with x264's default (medium) preset and ignores
//! OPENCV_FFMPEG_WRITER_OPTIONS for it; at 640x480 that encoder was 28% of the CPU samples of `analyze`, its
//! trellis alone 17% (issue 13). `veryfast` drops trellis and most of the motion search.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::str::FromStr;
use std::thread::JoinHandle;

use opencv::core::{Mat, Size};
use opencv::prelude::*;
use opencv::{imgproc, videoio};
use thiserror::Error;

/// x264 preset: `veryfast` keeps the HUD's text sharp at CRF 23 and costs a fraction of `medium`.
pub const X264_PRESET: &str = "veryfast";
/// x264 constant-rate factor (23 is x264's own default quality).
pub const X264_CRF: &str = "23";
/// How much of ffmpeg's stderr is kept for an error message (bytes).
const STDERR_TAIL: usize = 2000;

#[derive(Debug, Error)]
pub enum EncodeError {
    #[error("{path}: cannot write video: {msg}")]
    Write { path: PathBuf, msg: String },
    #[error("{path}: ffmpeg failed ({status}): {stderr}")]
    Ffmpeg { path: PathBuf, status: String, stderr: String },
    #[error("--video-size {0:?}: expected `source`, a height such as `720` / `720p`, or WIDTHxHEIGHT")]
    BadSize(String),
}

/// Largest size of the annotated video: the frame is scaled down (never up) to fit, keeping its aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoSize {
    /// The source's own size.
    Source,
    /// Fit within `long` x `short` pixels (landscape) or `short` x `long` (portrait).
    Fit { long: u32, short: u32 },
}

impl Default for VideoSize {
    /// 720p: the HUD reads well at that size and x264 encodes it several times faster than 1080p or 4K.
    fn default() -> Self {
        VideoSize::Fit { long: 1280, short: 720 }
    }
}

impl FromStr for VideoSize {
    type Err = EncodeError;
    fn from_str(s: &str) -> Result<Self, EncodeError> {
        let bad = || EncodeError::BadSize(s.into());
        let t = s.trim().to_ascii_lowercase();
        if t == "source" {
            return Ok(VideoSize::Source);
        }
        let num = |v: &str| v.parse::<u32>().ok().filter(|n| (64..=8192).contains(n));
        if let Some((w, h)) = t.split_once('x') {
            let (w, h) = (num(w).ok_or_else(bad)?, num(h).ok_or_else(bad)?);
            return Ok(VideoSize::Fit { long: w.max(h), short: w.min(h) });
        }
        let short = num(t.trim_end_matches('p')).ok_or_else(bad)?;
        Ok(VideoSize::Fit { long: short * 16 / 9, short })
    }
}

impl VideoSize {
    /// The output size for a `width` x `height` source: even dimensions (yuv420p needs them), never larger.
    pub fn output_for(self, width: u32, height: u32) -> (u32, u32) {
        let s = match self {
            VideoSize::Source => 1.0,
            VideoSize::Fit { long, short } => {
                let (l, sh) = (width.max(height) as f64, width.min(height) as f64);
                (long as f64 / l).min(short as f64 / sh).min(1.0)
            }
        };
        let even = |v: u32| ((v as f64 * s).round() as u32 / 2 * 2).max(2);
        (even(width), even(height))
    }
}

/// Resizes `src` into `dst` at `size`; copies when the size is already right. Area averaging (no aliasing) when the
/// frame shrinks by a whole factor (4K -> 720p is 3x), where OpenCV has a fast path for it; bilinear otherwise
/// (1080p -> 720p): OpenCV's area averaging at a fractional factor cost several ms per 1080p frame here.
pub fn resize_into(src: &Mat, dst: &mut Mat, size: (u32, u32)) -> opencv::Result<()> {
    if src.cols() == size.0 as i32 && src.rows() == size.1 as i32 {
        return src.copy_to(dst);
    }
    let whole = src.cols() % size.0 as i32 == 0 && src.rows() % size.1 as i32 == 0;
    let how = if whole { imgproc::INTER_AREA } else { imgproc::INTER_LINEAR };
    imgproc::resize(src, dst, Size::new(size.0 as i32, size.1 as i32), 0.0, 0.0, how)
}

enum Backend {
    Ffmpeg { child: Child, stdin: Option<ChildStdin>, stderr: Option<JoinHandle<String>> },
    OpenCv(videoio::VideoWriter),
}

/// An H.264 (or MPEG-4 part 2, as a last resort) video writer for BGR frames of one fixed size.
pub struct VideoEncoder {
    path: PathBuf,
    size: (u32, u32),
    backend: Backend,
    /// What encodes: "libx264 veryfast (ffmpeg)", "avc1 (OpenCV)" or "mp4v (OpenCV)".
    pub codec: &'static str,
}

impl VideoEncoder {
    /// ffmpeg when it is on PATH, else OpenCV's writer (a note on stderr says so unless `quiet`).
    pub fn create(path: &Path, size: (u32, u32), fps: f64, quiet: bool) -> Result<Self, EncodeError> {
        match spawn_ffmpeg(path, size, fps) {
            Ok(backend) => Ok(Self { path: path.into(), size, backend, codec: "libx264 veryfast (ffmpeg)" }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !quiet {
                    eprintln!(
                        "rollcoach: note: ffmpeg not found, writing {} with OpenCV's slower encoder \
                         (run scripts/setup.sh to install ffmpeg)",
                        path.display()
                    );
                }
                let (writer, codec) = opencv_writer(path, size, fps)?;
                Ok(Self { path: path.into(), size, backend: Backend::OpenCv(writer), codec })
            }
            Err(e) => Err(EncodeError::Write { path: path.into(), msg: format!("cannot start ffmpeg: {e}") }),
        }
    }

    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// Encodes one BGR frame of exactly `size()`.
    pub fn write(&mut self, frame: &Mat) -> Result<(), EncodeError> {
        let err = |msg: String| EncodeError::Write { path: self.path.clone(), msg };
        if (frame.cols() as u32, frame.rows() as u32) != self.size || frame.typ() != opencv::core::CV_8UC3 {
            return Err(err(format!(
                "frame is {}x{} type {}, the video is {}x{} BGR",
                frame.cols(),
                frame.rows(),
                frame.typ(),
                self.size.0,
                self.size.1
            )));
        }
        match &mut self.backend {
            Backend::OpenCv(w) => w.write(frame).map_err(|e| err(e.to_string())),
            Backend::Ffmpeg { stdin, .. } => {
                let bytes = if frame.is_continuous() {
                    frame.data_bytes().map_err(|e| err(e.to_string()))?
                } else {
                    return Err(err("frame is not contiguous in memory".into()));
                };
                let Some(pipe) = stdin.as_mut() else { return Err(err("encoder already finished".into())) };
                match pipe.write_all(bytes) {
                    Ok(()) => Ok(()),
                    // ffmpeg quit: its exit status and message say why.
                    Err(_) => Err(self.fail()),
                }
            }
        }
    }

    /// Closes the stream and waits for the encoder; reports ffmpeg's exit status and the tail of its messages.
    pub fn finish(mut self) -> Result<(), EncodeError> {
        match &mut self.backend {
            Backend::OpenCv(w) => w.release().map_err(|e| EncodeError::Write { path: self.path.clone(), msg: e.to_string() }),
            Backend::Ffmpeg { .. } => match self.wait() {
                (Some(st), _) if st.success() => Ok(()),
                _ => Err(self.fail()),
            },
        }
    }

    /// Closes ffmpeg's input and waits: its exit status (None if waiting failed) and stderr.
    fn wait(&mut self) -> (Option<std::process::ExitStatus>, String) {
        let Backend::Ffmpeg { child, stdin, stderr } = &mut self.backend else { return (None, String::new()) };
        drop(stdin.take());
        let status = child.wait().ok();
        let text = stderr.take().and_then(|h| h.join().ok()).unwrap_or_default();
        (status, text)
    }

    fn fail(&mut self) -> EncodeError {
        let (status, text) = self.wait();
        let status = status.map_or("could not wait for it".into(), |s| s.to_string());
        let tail: String = text.trim().chars().rev().take(STDERR_TAIL).collect::<Vec<_>>().into_iter().rev().collect();
        let stderr = if tail.is_empty() { "no message".into() } else { tail };
        EncodeError::Ffmpeg { path: self.path.clone(), status, stderr }
    }
}

impl Drop for VideoEncoder {
    fn drop(&mut self) {
        if let Backend::Ffmpeg { child, stdin, .. } = &mut self.backend {
            if stdin.take().is_some() {
                let _ = child.wait(); // dropped without finish (an error elsewhere): do not leave a zombie
            }
        }
    }
}

fn spawn_ffmpeg(path: &Path, (w, h): (u32, u32), fps: f64) -> std::io::Result<Backend> {
    let mut child = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
        .args(["-f", "rawvideo", "-pix_fmt", "bgr24", "-s", &format!("{w}x{h}"), "-r", &format!("{fps}")])
        .args(["-i", "-", "-an", "-c:v", "libx264", "-preset", X264_PRESET, "-crf", X264_CRF])
        .args(["-pix_fmt", "yuv420p", "-movflags", "+faststart", "-f", "mp4"])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdin = child.stdin.take();
    let mut err = child.stderr.take();
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(e) = err.as_mut() {
            let _ = e.read_to_string(&mut s);
        }
        s
    });
    Ok(Backend::Ffmpeg { child, stdin, stderr: Some(stderr) })
}

/// OpenCV's writer: H.264 first, then MPEG-4 part 2, which every OpenCV/ffmpeg build has.
fn opencv_writer(path: &Path, (w, h): (u32, u32), fps: f64) -> Result<(videoio::VideoWriter, &'static str), EncodeError> {
    let err = |msg: String| EncodeError::Write { path: path.into(), msg };
    let name = path.to_str().ok_or_else(|| err("path is not UTF-8".into()))?;
    for (codec, cc) in [("avc1 (OpenCV)", ['a', 'v', 'c', '1']), ("mp4v (OpenCV)", ['m', 'p', '4', 'v'])] {
        let fourcc = videoio::VideoWriter::fourcc(cc[0], cc[1], cc[2], cc[3]).map_err(|e| err(e.to_string()))?;
        if let Ok(wr) = videoio::VideoWriter::new(name, fourcc, fps, Size::new(w as i32, h as i32), true) {
            if wr.is_opened().unwrap_or(false) {
                return Ok((wr, codec));
            }
        }
    }
    Err(err("no usable encoder (tried ffmpeg, OpenCV avc1, mp4v)".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_size_caps_at_720p_and_never_upscales() {
        let d = VideoSize::default();
        assert_eq!(d.output_for(1920, 1080), (1280, 720));
        assert_eq!(d.output_for(3840, 2160), (1280, 720));
        assert_eq!(d.output_for(640, 480), (640, 480));
        assert_eq!(d.output_for(1088, 1920), (720, 1270)); // portrait: 720 wide
        assert_eq!(d.output_for(1768, 994), (1280, 720));
        assert_eq!(VideoSize::Source.output_for(767, 575), (766, 574)); // even for yuv420p
    }

    #[test]
    fn sizes_parse() {
        assert_eq!("source".parse::<VideoSize>().unwrap(), VideoSize::Source);
        assert_eq!("1080p".parse::<VideoSize>().unwrap(), VideoSize::Fit { long: 1920, short: 1080 });
        assert_eq!("480".parse::<VideoSize>().unwrap(), VideoSize::Fit { long: 853, short: 480 });
        assert_eq!("640x480".parse::<VideoSize>().unwrap(), VideoSize::Fit { long: 640, short: 480 });
        let e = "huge".parse::<VideoSize>().unwrap_err().to_string();
        assert!(e.contains("--video-size") && e.contains("huge"), "{e}");
    }

    #[test]
    fn ffmpeg_failure_names_the_file_and_says_why() {
        let dir = std::env::temp_dir().join(format!("rc-encode-{}", std::process::id()));
        let path = dir.join("no-such-dir").join("out.mp4");
        let r = VideoEncoder::create(&path, (64, 48), 30.0, true).and_then(|mut enc| {
            let frame = Mat::new_rows_cols_with_default(48, 64, opencv::core::CV_8UC3, 0.0.into()).unwrap();
            (0..200).try_for_each(|_| enc.write(&frame))?;
            enc.finish()
        });
        let e = r.unwrap_err().to_string();
        assert!(e.contains("out.mp4") && e.contains("no-such-dir"), "{e}");
    }
}

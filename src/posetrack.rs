//! Pose tracks in JSON Lines (`rollcoach-poses/2`): the hand-over format between analysis, live sessions and the
//! form engine.
//!
//! ```text
//! {"format":"rollcoach-poses/2","width":640,"height":480,"fps":30.0,"layout":"blazepose33"}
//! {"t":0.0,"keypoints":[[x,y,visibility], ... 33 entries],"world":[[x,y,z], ... 33 entries]}
//! {"t":0.033,"keypoints":[],"roller":[cx,cy,r]}
//! ```
//! Coordinates are image pixels. `keypoints` is empty when no person was found in that frame. `roller` is optional.
//! `world` (new in `/2`, optional) holds the 3-D world landmarks in metres (hip-centred, x right, y down, z away
//! from the camera). Tracks in `rollcoach-poses/1` (no `world`) are still read.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::landmarks::{Keypoint, Pose, RollerObs, ToolKind, WorldLandmarks, LAYOUT_BLAZEPOSE33, NUM_LANDMARKS};

pub const FORMAT: &str = "rollcoach-poses/2";
/// Older format still read: the same lines without `world`.
pub const FORMAT_V1: &str = "rollcoach-poses/1";
/// Frame rates a track (or a clip) may state: the engine sizes its windows from fps, so a header's number is bounded
/// before use. 1000 fps is above any camera rollcoach meets; below 1 fps no motion can be measured.
pub const FPS_RANGE: std::ops::RangeInclusive<f64> = 1.0..=1000.0;
/// Largest frame side in pixels (16K video is 15360 wide).
pub const MAX_FRAME_SIDE: u32 = 16_384;
/// Latest frame time accepted: a week of session, far beyond any real recording; larger times are corrupt numbers.
pub const MAX_TRACK_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

#[derive(Debug, Error)]
pub enum TrackError {
    #[error("{path}: cannot open pose track: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: read error at line {line}: {source}")]
    Read {
        path: PathBuf,
        line: usize,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {msg}")]
    Parse {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    #[error("{path}: empty pose track (no header line)")]
    Empty { path: PathBuf },
    #[error("{path}: write error: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackHeader {
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub layout: String,
}

impl TrackHeader {
    pub fn new(width: u32, height: u32, fps: f64) -> Self {
        Self {
            format: FORMAT.into(),
            width,
            height,
            fps,
            layout: LAYOUT_BLAZEPOSE33.into(),
        }
    }
}

/// One frame of a pose track.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackFrame {
    pub t: f64,
    pub pose: Option<Pose>,
    pub roller: Option<RollerObs>,
}

#[derive(Serialize, Deserialize)]
struct FrameLine {
    t: f64,
    #[serde(default)]
    keypoints: Option<Vec<[f32; 3]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    roller: Option<[f32; 3]>,
    /// The kind of tool (`ball`; absent = roller) and, when seen, its axis end points (a peanut ball's length).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tool: Option<ToolKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    axis: Option<[[f32; 2]; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    world: Option<Vec<[f32; 3]>>,
}

/// Serialises one frame as a single JSON line (no trailing newline).
pub fn frame_to_line(frame: &TrackFrame) -> String {
    let keypoints = Some(match &frame.pose {
        Some(p) => p
            .keypoints
            .iter()
            .map(|k| [round2(k.x), round2(k.y), round3(k.visibility)])
            .collect(),
        None => Vec::new(),
    });
    let roller = frame
        .roller
        .map(|r| [round2(r.cx), round2(r.cy), round2(r.r)]);
    // millimetres are far below the model's accuracy
    let world = frame
        .pose
        .and_then(|p| p.world)
        .map(|w| w.iter().map(|p| p.map(|v| (v * 1000.0).round() / 1000.0)).collect());
    serde_json::to_string(&FrameLine {
        t: (frame.t * 1e4).round() / 1e4,
        keypoints,
        roller,
        tool: frame.roller.map(|r| r.kind).filter(|k| *k != ToolKind::Roller),
        axis: frame.roller.and_then(|r| r.axis).map(|a| a.map(|p| p.map(round2))),
        world,
    })
    .expect("frame lines always serialise")
}

fn round2(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}
fn round3(v: f32) -> f32 {
    (v * 1000.0).round() / 1000.0
}

/// Parses one frame line; `Err` is a message without location.
pub fn parse_frame_line(line: &str) -> Result<TrackFrame, String> {
    let fl: FrameLine =
        serde_json::from_str(line).map_err(|e| format!("not a pose-track frame: {e}"))?;
    if !(fl.t.is_finite() && (0.0..=MAX_TRACK_SECONDS).contains(&fl.t)) {
        return Err(format!("field \"t\" is {}, expected seconds in 0-{MAX_TRACK_SECONDS}", num(fl.t)));
    }
    let pose = match fl.keypoints {
        None => None,
        Some(k) if k.is_empty() => None,
        Some(k) if k.len() != NUM_LANDMARKS => {
            return Err(format!(
                "field \"keypoints\" has {} entries, expected {NUM_LANDMARKS} or 0",
                k.len()
            ))
        }
        Some(k) => {
            let mut pose = Pose::default();
            for (i, [x, y, v]) in k.into_iter().enumerate() {
                if !(x.is_finite() && y.is_finite() && v.is_finite()) {
                    return Err(format!("field \"keypoints\"[{i}] is not finite"));
                }
                if !(0.0..=1.0).contains(&v) {
                    return Err(format!("field \"keypoints\"[{i}] visibility is {v}, expected 0-1"));
                }
                pose.keypoints[i] = Keypoint {
                    x,
                    y,
                    visibility: v,
                };
            }
            pose.score = 1.0;
            pose.world = parse_world(fl.world)?;
            Some(pose)
        }
    };
    if let Some(r) = fl.roller {
        if !(r.iter().all(|v| v.is_finite()) && r[2] > 0.0) {
            return Err(format!("field \"roller\" is {r:?}, expected finite [cx, cy, r] with r > 0"));
        }
    }
    if fl.axis.is_some_and(|a| !a.iter().flatten().all(|v| v.is_finite())) {
        return Err("field \"axis\" is not finite".into());
    }
    let roller = fl.roller.map(|[cx, cy, r]| RollerObs {
        cx,
        cy,
        r,
        confidence: 1.0,
        kind: fl.tool.unwrap_or_default(),
        axis: fl.axis,
        ..Default::default()
    });
    Ok(TrackFrame {
        t: fl.t,
        pose,
        roller,
    })
}

/// A number as a person reads it: huge or tiny magnitudes in exponent form (1e300, not 301 digits).
pub fn num(v: f64) -> String {
    if v != 0.0 && !(1e-3..1e6).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Bounds on a header's size-bearing numbers; `Err` is a message without location.
fn check_header(h: &TrackHeader) -> Result<(), String> {
    if !(h.fps.is_finite() && FPS_RANGE.contains(&h.fps)) {
        return Err(format!("fps is {}, expected {}-{}", num(h.fps), FPS_RANGE.start(), FPS_RANGE.end()));
    }
    for (name, v) in [("width", h.width), ("height", h.height)] {
        if !(1..=MAX_FRAME_SIDE).contains(&v) {
            return Err(format!("{name} is {v}, expected 1-{MAX_FRAME_SIDE} pixels"));
        }
    }
    Ok(())
}

/// The optional `world` field: 33 finite [x, y, z] entries.
fn parse_world(w: Option<Vec<[f32; 3]>>) -> Result<Option<WorldLandmarks>, String> {
    let Some(w) = w else { return Ok(None) };
    if w.len() != NUM_LANDMARKS {
        return Err(format!("field \"world\" has {} entries, expected {NUM_LANDMARKS}", w.len()));
    }
    let mut out = [[0.0f32; 3]; NUM_LANDMARKS];
    for (i, (o, p)) in out.iter_mut().zip(w).enumerate() {
        if !p.iter().all(|v| v.is_finite()) {
            return Err(format!("field \"world\"[{i}] is not finite"));
        }
        *o = p;
    }
    Ok(Some(out))
}

/// A whole pose track in memory.
#[derive(Debug, Clone)]
pub struct PoseTrack {
    pub header: TrackHeader,
    pub frames: Vec<TrackFrame>,
}

impl PoseTrack {
    pub fn read(path: &Path) -> Result<Self, TrackError> {
        let f = File::open(path).map_err(|source| TrackError::Open {
            path: path.into(),
            source,
        })?;
        Self::from_reader(BufReader::new(f), path)
    }

    /// Reads a track; `path` is only used in messages.
    pub fn from_reader(r: impl BufRead, path: &Path) -> Result<Self, TrackError> {
        let mut lines = r.lines().enumerate();
        let header = read_header(&mut lines, path)?;
        let mut frames = Vec::new();
        // A cut-off final line (process killed mid-write) is tolerated; a bad line anywhere else is an error.
        let mut cut_off: Option<(usize, String)> = None;
        for (i, line) in lines {
            let Some(line) = nonblank(line, i, path)? else {
                continue;
            };
            if let Some((line_no, msg)) = cut_off.take() {
                return Err(TrackError::Parse {
                    path: path.into(),
                    line: line_no,
                    msg,
                });
            }
            match parse_frame_line(&line) {
                Ok(f) if frames.last().is_some_and(|p: &TrackFrame| f.t < p.t) => {
                    let prev = frames.last().map_or(0.0, |p| p.t);
                    return Err(TrackError::Parse {
                        path: path.into(),
                        line: i + 1,
                        msg: format!("field \"t\" goes backwards ({} after {prev}); frames must be in time order", f.t),
                    });
                }
                Ok(f) => frames.push(f),
                Err(msg) if !line.trim_end().ends_with('}') => cut_off = Some((i + 1, msg)),
                Err(msg) => {
                    return Err(TrackError::Parse {
                        path: path.into(),
                        line: i + 1,
                        msg,
                    })
                }
            }
        }
        Ok(Self { header, frames })
    }
}

/// Line `i` (0-based) of a track, `None` when blank.
fn nonblank(line: std::io::Result<String>, i: usize, path: &Path) -> Result<Option<String>, TrackError> {
    let line = line.map_err(|source| TrackError::Read { path: path.into(), line: i + 1, source })?;
    Ok((!line.trim().is_empty()).then_some(line))
}

/// Reads the header (the first non-blank line) and checks it.
fn read_header(
    lines: &mut impl Iterator<Item = (usize, std::io::Result<String>)>,
    path: &Path,
) -> Result<TrackHeader, TrackError> {
    loop {
        let Some((i, line)) = lines.next() else {
            return Err(TrackError::Empty { path: path.into() });
        };
        let Some(line) = nonblank(line, i, path)? else {
            continue;
        };
        let h: TrackHeader = serde_json::from_str(&line).map_err(|e| TrackError::Parse {
            path: path.into(),
            line: i + 1,
            msg: format!("not a pose-track header: {e}"),
        })?;
        if h.format != FORMAT && h.format != FORMAT_V1 {
            return Err(TrackError::Parse {
                path: path.into(),
                line: i + 1,
                msg: format!("format is {:?}, expected {FORMAT:?} or {FORMAT_V1:?}", h.format),
            });
        }
        if h.layout != LAYOUT_BLAZEPOSE33 {
            return Err(TrackError::Parse {
                path: path.into(),
                line: i + 1,
                msg: format!(
                    "layout is {:?}, only {LAYOUT_BLAZEPOSE33:?} is supported",
                    h.layout
                ),
            });
        }
        if let Err(msg) = check_header(&h) {
            return Err(TrackError::Parse { path: path.into(), line: i + 1, msg });
        }
        return Ok(h);
    }
}

/// Writes a pose track line by line, flushing so that a killed process loses at most the unflushed tail.
pub struct TrackWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl TrackWriter {
    pub fn create(path: &Path, header: &TrackHeader) -> Result<Self, TrackError> {
        let f = File::create(path).map_err(|source| TrackError::Write {
            path: path.into(),
            source,
        })?;
        let mut w = Self {
            path: path.into(),
            out: BufWriter::new(f),
        };
        let line = serde_json::to_string(header).expect("header serialises");
        w.write_line(&line)?;
        w.flush()?;
        Ok(w)
    }

    pub fn write(&mut self, frame: &TrackFrame) -> Result<(), TrackError> {
        let line = frame_to_line(frame);
        self.write_line(&line)
    }

    fn write_line(&mut self, line: &str) -> Result<(), TrackError> {
        writeln!(self.out, "{line}").map_err(|source| TrackError::Write {
            path: self.path.clone(),
            source,
        })
    }

    pub fn flush(&mut self) -> Result<(), TrackError> {
        self.out.flush().map_err(|source| TrackError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Header line of a 1x1 px, 30 fps track.
    const HEADER: &str = "{\"format\":\"rollcoach-poses/1\",\"width\":1,\"height\":1,\"fps\":30,\"layout\":\"blazepose33\"}\n";

    /// Reading `text` as the track file `name` fails with a message holding `place` (file and line) and `culprit`.
    fn assert_error_names(text: &str, name: &str, place: &str, culprit: &str) {
        let err = PoseTrack::from_reader(text.as_bytes(), Path::new(name)).unwrap_err().to_string();
        assert!(err.contains(place) && err.contains(culprit), "{err}");
    }

    fn sample_pose(offset: f32) -> Pose {
        let mut p = Pose::default();
        for (i, k) in p.keypoints.iter_mut().enumerate() {
            *k = Keypoint {
                x: i as f32 * 3.0 + offset,
                y: 100.0 - i as f32,
                visibility: 0.9,
            };
        }
        p.score = 1.0;
        p
    }

    #[test]
    fn round_trip_keeps_frames() {
        let dir = std::env::temp_dir().join(format!("rc-track-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.jsonl");
        let frames = vec![
            TrackFrame {
                t: 0.0,
                pose: Some(sample_pose(1.0)),
                roller: None,
            },
            TrackFrame {
                t: 0.5,
                pose: None,
                roller: Some(RollerObs {
                    cx: 5.0,
                    cy: 6.0,
                    r: 7.0,
                    confidence: 1.0,
            ..Default::default()
                }),
            },
        ];
        let mut w = TrackWriter::create(&path, &TrackHeader::new(640, 480, 30.0)).unwrap();
        for f in &frames {
            w.write(f).unwrap();
        }
        w.flush().unwrap();
        drop(w);
        let t = PoseTrack::read(&path).unwrap();
        assert_eq!(t.header, TrackHeader::new(640, 480, 30.0));
        assert_eq!(t.frames, frames);
        let first = std::fs::read_to_string(&path).unwrap();
        assert!(first.starts_with(r#"{"format":"rollcoach-poses/2","width":640,"height":480,"fps":30.0,"layout":"blazepose33"}"#));
    }

    #[test]
    fn world_landmarks_round_trip_and_v1_is_read() {
        let mut p = sample_pose(2.0);
        let mut w = [[0.0f32; 3]; NUM_LANDMARKS];
        for (i, q) in w.iter_mut().enumerate() {
            *q = [i as f32 * 0.01, -0.25, 0.5 - i as f32 * 0.002];
        }
        p.world = Some(w);
        let frame = TrackFrame { t: 0.1, pose: Some(p), roller: None };
        let back = parse_frame_line(&frame_to_line(&frame)).unwrap();
        let got = back.pose.unwrap().world.expect("world read back");
        for (g, q) in got.iter().zip(&w) {
            assert!(g.iter().zip(q).all(|(a, b)| (a - b).abs() < 1e-3), "{g:?} vs {q:?}"); // written to the mm
        }
        // a /1 track (no world) is still read
        let v1 = format!("{HEADER}{{\"t\":0,\"keypoints\":[]}}\n");
        let t = PoseTrack::from_reader(v1.as_bytes(), Path::new("v1.jsonl")).unwrap();
        assert_eq!(t.frames.len(), 1);
        // a short world is an error naming the field
        let line = format!("{{\"t\":0,\"keypoints\":{},\"world\":[[0,0,0]]}}", serde_json::to_string(&vec![[1.0f32, 2.0, 0.9]; 33]).unwrap());
        assert!(parse_frame_line(&line).unwrap_err().contains("world"));
    }

    #[test]
    fn bad_line_names_line_and_field() {
        let text = format!("{HEADER}{{\"t\":0,\"keypoints\":[[1,2,3]]}}\n");
        assert_error_names(&text, "x.jsonl", "x.jsonl: line 2", "keypoints");
    }

    #[test]
    fn truncated_last_line_is_tolerated() {
        let text = format!("{HEADER}{{\"t\":0,\"keypoints\":[]}}\n{{\"t\":0.1,\"keyp");
        let t = PoseTrack::from_reader(text.as_bytes(), Path::new("x.jsonl")).unwrap();
        assert_eq!(t.frames.len(), 1);
    }

    #[test]
    fn wrong_format_is_rejected() {
        assert_error_names(&HEADER.replace("rollcoach-poses/1", "other/2"), "y.jsonl", "y.jsonl: line 1", "other/2");
    }
}

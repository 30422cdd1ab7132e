//! A live session on disk, written as it runs so that a crash or `kill -9` loses at most the last second:
//!
//! ```text
//! <sessions-dir>/<YYYYmmdd-HHMMSS>/meta.json     written at start, rewritten at the end (status, duration)
//!                                  poses.jsonl   rollcoach-poses/2 track, one line per processed frame
//!                                  events.jsonl  one JSON object per line: start, progress (every second), cue,
//!                                                exercise switch, camera lost/back, pause/resume, end
//! ```
//! Buffers are flushed to the OS every [`FLUSH_INTERVAL`] (survives a killed process) and fsynced every
//! [`FSYNC_INTERVAL`] (survives most power losses). Times are UTC.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::posetrack::{TrackError, TrackFrame, TrackHeader, TrackWriter};

pub const SESSION_FORMAT: &str = "rollcoach-session/1";
pub const META_FILE: &str = "meta.json";
pub const POSES_FILE: &str = "poses.jsonl";
pub const EVENTS_FILE: &str = "events.jsonl";
/// Longest time written data may sit in a user-space buffer.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(250);
/// Interval between fsyncs of the session files.
pub const FSYNC_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Debug, Error)]
pub enum SessionError {
    #[error("{path}: cannot create session folder: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("{path}: cannot write: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Track(#[from] TrackError),
}

/// `meta.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionMeta {
    pub format: String,
    pub started_unix: f64,
    /// `camera N` or the clip path.
    pub source: String,
    pub exercise: String,
    pub area: String,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    /// `running` until the session ends normally, then `complete`.
    pub status: String,
    #[serde(default)]
    pub duration_s: Option<f64>,
    #[serde(default)]
    pub frames: Option<u64>,
}

/// One line of `events.jsonl`. `t` is session time in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Start {
        t: f64,
        exercise: String,
        area: String,
    },
    /// Every second while coaching: the engine's running totals for the current area.
    Progress {
        t: f64,
        exercise: String,
        area: String,
        time_on_area_s: f64,
        passes: u32,
    },
    Cue {
        t: f64,
        rule: String,
        text: String,
        severity: String,
    },
    Exercise {
        t: f64,
        exercise: String,
        area: String,
    },
    CameraLost {
        t: f64,
        msg: String,
    },
    CameraBack {
        t: f64,
    },
    Paused {
        t: f64,
    },
    Resumed {
        t: f64,
    },
    End {
        t: f64,
    },
}

pub fn unix_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

pub struct SessionWriter {
    dir: PathBuf,
    meta: SessionMeta,
    poses: TrackWriter,
    events: BufWriter<File>,
    events_path: PathBuf,
    last_flush: Instant,
    last_sync: Instant,
    frames: u64,
    last_t: f64,
}

impl SessionWriter {
    /// Creates `<root>/<timestamp>/` (with a `-2`, `-3`... suffix if taken) and its three files.
    pub fn create(root: &Path, meta: SessionMeta) -> Result<Self, SessionError> {
        std::fs::create_dir_all(root).map_err(|source| SessionError::CreateDir { path: root.into(), source })?;
        let stamp = format_stamp(meta.started_unix);
        let mut dir = root.join(&stamp);
        let mut n = 2;
        loop {
            match std::fs::create_dir(&dir) {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    dir = root.join(format!("{stamp}-{n}"));
                    n += 1;
                }
                Err(source) => return Err(SessionError::CreateDir { path: dir, source }),
            }
        }
        write_meta(&dir, &meta)?;
        let poses = TrackWriter::create(&dir.join(POSES_FILE), &TrackHeader::new(meta.width, meta.height, meta.fps))?;
        let events_path = dir.join(EVENTS_FILE);
        let f =
            File::create(&events_path).map_err(|source| SessionError::Write { path: events_path.clone(), source })?;
        let now = Instant::now();
        Ok(Self {
            dir,
            meta,
            poses,
            events: BufWriter::new(f),
            events_path,
            last_flush: now,
            last_sync: now,
            frames: 0,
            last_t: 0.0,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn write_frame(&mut self, f: &TrackFrame) -> Result<(), SessionError> {
        self.poses.write(f)?;
        self.frames += 1;
        self.last_t = self.last_t.max(f.t);
        self.tick()
    }

    pub fn event(&mut self, e: &Event) -> Result<(), SessionError> {
        let line = serde_json::to_string(e).expect("events serialise");
        writeln!(self.events, "{line}")
            .map_err(|source| SessionError::Write { path: self.events_path.clone(), source })?;
        // Cues, camera loss and the like are rare and worth having on disk at once.
        if !matches!(e, Event::Progress { .. }) {
            self.flush()?;
        }
        self.tick()
    }

    /// Flushes and fsyncs when their intervals have passed. Called per frame and per event.
    pub fn tick(&mut self) -> Result<(), SessionError> {
        if self.last_flush.elapsed() >= FLUSH_INTERVAL {
            self.flush()?;
        }
        if self.last_sync.elapsed() >= FSYNC_INTERVAL {
            self.sync()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<(), SessionError> {
        self.poses.flush()?;
        self.events.flush().map_err(|source| SessionError::Write { path: self.events_path.clone(), source })?;
        self.last_flush = Instant::now();
        Ok(())
    }

    fn sync(&mut self) -> Result<(), SessionError> {
        self.flush()?;
        // fsync through a second descriptor: the data is the file's, whichever descriptor wrote it.
        for name in [POSES_FILE, EVENTS_FILE] {
            let p = self.dir.join(name);
            File::open(&p).and_then(|f| f.sync_data()).map_err(|source| SessionError::Write { path: p, source })?;
        }
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Ends the session: `end` event, final meta (status `complete`), fsync.
    pub fn finish(mut self, t_end: f64) -> Result<PathBuf, SessionError> {
        let t = t_end.max(self.last_t);
        self.event(&Event::End { t })?;
        self.meta.status = "complete".into();
        self.meta.duration_s = Some(t);
        self.meta.frames = Some(self.frames);
        write_meta(&self.dir, &self.meta)?;
        self.sync()?;
        Ok(self.dir)
    }
}

fn write_meta(dir: &Path, meta: &SessionMeta) -> Result<(), SessionError> {
    // Write-then-rename so a kill never leaves a half-written meta.json.
    let tmp = dir.join(".meta.json.tmp");
    let path = dir.join(META_FILE);
    let text = serde_json::to_string_pretty(meta).expect("meta serialises");
    std::fs::write(&tmp, text).map_err(|source| SessionError::Write { path: tmp.clone(), source })?;
    std::fs::rename(&tmp, &path).map_err(|source| SessionError::Write { path, source })
}

/// Civil date (year, month 1-12, day 1-31) of a day count since 1970-01-01 (H. Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// ISO 8601 (year, week) of a day count since 1970-01-01.
pub fn iso_week(days: i64) -> (i64, u32) {
    let weekday = (days + 3).rem_euclid(7); // Monday = 0 (1970-01-01 was a Thursday)
    let thursday = days - weekday + 3;
    let (year, _, _) = civil_from_days(thursday);
    let week = (thursday - days_from_civil(year, 1, 1)) / 7 + 1;
    (year, week as u32)
}

/// `YYYYmmdd-HHMMSS` (UTC) of a unix time.
pub fn format_stamp(unix: f64) -> String {
    let secs = unix.max(0.0) as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{y:04}{m:02}{d:02}-{:02}{:02}{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posetrack::PoseTrack;

    #[test]
    fn calendar_and_iso_weeks() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2024, 2, 29), 19782);
        assert_eq!(civil_from_days(19782), (2024, 2, 29));
        // ISO weeks at year boundaries: 2021-01-03 is 2020-W53, 2024-12-30 is 2025-W01, 2023-01-01 is 2022-W52.
        assert_eq!(iso_week(days_from_civil(2021, 1, 3)), (2020, 53));
        assert_eq!(iso_week(days_from_civil(2021, 1, 4)), (2021, 1));
        assert_eq!(iso_week(days_from_civil(2024, 12, 30)), (2025, 1));
        assert_eq!(iso_week(days_from_civil(2023, 1, 1)), (2022, 52));
        assert_eq!(iso_week(days_from_civil(2025, 6, 15)), (2025, 24));
        assert_eq!(format_stamp(1_700_000_000.0), "20231114-221320");
    }

    fn meta(t: f64) -> SessionMeta {
        SessionMeta {
            format: SESSION_FORMAT.into(),
            started_unix: t,
            source: "test".into(),
            exercise: "quads".into(),
            area: "quads".into(),
            width: 64,
            height: 48,
            fps: 30.0,
            status: "running".into(),
            duration_s: None,
            frames: None,
        }
    }

    #[test]
    fn session_files_are_readable_before_and_after_finish() {
        let root = std::env::temp_dir().join(format!("rc-sess-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut w = SessionWriter::create(&root, meta(1_700_000_000.0)).unwrap();
        let w2 = SessionWriter::create(&root, meta(1_700_000_000.0)).unwrap();
        assert!(w2.dir().ends_with("20231114-221320-2"));
        for i in 0..5 {
            w.write_frame(&TrackFrame { t: i as f64 / 30.0, pose: None, roller: None }).unwrap();
        }
        w.event(&Event::Cue { t: 0.1, rule: "too_fast".into(), text: "slower".into(), severity: "warn".into() })
            .unwrap();
        w.flush().unwrap();
        let dir = w.dir().to_path_buf();
        assert_eq!(PoseTrack::read(&dir.join(POSES_FILE)).unwrap().frames.len(), 5);
        let ev = std::fs::read_to_string(dir.join(EVENTS_FILE)).unwrap();
        assert!(ev.contains(r#""kind":"cue""#), "{ev}");
        let m: SessionMeta = serde_json::from_str(&std::fs::read_to_string(dir.join(META_FILE)).unwrap()).unwrap();
        assert_eq!(m.status, "running");
        w.finish(0.2).unwrap();
        let m: SessionMeta = serde_json::from_str(&std::fs::read_to_string(dir.join(META_FILE)).unwrap()).unwrap();
        assert_eq!((m.status.as_str(), m.frames), ("complete", Some(5)));
    }
}

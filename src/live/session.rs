//! A live session on disk, written as it runs so that a crash or `kill -9` loses at most the last second:
//!
//! ```text
//! <sessions-dir>/<YYYYmmdd-HHMMSS>/meta.json     written at start, rewritten at the end (status, duration)
//!                                  poses.jsonl   rollcoach-poses/2 track, one line per processed frame
//!                                  events.jsonl  one JSON object per line: start, progress (every second), cue,
//!                                                exercise switch, camera lost/back, pause/resume, end
//! ```
//! Buffers are flushed to the OS every [`FLUSH_INTERVAL`] (survives a killed process) and fsynced every
//! [`FSYNC_INTERVAL`] (survives most power losses). Folder names are local time; times inside are unix seconds.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::files::{write_file, FileError};
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
    #[error(transparent)]
    Write(#[from] FileError),
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
            File::create(&events_path).map_err(|source| FileError::write(&events_path, source))?;
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
            .map_err(|source| FileError::write(&self.events_path, source))?;
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
        self.events.flush().map_err(|source| FileError::write(&self.events_path, source))?;
        self.last_flush = Instant::now();
        Ok(())
    }

    fn sync(&mut self) -> Result<(), SessionError> {
        self.flush()?;
        // fsync through a second descriptor: the data is the file's, whichever descriptor wrote it.
        for name in [POSES_FILE, EVENTS_FILE] {
            let p = self.dir.join(name);
            File::open(&p).and_then(|f| f.sync_data()).map_err(|source| FileError::write(&p, source))?;
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

/// `meta.json` on disk: the meta plus the id of the process writing the session, so that `history` can tell a
/// session still running from one whose process died.
#[derive(Serialize, Deserialize)]
pub struct MetaFile<M> {
    #[serde(flatten)]
    pub meta: M,
    #[serde(default)]
    pub pid: Option<u32>,
}

fn write_meta(dir: &Path, meta: &SessionMeta) -> Result<(), SessionError> {
    // Write-then-rename so a kill never leaves a half-written meta.json.
    let tmp = dir.join(".meta.json.tmp");
    let path = dir.join(META_FILE);
    let text = serde_json::to_string_pretty(&MetaFile { meta, pid: Some(std::process::id()) }).expect("meta serialises");
    write_file(&tmp, text)?;
    std::fs::rename(&tmp, &path).map_err(|source| FileError::write(&path, source).into())
}

/// `YYYYmmdd-HHMMSS` of a unix time in the given time zone (session folder names use the local zone).
pub fn format_stamp_in(unix: f64, tz: &TimeZone) -> String {
    let ts = Timestamp::from_second(unix.max(0.0) as i64).unwrap_or(Timestamp::UNIX_EPOCH);
    ts.to_zoned_datetime(tz.clone()).strftime(STAMP_FORMAT).to_string()
}

/// `YYYYmmdd-HHMMSS` of a unix time, local time.
pub fn format_stamp(unix: f64) -> String {
    format_stamp_in(unix, &TimeZone::system())
}

/// Unix time of a `YYYYmmdd-HHMMSS` stamp read in the given time zone.
pub fn parse_stamp_in(stamp: &str, tz: &TimeZone) -> Option<f64> {
    let dt = jiff::civil::DateTime::strptime(STAMP_FORMAT, stamp).ok()?;
    Some(dt.to_zoned_datetime(tz.clone()).ok()?.timestamp().as_second() as f64)
}

/// ISO 8601 (year, week) of a unix time in the given time zone.
pub fn iso_week_in(unix: f64, tz: &TimeZone) -> (i64, u32) {
    let ts = Timestamp::from_second(unix as i64).unwrap_or(Timestamp::UNIX_EPOCH);
    let w = ts.to_zoned_datetime(tz.clone()).date().iso_week_date();
    (i64::from(w.year()), w.week() as u32)
}

const STAMP_FORMAT: &str = "%Y%m%d-%H%M%S";

/// Where sessions are kept: `$ROLLCOACH_SESSIONS` (handled by the command line), else
/// `$XDG_DATA_HOME/rollcoach/sessions`, else `~/.local/share/rollcoach/sessions` (the XDG base directory default),
/// else `./sessions` when there is no home folder at all.
pub fn default_sessions_dir() -> PathBuf {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let data = nonempty("XDG_DATA_HOME").filter(|p| p.is_absolute());
    match (data, nonempty("HOME")) {
        (Some(d), _) => d.join("rollcoach").join("sessions"),
        (None, Some(h)) => h.join(".local/share/rollcoach/sessions"),
        (None, None) => PathBuf::from("sessions"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posetrack::PoseTrack;

    #[test]
    fn stamps_and_iso_weeks_follow_the_time_zone() {
        let utc = TimeZone::UTC;
        let day = |s: &str| parse_stamp_in(&format!("{s}-120000"), &utc).unwrap();
        // ISO weeks at year boundaries: 2021-01-03 is 2020-W53, 2024-12-30 is 2025-W01, 2023-01-01 is 2022-W52.
        assert_eq!(iso_week_in(day("20210103"), &utc), (2020, 53));
        assert_eq!(iso_week_in(day("20210104"), &utc), (2021, 1));
        assert_eq!(iso_week_in(day("20241230"), &utc), (2025, 1));
        assert_eq!(iso_week_in(day("20230101"), &utc), (2022, 52));
        assert_eq!(format_stamp_in(1_700_000_000.0, &utc), "20231114-221320");
        assert_eq!(parse_stamp_in("20231114-221320", &utc), Some(1_700_000_000.0));
        // Sunday 23:30 UTC is already Monday (next ISO week) in Berlin.
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let sunday_late = parse_stamp_in("20250615-233000", &utc).unwrap();
        assert_eq!((iso_week_in(sunday_late, &utc), iso_week_in(sunday_late, &berlin)), ((2025, 24), (2025, 25)));
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
        let stamp = format_stamp(1_700_000_000.0);
        assert!(w2.dir().ends_with(format!("{stamp}-2")));
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

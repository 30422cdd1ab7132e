//! `rollcoach report`: the HTML report page of an analysis (`STEM.report.json`) or of a live session folder.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::coach::{self, default_exercises_dir, EngineConfig};
use crate::live::run::LiveStats;
use crate::live::session::{META_FILE, POSES_FILE};
use crate::posetrack::PoseTrack;
use crate::report::{InputInfo, PoseSummary, Report};
use crate::report_html;
use crate::routine::{default_routines_dir, Routine, RoutineRun};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  rollcoach report out/quads_knee.report.json --html out/quads_knee.html\n  \
rollcoach report sessions/20250609-080000\n\n\
A session folder (or its meta.json) is analysed from its pose track first: report.json and metrics.csv are written \
into it. The page is one HTML file with everything inline (no network).")]
pub struct ReportArgs {
    /// `STEM.report.json` written by `rollcoach analyze`, or a live session folder (or its meta.json).
    #[arg(value_name = "SESSION_OR_REPORT.json")]
    pub input: PathBuf,
    /// Where to write the page; default: `STEM.report.html` beside the report.
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
    /// Folder of exercise definition files (TOML); default: `exercises/` of the rollcoach checkout.
    #[arg(long, value_name = "DIR")]
    pub exercises_dir: Option<PathBuf>,
}

pub fn run(a: ReportArgs) -> Result<()> {
    if !a.input.exists() {
        bail!("{}: file not found", a.input.display());
    }
    let exercises_dir = a.exercises_dir.unwrap_or_else(default_exercises_dir);
    let session_dir = if a.input.is_dir() {
        Some(a.input.clone())
    } else if a.input.file_name().is_some_and(|n| n == META_FILE) {
        a.input.parent().map(Path::to_path_buf)
    } else {
        None
    };
    let report_json = match session_dir {
        Some(dir) => session_report(&dir, &exercises_dir)?,
        None => a.input.clone(),
    };
    let page = report_html::write_report_page(&report_json, a.html.as_deref(), &exercises_dir)?;
    println!("report page: {}", page.path.display());
    page.notes.iter().for_each(|n| println!("note: {n}"));
    Ok(())
}

/// Runs the form engine over a session's pose track and writes `report.json` and `metrics.csv` into the folder.
pub fn session_report(dir: &Path, exercises_dir: &Path) -> Result<PathBuf> {
    let poses = dir.join(POSES_FILE);
    if !poses.is_file() {
        bail!("{}: not a session folder (no {POSES_FILE})", dir.display());
    }
    let track = PoseTrack::read(&poses)?;
    let analysis =
        coach::analyze_track(&track, EngineConfig::new(exercises_dir)).context("coaching the session's pose track")?;
    let pose = PoseSummary::of("live session (pose track)".into(), &track.frames);
    let input = InputInfo::new("pose-track", &poses, &track.header, &track.frames, &[]);
    let mut report = Report::new(input, pose, &track.frames, &analysis.report)?;
    report_html::add_sides(&mut report.coaching, &track.frames, &analysis.metrics, exercises_dir)?;
    let json = dir.join("report.json");
    report.write(&json)?;
    use crate::coach::report::ReportSink;
    crate::coach::report::CsvSink { path: report_html::data::metrics_path(&json) }.write(&analysis)?;
    Ok(json)
}

/// `live --routine NAME`: the routine checked against the exercises, ready to run.
pub fn routine_for(name: Option<&str>, dir: Option<&Path>, exercises_dir: &Path) -> Result<Option<RoutineRun>> {
    let Some(name) = name else { return Ok(None) };
    let exercises = coach::load_dir(exercises_dir).context("loading exercises")?;
    let ids: Vec<&str> = exercises.iter().map(|e| e.id.as_str()).collect();
    let dir = dir.map_or_else(default_routines_dir, Path::to_path_buf);
    let routine = Routine::load_named(&dir, name, &ids)?;
    let names = |id: &str| exercises.iter().find(|e| e.id == id).map_or(id.to_string(), |e| e.name.clone());
    Ok(Some(RoutineRun::new(routine, names)))
}

/// After a live session: done vs planned of the routine (`routine.json`), and the session's report page. The
/// session is already safely on disk; a page that cannot be made is reported, not an error of the session.
pub fn after_live(stats: &LiveStats, exercises_dir: &Path, quiet: bool) -> Result<()> {
    let Some(dir) = &stats.session_dir else { return Ok(()) };
    if let Some(r) = &stats.routine {
        r.write(dir)?;
        print!("{}", r.summary());
    }
    let page = session_report(dir, exercises_dir)
        .and_then(|json| Ok(report_html::write_report_page(&json, None, exercises_dir)?));
    match page {
        Ok(page) if !quiet => {
            println!("report page: {}", page.path.display());
            page.notes.iter().for_each(|n| println!("note: {n}"));
        }
        Ok(_) => {}
        Err(e) => eprintln!("rollcoach: the session's report page was not written: {e:#}"),
    }
    Ok(())
}

//! `rollcoach exercises`: lists the exercises (data files in `exercises/`) and their rules with sources.

use std::io::Write;

use anyhow::{Context, Result};

use super::options::ExercisesDirOption;
use crate::coach::{self, Exercise, PostureKind};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  rollcoach exercises\n  rollcoach exercises quads\n  rollcoach exercises --exercises-dir my-exercises\n\n\
Each exercise is a TOML file in the exercises folder; edit one or add your own (format: docs/engine.md)."
)]
pub struct ExercisesArgs {
    /// Show only this exercise (by id).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub exercises: ExercisesDirOption,
    /// Also print the source of every rule and threshold.
    #[arg(long, short)]
    pub verbose: bool,
}

fn landmark_names(kind: &PostureKind, ex: &Exercise) -> String {
    let _ = ex;
    match kind {
        PostureKind::MinHeight {
            min_cm,
            reference: None,
            ..
        } => format!("landmark at least {min_cm:.0} cm above the floor"),
        PostureKind::MinHeight {
            min_cm,
            reference: Some(_),
            ..
        } => {
            format!("landmark at least {min_cm:.0} cm above the reference landmark")
        }
        PostureKind::Straight { max_bend_deg, .. } => {
            format!("chain bent at most {max_bend_deg:.0} deg")
        }
        PostureKind::Near { max_torso_frac, .. } => {
            format!("hand within {max_torso_frac:.2} x torso length of the head")
        }
    }
}

/// One line, then its source when `verbose`.
fn sourced(out: &mut dyn Write, verbose: bool, line: &str, source: &str) -> std::io::Result<()> {
    writeln!(out, "{line}")?;
    if verbose {
        writeln!(out, "    source: {source}")?;
    }
    Ok(())
}

fn print_exercise(out: &mut dyn Write, ex: &Exercise, verbose: bool) -> std::io::Result<()> {
    writeln!(out, "{} - {} [{}]", ex.id, ex.name, ex.tool.as_str())?;
    if !ex.description.is_empty() {
        writeln!(out, "  {}", ex.description)?;
    }
    let (seg, reg) = (&ex.segment, &ex.region);
    sourced(
        out,
        verbose,
        &format!(
            "  segment: {} ({} -> {}), roll {:.2}..{:.2} of it",
            seg.name, seg.from_name, seg.to_name, reg.start, reg.end
        ),
        &reg.advice.source,
    )?;
    match &ex.recognize {
        Some(r) => writeln!(
            out,
            "  recognised when: {} with the {} {} the {} at {:.2}..{:.2}",
            r.orientation.iter().map(|o| o.as_str()).collect::<Vec<_>>().join("/"),
            ex.tool.as_str(),
            if ex.support == coach::ball::Support::Wall { "against the wall behind" } else { "under" },
            ex.segment.name,
            r.contact.0,
            r.contact.1
        )?,
        None => writeln!(out, "  not auto-recognised: use --exercise {}", ex.id)?,
    }
    print_cautions(out, ex, verbose)?;
    print_thresholds(out, ex, verbose)?;
    writeln!(out, "  file: {}", ex.path.display())
}

/// The warning, keep-out zones, spine check and posture rules, each with its cue.
fn print_cautions(out: &mut dyn Write, ex: &Exercise, verbose: bool) -> std::io::Result<()> {
    if let Some(a) = &ex.avoid {
        sourced(out, verbose, &format!("  WARNING [{}] {}", a.rule.as_str(), a.advice.message), &a.advice.source)?;
    }
    for z in &ex.keep_out {
        let line = format!("  keep out [keep_out]: {} ({:.2}..{:.2}), cue \"{}\"", z.name, z.start, z.end, z.advice.cue);
        sourced(out, verbose, &line, &z.advice.source)?;
    }
    if let Some(s) = &ex.spine {
        let line = format!(
            "  keep out [keep_out]: spine (body square on the ball: rolled under {:.0} deg), cue \"{}\"",
            s.min_roll_deg, s.advice.cue
        );
        sourced(out, verbose, &line, &s.advice.source)?;
    }
    for p in &ex.posture {
        let (rule, advice) = (p.fault.rule, &p.fault.advice);
        let line = format!("  posture [{}]: {}, cue \"{}\"", rule.as_str(), landmark_names(&p.kind, ex), advice.cue);
        sourced(out, verbose, &line, &advice.source)?;
    }
    Ok(())
}

/// Speed, time-on-area and hold thresholds, with their sources when verbose.
fn print_thresholds(out: &mut dyn Write, ex: &Exercise, verbose: bool) -> std::io::Result<()> {
    let t = &ex.thresholds;
    writeln!(
        out,
        "  speed: under {:.0} cm/s [too_fast] (ideal about {:.1}); time on area {:.0}-{:.0} s; tender-spot holds {:.0}-{:.0} s",
        t.max_speed_cm_s, t.target_speed_cm_s, t.time_on_area_s.0, t.time_on_area_s.1, t.hold_s.0, t.hold_s.1
    )?;
    if verbose {
        for s in [
            &t.max_speed_source,
            &t.target_speed_source,
            &t.time_on_area_source,
            &t.hold_source,
        ] {
            writeln!(out, "    source: {s}")?;
        }
    }
    Ok(())
}

pub fn run(a: ExercisesArgs) -> Result<()> {
    let dir = a.exercises.dir();
    let all = coach::load_dir(&dir).with_context(|| format!("loading exercises from {}", dir.display()))?;
    let chosen: Vec<&Exercise> = match &a.name {
        None => all.iter().collect(),
        Some(n) => {
            let ex = all.iter().find(|e| &e.id == n).with_context(|| {
                format!(
                    "unknown exercise {n:?}; known: {}",
                    all.iter().map(|e| e.id.as_str()).collect::<Vec<_>>().join(", ")
                )
            })?;
            vec![ex]
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (i, ex) in chosen.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        print_exercise(&mut out, ex, a.verbose || a.name.is_some())?;
    }
    Ok(())
}

//! `rollcoach` command line: a thin layer over the library. Arguments are parsed and validated into a plan in each
//! subcommand's module before anything runs; errors are reported once, here, with their context.

use clap::{Parser, Subcommand};
use rollcoach::app;

#[derive(Parser)]
#[command(
    name = "rollcoach",
    version,
    about = "Foam-roller form coach: watches you roll and coaches technique"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse a recorded clip (or a pose track) and write an annotated video, pose track and reports.
    Analyze(app::analyze::AnalyzeArgs),
    /// Coach live from a webcam (or a clip played in real time with --source).
    Live(app::live::LiveArgs),
    /// List cameras.
    Devices(app::live::DevicesArgs),
    /// List past live sessions with totals per area and per week.
    History(app::live::HistoryArgs),
    /// List the exercises and their rules.
    Exercises(app::exercises::ExercisesArgs),
    /// Write the HTML report page of an analysis or a live session.
    Report(app::report::ReportArgs),
    /// Measure model and end-to-end speed on a clip.
    Bench(app::bench::BenchArgs),
    /// Write a synthetic pose track (body rolling over a roller, injected faults) and its truth file.
    Synth(app::synth::SynthArgs),
}

fn main() {
    // Bad input is reported once, by us; silence the decoder libraries' own console chatter about it.
    if std::env::var_os("OPENCV_FFMPEG_LOGLEVEL").is_none() {
        std::env::set_var("OPENCV_FFMPEG_LOGLEVEL", "-8");
    }
    let _ = opencv::core::set_log_level(opencv::core::LogLevel::LOG_LEVEL_SILENT);
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(a) => app::analyze::run(a),
        Command::Live(a) => app::live::run(a),
        Command::Devices(a) => app::live::devices(a),
        Command::History(a) => app::live::history(a),
        Command::Exercises(a) => app::exercises::run(a),
        Command::Report(a) => app::report::run(a),
        Command::Bench(a) => app::bench::run(a),
        Command::Synth(a) => app::synth::run(a),
    };
    if let Err(e) = result {
        eprintln!("rollcoach: error: {e:#}");
        std::process::exit(1);
    }
}

//! One module per subcommand: argument structs (clap) and the `run` that turns them into a validated plan.
pub mod analyze;
pub mod options;
pub mod bench;
pub mod exercises;
pub mod live;
pub mod report;
pub mod synth;

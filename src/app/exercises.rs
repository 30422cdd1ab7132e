// OWNER: form-engine helper. Placeholder until it lands.
#[derive(clap::Args, Debug)]
pub struct ExercisesArgs {}
pub fn run(_a: ExercisesArgs) -> anyhow::Result<()> { anyhow::bail!("`exercises` is not built yet") }

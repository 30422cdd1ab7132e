#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {}
pub fn run(_a: AnalyzeArgs) -> anyhow::Result<()> { anyhow::bail!("`analyze` is not built yet") }

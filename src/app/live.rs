// OWNER: live helper. Placeholder until it lands.
#[derive(clap::Args, Debug)]
pub struct LiveArgs {}
#[derive(clap::Args, Debug)]
pub struct DevicesArgs {}
#[derive(clap::Args, Debug)]
pub struct HistoryArgs {}
pub fn run(_a: LiveArgs) -> anyhow::Result<()> { anyhow::bail!("`live` is not built yet") }
pub fn devices(_a: DevicesArgs) -> anyhow::Result<()> { anyhow::bail!("`devices` is not built yet") }
pub fn history(_a: HistoryArgs) -> anyhow::Result<()> { anyhow::bail!("`history` is not built yet") }

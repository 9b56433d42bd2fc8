//! TEMPORARY placeholder until the generator lands (replaced by gen.rs).
#[derive(Debug)]
pub struct GenOptions { pub members: usize, pub facilities: usize, pub offices: Option<usize>, pub seed: u64, pub today: chrono::NaiveDate }
#[derive(Debug, serde::Serialize)]
pub struct GenSummary {}
pub fn generate(_o: &GenOptions, _p: &std::path::Path) -> anyhow::Result<GenSummary> { anyhow::bail!("placeholder") }

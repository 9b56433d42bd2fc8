//! The `anjungan-hub` binary: the hub a branch, or BPJS nationally, runs (`serve`), and its
//! operator commands (`keygen`, `import`, `requests`, `fleet`).

use std::process::ExitCode;

use anjungan_hub::cli::HubArgs;
use clap::Parser;

/// Anjungan hub: serves signed data to kiosks, takes and decides their requests, watches
/// the fleet.
#[derive(Debug, Parser)]
#[command(name = "anjungan-hub", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    hub: HubArgs,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return anjungan_core::cli::usage_error(e),
    };
    // Logs go to stderr, with long digit runs masked: no NIK or card in the journal.
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(anjungan_core::logmask::Masked(std::io::stderr))
                .with_filter(
                    tracing_subscriber::EnvFilter::try_from_env("ANJUNGAN_LOG")
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
                ),
        )
        .init();
    let json = cli.hub.json();
    anjungan_core::cli::finish(json, anjungan_hub::cli::run(&cli.hub))
}

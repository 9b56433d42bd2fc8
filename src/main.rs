//! The `anjungan` binary: the kiosk, its tools and its simulators behind one command.

// `out!`, `outln!` and `errln!` (print through `anjungan_core::cli::stdio`, surviving a
// closed pipe) are core's, shared with the hub's binary.
#[macro_use]
extern crate anjungan_core;

mod cli;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => return cli::usage_error(e),
    };
    // Logs go to stderr so `--json` output on stdout stays one clean document, with long
    // digit runs masked; the diagnostics screen reads the last lines from memory (info and
    // up).
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                // Masked like the diagnostics log view: no NIK in the journal either.
                .with_writer(anjungan::diag::logbuf::Masked(std::io::stderr))
                .with_filter(
                    tracing_subscriber::EnvFilter::try_from_env("ANJUNGAN_LOG")
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
                ),
        )
        .with(
            anjungan::diag::logbuf::layer().with_filter(tracing_subscriber::EnvFilter::new(
                anjungan::diag::logbuf::FILTER,
            )),
        )
        .init();
    cli::run(args)
}

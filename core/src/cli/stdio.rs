//! Writing to stdout and stderr when the reader may have gone away.
//!
//! `println!` panics (exit 101) when stdout is a pipe whose reader closed early, as in
//! `anjungan gen-dataset … | head -1`. Every line the CLI prints goes through [`write_out`]
//! instead: a closed pipe (EPIPE) ends the process quietly with status 141, the status a
//! shell reports for a command killed by SIGPIPE, so `set -o pipefail` scripts still see that
//! the output was cut short; any other write error (e.g. a full disk) exits 1 with a line on
//! stderr. Nothing is half-committed by this: output is written after the command's work.

use std::io::{self, Write};

/// The exit status when stdout's reader went away (128 + SIGPIPE).
pub const EXIT_BROKEN_PIPE: i32 = 141;

/// Writes to stdout and flushes; see the module docs for what a failure does.
pub fn write_out(args: std::fmt::Arguments<'_>) {
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        drop(out);
        failed("stdout", &e);
    }
}

/// Writes to stderr; a stderr that is gone is ignored, as there is nowhere left to say so.
pub fn write_err(args: std::fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    if let Err(e) = err.write_fmt(args).and_then(|()| err.flush())
        && e.kind() == io::ErrorKind::BrokenPipe
    {
        std::process::exit(EXIT_BROKEN_PIPE);
    }
}

fn failed(what: &str, e: &io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(EXIT_BROKEN_PIPE);
    }
    let _ = writeln!(io::stderr(), "OUTPUT_FAILED: cannot write to {what}: {e}");
    std::process::exit(1);
}

//! The `pipecalc` command: parse the arguments, run, print the text or the
//! error chain, and exit with the command's [`ExitStatus`].

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use pipecalc::commands::ExitStatus;

fn main() -> ExitCode {
    // Usage errors exit 2 through clap; --help and --version exit 0.
    let outcome = cli::run(cli::Cli::parse());
    if outcome.error.is_some() {
        // A failure an interrupt caused is the interrupt's to report (130).
        pipecalc::interrupt::yield_to_interrupt();
    }
    let mut status = outcome.status;
    let mut stdout = std::io::stdout().lock();
    // Whatever a scenario or a log put in the text is shown, not obeyed.
    let text = pipecalc::text::printable_lines(&outcome.text);
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    drop(stdout);
    if let Err(error) = written {
        // A closed pipe (`| head`) is not an error worth a message.
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(std::io::stderr(), "error: cannot write the output: {error}");
            status = ExitStatus::Error;
        }
    }
    if let Some(error) = outcome.error {
        // The chain, never a backtrace, whatever RUST_BACKTRACE says; a
        // scenario error in its own `file:line:col: error:` form.
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}",
            pipecalc::text::printable_lines(&pipecalc::commands::worded(&error))
        );
        // A check that did not pass keeps its own code (3).
        if status == ExitStatus::Success {
            status = ExitStatus::Error;
        }
    }
    ExitCode::from(status as u8)
}

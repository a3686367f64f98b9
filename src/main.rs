//! The `pipecalc` command: parse the arguments, run, print the text or the
//! error chain, and exit with the command's [`ExitStatus`].

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use pipecalc::commands::ExitStatus;

fn main() -> ExitCode {
    // Usage errors exit 2 through clap; --help and --version exit 0.
    let status = match cli::run(cli::Cli::parse()) {
        Ok((text, status)) => match std::io::stdout().lock().write_all(text.as_bytes()) {
            Ok(()) => status,
            // A closed pipe (`| head`) is not an error worth a message.
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => status,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "error: cannot write the output: {error}");
                ExitStatus::Error
            }
        },
        Err(error) => {
            // The chain, never a backtrace, whatever RUST_BACKTRACE says.
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {error}");
            for cause in error.chain().skip(1) {
                let _ = writeln!(stderr, "caused by: {cause}");
            }
            ExitStatus::Error
        }
    };
    ExitCode::from(status as u8)
}

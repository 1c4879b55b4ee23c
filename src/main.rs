//! The `tocsin` command line: the headless face of the core, for scripts, tests and terminals.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tocsin: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run()) {
        Ok(code) => code,
        Err(e) => {
            // One line a script can show as is; the code lets it branch. Messages quote input
            // (a file's ids, a provider's text), so control characters are made harmless.
            eprintln!("tocsin: {} [{}]", cli::clean(&e.to_string()), e.code());
            ExitCode::FAILURE
        }
    }
}

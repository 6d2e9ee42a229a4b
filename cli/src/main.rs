//! `grind`: solve, verify, mint and check proof-of-work challenges.
//!
//! Exit codes: 0 success / valid; 1 no solution (timeout, exhausted) or invalid solution;
//! 2 bad input (unusable arguments, challenge, stamp or JSON).

#![forbid(unsafe_code)]

mod cmd;
mod human;
mod spentdb;
mod tune;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: the server's request path (`serve`, `gate`)
/// allocates per request, and glibc's malloc/free took about a tenth of its CPU under load.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Grindstone's proof-of-work solver and verifier.
#[derive(Parser)]
#[command(name = "grind", version, about, long_about = None)]
#[command(after_help = "Exit codes: 0 ok/valid, 1 no solution or invalid, 2 bad input.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Solve a challenge: `--salt S --difficulty D`, or a captcha-mcp challenge JSON.
    Solve(cmd::solve::Args),
    /// Verify a solution (exit 0 valid, 1 invalid, 2 bad input).
    Verify(cmd::verify::Args),
    /// Mint hashcash version-1 stamps (like `hashcash -m`).
    Mint(cmd::hashcash::MintArgs),
    /// Check hashcash stamps (like `hashcash -c`).
    Check(cmd::hashcash::CheckArgs),
    /// Run the verify endpoint, the HTTP API and the MCP tools (`--stdio` for MCP over stdio).
    Serve(cmd::serve::ServeArgs),
    /// Put a proof-of-work gate in front of an MCP server (a Streamable HTTP proxy).
    Gate(cmd::serve::GateProxyArgs),
    /// List the challenge schemes.
    Schemes,
    /// What each difficulty costs in solve time, here and for reference clients.
    Tune(cmd::tune::Args),
    /// Show CPU features and the backend that would run.
    Info(cmd::info::Args),
    /// Measure the hash rate of a backend on a fixed job.
    Bench(cmd::bench::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // A value its parser refused (`--scheme bogus`): one line, the parser's reason,
        // like every other bad input. Usage errors, help and version print as clap has them.
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::ValueValidation | ErrorKind::InvalidValue
            ) =>
        {
            let text = e.render().to_string();
            let line = text.lines().next().unwrap_or_default();
            eprintln!("grind: {}", line.strip_prefix("error: ").unwrap_or(line));
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    let r = match cli.command {
        Command::Solve(a) => cmd::solve::run(a),
        Command::Verify(a) => cmd::verify::run(a),
        Command::Mint(a) => cmd::hashcash::mint(a),
        Command::Check(a) => cmd::hashcash::check(a),
        Command::Serve(a) => cmd::serve::serve(a),
        Command::Gate(a) => cmd::serve::gate(a),
        Command::Schemes => {
            for s in grindstone::core::schemes::Scheme::ALL {
                println!("{:<12} {}", s.name(), s.about());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Tune(a) => cmd::tune::run(a),
        Command::Info(a) => cmd::info::run(a),
        Command::Bench(a) => cmd::bench::run(a),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("grind: {:#}", e.error);
            ExitCode::from(e.code)
        }
    }
}

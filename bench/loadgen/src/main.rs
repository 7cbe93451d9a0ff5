//! `loadgen`: a load client for the lunette binary (see `bench/binary.sh`), and the floor
//! server its round trips are compared with.
//!
//! It runs on one thread (a current-thread tokio runtime) so that on a small machine it takes
//! at most one core from the server it measures; every report says how busy that core was.

mod cli;
mod cpu;
mod floor;
mod http1;
mod idle;
mod roundtrip;
mod session;
mod sessions;
mod stall;
mod stats;
mod target;
mod ws;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// Any failure, reported as text: a load client only needs to say what went wrong.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("loadgen: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Sessions(args) => sessions::run(args).await,
            Command::Roundtrip(args) => roundtrip::run(args).await,
            Command::Idle(args) => idle::run(args).await,
            Command::Stall(args) => stall::run(args).await,
            Command::Floor(args) => floor::run(args).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("loadgen: {error}");
            ExitCode::FAILURE
        }
    }
}

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ecr_scan_gate::cli::Cli::parse();
    ecr_scan_gate::app::run(cli)
}

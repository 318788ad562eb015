//! The provider binary. Terraform starts it with its handshake environment;
//! everything else happens in `protocol::serve`.
//!
//! `terraform-provider-ecs [--debug] [--version]`

use clap::Parser;
use std::process::ExitCode;
use terraform_provider_ecs::{protocol, resources};

/// Terraform provider for Alibaba Cloud ECS instances. Terraform runs this
/// program itself; run it by hand only with --debug.
#[derive(Parser)]
#[command(name = "terraform-provider-ecs", version)]
struct Args {
    /// Serve for a Terraform started by hand: prints the
    /// TF_REATTACH_PROVIDERS value to export, and serves until Ctrl-C.
    #[arg(long)]
    debug: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    protocol::log::init();
    let provider = resources::provider();
    protocol::run(provider, protocol::ServeOptions { debug: args.debug })
}

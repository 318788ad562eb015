//! The provider binary. Terraform starts it with its handshake environment;
//! everything else happens in `protocol::serve`.
//!
//! `terraform-provider-ecs [--debug] [--version] [--help]`
//!
//! Arguments are parsed by hand: three flags do not justify an argument
//! parser's code in a process whose start-up time and memory Terraform pays
//! for on every run.

use std::process::ExitCode;
use terraform_provider_ecs::{protocol, resources};

const USAGE: &str = "\
Terraform provider for Alibaba Cloud ECS instances.

Terraform runs this program itself. Run it by hand only to debug it.

Usage: terraform-provider-ecs [--debug] [--version] [--help]

  --debug    serve for a Terraform (or OpenTofu) started by hand: prints
             the TF_REATTACH_PROVIDERS value to export, and serves until
             Ctrl-C
  --version  print the version
  --help     print this help";

fn main() -> ExitCode {
    let mut debug = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--debug" | "-debug" => debug = true,
            "--version" | "-version" | "-V" => {
                println!("terraform-provider-ecs {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "--help" | "-help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("terraform-provider-ecs: unknown argument {other:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    protocol::log::init();
    let provider = resources::provider();
    let options = protocol::ServeOptions {
        debug,
        source_address: resources::SOURCE_ADDRESS.to_string(),
    };
    protocol::run(provider, options)
}

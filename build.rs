//! Compiles `proto/*.proto` into Rust at build time.
//!
//! `protox` parses the files in pure Rust, so building needs no system
//! `protoc`; `tonic-prost-build` then writes the messages and the gRPC
//! service traits into `OUT_DIR`, where `src/protocol/proto.rs` includes them.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = ["proto/tfplugin5.proto", "proto/go_plugin.proto"];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        // Clients are generated too: the Terraform-like test client and the
        // handshake benchmark include them; the library never uses them.
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}

//! Integration tests of the ECS emulator, one binary (faster to link),
//! one module per concern. Each test starts its own in-process emulator on
//! a free loopback port and talks to it over HTTP with V1/V3 signatures.

mod emulator_tests {
    mod admin;
    mod auth;
    mod catalog;
    mod client;
    mod faults;
    mod idempotence;
    mod in_place;
    mod lifecycle;
    mod modify;
    mod network;
    mod persistence;
    mod prepay;
    pub mod support;
    mod tags;
}

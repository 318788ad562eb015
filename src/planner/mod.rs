//! The planner/sequencer: given what an instance is now and what the
//! configuration wants, the ordered steps that get there within the rules of
//! ModifyInstanceSpec. Pure functions: no async, no I/O, no clock (the caller
//! passes `now`). Property-tested in `sequence.rs`.
pub mod model;
pub mod sequence;

pub use model::*;
pub use sequence::plan;

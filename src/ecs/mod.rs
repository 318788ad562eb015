//! The Alibaba Cloud ECS API: signing, transport, retries, rate limiting and
//! typed errors. This module knows nothing of Terraform.
//!
//! # Layout
//! - [`sign`]: V1/V3 signature primitives (shared with the emulator).
//! - `request`: one call → one signed HTTP request (pure).
//! - `transport`: sends an attempt, maps the answer or failure to [`Error`].
//! - `retry`: backoff + jitter, deadline, cancellation; `limiter`: the
//!   shared AIMD token buckets, one per action; `batch`: merges
//!   single-instance lookups into few DescribeInstances calls (and disk
//!   lookups into few DescribeDisks);
//!   `tag_batch`: merges tag changes of many instances.
//! - [`credentials`]: the credential chain (a table of sources), STS, and
//!   the shared refresh-ahead cache every request signs with.
//! - [`Client`]: one method per action, built from the above.
//! - `codes`: the error table behind [`ErrorKind`], retryability and remedies;
//!   `explain`: remedies that name this client's endpoint and the origin of
//!   its settings.
//! - [`model`] (what callers see) and `wire` (the JSON shapes).
//! - `fuzzing`: the answer parsing, exposed for `fuzz/` and its smoke test.
//!
//! Design notes: docs/design/ecs-client.md.
mod batch;
mod client;
pub mod codes;
mod config;
pub mod credentials;
mod error;
mod explain;
#[doc(hidden)]
pub mod fuzzing;
mod limiter;
pub mod model;
mod request;
mod retry;
mod secret;
pub mod sign;
mod tag_batch;
mod transport;
mod wire;

pub use client::{Client, Tuning};
pub use config::{ClientConfig, SignatureVersion};
pub use credentials::{CredentialProvider, Credentials};
pub use error::{Error, ErrorKind, Result};
pub use explain::Origins;
pub use model::{
    parse_api_time, AutoRenewAttribute, AutoRenewSetting, AvailableType, Disk, DiskFilter, Image,
    Instance, InstanceFilter, InstanceType, InstanceTypeFilter, KeyPair, ModifyAttributes,
    ModifySpec, ModifyVpcAttributes, PeriodUnit, PrepaySpec, RenewalStatus,
    ReplaceSystemDiskRequest, Resize, ResizeType, RunInstancesRequest, SubscriptionTerms, VSwitch,
};
pub use retry::RetryPolicy;
pub use secret::Secret;

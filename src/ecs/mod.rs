//! The Alibaba Cloud ECS API: signing, transport, retries, rate limiting and
//! typed errors. This module knows nothing of Terraform.
pub mod sign;

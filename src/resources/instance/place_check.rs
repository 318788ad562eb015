//! The plan's API questions about the new in-place attributes, asked only
//! when the value they judge changes (or on create): is a configured
//! `private_ip` inside its vSwitch's CIDR block (DescribeVSwitches), and
//! does a `key_name` go with a Linux image (DescribeImages)? Refused at
//! plan, at the attribute, rather than by ECS mid-apply with the instance
//! already stopped. A question the API cannot answer (a failed read) is
//! left to apply.

use crate::ecs;
use crate::protocol::{AttributePath, Diagnostic, Value};
use crate::resources::attrs;
use std::net::Ipv4Addr;

/// The diagnostics for `planned` (from `prior`, null on create).
pub async fn check(client: &ecs::Client, prior: &Value, planned: &Value) -> Vec<Diagnostic> {
    let changed = |name: &str| attrs::get(prior, name) != attrs::get(planned, name);
    let mut out = Vec::new();
    let ip = attrs::string(planned, "private_ip");
    let vswitch = attrs::string(planned, "vswitch_id").filter(|v| !v.is_empty());
    if let (Some(ip), Some(vsw)) = (ip, vswitch) {
        if changed("private_ip") || changed("vswitch_id") {
            if let Ok(Some(v)) = client.describe_vswitch(&vsw).await {
                if !inside(&v.cidr_block, &ip) {
                    out.push(
                        Diagnostic::error(
                            "Private IP Outside The vSwitch",
                            format!(
                                "private_ip = \"{ip}\" is not a usable address of vSwitch {vsw} ({}): choose an address inside that block (not its first or last), or remove private_ip to let ECS choose.",
                                v.cidr_block
                            ),
                        )
                        .at(AttributePath::attr("private_ip")),
                    );
                }
            }
        }
    }
    let key = attrs::string(planned, "key_name").filter(|k| !k.is_empty());
    let image = attrs::string(planned, "image_id");
    if let (Some(key), Some(image)) = (key, image) {
        if changed("key_name") || changed("image_id") {
            if let Ok(Some(img)) = client.describe_image(&image).await {
                if img.os_type.eq_ignore_ascii_case("windows") {
                    out.push(
                        Diagnostic::error(
                            "Key Pair On A Windows Image",
                            format!(
                                "key_name = \"{key}\": image {image} is a Windows image, and ECS attaches SSH key pairs to Linux instances only. Remove key_name and use password."
                            ),
                        )
                        .at(AttributePath::attr("key_name")),
                    );
                }
            }
        }
    }
    out
}

/// Whether `ip` is a host address of `cidr` (neither its network nor its
/// broadcast address).
fn inside(cidr: &str, ip: &str) -> bool {
    let (Some((net, len)), Ok(ip)) = (cidr.split_once('/'), ip.parse::<Ipv4Addr>()) else {
        return true; // not ours to judge
    };
    let (Ok(net), Ok(len)) = (net.parse::<Ipv4Addr>(), len.parse::<u32>()) else {
        return true;
    };
    if len > 32 {
        return true;
    }
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    let (net, ip) = (u32::from(net) & mask, u32::from(ip));
    ip & mask == net && ip != net && ip != (net | !mask)
}

#[cfg(test)]
mod tests {
    use super::inside;

    #[test]
    fn addresses_inside_a_block_but_not_its_ends() {
        assert!(inside("172.16.1.0/24", "172.16.1.10"));
        assert!(!inside("172.16.1.0/24", "172.16.2.10"));
        assert!(!inside("172.16.1.0/24", "172.16.1.0"));
        assert!(!inside("172.16.1.0/24", "172.16.1.255"));
    }
}

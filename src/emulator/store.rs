//! The emulator's world: instances, account flags, remembered ClientTokens
//! and the counters that hand out ids and addresses. Plain data with plain
//! methods and no I/O; the HTTP layer locks it, calls an action, and hands
//! the serialized store to the persister.
//!
//! Status transitions are data, not timers: an instance carries the change
//! it is waiting for and its due time, and [`Store::advance`] applies every
//! change whose time has come, stamping the journal with the due time. So a
//! restart (even after kill -9) resumes transitions where they were, and a
//! Describe right after the due time already sees the new status.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ApiError;
use super::instance::{minute_time, Instance, Status, Transition};
use super::journal::Journal;
use super::subscription::{self, Order};
use super::timing::Timing;

/// Account-wide conditions, from the seed file's `Account` object or the
/// admin API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields, default)]
pub struct AccountFlags {
    /// `Account.Arrearage` (400) for creations, starts and modifications.
    pub arrearage: bool,
    /// `InvalidAccountStatus.NotEnoughBalance` (403) for the same calls.
    pub not_enough_balance: bool,
    /// The balance is too low to pay subscription orders: a change sent
    /// with `AutoPay=true` still answers with its `OrderId`, but the order
    /// stays unpaid (ECS: an abnormal order, to be cancelled) and nothing
    /// changes.
    pub low_balance: bool,
}

/// The first successful answer to a ClientToken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub action: String,
    pub params: BTreeMap<String, String>,
    pub body: Value,
    pub at: DateTime<Utc>,
}

/// How long a ClientToken is remembered. ECS states no limit; a day is
/// longer than any retry loop.
pub const TOKEN_TTL_HOURS: i64 = 24;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Store {
    pub instances: BTreeMap<String, Instance>,
    pub account: AccountFlags,
    pub tokens: HashMap<String, TokenRecord>,
    pub next_seq: u64,
    pub next_ip: u32,
    /// vSwitches and groups RunInstances named that are not built in (see
    /// `network`).
    #[serde(default)]
    pub implicit_vswitches: BTreeMap<String, super::network::VSwitch>,
    #[serde(default)]
    pub implicit_groups: BTreeMap<String, super::network::Group>,
    /// Orders of subscription changes, oldest first.
    #[serde(default)]
    pub orders: Vec<Order>,
    #[serde(skip)]
    pub journal: Journal,
    /// ClientTokens whose first call has not answered yet.
    #[serde(skip)]
    pub in_flight: HashSet<String>,
    /// Bumped by every acknowledged change; orders state-file writes.
    #[serde(skip)]
    pub generation: u64,
    /// How long transitions take (set from the config at start).
    #[serde(skip)]
    pub timing: Timing,
}

impl Store {
    /// Applies every transition due at `now`. An economical stop
    /// (`StopCharging`) releases the public IP on reaching Stopped; the next
    /// start of such an instance with outbound bandwidth gets a new one.
    pub fn advance(&mut self, now: DateTime<Utc>) {
        let mut new_address = Vec::new();
        for inst in self.instances.values_mut() {
            let Some(t) = inst.pending else { continue };
            if t.at > now {
                continue;
            }
            inst.pending = None;
            let from = inst.status;
            inst.status = t.to;
            let economical = inst.stopped_mode == "StopCharging";
            if t.to == Status::Stopped && economical {
                inst.public_ips.clear();
            }
            if t.to == Status::Running {
                subscription::take_effect(inst);
                inst.start_time = minute_time(t.at);
                inst.started_once = true;
                if economical && inst.public_ips.is_empty() && inst.bandwidth_out > 0 {
                    new_address.push(inst.id.clone());
                }
            }
            self.journal.record_status(
                t.at,
                &inst.id,
                &inst.instance_type,
                Some(from.as_str()),
                t.to.as_str(),
            );
        }
        for id in new_address {
            let ip = self.alloc_public_ip();
            if let Some(inst) = self.instances.get_mut(&id) {
                inst.public_ips.push(ip);
            }
        }
    }

    pub fn get(&self, id: &str) -> Result<&Instance, ApiError> {
        self.instances
            .get(id)
            .ok_or_else(ApiError::instance_not_found)
    }

    pub fn get_mut(&mut self, id: &str) -> Result<&mut Instance, ApiError> {
        self.instances
            .get_mut(id)
            .ok_or_else(ApiError::instance_not_found)
    }

    /// Moves `id` to `to` now, and schedules `then` after a transition time
    /// drawn for its type from `base` (`--transition`, see `timing`).
    pub fn transition(
        &mut self,
        id: &str,
        to: Status,
        now: DateTime<Utc>,
        then: Status,
        base: std::time::Duration,
    ) {
        let Some(ty) = self.instances.get(id).map(|i| i.instance_type.clone()) else {
            return;
        };
        let after = self.timing.draw(base, &ty);
        self.set_status(id, to, now, Some((then, after)));
    }

    /// Moves `id` to `to` now, and schedules `then` after `transition`.
    pub fn set_status(
        &mut self,
        id: &str,
        to: Status,
        now: DateTime<Utc>,
        then: Option<(Status, std::time::Duration)>,
    ) {
        let Some(inst) = self.instances.get_mut(id) else {
            return;
        };
        let from = inst.status;
        inst.status = to;
        if to == Status::Starting {
            // An API start or restart: a pending subscription type change
            // takes effect now.
            subscription::take_effect(inst);
        }
        inst.pending = then.map(|(status, after)| Transition {
            to: status,
            at: now + ChronoDuration::from_std(after).unwrap_or(ChronoDuration::zero()),
        });
        if from != to {
            self.journal.record_status(
                now,
                id,
                &inst.instance_type,
                Some(from.as_str()),
                to.as_str(),
            );
        }
    }

    /// Adds a new instance and journals its first status.
    pub fn insert(&mut self, mut inst: Instance, now: DateTime<Utc>) {
        inst.seq = self.next_seq;
        self.next_seq += 1;
        self.journal.record_status(
            now,
            &inst.id,
            &inst.instance_type,
            None,
            inst.status.as_str(),
        );
        self.instances.insert(inst.id.clone(), inst);
    }

    /// Removes an instance and journals it as `Deleted`.
    pub fn remove(&mut self, id: &str, now: DateTime<Utc>) -> Option<Instance> {
        let inst = self.instances.remove(id)?;
        self.journal.record_status(
            now,
            id,
            &inst.instance_type,
            Some(inst.status.as_str()),
            "Deleted",
        );
        Some(inst)
    }

    /// Instances in creation order.
    pub fn ordered(&self) -> Vec<&Instance> {
        let mut all: Vec<&Instance> = self.instances.values().collect();
        all.sort_by_key(|i| i.seq);
        all
    }

    /// A fresh id shaped like ECS's: `i-` and 20 lowercase letters/digits.
    pub fn new_instance_id(&self) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        loop {
            let tail: String = (0..20)
                .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
                .collect();
            let id = format!("i-{tail}");
            if !self.instances.contains_key(&id) {
                return id;
            }
        }
    }

    fn next_host(&mut self) -> (u32, u32) {
        let n = self.next_ip;
        self.next_ip += 1;
        (n / 250 % 250, n % 250 + 2)
    }

    /// A VPC private address, `172.16.x.y`.
    pub fn alloc_private_ip(&mut self) -> String {
        let (a, b) = self.next_host();
        format!("172.16.{a}.{b}")
    }

    /// A classic-network inner address, `10.80.x.y`.
    pub fn alloc_inner_ip(&mut self) -> String {
        let (a, b) = self.next_host();
        format!("10.80.{a}.{b}")
    }

    /// A public address, `47.96.x.y`.
    pub fn alloc_public_ip(&mut self) -> String {
        let (a, b) = self.next_host();
        format!("47.96.{a}.{b}")
    }

    /// The first unpaid or abnormal order of instance `id`.
    pub fn open_order(&self, id: &str) -> Option<&Order> {
        self.orders
            .iter()
            .find(|o| o.instance_id == id && o.status.is_open())
    }

    /// Forgets ClientTokens older than [`TOKEN_TTL_HOURS`].
    pub fn prune_tokens(&mut self, now: DateTime<Utc>) {
        let oldest = now - ChronoDuration::hours(TOKEN_TTL_HOURS);
        self.tokens.retain(|_, r| r.at >= oldest);
    }
}

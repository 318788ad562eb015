//! A fake instance behind [`InstanceApi`] on a virtual [`Clock`]: it keeps
//! ModifyInstanceSpec's rules (type only while Stopped, the cooldown, one
//! modification per call) and records every call, so executor tests can
//! assert on the journal the way the end-to-end tests do on the emulator's.

use crate::ecs;
use crate::planner;
use crate::resources::instance::api::{Cancelled, Clock, InstanceApi, Modification};
use crate::resources::instance::marker;
use crate::resources::instance::state::tests::sample_instance;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Virtual time: `sleep` advances it at once.
#[derive(Default)]
pub struct FakeClock {
    now: Mutex<Duration>,
    /// After this many sleeps, sleeping fails as if Terraform sent Stop.
    pub cancel_after: Mutex<Option<u32>>,
    sleeps: AtomicU32,
}

impl FakeClock {
    pub fn at(t: Duration) -> Arc<FakeClock> {
        let c = FakeClock::default();
        *c.now.lock().unwrap() = t;
        Arc::new(c)
    }

    pub fn advance(&self, d: Duration) {
        *self.now.lock().unwrap() += d;
    }
}

#[async_trait::async_trait]
impl Clock for FakeClock {
    fn now(&self) -> Duration {
        *self.now.lock().unwrap()
    }

    async fn sleep(&self, d: Duration) -> Result<(), Cancelled> {
        let n = self.sleeps.fetch_add(1, Ordering::SeqCst);
        if self
            .cancel_after
            .lock()
            .unwrap()
            .is_some_and(|max| n >= max)
        {
            return Err(Cancelled);
        }
        self.advance(d);
        Ok(())
    }
}

/// One recorded call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub at: Duration,
    pub what: String,
    pub token: Option<String>,
    pub ok: bool,
}

pub struct FakeState {
    pub inst: ecs::Instance,
    /// A transition in progress: (status to reach, when).
    pub pending: Option<(String, Duration)>,
    /// When the last modification succeeded.
    pub last_modified: Option<Duration>,
    pub journal: Vec<Call>,
}

pub struct FakeApi {
    pub clock: Arc<FakeClock>,
    pub state: Mutex<FakeState>,
    pub cooldown: Duration,
    pub transition: Duration,
    /// Refuse out + in in one call with InvalidParameter.Mismatch.
    pub strict_bandwidth: bool,
    /// After RebootInstance, this many reads still answer with the
    /// instance as it was before it (a read in flight or batched).
    pub stale_reads_after_reboot: u32,
    stale: Mutex<Option<(u32, ecs::Instance)>>,
    tokens: AtomicU32,
}

fn refuse(action: &str, code: &str) -> ecs::Error {
    ecs::Error::api(action, Some(400), code, "refused by the fake", None)
}

impl FakeApi {
    pub fn new(clock: Arc<FakeClock>, cooldown: Duration, transition: Duration) -> FakeApi {
        FakeApi {
            clock,
            state: Mutex::new(FakeState {
                inst: sample_instance(),
                pending: None,
                last_modified: None,
                journal: Vec::new(),
            }),
            cooldown,
            transition,
            strict_bandwidth: false,
            stale_reads_after_reboot: 0,
            stale: Mutex::new(None),
            tokens: AtomicU32::new(0),
        }
    }

    pub fn journal(&self) -> Vec<Call> {
        self.state.lock().unwrap().journal.clone()
    }

    /// The journal's successful calls, by name, without the marker's
    /// TagResources/UntagResources ([`FakeApi::all_done`] has them).
    pub fn done(&self) -> Vec<String> {
        self.all_done()
            .into_iter()
            .filter(|c| !c.ends_with("agResources"))
            .collect()
    }

    /// Every successful call, by name.
    pub fn all_done(&self) -> Vec<String> {
        self.journal()
            .into_iter()
            .filter(|c| c.ok)
            .map(|c| c.what)
            .collect()
    }

    pub fn instance(&self) -> ecs::Instance {
        let mut s = self.state.lock().unwrap();
        self.settle(&mut s);
        s.inst.clone()
    }

    fn settle(&self, s: &mut FakeState) {
        if let Some((status, at)) = s.pending.clone() {
            if self.clock.now() >= at {
                if status == "Running" {
                    s.inst.start_time = format!("started at {}", at.as_secs_f64());
                }
                s.inst.status = status;
                s.pending = None;
            }
        }
    }

    fn record(&self, s: &mut FakeState, what: String, token: Option<&str>, ok: bool) {
        s.journal.push(Call {
            at: self.clock.now(),
            what,
            token: token.map(String::from),
            ok,
        });
    }

    fn power(&self, action: &str, from: &str, via: &str, to: &str) -> ecs::Result<()> {
        let mut s = self.state.lock().unwrap();
        self.settle(&mut s);
        if s.inst.status != from {
            self.record(&mut s, action.into(), None, false);
            return Err(refuse(action, "IncorrectInstanceStatus"));
        }
        s.inst.status = via.into();
        s.pending = Some((to.into(), self.clock.now() + self.transition));
        self.record(&mut s, action.into(), None, true);
        Ok(())
    }
}

#[async_trait::async_trait]
impl InstanceApi for FakeApi {
    async fn describe(&self, id: &str) -> ecs::Result<Option<ecs::Instance>> {
        if let Some((n, before)) = self.stale.lock().unwrap().as_mut() {
            if *n > 0 {
                *n -= 1;
                return Ok((before.instance_id == id).then(|| before.clone()));
            }
        }
        let mut s = self.state.lock().unwrap();
        self.settle(&mut s);
        Ok((s.inst.instance_id == id).then(|| s.inst.clone()))
    }

    async fn start(&self, _id: &str) -> ecs::Result<()> {
        self.power("StartInstance", "Stopped", "Starting", "Running")
    }

    async fn stop(&self, _id: &str, _mode: Option<&str>) -> ecs::Result<()> {
        self.power("StopInstance", "Running", "Stopping", "Stopped")
    }

    async fn modify(
        &self,
        _id: &str,
        change: &Modification,
        token: &str,
    ) -> ecs::Result<Option<String>> {
        let mut s = self.state.lock().unwrap();
        self.settle(&mut s);
        let action = change.action();
        let what = match change {
            Modification::Type(t) => format!("{action}(type={t})"),
            Modification::PrepayType { to, direction } => {
                format!("{action}(type={to},{direction:?})")
            }
            Modification::Bandwidth { out, inbound, .. } => {
                format!("{action}(out={out:?},in={inbound:?})")
            }
            Modification::AllocatePublicIp => format!("{action}(AllocatePublicIp)"),
        };
        let classic_from_zero = matches!(change, Modification::Bandwidth { out: Some(v), .. } if *v > 0)
            && s.inst.internet_max_bandwidth_out.unwrap_or(0) == 0
            && s.inst.instance_network_type != "vpc";
        let now = self.clock.now();
        let refusal = match change {
            Modification::Bandwidth {
                out: Some(_),
                inbound: Some(_),
                ..
            } if self.strict_bandwidth => Some("InvalidParameter.Mismatch"),
            _ if s.last_modified.is_some_and(|t| now < t + self.cooldown) => {
                Some("InvalidStatus.ValueNotSupported")
            }
            Modification::Type(_)
            | Modification::PrepayType {
                direction: crate::planner::Direction::Downgrade,
                ..
            } if s.inst.status != "Stopped" => Some("InvalidInstanceStatus.NotStopped"),
            Modification::Bandwidth { .. } if classic_from_zero && s.inst.status != "Stopped" => {
                Some("InvalidInstanceStatus.NotStopped")
            }
            Modification::Bandwidth { .. }
                if !matches!(s.inst.status.as_str(), "Running" | "Stopped") =>
            {
                Some("InvalidStatus.ValueNotSupported")
            }
            _ => None,
        };
        if let Some(code) = refusal {
            self.record(&mut s, what, Some(token), false);
            return Err(refuse(action, code));
        }
        // A subscription order: the type waits for a start (not modelled
        // here: the fake applies it at once, as the shown-early reading).
        let order = matches!(
            change,
            Modification::PrepayType { .. }
                | Modification::Bandwidth {
                    api: crate::planner::BandwidthApi::Subscription,
                    ..
                }
        )
        .then(|| "123456789012345".to_string());
        match change {
            Modification::Type(t) | Modification::PrepayType { to: t, .. } => {
                s.inst.instance_type = t.clone()
            }
            Modification::Bandwidth { out, inbound, .. } => {
                if let Some(v) = out {
                    s.inst.internet_max_bandwidth_out = Some(i64::from(*v));
                }
                if let Some(v) = inbound {
                    s.inst.internet_max_bandwidth_in = Some(i64::from(*v));
                }
            }
            Modification::AllocatePublicIp => s.inst.public_ips = vec!["47.0.0.9".into()],
        }
        s.last_modified = Some(now);
        self.record(&mut s, what, Some(token), true);
        Ok(order)
    }

    async fn allocate_public_ip_address(&self, _id: &str) -> ecs::Result<()> {
        let mut s = self.state.lock().unwrap();
        self.settle(&mut s);
        let action = "AllocatePublicIpAddress";
        let code = if !s.inst.public_ips.is_empty() {
            Some("AllocatedAlready")
        } else if s.inst.internet_max_bandwidth_out.unwrap_or(0) == 0 {
            Some("OperationDenied")
        } else {
            None
        };
        self.record(&mut s, action.into(), None, code.is_none());
        match code {
            Some(code) => Err(refuse(action, code)),
            None => {
                s.inst.public_ips = vec!["47.0.0.8".into()];
                Ok(())
            }
        }
    }

    fn new_token(&self, action: &str) -> String {
        format!("{action}-{}", self.tokens.fetch_add(1, Ordering::SeqCst))
    }

    async fn mark(&self, _id: &str, value: &str) -> ecs::Result<()> {
        let mut s = self.state.lock().unwrap();
        let (k, v) = (marker::KEY.to_string(), value.to_string());
        s.inst.tags.retain(|(have, _)| *have != k);
        s.inst.tags.push((k, v));
        self.record(&mut s, "TagResources".into(), None, true);
        Ok(())
    }

    async fn unmark(&self, _id: &str) -> ecs::Result<()> {
        let mut s = self.state.lock().unwrap();
        s.inst.tags.retain(|(have, _)| have != marker::KEY);
        self.record(&mut s, "UntagResources".into(), None, true);
        Ok(())
    }

    async fn reboot(&self, _live: &ecs::Instance) -> ecs::Result<()> {
        let before = self.instance();
        self.power("RebootInstance", "Running", "Starting", "Running")?;
        *self.stale.lock().unwrap() = Some((self.stale_reads_after_reboot, before));
        Ok(())
    }

    async fn call(
        &self,
        _live: &ecs::Instance,
        call: planner::Call,
        set: &planner::Settings,
        _token: &str,
    ) -> ecs::Result<()> {
        let mut s = self.state.lock().unwrap();
        self.settle(&mut s);
        let action = call
            .actions()
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_string();
        let needs_stop = matches!(call, planner::Call::Vpc | planner::Call::ReplaceSystemDisk)
            || set.contains_key(&planner::Attr::UserData);
        if needs_stop && s.inst.status != "Stopped" {
            self.record(&mut s, action.clone(), None, false);
            return Err(refuse(&action, "IncorrectInstanceStatus"));
        }
        let text = |a| {
            set.get(&a)
                .and_then(planner::Val::as_text)
                .map(String::from)
        };
        if let Some(v) = text(planner::Attr::InstanceName) {
            s.inst.instance_name = v;
        }
        if let Some(v) = text(planner::Attr::Description) {
            s.inst.description = v;
        }
        if let Some(v) = text(planner::Attr::Image) {
            s.inst.image_id = v;
        }
        self.record(&mut s, action, None, true);
        Ok(())
    }

    async fn tags(
        &self,
        _id: &str,
        add: &[(String, String)],
        remove: &[String],
    ) -> ecs::Result<()> {
        let mut s = self.state.lock().unwrap();
        for (k, v) in add {
            s.inst.tags.retain(|(have, _)| have != k);
            s.inst.tags.push((k.clone(), v.clone()));
        }
        s.inst.tags.retain(|(have, _)| !remove.contains(have));
        if !add.is_empty() {
            self.record(&mut s, "TagResources".into(), None, true);
        }
        if !remove.is_empty() {
            self.record(&mut s, "UntagResources".into(), None, true);
        }
        Ok(())
    }
}

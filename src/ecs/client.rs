//! [`Client`]: one method per ECS action, each running through the shared
//! limiter and the retry loop, with typed answers.
//!
//! One `Client` per configured provider; clones share everything (transport,
//! limiter, batcher, cancellation), so handing a clone to every resource
//! operation is the intended use.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::batch::{self, Batcher, Fetch, Kind};
use super::codes;
use super::config::ClientConfig;
use super::error::{Error, ErrorKind, Result};
use super::explain::{self, Origins};
use super::limiter::{Limiter, Limiters};
use super::model::{
    AutoRenewAttribute, AutoRenewSetting, AvailableType, Disk, DiskFilter, Image, Instance,
    InstanceFilter, InstanceType, InstanceTypeFilter, KeyPair, ModifyAttributes, ModifySpec,
    ModifyVpcAttributes, PrepaySpec, ReplaceSystemDiskRequest, ResizeType, RunInstancesRequest,
    VSwitch,
};
use super::request::{Call, Method};
use super::retry::{Outcome, Retrier, RetryPolicy};
use super::tag_batch::{self, TagBatcher};
use super::transport::Transport;
use super::wire;

/// Knobs that are not provider settings: backoff timing and the batching
/// window. The defaults suit the real API; tests and the emulator shrink them.
#[derive(Clone, Debug, PartialEq)]
pub struct Tuning {
    pub retry: RetryPolicy,
    /// How long a single-instance lookup waits for others to join its batch.
    pub batch_window: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            retry: RetryPolicy::default(),
            batch_window: Duration::from_millis(5),
        }
    }
}

struct Inner {
    region: String,
    endpoint: url::Url,
    endpoint_is_default: bool,
    origins: Origins,
    /// What DescribeRegions answered, asked once, on the first wrong-region
    /// error (`None`: it failed too).
    regions: tokio::sync::OnceCell<Option<Vec<String>>>,
    max_retries: u32,
    policy: RetryPolicy,
    transport: Transport,
    limiters: Limiters,
    batcher: Batcher,
    /// Merges Terraform's concurrent reads of system disks by id.
    disk_batcher: Batcher<Disk>,
    /// Merges Terraform's concurrent reads of subscriptions' auto-renewal.
    renew_batcher: Batcher<AutoRenewAttribute>,
    tag_batcher: TagBatcher,
    cancel: CancellationToken,
    /// Never cancelled: the token of [`Client::uncancellable`] handles.
    never: CancellationToken,
}

/// The ECS client. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    deadline: Option<Instant>,
    /// Calls of this handle ignore [`Client::cancel`] (see
    /// [`Client::uncancellable`]).
    ignore_cancel: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("region", &self.inner.region)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Validates `cfg` and builds the client.
    ///
    /// # Errors
    /// `ErrorKind::InvalidParameter` naming the bad setting.
    pub fn new(cfg: ClientConfig) -> Result<Client> {
        Client::with_tuning(cfg, Tuning::default())
    }

    pub fn with_tuning(cfg: ClientConfig, tuning: Tuning) -> Result<Client> {
        let transport = Transport::new(&cfg)?;
        Ok(Client {
            inner: Arc::new(Inner {
                region: cfg.region.clone(),
                endpoint: cfg.endpoint_url()?,
                endpoint_is_default: cfg.endpoint.is_none(),
                origins: cfg.origins.clone(),
                regions: tokio::sync::OnceCell::new(),
                max_retries: cfg.max_retries,
                policy: tuning.retry,
                transport,
                limiters: Limiters::new(cfg.max_requests_per_second),
                batcher: Batcher::new(tuning.batch_window),
                disk_batcher: Batcher::new(tuning.batch_window),
                renew_batcher: Batcher::new(tuning.batch_window),
                // Tag changes come from steps of many instances that do not
                // line up to the millisecond: a wider window (250 ms by
                // default) merges more. It costs no downtime: the tag goes
                // on before the stop, and comes off while the instance starts.
                tag_batcher: TagBatcher::new(tuning.batch_window * 50),
                cancel: CancellationToken::new(),
                never: CancellationToken::new(),
            }),
            deadline: None,
            ignore_cancel: false,
        })
    }

    /// A handle whose calls stop retrying (and waiting) at `deadline`, e.g.
    /// the end of a resource's Update timeout. Shares everything else.
    pub fn with_deadline(&self, deadline: Instant) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            deadline: Some(deadline),
            ignore_cancel: self.ignore_cancel,
        }
    }

    /// A handle whose calls ignore [`Client::cancel`]: for one short, final
    /// read after Terraform's Stop, so that what we report is what is there.
    /// Give it a deadline.
    pub fn uncancellable(&self) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            deadline: self.deadline,
            ignore_cancel: true,
        }
    }

    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// New idempotence token for one logical step: `tfecs-<action>-<uuid>`,
    /// at most 64 ASCII characters (the action part is shortened to fit).
    pub fn new_client_token(action: &str) -> String {
        let uuid = uuid::Uuid::new_v4().simple().to_string();
        let room = 64 - "tfecs-".len() - 1 - uuid.len();
        let action: String = action
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(room)
            .collect();
        format!("tfecs-{action}-{uuid}")
    }

    /// Cancels every in-flight and future wait/retry of this client
    /// (Terraform's Stop RPC). Calls then fail with `ErrorKind::Cancelled`;
    /// a mutating request already sent is allowed to get its answer.
    pub fn cancel(&self) {
        self.inner.cancel.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// Number of HTTP requests sent so far (tests/benches).
    pub fn requests_sent(&self) -> u64 {
        self.inner.transport.requests_sent()
    }

    /// The current request-rate allowance: the lowest of any action's
    /// (drops on throttling).
    pub fn current_rate(&self) -> f64 {
        self.inner.limiters.rate()
    }

    fn call_of(&self, action: &'static str, method: Method) -> Call {
        Call::new(action, method).param("RegionId", self.inner.region.clone())
    }

    /// Runs `call` with retries and decodes its answer. A 2xx body that does
    /// not decode (truncated, empty, a proxy's page) is retried like a 5xx:
    /// every caller of `run` is a read or carries a ClientToken, so sending
    /// it again is safe.
    async fn run<T: DeserializeOwned>(&self, call: Call) -> Outcome<T> {
        let inner = &self.inner;
        let limiter = inner.limiters.of(call.action);
        let retrier = self.retrier(&call, &limiter);
        let call = &call;
        let mut out = retrier
            .run(call.action, |n| async move {
                let body = inner.transport.send(call, n).await?;
                wire::decode::<T>(&body).map_err(|m| malformed(call.action, &body, m))
            })
            .await;
        if let Err(e) = &mut out.result {
            self.explain(e).await;
        }
        out
    }

    fn retrier<'a>(&'a self, call: &Call, limiter: &'a Limiter) -> Retrier<'a> {
        let inner = &self.inner;
        Retrier {
            policy: &inner.policy,
            max_retries: inner.max_retries,
            limiter,
            cancel: if self.ignore_cancel {
                &inner.never
            } else {
                &inner.cancel
            },
            deadline: self.deadline,
            finish_in_flight: call.method == Method::Post,
        }
    }

    /// Runs `call` with retries; the 2xx body as is. Calls whose answer is
    /// only a RequestId use this directly: a 2xx means done, whatever the
    /// body looks like (the documented ModifyInstanceSpec sample is not even
    /// valid JSON).
    async fn run_raw(&self, call: Call) -> Outcome<Vec<u8>> {
        let inner = &self.inner;
        let limiter = inner.limiters.of(call.action);
        let retrier = self.retrier(&call, &limiter);
        let call = &call;
        let mut out = retrier
            .run(call.action, |n| inner.transport.send(call, n))
            .await;
        if let Err(e) = &mut out.result {
            self.explain(e).await;
        }
        out
    }

    /// After the last retry: a remedy that names this client's settings
    /// (see [`explain`]).
    async fn explain(&self, e: &mut Error) {
        let inner = &self.inner;
        let regions = if e.code == "InvalidRegionId.NotFound" {
            self.regions_served().await
        } else {
            None
        };
        let ctx = explain::Context {
            endpoint: &inner.endpoint,
            endpoint_is_default: inner.endpoint_is_default,
            region: &inner.region,
            origins: &inner.origins,
        };
        explain::annotate(e, &ctx, regions.as_deref());
    }

    /// The regions the endpoint serves (DescribeRegions, one attempt, no
    /// RegionId), to tell a user with a wrong region which ones exist.
    /// Asked once per client: every resource of a misconfigured provider
    /// fails the same way.
    async fn regions_served(&self) -> Option<Vec<String>> {
        let ask = || async {
            let call = Call::new("DescribeRegions", Method::Get);
            let body = self.inner.transport.send(&call, 0).await.ok()?;
            let r: wire::DescribeRegions = wire::decode(&body).ok()?;
            Some(r.regions.region.into_iter().map(|r| r.region_id).collect())
        };
        self.inner.regions.get_or_init(ask).await.clone()
    }

    /// Batched lookup for a poll: calls within the short batch window share
    /// one DescribeInstances of ≤100 ids. `Ok(None)`: no such instance.
    pub async fn describe_instance(&self, id: &str) -> Result<Option<Instance>> {
        self.lookup(id, Kind::Prompt).await
    }

    /// Batched lookup that may wait up to two seconds for others to join
    /// (Terraform's reads, handed over gradually; see `batch`).
    pub async fn read_instance(&self, id: &str) -> Result<Option<Instance>> {
        self.lookup(id, Kind::Read).await
    }

    /// Batched lookup that may wait for others to join, like
    /// [`Client::read_instance`], for the first look of a wait.
    pub async fn describe_instance_patiently(&self, id: &str) -> Result<Option<Instance>> {
        self.lookup(id, Kind::Patient).await
    }

    async fn lookup(&self, id: &str, kind: Kind) -> Result<Option<Instance>> {
        if self.ignore_cancel {
            // After Terraform's Stop the shared batches end with Cancelled:
            // an uncancellable handle (a restart after Ctrl-C) reads alone.
            return Ok(self
                .describe_instances(&[id.to_string()])
                .await?
                .into_iter()
                .next());
        }
        let base = Client {
            inner: Arc::clone(&self.inner),
            deadline: None,
            ignore_cancel: false,
        };
        let fetch: Fetch = Arc::new(move |ids: Vec<String>| {
            let c = base.clone();
            async move { c.describe_instances(&ids).await }.boxed()
        });
        let lookup = self.inner.batcher.lookup(id, fetch, kind);
        match self.deadline {
            None => lookup.await,
            Some(d) => tokio::time::timeout_at(d, lookup)
                .await
                .unwrap_or_else(|_| {
                    Err(Error::local(
                        ErrorKind::Timeout,
                        "DescribeInstances",
                        codes::DEADLINE_EXCEEDED,
                        format!("no answer for {id} before the deadline"),
                    ))
                }),
        }
    }

    /// DescribeInstances for `ids` directly: chunks of 100, every page.
    /// Instances that do not exist are simply absent.
    pub async fn describe_instances(&self, ids: &[String]) -> Result<Vec<Instance>> {
        self.describe_pages(ids, Instance::from).await
    }

    /// DescribeInstances of `ids` (deduplicated), 100 a call, every page,
    /// each instance mapped by `map`.
    async fn describe_pages<T>(
        &self,
        ids: &[String],
        map: impl Fn(wire::WireInstance) -> T,
    ) -> Result<Vec<T>> {
        let mut unique: Vec<&String> = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(&id) {
                unique.push(id);
            }
        }
        let mut out = Vec::new();
        for chunk in unique.chunks(batch::MAX_IDS) {
            let ids_json = serde_json::to_string(chunk).expect("strings serialize");
            let mut next_token = String::new();
            loop {
                let call = self
                    .call_of("DescribeInstances", Method::Get)
                    .param("InstanceIds", ids_json.clone())
                    .param("MaxResults", "100")
                    .opt("NextToken", (!next_token.is_empty()).then_some(&next_token));
                let page: wire::DescribeInstances = self.run(call).await.result?;
                out.extend(page.instances.instance.into_iter().map(&map));
                if page.next_token.is_empty() || page.next_token == next_token {
                    break;
                }
                next_token = page.next_token;
            }
        }
        Ok(out)
    }

    /// DescribeInstances with `filter`, every page (`MaxResults` 100, the
    /// API's most): ⌈n/100⌉ calls for n matching instances. Ids go 100 at
    /// a time (the API's limit for `InstanceIds`), each group with every
    /// other filter.
    pub async fn list_instances(&self, filter: &InstanceFilter) -> Result<Vec<Instance>> {
        let groups: Vec<Option<String>> = match &filter.ids {
            None => vec![None],
            Some(ids) => {
                let mut unique: Vec<&String> = Vec::with_capacity(ids.len());
                for id in ids {
                    if !unique.contains(&id) {
                        unique.push(id);
                    }
                }
                unique
                    .chunks(batch::MAX_IDS)
                    .map(|c| Some(serde_json::to_string(c).expect("strings serialize")))
                    .collect()
            }
        };
        let mut out = Vec::new();
        for ids_json in groups {
            let mut next_token = String::new();
            loop {
                let mut call = self
                    .call_of("DescribeInstances", Method::Get)
                    .opt("InstanceIds", ids_json.as_ref())
                    .opt("Status", filter.status.as_ref())
                    .opt("InstanceType", filter.instance_type.as_ref())
                    .opt("VSwitchId", filter.vswitch_id.as_ref())
                    .param("MaxResults", "100")
                    .opt("NextToken", (!next_token.is_empty()).then_some(&next_token));
                for (i, (k, v)) in filter.tags.iter().enumerate() {
                    call = call.param(format!("Tag.{}.Key", i + 1), k.clone());
                    if !v.is_empty() {
                        call = call.param(format!("Tag.{}.Value", i + 1), v.clone());
                    }
                }
                let page: wire::DescribeInstances = self.run(call).await.result?;
                out.extend(page.instances.instance.into_iter().map(Instance::from));
                if page.next_token.is_empty() || page.next_token == next_token {
                    break;
                }
                next_token = page.next_token;
            }
        }
        Ok(out)
    }

    /// DescribeInstanceTypes, every page; ids are asked 10 at a time (the
    /// API's limit).
    pub async fn describe_instance_types(
        &self,
        filter: &InstanceTypeFilter,
    ) -> Result<Vec<InstanceType>> {
        let groups: Vec<&[String]> = if filter.instance_type_ids.is_empty() {
            vec![&[]]
        } else {
            filter.instance_type_ids.chunks(10).collect()
        };
        let mut out = Vec::new();
        for group in groups {
            let mut next_token = String::new();
            loop {
                let mut call = self
                    .call_of("DescribeInstanceTypes", Method::Get)
                    .param("MaxResults", "100")
                    .opt("InstanceTypeFamily", filter.family.as_ref())
                    .opt("NextToken", (!next_token.is_empty()).then_some(&next_token));
                for (i, t) in group.iter().enumerate() {
                    call = call.param(format!("InstanceTypes.{}", i + 1), t.clone());
                }
                let page: wire::DescribeInstanceTypes = self.run(call).await.result?;
                out.extend(
                    page.instance_types
                        .instance_type
                        .into_iter()
                        .map(InstanceType::from),
                );
                if page.next_token.is_empty() || page.next_token == next_token {
                    break;
                }
                next_token = page.next_token;
            }
        }
        Ok(out)
    }

    /// DescribeResourcesModification(ResourceId=id,
    /// DestinationResource=InstanceType, OperationType=op): the types this
    /// instance can change to (`op` is `Upgrade` or `Downgrade`, see
    /// [`crate::ecs::model::Resize::operation_type`]). For a subscription
    /// instance the Upgrade list is what ModifyPrepayInstanceSpec takes as
    /// an upgrade; any other type is a downgrade.
    pub async fn describe_resources_modification(
        &self,
        id: &str,
        operation_type: &str,
    ) -> Result<Vec<AvailableType>> {
        let call = self
            .call_of("DescribeResourcesModification", Method::Get)
            .param("ResourceId", id)
            .param("DestinationResource", "InstanceType")
            .param("OperationType", operation_type);
        let r: wire::DescribeResourcesModification = self.run(call).await.result?;
        Ok(r.instance_types())
    }

    /// RunInstances for one instance, with the subscription terms of a
    /// PrePaid one (`Period`, `PeriodUnit`, `AutoRenew`, `AutoRenewPeriod`);
    /// returns its id. Retries reuse `client_token`, so a lost answer never
    /// creates a second instance.
    pub async fn run_instances(
        &self,
        req: &RunInstancesRequest,
        client_token: &str,
    ) -> Result<String> {
        check_token("RunInstances", client_token)?;
        let mut call = self
            .call_of("RunInstances", Method::Post)
            .param("ImageId", req.image_id.clone())
            .param("InstanceType", req.instance_type.clone())
            .opt("ZoneId", req.zone_id.as_ref())
            .opt("VSwitchId", req.vswitch_id.as_ref())
            .opt("InstanceName", req.instance_name.as_ref())
            .opt("Description", req.description.as_ref())
            .opt("InternetChargeType", req.internet_charge_type.as_ref())
            .opt("InternetMaxBandwidthOut", req.internet_max_bandwidth_out)
            .opt("InternetMaxBandwidthIn", req.internet_max_bandwidth_in)
            .opt("InstanceChargeType", req.instance_charge_type.as_ref())
            .opt("PrivateIpAddress", req.private_ip_address.as_ref())
            .opt("HostName", req.host_name.as_ref())
            .opt("Password", req.password.as_ref().map(|p| p.expose()))
            .opt("KeyPairName", req.key_pair_name.as_ref())
            .opt("UserData", req.user_data.as_deref().map(encode_user_data))
            .opt("SystemDisk.Category", req.system_disk_category.as_ref())
            .opt("SystemDisk.Size", req.system_disk_size)
            .opt("DeletionProtection", req.deletion_protection)
            .param("Amount", "1")
            .param("ClientToken", client_token);
        for (i, sg) in req.security_group_ids.iter().enumerate() {
            call = call.param(format!("SecurityGroupIds.{}", i + 1), sg.clone());
        }
        for (i, (k, v)) in req.tags.iter().enumerate() {
            call = call
                .param(format!("Tag.{}.Key", i + 1), k.clone())
                .param(format!("Tag.{}.Value", i + 1), v.clone());
        }
        if let Some(t) = &req.terms {
            call = call
                .param("Period", t.period.to_string())
                .param("PeriodUnit", t.period_unit.as_str())
                .param("AutoRenew", t.auto_renew.to_string())
                .opt("AutoRenewPeriod", t.auto_renew_period);
        }
        let r: wire::RunInstances = self.run(call).await.result?;
        r.instance_id_sets
            .instance_id_set
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::local(
                    ErrorKind::Other,
                    "RunInstances",
                    codes::INVALID_RESPONSE,
                    format!(
                        "the answer holds no instance id [RequestId: {}]",
                        r.request_id
                    ),
                )
            })
    }

    /// StartInstance. The call has no ClientToken: after an attempt whose
    /// answer was lost (or a 5xx), the instance is read before sending it
    /// again, and one already Starting or Running counts as success.
    pub async fn start_instance(&self, id: &str) -> Result<()> {
        let call = self
            .call_of("StartInstance", Method::Post)
            .param("InstanceId", id);
        self.settle(call, id, Some(ErrorKind::InvalidStatus), &|i| {
            i.is_some_and(|i| matches!(i.status.as_str(), "Starting" | "Running"))
        })
        .await
    }

    /// StopInstance (`ForceStop`, `StoppedMode` = `KeepCharging` |
    /// `StopCharging`). Like [`Client::start_instance`] about lost answers:
    /// one already Stopping or Stopped counts as success.
    ///
    /// `StoppedMode` is always sent, `None` as `KeepCharging`: without it
    /// the account's default applies, and accounts with economical mode
    /// switched on stop VPC pay-as-you-go instances in `StopCharging`, which
    /// releases the public IP and may leave the instance unable to start.
    pub async fn stop_instance(
        &self,
        id: &str,
        force: bool,
        stopped_mode: Option<&str>,
    ) -> Result<()> {
        let call = self
            .call_of("StopInstance", Method::Post)
            .param("InstanceId", id)
            .param("ForceStop", force.to_string())
            .param("StoppedMode", stopped_mode.unwrap_or(KEEP_CHARGING));
        self.settle(call, id, Some(ErrorKind::InvalidStatus), &|i| {
            i.is_some_and(|i| matches!(i.status.as_str(), "Stopping" | "Stopped"))
        })
        .await
    }

    /// DeleteInstance (`Force` releases a Running instance). After a lost
    /// answer the instance is read first; gone counts as success.
    pub async fn delete_instance(&self, id: &str, force: bool) -> Result<()> {
        let call = self
            .call_of("DeleteInstance", Method::Post)
            .param("InstanceId", id)
            .param("Force", force.to_string());
        self.settle(call, id, Some(ErrorKind::NotFound), &|i| i.is_none())
            .await
    }

    /// [`Client::settle_answer`] for calls whose answer is only a RequestId.
    async fn settle(
        &self,
        call: Call,
        id: &str,
        done_kind: Option<ErrorKind>,
        took_effect: &TookEffect<'_>,
    ) -> Result<()> {
        self.settle_answer(call, id, done_kind, took_effect)
            .await
            .map(|_| ())
    }

    /// Runs a call without a ClientToken on instance `id`. Such a call
    /// cannot be sent again blindly: if an attempt may have been applied
    /// (lost answer, 5xx), the instance is read before the next attempt and
    /// `took_effect(instance)` ends the call as a success instead of sending
    /// it again. `done_kind` after such an attempt also means it did the work
    /// (the read and the refusal can race with a transition).
    ///
    /// The answer's body when an attempt answered; `None` when a read (or a
    /// `done_kind` refusal) showed an earlier attempt did the work.
    async fn settle_answer(
        &self,
        call: Call,
        id: &str,
        done_kind: Option<ErrorKind>,
        took_effect: &TookEffect<'_>,
    ) -> Result<Option<Vec<u8>>> {
        let action = call.action;
        let inner = &self.inner;
        let limiter = inner.limiters.of(call.action);
        let retrier = Retrier {
            finish_in_flight: true,
            ..self.retrier(&call, &limiter)
        };
        let in_doubt = std::sync::atomic::AtomicBool::new(false);
        let ids = [id.to_string()];
        let call = &call;
        let retrier = &retrier;
        let out = retrier
            .run(action, |n| {
                let (in_doubt, ids) = (&in_doubt, &ids);
                async move {
                    if in_doubt.load(std::sync::atomic::Ordering::SeqCst) {
                        // One read per attempt (no retries of its own: a
                        // failed read fails this attempt, and the loop backs
                        // off and reads again before any resend). It is a
                        // DescribeInstances call like any other, so it waits
                        // for that action's bucket (as cancellable as any
                        // wait), and a Throttling answer slows that bucket
                        // (the retry loop slows this call's own).
                        let read = self.call_of("DescribeInstances", Method::Get).param(
                            "InstanceIds",
                            serde_json::to_string(ids).expect("strings serialize"),
                        );
                        let reads = inner.limiters.of(read.action);
                        retrier.admit(&reads, read.action).await?;
                        let body = inner.transport.send(&read, n).await.inspect_err(|e| {
                            if e.kind == ErrorKind::Throttled {
                                reads.on_throttled();
                            }
                        })?;
                        let page: wire::DescribeInstances = wire::decode(&body).map_err(|m| {
                            Error::local(
                                ErrorKind::Other,
                                "DescribeInstances",
                                codes::INVALID_RESPONSE,
                                m,
                            )
                        })?;
                        let found: Vec<Instance> = page
                            .instances
                            .instance
                            .into_iter()
                            .map(Instance::from)
                            .collect();
                        if took_effect(found.iter().find(|i| i.instance_id == ids[0])) {
                            tracing::debug!(
                                action,
                                "an earlier attempt was applied; not sending it again"
                            );
                            return Ok(None);
                        }
                    }
                    let r = inner.transport.send(call, n).await;
                    if let Err(e) = &r {
                        if may_have_been_applied(e) {
                            in_doubt.store(true, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                    r.map(Some)
                }
            })
            .await;
        match out.result {
            Ok(body) => Ok(body),
            Err(e) if out.maybe_applied && Some(e.kind) == done_kind => {
                tracing::debug!(action, code = %e.code, "earlier attempt was applied; treated as success");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Sets tag `key` = `value` on instance `id` (TagResources). Concurrent
    /// calls for the same tag share one call of up to 50 instances.
    pub async fn tag_instance(&self, id: &str, key: &str, value: &str) -> Result<()> {
        let this = self.detached_for_batch();
        let (k, v) = (key.to_string(), value.to_string());
        let send: tag_batch::Send = Arc::new(move |ids: Vec<String>| {
            let (c, k, v) = (this.clone(), k.clone(), v.clone());
            async move { c.tag_instances(&ids, &[(k, v)]).await }.boxed()
        });
        let op = format!("tag\n{key}\n{value}");
        self.bounded("TagResources", self.inner.tag_batcher.submit(&op, id, send))
            .await
    }

    /// Removes tag `key` from instance `id` (UntagResources); batched like
    /// [`Client::tag_instance`].
    pub async fn untag_instance(&self, id: &str, key: &str) -> Result<()> {
        let this = self.detached_for_batch();
        let k = key.to_string();
        let send: tag_batch::Send = Arc::new(move |ids: Vec<String>| {
            let (c, k) = (this.clone(), k.clone());
            async move { c.untag_instances(&ids, &[k]).await }.boxed()
        });
        let op = format!("untag\n{key}");
        self.bounded(
            "UntagResources",
            self.inner.tag_batcher.submit(&op, id, send),
        )
        .await
    }

    /// TagResources on up to 50 instances at once.
    pub async fn tag_instances(&self, ids: &[String], tags: &[(String, String)]) -> Result<()> {
        let mut call = self
            .call_of("TagResources", Method::Post)
            .param("ResourceType", "instance");
        for (i, id) in ids.iter().take(tag_batch::MAX_RESOURCES).enumerate() {
            call = call.param(format!("ResourceId.{}", i + 1), id.clone());
        }
        for (i, (k, v)) in tags.iter().enumerate() {
            call = call
                .param(format!("Tag.{}.Key", i + 1), k.clone())
                .param(format!("Tag.{}.Value", i + 1), v.clone());
        }
        self.run_raw(call).await.result.map(|_| ())
    }

    /// UntagResources of `keys` on up to 50 instances at once. A key an
    /// instance does not carry is no error.
    pub async fn untag_instances(&self, ids: &[String], keys: &[String]) -> Result<()> {
        let mut call = self
            .call_of("UntagResources", Method::Post)
            .param("ResourceType", "instance");
        for (i, id) in ids.iter().take(tag_batch::MAX_RESOURCES).enumerate() {
            call = call.param(format!("ResourceId.{}", i + 1), id.clone());
        }
        for (i, k) in keys.iter().enumerate() {
            call = call.param(format!("TagKey.{}", i + 1), k.clone());
        }
        self.run_raw(call).await.result.map(|_| ())
    }

    /// The handle a batch's call runs on: shared, without this caller's
    /// deadline (other callers wait on the same call).
    fn detached_for_batch(&self) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            deadline: None,
            ignore_cancel: self.ignore_cancel,
        }
    }

    /// Waits for `fut` until this handle's deadline.
    async fn bounded<T>(
        &self,
        action: &'static str,
        fut: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        match self.deadline {
            None => fut.await,
            Some(d) => tokio::time::timeout_at(d, fut).await.unwrap_or_else(|_| {
                Err(Error::local(
                    ErrorKind::Timeout,
                    action,
                    codes::DEADLINE_EXCEEDED,
                    "no answer before the deadline",
                ))
            }),
        }
    }

    /// ModifyInstanceSpec: a type change (instance Stopped) or a bandwidth
    /// change, one per call.
    pub async fn modify_instance_spec(
        &self,
        id: &str,
        spec: &ModifySpec,
        client_token: &str,
    ) -> Result<()> {
        check_token("ModifyInstanceSpec", client_token)?;
        let call = self
            .call_of("ModifyInstanceSpec", Method::Post)
            .param("InstanceId", id)
            .param("ClientToken", client_token);
        let call = match spec {
            ModifySpec::Type(t) => call.param("InstanceType", t.clone()),
            ModifySpec::Bandwidth {
                out: None,
                inbound: None,
            } => {
                return Err(nothing_to_change("ModifyInstanceSpec"));
            }
            ModifySpec::Bandwidth { out, inbound } => call
                .opt("InternetMaxBandwidthOut", *out)
                .opt("InternetMaxBandwidthIn", *inbound),
        };
        self.run_raw(call).await.result.map(|_| ())
    }

    /// ModifyInstanceNetworkSpec: bandwidth change, immediate.
    pub async fn modify_instance_network_spec(
        &self,
        id: &str,
        out: Option<i64>,
        inbound: Option<i64>,
        client_token: &str,
    ) -> Result<()> {
        check_token("ModifyInstanceNetworkSpec", client_token)?;
        if out.is_none() && inbound.is_none() {
            return Err(nothing_to_change("ModifyInstanceNetworkSpec"));
        }
        let call = self
            .call_of("ModifyInstanceNetworkSpec", Method::Post)
            .param("InstanceId", id)
            .opt("InternetMaxBandwidthOut", out)
            .opt("InternetMaxBandwidthIn", inbound)
            .param("ClientToken", client_token);
        self.run_raw(call).await.result.map(|_| ())
    }

    /// ModifyInstanceNetworkSpec with only `AllocatePublicIp=true`: gives a
    /// VPC instance that already has outbound bandwidth a public IP. A
    /// network-spec modification of its own (the cooldown applies).
    pub async fn allocate_public_ip_network_spec(
        &self,
        id: &str,
        client_token: &str,
    ) -> Result<()> {
        check_token("ModifyInstanceNetworkSpec", client_token)?;
        let call = self
            .call_of("ModifyInstanceNetworkSpec", Method::Post)
            .param("InstanceId", id)
            .param("AllocatePublicIp", "true")
            .param("ClientToken", client_token);
        self.run_raw(call).await.result.map(|_| ())
    }

    /// AllocatePublicIpAddress: a public IP for an instance (classic network;
    /// it needs outbound bandwidth, and the address works from the next
    /// start). Returns the address. The action takes no ClientToken: a retry
    /// after a lost answer meets `AllocatedAlready`, which callers may take
    /// as done.
    pub async fn allocate_public_ip_address(&self, id: &str) -> Result<String> {
        let call = self
            .call_of("AllocatePublicIpAddress", Method::Post)
            .param("InstanceId", id);
        let r: wire::AllocatePublicIpAddress = self.run(call).await.result?;
        Ok(r.ip_address)
    }

    /// ModifyInstanceChargeType: converts up to 20 instances of this region
    /// to `charge_type` (`PostPaid` | `PrePaid`). It is always sent, as the
    /// API's default is PrePaid; payment is automatic (`AutoPay=true`). The
    /// token makes a retry after a lost answer harmless; a conversion that is
    /// already done must be checked for by the caller (DescribeInstances),
    /// as a new token would convert again.
    pub async fn modify_instance_charge_type(
        &self,
        ids: &[String],
        charge_type: &str,
        client_token: &str,
    ) -> Result<()> {
        check_token("ModifyInstanceChargeType", client_token)?;
        let call = self
            .call_of("ModifyInstanceChargeType", Method::Post)
            .param(
                "InstanceIds",
                serde_json::to_string(ids).expect("strings serialize"),
            )
            .param("InstanceChargeType", charge_type)
            .param("AutoPay", "true")
            .param("ClientToken", client_token);
        self.run_raw(call).await.result.map(|_| ())
    }

    /// ModifyPrepayInstanceSpec: a subscription instance's new type; returns
    /// the OrderId. An upgrade may be sent while the instance runs and takes
    /// effect at the next API start or restart (until then DescribeInstances
    /// shows the old type); a downgrade needs it Stopped and costs a refund.
    /// With `auto_pay` false, or a balance too low to pay, ECS only opens an
    /// order and nothing changes until it is paid. The token makes a retry
    /// after a lost answer harmless.
    pub async fn modify_prepay_instance_spec(
        &self,
        id: &str,
        spec: &PrepaySpec,
        client_token: &str,
    ) -> Result<String> {
        check_token("ModifyPrepayInstanceSpec", client_token)?;
        let call = self
            .call_of("ModifyPrepayInstanceSpec", Method::Post)
            .param("InstanceId", id)
            .param("InstanceType", spec.instance_type.clone())
            .param("OperatorType", spec.direction.operator_type())
            .param("AutoPay", spec.auto_pay.to_string())
            .param("RebootWhenFinished", spec.reboot_when_finished.to_string())
            .param("ClientToken", client_token);
        let r: wire::OrderAnswer = self.run(call).await.result?;
        Ok(r.order_id)
    }

    /// ModifyInstanceNetworkSpec of a subscription instance: returns the
    /// OrderId (empty if ECS sent none). A decrease of the outbound
    /// bandwidth is a downgrade (a refund, and no further bandwidth change
    /// until the next billing cycle); a rise from 0 brings a public IP by
    /// itself. `auto_pay` as for [`Client::modify_prepay_instance_spec`].
    pub async fn modify_prepaid_bandwidth(
        &self,
        id: &str,
        out: Option<i64>,
        inbound: Option<i64>,
        auto_pay: bool,
        client_token: &str,
    ) -> Result<String> {
        check_token("ModifyInstanceNetworkSpec", client_token)?;
        if out.is_none() && inbound.is_none() {
            return Err(nothing_to_change("ModifyInstanceNetworkSpec"));
        }
        let call = self
            .call_of("ModifyInstanceNetworkSpec", Method::Post)
            .param("InstanceId", id)
            .opt("InternetMaxBandwidthOut", out)
            .opt("InternetMaxBandwidthIn", inbound)
            .param("AutoPay", auto_pay.to_string())
            .param("ClientToken", client_token);
        let r: wire::OrderAnswer = self.run(call).await.result?;
        Ok(r.order_id)
    }

    /// DescribeInstanceAutoRenewAttribute of subscription instances, 100 ids
    /// a call, every page. A pay-as-you-go id fails the call
    /// (`ChargeTypeViolation`): ask for subscriptions only.
    pub async fn describe_instance_auto_renew_attribute(
        &self,
        ids: &[String],
    ) -> Result<Vec<AutoRenewAttribute>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(100) {
            let joined = chunk.join(",");
            let mut page: i64 = 1;
            loop {
                let call = self
                    .call_of("DescribeInstanceAutoRenewAttribute", Method::Get)
                    .param("InstanceId", joined.clone())
                    .param("PageSize", "100")
                    .param("PageNumber", page.to_string());
                let r: wire::DescribeInstanceAutoRenewAttribute = self.run(call).await.result?;
                let got = r.instance_renew_attributes.instance_renew_attribute;
                let empty = got.is_empty();
                out.extend(got.into_iter().map(AutoRenewAttribute::from));
                if empty || page * 100 >= r.total_count {
                    break;
                }
                page += 1;
            }
        }
        Ok(out)
    }

    /// Batched lookup of one subscription instance's auto-renewal, for
    /// Terraform's reads: concurrent calls share one
    /// DescribeInstanceAutoRenewAttribute of up to 100 ids, with the same
    /// rules as [`Client::read_instance`]. Ask for PrePaid instances only: a
    /// pay-as-you-go id fails the whole batch (`ChargeTypeViolation`).
    /// `Ok(None)`: not reported.
    pub async fn read_auto_renew(&self, id: &str) -> Result<Option<AutoRenewAttribute>> {
        let base = Client {
            inner: Arc::clone(&self.inner),
            deadline: None,
            ignore_cancel: false,
        };
        let fetch: Fetch<AutoRenewAttribute> = Arc::new(move |ids: Vec<String>| {
            let c = base.clone();
            async move { c.describe_instance_auto_renew_attribute(&ids).await }.boxed()
        });
        let lookup = self.inner.renew_batcher.lookup(id, fetch, Kind::Read);
        self.bounded("DescribeInstanceAutoRenewAttribute", lookup)
            .await
    }

    /// ModifyInstanceAutoRenewAttribute of subscription instances, 100 ids a
    /// call. Setting the same values again is harmless, so retries are safe.
    pub async fn modify_instance_auto_renew_attribute(
        &self,
        ids: &[String],
        setting: &AutoRenewSetting,
    ) -> Result<()> {
        for chunk in ids.chunks(100) {
            let mut call = self
                .call_of("ModifyInstanceAutoRenewAttribute", Method::Post)
                .param("InstanceId", chunk.join(","))
                .param("RenewalStatus", setting.renewal_status.as_str());
            if let Some((n, unit)) = setting.duration {
                call = call
                    .param("Duration", n.to_string())
                    .param("PeriodUnit", unit.as_str());
            }
            self.run_raw(call).await.result?;
        }
        Ok(())
    }

    /// ModifyInstanceAttribute: every attribute of `attrs` in one call; no
    /// call when `attrs` is empty. User data goes Base64-encoded, the
    /// password only into the signed body (never a log, error or Debug).
    ///
    /// The action takes no ClientToken, yet it is retried like a read: every
    /// attribute it carries is an absolute value (a name, a whole group list,
    /// a flag), so an attempt sent again after a lost answer sets the same
    /// values again and changes nothing more. Password and host name stay
    /// pending until the next API restart either way.
    pub async fn modify_instance_attribute(
        &self,
        id: &str,
        attrs: &ModifyAttributes,
    ) -> Result<()> {
        const ACTION: &str = "ModifyInstanceAttribute";
        if attrs.is_empty() {
            return Ok(());
        }
        if let Some(groups) = &attrs.security_group_ids {
            if groups.is_empty() {
                return Err(Error::local(
                    ErrorKind::InvalidParameter,
                    ACTION,
                    "MissingParameter",
                    "SecurityGroupIds.N replaces the whole list and needs at least one group",
                ));
            }
        }
        let mut call = self
            .call_of(ACTION, Method::Post)
            .param("InstanceId", id)
            .opt("InstanceName", attrs.instance_name.as_ref())
            .opt("Description", attrs.description.as_ref())
            .opt("HostName", attrs.host_name.as_ref())
            .opt("Password", attrs.password.as_ref().map(|p| p.expose()))
            .opt("UserData", attrs.user_data.as_deref().map(encode_user_data))
            .opt("DeletionProtection", attrs.deletion_protection);
        for (i, sg) in attrs.security_group_ids.iter().flatten().enumerate() {
            call = call.param(format!("SecurityGroupIds.{}", i + 1), sg.clone());
        }
        self.run_raw(call).await.result.map(|_| ())
    }

    /// ModifyInstanceVpcAttribute: another vSwitch (same VPC and zone) and/or
    /// private IP, instance Stopped, once per stop window. No ClientToken,
    /// and a second call in the same window is refused
    /// (`InvalidPrivateIp.Changing`), so after an attempt whose answer was
    /// lost the instance is read first: already on the vSwitch (and address)
    /// asked for counts as done.
    pub async fn modify_instance_vpc_attribute(
        &self,
        id: &str,
        req: &ModifyVpcAttributes,
    ) -> Result<()> {
        const ACTION: &str = "ModifyInstanceVpcAttribute";
        if req.vswitch_id.is_empty() {
            return Err(Error::local(
                ErrorKind::InvalidParameter,
                ACTION,
                "MissingVSwitchId",
                "VSwitchId is required (the current one when only the private IP changes)",
            ));
        }
        let call = self
            .call_of(ACTION, Method::Post)
            .param("InstanceId", id)
            .param("VSwitchId", req.vswitch_id.clone())
            .opt("PrivateIpAddress", req.private_ip_address.as_ref());
        let took_effect = |i: Option<&Instance>| {
            i.is_some_and(|i| {
                i.vswitch_id == req.vswitch_id
                    && req
                        .private_ip_address
                        .as_ref()
                        .is_none_or(|ip| i.private_ips.contains(ip))
            })
        };
        self.settle(call, id, None, &took_effect).await
    }

    /// ReplaceSystemDisk (instance Stopped): a new system disk from
    /// `req.image_id`; keeps the instance id, IPs and data disks. Returns the
    /// new disk's id. Retries reuse `client_token`, so a lost answer never
    /// wipes the disk twice.
    pub async fn replace_system_disk(
        &self,
        id: &str,
        req: &ReplaceSystemDiskRequest,
        client_token: &str,
    ) -> Result<String> {
        const ACTION: &str = "ReplaceSystemDisk";
        check_token(ACTION, client_token)?;
        if req.password.is_some() && req.password_inherit {
            return Err(Error::local(
                ErrorKind::InvalidParameter,
                ACTION,
                "InvalidParameter.Conflict",
                "Password and PasswordInherit are exclusive",
            ));
        }
        let call = self
            .call_of(ACTION, Method::Post)
            .param("InstanceId", id)
            .param("ImageId", req.image_id.clone())
            .opt("SystemDisk.Size", req.system_disk_size)
            .opt("Password", req.password.as_ref().map(|p| p.expose()))
            .opt("PasswordInherit", req.password_inherit.then_some(true))
            .opt("KeyPairName", req.key_pair_name.as_ref())
            .param("ClientToken", client_token);
        let r: wire::ReplaceSystemDisk = self.run(call).await.result?;
        Ok(r.disk_id)
    }

    /// AttachKeyPair of `key_pair_name` to instance `id` (Linux only;
    /// replaces any key, works in the guest after the next API restart).
    ///
    /// The answer carries one result per instance and an HTTP 200 can hide a
    /// failure: a failed result is returned as an error with its own code
    /// (`DependencyViolation.WindowsInstance`, ...). No ClientToken: after a
    /// lost answer the instance is read, and already bound to the key counts
    /// as done. One instance per call keeps that read (and the error) about
    /// one instance; key changes are rare.
    pub async fn attach_key_pair(&self, id: &str, key_pair_name: &str) -> Result<()> {
        let name = key_pair_name.to_string();
        self.key_pair_call("AttachKeyPair", id, key_pair_name, &|i| {
            i.is_some_and(|i| i.key_pair_name == name)
        })
        .await
    }

    /// DetachKeyPair of `key_pair_name` from instance `id`; like
    /// [`Client::attach_key_pair`], an instance read with no key after a
    /// lost answer counts as done.
    pub async fn detach_key_pair(&self, id: &str, key_pair_name: &str) -> Result<()> {
        let name = key_pair_name.to_string();
        self.key_pair_call("DetachKeyPair", id, key_pair_name, &|i| {
            i.is_some_and(|i| i.key_pair_name != name)
        })
        .await
    }

    async fn key_pair_call(
        &self,
        action: &'static str,
        id: &str,
        key_pair_name: &str,
        took_effect: &TookEffect<'_>,
    ) -> Result<()> {
        let call = self
            .call_of(action, Method::Post)
            .param(
                "InstanceIds",
                serde_json::to_string(&[id]).expect("strings serialize"),
            )
            .param("KeyPairName", key_pair_name);
        let Some(body) = self.settle_answer(call, id, None, took_effect).await? else {
            return Ok(());
        };
        let r: wire::KeyPairResults =
            wire::decode(&body).map_err(|m| malformed(action, &body, m))?;
        key_pair_outcome(action, id, r)
    }

    /// ResizeDisk: grows disk `disk_id` to `new_size_gib`. `Online` needs the
    /// instance Running and works at once; `Offline` takes effect at the next
    /// restart. Partitions and file systems are not grown. Retries reuse
    /// `client_token`.
    pub async fn resize_disk(
        &self,
        disk_id: &str,
        new_size_gib: i64,
        kind: ResizeType,
        client_token: &str,
    ) -> Result<()> {
        check_token("ResizeDisk", client_token)?;
        let call = self
            .call_of("ResizeDisk", Method::Post)
            .param("DiskId", disk_id)
            .param("NewSize", new_size_gib.to_string())
            .param("Type", kind.as_str())
            .param("ClientToken", client_token);
        self.run_raw(call).await.result.map(|_| ())
    }

    /// RebootInstance (Running → Starting → Running): the API restart that
    /// makes pending password, host name and key pair changes effective.
    ///
    /// No ClientToken, and a second reboot is not harmless, so after a lost
    /// answer the instance is read first: Stopping or Starting, or a
    /// `StartTime` other than `last_start_time` (the caller's last read of
    /// [`Instance::start_time`]; empty: unknown), counts as done.
    pub async fn reboot_instance(
        &self,
        id: &str,
        force_stop: bool,
        last_start_time: &str,
    ) -> Result<()> {
        let call = self
            .call_of("RebootInstance", Method::Post)
            .param("InstanceId", id)
            .param("ForceStop", force_stop.to_string());
        let took_effect = |i: Option<&Instance>| {
            i.is_some_and(|i| {
                matches!(i.status.as_str(), "Stopping" | "Starting")
                    || (!last_start_time.is_empty()
                        && !i.start_time.is_empty()
                        && i.start_time != last_start_time)
            })
        };
        self.settle(call, id, Some(ErrorKind::InvalidStatus), &took_effect)
            .await
    }

    /// DescribeUserData: the instance's user data, decoded from Base64
    /// (empty when it has none).
    pub async fn describe_user_data(&self, id: &str) -> Result<Vec<u8>> {
        use base64::Engine;
        let call = self
            .call_of("DescribeUserData", Method::Get)
            .param("InstanceId", id);
        let r: wire::DescribeUserData = self.run(call).await.result?;
        base64::engine::general_purpose::STANDARD
            .decode(r.user_data.trim())
            .map_err(|e| {
                Error::local(
                    ErrorKind::Other,
                    "DescribeUserData",
                    codes::INVALID_RESPONSE,
                    format!("UserData is not Base64: {e}"),
                )
            })
    }

    /// DescribeDisks, every page; `disk_ids` are asked 100 at a time.
    pub async fn describe_disks(&self, filter: &DiskFilter) -> Result<Vec<Disk>> {
        let groups: Vec<&[String]> = if filter.disk_ids.is_empty() {
            vec![&[]]
        } else {
            filter.disk_ids.chunks(100).collect()
        };
        let mut out = Vec::new();
        for group in groups {
            let mut next_token = String::new();
            loop {
                let call = self
                    .call_of("DescribeDisks", Method::Get)
                    .param("MaxResults", "100")
                    .opt("InstanceId", filter.instance_id.as_ref())
                    .opt("DiskType", filter.disk_type.as_ref())
                    .opt(
                        "DiskIds",
                        (!group.is_empty())
                            .then(|| serde_json::to_string(group).expect("strings serialize")),
                    )
                    .opt("NextToken", (!next_token.is_empty()).then_some(&next_token));
                let page: wire::DescribeDisks = self.run(call).await.result?;
                out.extend(page.disks.disk.into_iter().map(Disk::from));
                if page.next_token.is_empty() || page.next_token == next_token {
                    break;
                }
                next_token = page.next_token;
            }
        }
        Ok(out)
    }

    /// Batched lookup of one disk by id, for Terraform's reads: concurrent
    /// calls share one DescribeDisks of up to 100 `DiskIds`, with the same
    /// rules as [`Client::read_instance`]. `Ok(None)`: no such disk. For a
    /// fleet's refresh this is one call per 100 instances where
    /// [`Client::system_disk`] is one per instance.
    pub async fn read_disk(&self, disk_id: &str) -> Result<Option<Disk>> {
        let base = Client {
            inner: Arc::clone(&self.inner),
            deadline: None,
            ignore_cancel: false,
        };
        let fetch: Fetch<Disk> = Arc::new(move |ids: Vec<String>| {
            let c = base.clone();
            async move {
                let filter = DiskFilter {
                    disk_ids: ids,
                    ..Default::default()
                };
                c.describe_disks(&filter).await
            }
            .boxed()
        });
        let lookup = self.inner.disk_batcher.lookup(disk_id, fetch, Kind::Read);
        self.bounded("DescribeDisks", lookup).await
    }

    /// The system disk of instance `id` (DescribeDisks, one call).
    pub async fn system_disk(&self, id: &str) -> Result<Option<Disk>> {
        let filter = DiskFilter {
            instance_id: Some(id.to_string()),
            disk_type: Some("system".into()),
            disk_ids: Vec::new(),
        };
        Ok(self
            .describe_disks(&filter)
            .await?
            .into_iter()
            .find(|d| d.instance_id == id && d.disk_type == "system"))
    }

    /// DescribeKeyPairs for one name: `None` when no key pair has it.
    pub async fn describe_key_pair(&self, name: &str) -> Result<Option<KeyPair>> {
        self.describe_one(
            "DescribeKeyPairs",
            "KeyPairName",
            name,
            |r: wire::DescribeKeyPairs| {
                r.key_pairs
                    .key_pair
                    .into_iter()
                    .map(KeyPair::from)
                    .collect()
            },
            |k: &KeyPair| k.key_pair_name == name,
        )
        .await
    }

    /// DescribeVSwitches (the ECS API's own) for one id: its VPC, zone and
    /// CIDR block; `None` when it does not exist.
    pub async fn describe_vswitch(&self, id: &str) -> Result<Option<VSwitch>> {
        self.describe_one(
            "DescribeVSwitches",
            "VSwitchId",
            id,
            |r: wire::DescribeVSwitches| {
                r.vswitches.vswitch.into_iter().map(VSwitch::from).collect()
            },
            |v: &VSwitch| v.vswitch_id == id,
        )
        .await
    }

    /// DescribeImages for one id: its OS type and size; `None` when no
    /// available image has it.
    pub async fn describe_image(&self, id: &str) -> Result<Option<Image>> {
        self.describe_one(
            "DescribeImages",
            "ImageId",
            id,
            |r: wire::DescribeImages| r.images.image.into_iter().map(Image::from).collect(),
            |i: &Image| i.image_id == id,
        )
        .await
    }

    /// One page of a Describe* action filtered by `param = value`, and the
    /// item that `is_it` picks from it (the filter is exact on ECS; the pick
    /// guards against a lenient one).
    async fn describe_one<W: DeserializeOwned, T>(
        &self,
        action: &'static str,
        param: &'static str,
        value: &str,
        items: impl FnOnce(W) -> Vec<T>,
        is_it: impl Fn(&T) -> bool,
    ) -> Result<Option<T>> {
        let call = self
            .call_of(action, Method::Get)
            .param(param, value)
            .param("PageSize", "50");
        let r: W = self.run(call).await.result?;
        Ok(items(r).into_iter().find(|t| is_it(t)))
    }
}

/// What a read before resending a token-less call checks: did an earlier
/// attempt already do the work?
type TookEffect<'a> = dyn Fn(Option<&Instance>) -> bool + Send + Sync + 'a;

/// `UserData` as sent: Base64 of the bytes.
fn encode_user_data(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A key pair answer → `Ok` only when instance `id` succeeded: a 200 can
/// carry a failed instance (`Success=false`, `FailCount` > 0).
fn key_pair_outcome(action: &str, id: &str, r: wire::KeyPairResults) -> Result<()> {
    let request_id = (!r.request_id.is_empty()).then(|| r.request_id.clone());
    let mine = r.results.result.iter().find(|x| x.instance_id == id);
    match mine {
        Some(x) if x.success => Ok(()),
        Some(x) => {
            let code = if x.code.is_empty() || x.code == "200" {
                "InternalError"
            } else {
                x.code.as_str()
            };
            Err(Error::api(
                action,
                Some(200),
                code,
                &format!("instance {id}: {}", x.message),
                request_id,
            ))
        }
        None if r.fail_count == 0 => Ok(()),
        None => Err(Error::local(
            ErrorKind::Other,
            action,
            codes::INVALID_RESPONSE,
            format!(
                "FailCount is {} but no result names instance {id} [RequestId: {}]",
                r.fail_count, r.request_id
            ),
        )),
    }
}

/// The `StoppedMode` sent when the caller names none.
pub const KEEP_CHARGING: &str = "KeepCharging";

/// Whether a failed attempt may still have reached ECS and been applied.
fn may_have_been_applied(e: &Error) -> bool {
    matches!(
        e.kind,
        ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Transport
    ) && e.code != codes::CONNECT_TIMEOUT
}

fn check_token(action: &str, token: &str) -> Result<()> {
    if token.is_empty() || token.len() > 64 || !token.is_ascii() {
        return Err(Error::local(
            ErrorKind::InvalidParameter,
            action,
            "InvalidClientToken.ValueNotSupported",
            format!(
                "ClientToken must be 1–64 ASCII characters, got {} bytes",
                token.len()
            ),
        ));
    }
    Ok(())
}

fn nothing_to_change(action: &str) -> Error {
    Error::local(
        ErrorKind::InvalidParameter,
        action,
        "MissingParameter",
        "neither InternetMaxBandwidthOut nor InternetMaxBandwidthIn was given",
    )
}

/// The error for a 2xx answer whose body is not the expected JSON.
fn malformed(action: &str, body: &[u8], why: String) -> Error {
    let message = if body.iter().all(u8::is_ascii_whitespace) {
        "the answer's body is empty".to_string()
    } else {
        let shown: String = String::from_utf8_lossy(body).chars().take(120).collect();
        format!("{why}; the body starts with {shown:?}")
    };
    Error::local(ErrorKind::Other, action, codes::MALFORMED_RESPONSE, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_for_the_default_https_endpoint_and_refuses_bad_config() {
        use crate::ecs::Secret;
        let cfg = ClientConfig::new("cn-hangzhou", "ak", Secret::new("sk"));
        let client = Client::new(cfg.clone()).expect("rustls client builds");
        assert_eq!(client.region(), "cn-hangzhou");
        assert_eq!(client.requests_sent(), 0);
        assert!(!format!("{client:?}").contains("sk\""));
        let bad = ClientConfig::new("cn-hangzhou", "ak", Secret::new(""));
        let err = Client::new(bad).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidParameter);
        assert!(err.to_string().contains("secret_key"), "{err}");
    }

    #[test]
    fn client_tokens_fit_the_api_limit_and_differ() {
        for action in [
            "ModifyInstanceNetworkSpec",
            "RunInstances",
            "a-very-long-action-name-that-goes-on-and-on",
            "",
        ] {
            let t = Client::new_client_token(action);
            assert!(t.len() <= 64 && t.is_ascii(), "{t}");
            assert!(t.starts_with("tfecs-"), "{t}");
        }
        assert_eq!(
            Client::new_client_token("ModifyInstanceNetworkSpec").len(),
            64,
            "the longest action fits whole"
        );
        assert!(Client::new_client_token("RunInstances").starts_with("tfecs-RunInstances-"));
        assert_ne!(Client::new_client_token("X"), Client::new_client_token("X"));
    }
}

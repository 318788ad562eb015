//! The admin API, for tests and demos, answered only to loopback peers:
//!
//! - `GET /_emulator/health` → 200 `{"status":"ok"}`
//! - `GET /_emulator/instances` → array of DescribeInstances `Instance`
//!   objects, each with the emulator-only `Flags`, `RefundsUsed` and
//!   `PendingInstanceType` (a subscription type change awaiting a restart)
//! - `POST /_emulator/instances/{id}` with a JSON object of `Instance`
//!   fields → sets them out of band (drift); creates the instance when it
//!   does not exist (201), like a seed entry
//! - `DELETE /_emulator/instances/{id}` → 204, or 404
//! - `GET /_emulator/instances/{id}/guest` → what the guest OS uses and what
//!   waits for the next API restart: `{"InstanceId", "Effective":
//!   {"HostName","PasswordHash","KeyPairName"}, "Configured": {...},
//!   "PendingRestart": bool}`; `PasswordHash` is the hex SHA-256 of
//!   `<instance id>:<password>` (empty: none set). 404 for no such instance
//! - `POST /_emulator/account` with `{"Arrearage":bool,"NotEnoughBalance":bool,
//!   "LowBalance":bool}`
//! - `GET /_emulator/orders` → `{"Orders":[…]}`, subscription change orders;
//!   `POST /_emulator/orders/{id}` with `{"Status":"Paid"|"Cancelled"}`
//!   pays (applies its change) or cancels an unpaid or abnormal order
//! - `GET /_emulator/journal` → `{"settings":{…},"requests":[…],"status_changes":[…]}`
//! - `GET /_emulator/timeline` → the journal as a self-contained HTML page
//!   (see `timeline`)
//! - `POST /_emulator/hooks` with a [`HookSpec`] → 201 `{"Id":n}`;
//!   `GET /_emulator/hooks` → `{"Hooks":[…],"Fired":[…]}`;
//!   `DELETE /_emulator/hooks` → 204 (see `hooks`)
//!
//! Changes are persisted like API changes before the answer.

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::fields::InstanceFields;
use super::hooks::HookSpec;
use super::instance::Instance;
use super::journal::JournalSettings;
use super::server::PeerAddr;
use super::state::Emulator;
use super::subscription::{self, Order};
use super::timeline::{render, Timeline};

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

/// Refuses non-loopback peers with 403.
pub async fn loopback_only(req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<PeerAddr>().map(|p| p.0).or_else(|| {
        req.extensions()
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0)
    });
    match peer {
        Some(addr) if !addr.ip().is_loopback() => error(
            StatusCode::FORBIDDEN,
            "the admin API answers loopback clients only",
        ),
        _ => next.run(req).await,
    }
}

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

fn admin_view(inst: &Instance, region: &str) -> Value {
    let mut v = inst.to_wire(region);
    v["Flags"] = serde_json::to_value(inst.flags).unwrap_or(Value::Null);
    let sub = &inst.subscription;
    v["RefundsUsed"] = json!(sub.refunds);
    v["PendingInstanceType"] = json!(sub.pending_type);
    v
}

pub async fn list(State(emu): State<Emulator>) -> Json<Value> {
    let store = emu.lock();
    let region = &emu.config().region;
    Json(Value::Array(
        store
            .ordered()
            .into_iter()
            .map(|i| admin_view(i, region))
            .collect(),
    ))
}

async fn persist_or_500(emu: &Emulator, snapshot: Option<(u64, Vec<u8>)>) -> Result<(), Response> {
    emu.persist(snapshot).await.map_err(|e| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the state file: {e}"),
        )
    })
}

pub async fn upsert(State(emu): State<Emulator>, Path(id): Path<String>, body: Bytes) -> Response {
    let fields: InstanceFields = match serde_json::from_slice(&body) {
        Ok(f) => f,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("body must be a JSON object of DescribeInstances Instance fields: {e}"),
            )
        }
    };
    let now = Utc::now();
    let (status, view, snapshot) = {
        let mut store = emu.lock();
        let created = !store.instances.contains_key(&id);
        let result = if created {
            let mut fields = fields;
            if fields.instance_id.as_ref().is_some_and(|x| *x != id) {
                Err(format!(
                    "InstanceId in the body differs from {id:?} in the path"
                ))
            } else {
                fields.instance_id = Some(id.clone());
                fields.build(&mut store, emu.config(), now).map(|inst| {
                    store.insert(inst, now);
                })
            }
        } else {
            let mut inst = store.instances[&id].clone();
            let before = inst.status;
            fields.apply(&mut inst).map(|()| {
                if inst.status != before {
                    store.journal.record_status(
                        now,
                        &id,
                        &inst.instance_type,
                        Some(before.as_str()),
                        inst.status.as_str(),
                    );
                }
                store.instances.insert(id.clone(), inst);
            })
        };
        if let Err(m) = result {
            return error(StatusCode::BAD_REQUEST, m);
        }
        let view = admin_view(&store.instances[&id], &emu.config().region);
        let status = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        (status, view, emu.changed(&mut store))
    };
    if let Err(r) = persist_or_500(&emu, snapshot).await {
        return r;
    }
    (status, Json(view)).into_response()
}

pub async fn guest(State(emu): State<Emulator>, Path(id): Path<String>) -> Response {
    let store = emu.lock();
    match store.instances.get(&id) {
        Some(inst) => Json(inst.guest_view()).into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no instance {id:?}")),
    }
}

pub async fn remove(State(emu): State<Emulator>, Path(id): Path<String>) -> Response {
    let snapshot = {
        let mut store = emu.lock();
        if store.remove(&id, Utc::now()).is_none() {
            return error(StatusCode::NOT_FOUND, format!("no instance {id:?}"));
        }
        emu.changed(&mut store)
    };
    if let Err(r) = persist_or_500(&emu, snapshot).await {
        return r;
    }
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct AccountPatch {
    arrearage: Option<bool>,
    not_enough_balance: Option<bool>,
    low_balance: Option<bool>,
}

pub async fn account(State(emu): State<Emulator>, body: Bytes) -> Response {
    let patch: AccountPatch = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("body must be {{\"Arrearage\":bool,\"NotEnoughBalance\":bool,\"LowBalance\":bool}}: {e}"),
            )
        }
    };
    let (view, snapshot) = {
        let mut store = emu.lock();
        if let Some(v) = patch.arrearage {
            store.account.arrearage = v;
        }
        if let Some(v) = patch.not_enough_balance {
            store.account.not_enough_balance = v;
        }
        if let Some(v) = patch.low_balance {
            store.account.low_balance = v;
        }
        let view = serde_json::to_value(store.account).unwrap_or(Value::Null);
        (view, emu.changed(&mut store))
    };
    if let Err(r) = persist_or_500(&emu, snapshot).await {
        return r;
    }
    Json(view).into_response()
}

pub async fn orders(State(emu): State<Emulator>) -> Json<Value> {
    let store = emu.lock();
    let list: Vec<Value> = store.orders.iter().map(Order::to_json).collect();
    Json(json!({ "Orders": list }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct OrderPatch {
    status: String,
}

/// Pays or cancels an order, as the user would in the billing console.
pub async fn settle_order(
    State(emu): State<Emulator>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let pay = match serde_json::from_slice::<OrderPatch>(&body) {
        Ok(p) if p.status == "Paid" => true,
        Ok(p) if p.status == "Cancelled" => false,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "body must be {\"Status\":\"Paid\"} or {\"Status\":\"Cancelled\"}",
            )
        }
    };
    let (view, snapshot) = {
        let mut store = emu.lock();
        let shown = subscription::Shown::of(emu.config().subscription_type_shown_early);
        match subscription::settle(&mut store, &id, pay, shown, Utc::now()) {
            Ok(Some(order)) => (order.to_json(), emu.changed(&mut store)),
            Ok(None) => return error(StatusCode::NOT_FOUND, format!("no order {id:?}")),
            Err(m) => return error(StatusCode::CONFLICT, m),
        }
    };
    if let Err(r) = persist_or_500(&emu, snapshot).await {
        return r;
    }
    Json(view).into_response()
}

pub async fn journal(State(emu): State<Emulator>) -> Json<Value> {
    let settings = JournalSettings::of(emu.config());
    Json(emu.lock().journal.to_json(&settings))
}

pub async fn timeline(State(emu): State<Emulator>) -> Response {
    let settings = JournalSettings::of(emu.config());
    let journal = emu.lock().journal.to_json(&settings);
    let title = format!("ecs-emulator timeline ({})", emu.config().region);
    match Timeline::from_journal(&journal) {
        Ok(tl) => (
            [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
            render(&tl, &title),
        )
            .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

pub async fn hooks(State(emu): State<Emulator>) -> Json<Value> {
    Json(emu.shared.hooks.to_json())
}

pub async fn add_hook(State(emu): State<Emulator>, body: Bytes) -> Response {
    let spec: HookSpec = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("body must be a hook object (Action, InstanceId, Phase, Skip, Times, HoldMs, Drop, TransitionMs, BlackoutMs): {e}"),
            )
        }
    };
    if spec.action.is_empty() {
        return error(StatusCode::BAD_REQUEST, "Action is required");
    }
    let id = emu.shared.hooks.add(spec);
    (StatusCode::CREATED, Json(json!({"Id": id}))).into_response()
}

pub async fn clear_hooks(State(emu): State<Emulator>) -> Response {
    emu.shared.hooks.clear();
    StatusCode::NO_CONTENT.into_response()
}

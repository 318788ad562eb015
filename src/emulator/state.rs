//! [`Emulator`]: the shared state behind every connection: the settings,
//! the store under one mutex, the nonce cache, the throttle buckets and the
//! state-file writer.
//!
//! The store mutex is a `std::sync::Mutex`: every critical section is short
//! and never awaits (actions are synchronous), which is the case where Tokio
//! recommends the blocking mutex. Disk writes happen after the lock is
//! released, ordered by the persister.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::Utc;

use super::auth::NonceCache;
use super::config::Config;
use super::faults::Throttle;
use super::hooks::Hooks;
use super::persist::{self, Persister};
use super::seed;
use super::store::Store;
use super::timing::Timing;

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("invalid setting: {0}")]
    Config(String),
    #[error("seed file {path}: {message}")]
    Seed { path: String, message: String },
    #[error("state file {path}: {message}")]
    State { path: String, message: String },
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

pub(crate) struct Shared {
    pub config: Config,
    pub store: Mutex<Store>,
    pub nonces: NonceCache,
    pub throttle: Throttle,
    pub persister: Option<Persister>,
    pub hooks: Hooks,
    pub identity: super::identity::Identity,
}

/// A running emulator's state; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct Emulator {
    pub(crate) shared: Arc<Shared>,
}

impl Emulator {
    /// Builds the state: from the state file when it exists, else from the
    /// seed file, else empty. With a state file, the initial state is
    /// written before this returns.
    ///
    /// # Errors
    /// Bad settings, or an unreadable/invalid seed or state file, naming
    /// the file and the problem.
    pub fn new(config: Config) -> Result<Self, EmulatorError> {
        config.validate().map_err(EmulatorError::Config)?;
        let now = Utc::now();
        let loaded = match &config.state {
            Some(path) => persist::load(path).map_err(|message| EmulatorError::State {
                path: path.display().to_string(),
                message,
            })?,
            None => None,
        };
        let store = match loaded {
            Some(store) => store,
            None => seeded(&config, now)?,
        };
        if let Some(path) = &config.state {
            persist::write_atomic(path, &persist::encode(&store)).map_err(|e| {
                EmulatorError::State {
                    path: path.display().to_string(),
                    message: e.to_string(),
                }
            })?;
        }
        let mut store = store;
        store.timing = Timing::new(
            config.transition_spread,
            &config.transition_factors,
            config.transition_seed,
        );
        let persister = config.state.clone().map(Persister::new);
        Ok(Emulator {
            shared: Arc::new(Shared {
                throttle: Throttle::new(config.throttle_qps),
                nonces: NonceCache::default(),
                store: Mutex::new(store),
                persister,
                hooks: Hooks::default(),
                identity: Default::default(),
                config,
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Locks the store and applies due transitions. A panic while the lock
    /// was held does not wedge the emulator: the store is plain data and
    /// each action validates before it changes anything.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        let mut store = self.shared.store.lock().unwrap_or_else(|e| e.into_inner());
        store.advance(Utc::now());
        store
    }

    /// After a change under the lock: bumps the generation and, with a
    /// state file, returns the snapshot to write.
    pub(crate) fn changed(&self, store: &mut Store) -> Option<(u64, Vec<u8>)> {
        store.generation += 1;
        self.shared
            .persister
            .as_ref()
            .map(|_| (store.generation, persist::encode(store)))
    }

    /// Puts a snapshot from [`Emulator::changed`] on disk.
    ///
    /// # Errors
    /// The I/O error; the change must then not be acknowledged.
    pub(crate) async fn persist(&self, snapshot: Option<(u64, Vec<u8>)>) -> std::io::Result<()> {
        match (snapshot, &self.shared.persister) {
            (Some((generation, bytes)), Some(p)) => p.write(generation, bytes).await,
            _ => Ok(()),
        }
    }

    /// Applies due transitions now (the background ticker calls this so
    /// the journal is timely even when nobody asks).
    pub fn tick(&self) {
        drop(self.lock());
    }
}

fn seeded(config: &Config, now: chrono::DateTime<Utc>) -> Result<Store, EmulatorError> {
    let mut store = Store::default();
    let Some(path) = &config.seed else {
        return Ok(store);
    };
    let err = |message: String| EmulatorError::Seed {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let seed = seed::parse(&text).map_err(err)?;
    store.account = seed.account;
    for (i, fields) in seed.instances.into_iter().enumerate() {
        let inst = fields
            .build(&mut store, config, now)
            .map_err(|m| err(format!("instance #{}: {m}", i + 1)))?;
        if store.instances.contains_key(&inst.id) {
            return Err(err(format!(
                "instance #{}: duplicate InstanceId {}",
                i + 1,
                inst.id
            )));
        }
        store.insert(inst, now);
    }
    Ok(store)
}

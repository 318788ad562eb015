//! Merges concurrent tag changes of many instances into one call.
//!
//! TagResources and UntagResources take up to [`MAX_RESOURCES`] instance
//! ids (`ResourceId.N`) with the same tags. A fleet apply tags and untags
//! each instance once; sent one by one that would add two calls per
//! instance, which under throttling is wall time. So each change joins the
//! open batch for the same operation (same tags): the batch closes when its
//! window ends or when it is full, and one call answers everyone.
//!
//! Both calls are idempotent (tagging again sets the same value, untagging
//! a missing tag is no error), so a batch is retried as a whole. If a batch
//! of several ids is refused because one of them is gone, each id is sent
//! alone, so one deleted instance never fails the others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::oneshot;

use super::codes;
use super::error::{Error, ErrorKind, Result};

/// `ResourceId.N`: N is 1 to 50 on TagResources and UntagResources.
pub const MAX_RESOURCES: usize = 50;

/// Sends one call for a batch: ids in.
pub type Send =
    Arc<dyn Fn(Vec<String>) -> BoxFuture<'static, Result<()>> + std::marker::Send + Sync>;

type Reply = oneshot::Sender<Result<()>>;

struct Open {
    generation: u64,
    ids: Vec<String>,
    waiters: Vec<(String, Reply)>,
}

/// One open batch per operation key (e.g. "tag k=v", "untag k").
pub struct TagBatcher {
    window: Duration,
    open: Arc<Mutex<HashMap<String, Open>>>,
    generations: std::sync::atomic::AtomicU64,
}

impl TagBatcher {
    pub fn new(window: Duration) -> TagBatcher {
        TagBatcher {
            window,
            open: Arc::new(Mutex::new(HashMap::new())),
            generations: Default::default(),
        }
    }

    /// Joins `id` to the open batch of `op` and waits for its answer.
    pub async fn submit(&self, op: &str, id: &str, send: Send) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        let full = {
            let mut open = self.open.lock().unwrap();
            let batch = open.entry(op.to_string()).or_insert_with(|| {
                let generation = self
                    .generations
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.close_later(op.to_string(), generation, send.clone());
                Open {
                    generation,
                    ids: Vec::new(),
                    waiters: Vec::new(),
                }
            });
            if !batch.ids.iter().any(|x| x == id) {
                batch.ids.push(id.to_string());
            }
            batch.waiters.push((id.to_string(), tx));
            if batch.ids.len() >= MAX_RESOURCES {
                open.remove(op)
            } else {
                None
            }
        };
        if let Some(batch) = full {
            tokio::spawn(answer(batch, send));
        }
        rx.await.unwrap_or_else(|_| {
            Err(Error::local(
                ErrorKind::Other,
                "TagResources",
                codes::INVALID_RESPONSE,
                "the batched tag change ended without an answer",
            ))
        })
    }

    fn close_later(&self, op: String, generation: u64, send: Send) {
        let open = Arc::clone(&self.open);
        let window = self.window;
        tokio::spawn(async move {
            tokio::time::sleep(window).await;
            let batch = {
                let mut open = open.lock().unwrap();
                match open.get(&op) {
                    Some(b) if b.generation == generation => open.remove(&op),
                    _ => None,
                }
            };
            if let Some(batch) = batch {
                answer(batch, send).await;
            }
        });
    }
}

/// The refusal TagResources/UntagResources give when an id does not exist.
pub fn is_gone(e: &Error) -> bool {
    e.kind == ErrorKind::NotFound || e.code == "InvalidResourceId.NotFound"
}

async fn answer(batch: Open, send: Send) {
    tracing::debug!(ids = batch.ids.len(), "ecs batched tag change");
    let result = send(batch.ids.clone()).await;
    match result {
        Err(e) if is_gone(&e) && batch.ids.len() > 1 => {
            // One of them is gone: answer each on its own.
            let mut each = HashMap::new();
            for id in &batch.ids {
                each.insert(id.clone(), send(vec![id.clone()]).await);
            }
            for (id, reply) in batch.waiters {
                let r = each.get(&id).cloned().unwrap_or(Ok(()));
                let _ = reply.send(r);
            }
        }
        other => {
            for (_, reply) in batch.waiters {
                let _ = reply.send(other.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    fn fake(calls: Arc<Mutex<Vec<Vec<String>>>>) -> Send {
        Arc::new(move |ids: Vec<String>| {
            calls.lock().unwrap().push(ids.clone());
            async move {
                if ids.iter().any(|i| i.ends_with("-gone")) {
                    return Err(Error::api(
                        "TagResources",
                        Some(404),
                        "InvalidResourceId.NotFound",
                        "",
                        None,
                    ));
                }
                Ok(())
            }
            .boxed()
        })
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_changes_share_calls_of_at_most_50_ids_per_operation() {
        let b = Arc::new(TagBatcher::new(Duration::from_millis(50)));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let send = fake(calls.clone());
        let tasks: Vec<_> = (0..120)
            .map(|i| {
                let (b, s) = (b.clone(), send.clone());
                let op = if i % 2 == 0 { "tag" } else { "untag" };
                tokio::spawn(async move { b.submit(op, &format!("i-{i}"), s).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let mut sizes: Vec<usize> = calls.lock().unwrap().iter().map(Vec::len).collect();
        sizes.sort_unstable();
        assert_eq!(sizes, vec![10, 10, 50, 50]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_gone_instance_fails_only_itself() {
        let b = Arc::new(TagBatcher::new(Duration::from_millis(50)));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let send = fake(calls.clone());
        let (a, gone) = tokio::join!(
            b.submit("tag", "i-1", send.clone()),
            b.submit("tag", "i-2-gone", send.clone())
        );
        assert!(a.is_ok());
        assert!(is_gone(&gone.unwrap_err()));
        assert_eq!(calls.lock().unwrap().len(), 3, "one batch, then each alone");
    }
}

//! The replay store: a challenge id is spent exactly once.
//!
//! * [`MemoryStore`]: in-process, bounded; entries expire with their challenge; expired
//!   entries are purged a few at a time on each insert (never a full sweep that would
//!   stall a request); at the configured maximum of unexpired entries it refuses (the gate
//!   answers 503) rather than forget one.
//! * Redis: `SET grindstone:spent:<id> 1 NX EX <ttl>`, atomic across gate instances.
//!
//! Either way, a store that cannot answer makes verification fail closed.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::Duration;

/// Expired entries purged per insert.
const PURGE_PER_INSERT: usize = 64;
/// Redis key prefix.
pub const REDIS_PREFIX: &str = "grindstone:spent:";

/// Why the store could not answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// The memory store holds its maximum of unexpired entries.
    #[error("replay store is full ({0} unexpired entries); try again later")]
    Full(usize),
    /// Redis did not answer.
    #[error("replay store unavailable: {0}")]
    Unavailable(String),
}

#[derive(Default)]
struct Inner {
    expiry: HashMap<String, i64>,
    by_expiry: BTreeSet<(i64, String)>,
}

/// The in-memory store.
pub struct MemoryStore {
    inner: Mutex<Inner>,
    max: usize,
}

impl MemoryStore {
    /// A store holding at most `max` unexpired entries.
    pub fn new(max: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            max: max.max(1),
        }
    }

    /// Marks `id` spent until `expires_at` (Unix seconds). `Ok(false)`: already spent.
    pub fn spend(&self, id: &str, expires_at: i64, now: i64) -> Result<bool, StoreError> {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..PURGE_PER_INSERT {
            match g.by_expiry.first() {
                Some((exp, _)) if *exp < now => {
                    let (_, k) = g.by_expiry.pop_first().expect("non-empty");
                    g.expiry.remove(&k);
                }
                _ => break,
            }
        }
        if g.expiry.contains_key(id) {
            return Ok(false);
        }
        if g.expiry.len() >= self.max {
            return Err(StoreError::Full(g.expiry.len()));
        }
        g.expiry.insert(id.to_string(), expires_at);
        g.by_expiry.insert((expires_at, id.to_string()));
        Ok(true)
    }

    /// Entries held (expired ones not yet purged included).
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .expiry
            .len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where spent challenge ids are kept.
pub enum ReplayStore {
    /// In this process.
    Memory(MemoryStore),
    /// In Redis, shared by gate instances.
    Redis(redis::aio::ConnectionManager),
}

impl ReplayStore {
    /// An in-memory store of at most `max` entries.
    pub fn memory(max: usize) -> Self {
        Self::Memory(MemoryStore::new(max))
    }

    /// A Redis store at `url` (`redis://host:port/db`); fails if Redis does not answer.
    pub async fn redis(url: &str) -> Result<Self, StoreError> {
        let client =
            redis::Client::open(url).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let cfg = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let cm = tokio::time::timeout(
            Duration::from_secs(5),
            client.get_connection_manager_with_config(cfg),
        )
        .await
        .map_err(|_| StoreError::Unavailable(format!("no answer from {url}")))?
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let store = Self::Redis(cm);
        store.ping().await?;
        Ok(store)
    }

    /// `"memory"` or `"redis"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Memory(_) => "memory",
            Self::Redis(_) => "redis",
        }
    }

    /// Marks `id` spent until `expires_at` (Unix seconds). `Ok(true)`: spent now;
    /// `Ok(false)`: it already was.
    pub async fn spend(&self, id: &str, expires_at: i64, now: i64) -> Result<bool, StoreError> {
        match self {
            Self::Memory(m) => m.spend(id, expires_at, now),
            Self::Redis(cm) => {
                let ttl = (expires_at - now).max(1);
                let mut c = cm.clone();
                let r: Option<String> = redis::cmd("SET")
                    .arg(format!("{REDIS_PREFIX}{id}"))
                    .arg(1)
                    .arg("NX")
                    .arg("EX")
                    .arg(ttl)
                    .query_async(&mut c)
                    .await
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                Ok(r.is_some())
            }
        }
    }

    /// Whether the store answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Redis(cm) => {
                let mut c = cm.clone();
                let _: String = redis::cmd("PING")
                    .query_async(&mut c)
                    .await
                    .map_err(|e| StoreError::Unavailable(e.to_string()))?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_spends_once_expires_and_refuses_when_full() {
        let m = MemoryStore::new(2);
        assert_eq!(m.spend("a", 100, 0), Ok(true));
        assert_eq!(m.spend("a", 100, 0), Ok(false));
        assert_eq!(m.spend("b", 50, 0), Ok(true));
        assert_eq!(m.spend("c", 100, 0), Err(StoreError::Full(2)));
        // Still spent while unexpired, even when full.
        assert_eq!(m.spend("a", 100, 10), Ok(false));
        // Once b has expired it is purged, making room.
        assert_eq!(m.spend("c", 100, 60), Ok(true));
        assert_eq!(m.len(), 2);
        assert_eq!(m.spend("a", 100, 60), Ok(false));
    }

    #[test]
    fn memory_purge_is_amortised() {
        let m = MemoryStore::new(10_000);
        for i in 0..1000 {
            m.spend(&i.to_string(), 10, 0).unwrap();
        }
        // Each insert purges at most PURGE_PER_INSERT expired entries.
        m.spend("x", 100, 20).unwrap();
        assert_eq!(m.len(), 1000 - PURGE_PER_INSERT + 1);
    }
}

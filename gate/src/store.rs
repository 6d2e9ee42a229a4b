//! The replay store: a challenge id is spent exactly once.
//!
//! * [`DurableStore`]: an embedded database (fjall); a spend is answered once its journal
//!   write is in the kernel (a sync starts within
//!   [`SYNC_INTERVAL`](crate::durable::SYNC_INTERVAL)), and after a machine crash (or
//!   at the store's creation) the challenges issued before are refused
//!   ([`ReplayStore::horizon`]), so spent stays spent across restarts and crashes; the
//!   default whenever the gate's key outlives the process.
//! * [`MemoryStore`]: in-process, sharded, bounded; entries expire with their challenge; expired
//!   entries are purged a few at a time on each insert (never a full sweep that would
//!   stall a request); at the configured maximum of unexpired entries it refuses (the gate
//!   answers 503) rather than forget one. Single-process and restart-unsafe: a restart
//!   with the same key reopens every spent challenge that has not expired.
//! * Redis: `SET grindstone:spent:<id> 1 NX EX <ttl>`, atomic across gate instances
//!   (durable across Redis restarts only as far as Redis persists: `appendonly yes`,
//!   `appendfsync always`).
//!
//! Either way, a store that cannot answer makes verification fail closed.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::durable::{DurableError, DurableStore};

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

/// One shard. An id is one allocation, shared by both maps. The ids are challenge ids
/// whose signature was checked (no attacker chooses them), so the table uses foldhash,
/// randomly seeded, rather than SipHash: this runs on every verify.
#[derive(Default)]
struct Inner {
    expiry: HashMap<Arc<str>, i64, foldhash::fast::RandomState>,
    /// Ids by expiry second, oldest first (integer keys: cheap to order).
    by_expiry: BTreeMap<i64, Vec<Arc<str>>>,
}

impl Inner {
    /// Adds `id` (hashed once, allocated once); `false` if it is already here.
    fn insert(&mut self, id: &str, expires_at: i64) -> bool {
        let Entry::Vacant(slot) = self.expiry.entry(Arc::from(id)) else {
            return false;
        };
        let key = Arc::clone(slot.key());
        slot.insert(expires_at);
        self.by_expiry.entry(expires_at).or_default().push(key);
        true
    }
}

/// Independent shards (by id hash): a shard's table grows, rehashes and purges under its
/// own lock, so neither contention nor a rehash stalls every request.
const SHARDS: usize = 32;

/// The in-memory store.
pub struct MemoryStore {
    shards: Vec<Mutex<Inner>>,
    /// Picks an id's shard; seeded apart from the shards' tables, so the ids of one
    /// shard still spread over its table.
    shard_hash: foldhash::fast::RandomState,
    max_per_shard: usize,
}

impl MemoryStore {
    /// A store holding at most about `max` unexpired entries (`max / 32` per shard).
    pub fn new(max: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Inner::default())).collect(),
            shard_hash: foldhash::fast::RandomState::default(),
            max_per_shard: max.div_ceil(SHARDS).max(1),
        }
    }

    fn shard(&self, id: &str) -> &Mutex<Inner> {
        let h = self.shard_hash.hash_one(id);
        &self.shards[(h >> 32) as usize % SHARDS]
    }

    /// Marks `id` spent until `expires_at` (Unix seconds). `Ok(false)`: already spent.
    pub fn spend(&self, id: &str, expires_at: i64, now: i64) -> Result<bool, StoreError> {
        let mut g = self.shard(id).lock().unwrap_or_else(|e| e.into_inner());
        let mut budget = PURGE_PER_INSERT;
        while budget > 0 {
            let Some(mut bucket) = g.by_expiry.first_entry() else {
                break;
            };
            if *bucket.key() >= now {
                break;
            }
            let ids = bucket.get_mut();
            let take = ids.len().min(budget);
            let gone: Vec<Arc<str>> = ids.drain(ids.len() - take..).collect();
            if ids.is_empty() {
                bucket.remove();
            }
            budget -= take;
            for k in gone {
                g.expiry.remove(&k);
            }
        }
        if g.expiry.len() >= self.max_per_shard && !g.expiry.contains_key(id) {
            return Err(StoreError::Full(g.expiry.len() * SHARDS));
        }
        Ok(g.insert(id, expires_at))
    }

    /// Marks `id` spent until `expires_at` whatever the bound (for entries loaded from
    /// a durable store, which may hold more than this bound).
    pub fn insert_unbounded(&self, id: &str, expires_at: i64) {
        let mut g = self.shard(id).lock().unwrap_or_else(|e| e.into_inner());
        g.insert(id, expires_at);
    }

    /// Forgets `id` (a spend that could not be made durable, so was not accepted).
    pub fn remove(&self, id: &str) {
        let mut g = self.shard(id).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(exp) = g.expiry.remove(id)
            && let Some(ids) = g.by_expiry.get_mut(&exp)
        {
            ids.retain(|x| &**x != id);
            if ids.is_empty() {
                g.by_expiry.remove(&exp);
            }
        }
    }

    /// Whether `id` is spent and its entry has not expired at `now`.
    pub fn contains(&self, id: &str, now: i64) -> bool {
        let g = self.shard(id).lock().unwrap_or_else(|e| e.into_inner());
        g.expiry.get(id).is_some_and(|&exp| exp >= now)
    }

    /// Entries held (expired ones not yet purged included).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).expiry.len())
            .sum()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where spent challenge ids are kept.
pub enum ReplayStore {
    /// In a database file, durably.
    Durable(DurableStore),
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

    /// The durable store at `path` (see [`DurableStore::open`]).
    pub fn durable(path: &std::path::Path, max: usize) -> Result<Self, DurableError> {
        DurableStore::open(path, max, crate::authority::unix_now()).map(Self::Durable)
    }

    /// `"durable"`, `"memory"` or `"redis"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Durable(_) => "durable",
            Self::Memory(_) => "memory",
            Self::Redis(_) => "redis",
        }
    }

    /// Challenges issued before this time (Unix seconds) are refused: the durable store
    /// cannot know what was spent before it was created or before a crash of its machine
    /// ([`DurableStore::horizon`]).
    pub fn horizon(&self) -> Option<i64> {
        match self {
            Self::Durable(d) => Some(d.horizon()),
            Self::Memory(_) | Self::Redis(_) => None,
        }
    }

    /// Entries held, for the stores that count them here.
    pub fn entries(&self) -> Option<usize> {
        match self {
            Self::Durable(d) => Some(d.len()),
            Self::Memory(m) => Some(m.len()),
            Self::Redis(_) => None,
        }
    }

    /// Marks `id` spent until `expires_at` (Unix seconds). `Ok(true)`: spent now;
    /// `Ok(false)`: it already was.
    pub async fn spend(&self, id: &str, expires_at: i64, now: i64) -> Result<bool, StoreError> {
        match self {
            Self::Durable(d) => d.spend(id, expires_at, now).await,
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
            Self::Durable(_) | Self::Memory(_) => Ok(()),
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
        // One entry per shard at most: with enough ids, some shard fills up.
        let m = MemoryStore::new(SHARDS);
        assert_eq!(m.spend("a", 100, 0), Ok(true));
        assert_eq!(m.spend("a", 100, 0), Ok(false));
        let mut full = None;
        // (Ids outside the shard of "a", which stays unexpired: the shard that fills up
        // holds only entries that expire at 50; the shards are seeded per store.)
        let a_shard = m.shard("a");
        for id in (0..1000)
            .map(|i| format!("id{i}"))
            .filter(|id| !std::ptr::eq(m.shard(id), a_shard))
        {
            match m.spend(&id, 50, 0) {
                Ok(true) => {}
                Err(StoreError::Full(_)) => {
                    full = Some(id);
                    break;
                }
                r => panic!("{r:?}"),
            }
        }
        let full = full.expect("a shard fills up");
        // Still spent while unexpired, even when full.
        assert_eq!(m.spend("a", 100, 10), Ok(false));
        // Once the entries expire they are purged, making room.
        assert_eq!(m.spend(&full, 100, 60), Ok(true));
        assert_eq!(m.spend("a", 100, 60), Ok(false));
    }

    #[test]
    fn memory_purge_is_amortised() {
        let m = MemoryStore::new(1 << 20);
        // All in one shard: ids chosen to hash alike are not needed, count per shard.
        for i in 0..5000 {
            m.spend(&i.to_string(), 10, 0).unwrap();
        }
        let before = m.len();
        // Each insert purges at most PURGE_PER_INSERT expired entries of its shard.
        m.spend("x", 100, 20).unwrap();
        let purged = before + 1 - m.len();
        assert!(purged <= PURGE_PER_INSERT && purged > 0, "{purged}");
    }
}

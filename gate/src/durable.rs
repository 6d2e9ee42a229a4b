//! The durable replay store: spent challenge ids in an embedded database file (redb), so
//! that no restart, crash (`kill -9`) or upgrade accepts a spent challenge again.
//!
//! * **Durable before accepted.** A spend is answered only after the transaction holding
//!   it has been committed with `fsync` ([`redb::Durability::Immediate`]). Spends that
//!   arrive while a commit is in progress wait for the next one, which takes them all (a
//!   group commit): one `fsync` per batch, not per request.
//! * **Shared by the processes of a machine.** The file is opened in redb's multi-writer
//!   mode: `grind serve`, `grind gate` and stdio servers of one user can share the default
//!   file, each write transaction deciding under redb's cross-process lock whether an id
//!   is new; so instances that share a key on one machine also share what was spent.
//!   (Across machines, use Redis.)
//! * **Fast refusals.** An in-memory cache of ids known to be spent (a [`MemoryStore`],
//!   loaded from the file at start) answers replays without touching the disk.
//! * **Expiring and bounded.** Entries expire with their challenge; each commit purges a
//!   few expired entries, and the start purges all of them. At the configured maximum of
//!   unexpired entries a spend is refused (503), never an unexpired entry forgotten.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use redb::{
    ConcurrencyMode, Database, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition,
};

use crate::store::{MemoryStore, StoreError};

/// Spent ids and when their entry expires (Unix seconds).
const SPENT: TableDefinition<&str, i64> = TableDefinition::new("spent");
/// The same entries ordered by expiry, for purging.
const BY_EXPIRY: TableDefinition<(i64, &str), ()> = TableDefinition::new("spent_by_expiry");
/// Expired entries purged per commit.
const PURGE_PER_COMMIT: usize = 256;
/// redb's page cache (its default is 1 GiB): bounds the store's share of memory.
const CACHE_BYTES: usize = 64 << 20;
/// Most spends in one commit.
const MAX_BATCH: usize = 4096;

/// Why the durable store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DurableError {
    /// Another process holds the file exclusively (a redb writer not in multi-writer
    /// mode).
    #[error("replay store {0} is locked by another process")]
    InUse(PathBuf),
    /// The file cannot be created, opened or read.
    #[error("replay store {path}: {reason}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// What a committed spend found.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Spent {
    /// New: spent now.
    Now,
    /// Spent before (by this process or another).
    Already,
    /// The store holds its maximum.
    Full(u64),
}

/// A spend waiting for its commit.
struct Pending {
    id: String,
    expires_at: i64,
    /// The caller's clock (Unix seconds).
    now: i64,
    done: tokio::sync::oneshot::Sender<Result<Spent, String>>,
}

/// The durable store (see the [module documentation](self)).
pub struct DurableStore {
    /// Ids known to be spent (a cache: the file decides).
    known: MemoryStore,
    queue: mpsc::Sender<Pending>,
    path: PathBuf,
    max: usize,
}

impl DurableStore {
    /// Opens (or creates, with its parent folders) the store at `path`, holding at most
    /// about `max` unexpired entries, and loads its unexpired entries; `now` is the
    /// current Unix time.
    pub fn open(path: &Path, max: usize, now: i64) -> Result<Self, DurableError> {
        let open_err = |e: &dyn std::fmt::Display| DurableError::Open {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_err(&e))?;
        }
        let db = match Database::builder()
            .set_concurrency_mode(ConcurrencyMode::MultiWriter)
            .set_cache_size(CACHE_BYTES)
            .create(path)
        {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(DurableError::InUse(path.to_path_buf()));
            }
            Err(e) => return Err(open_err(&e)),
        };
        // Drop every expired entry, make sure both tables exist, then load the rest.
        let w = db.begin_write().map_err(|e| open_err(&e))?;
        {
            let mut spent = w.open_table(SPENT).map_err(|e| open_err(&e))?;
            let mut by_exp = w.open_table(BY_EXPIRY).map_err(|e| open_err(&e))?;
            purge(&mut spent, &mut by_exp, now, usize::MAX).map_err(|e| open_err(&e))?;
        }
        w.commit().map_err(|e| open_err(&e))?;
        let known = MemoryStore::new(max);
        {
            let r = db.begin_read().map_err(|e| open_err(&e))?;
            let spent = r.open_table(SPENT).map_err(|e| open_err(&e))?;
            for e in spent.iter().map_err(|e| open_err(&e))? {
                let (id, exp) = e.map_err(|e| open_err(&e))?;
                known.insert_unbounded(id.value(), exp.value());
            }
        }
        let (queue, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("grind-replay-store".into())
            .spawn(move || writer(db, rx, max as u64))
            .map_err(|e| open_err(&e))?;
        Ok(Self {
            known,
            queue,
            path: path.to_path_buf(),
            max,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Ids this process knows to be spent (those in the file at start, and since then
    /// its own spends and the replays it refused).
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether the store holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Marks `id` spent until `expires_at` (Unix seconds), durably. `Ok(true)`: spent now
    /// (and on disk); `Ok(false)`: it already was.
    pub async fn spend(&self, id: &str, expires_at: i64, now: i64) -> Result<bool, StoreError> {
        if self.known.contains(id, now) {
            return Ok(false);
        }
        let (done, wait) = tokio::sync::oneshot::channel();
        let job = Pending {
            id: id.to_string(),
            expires_at,
            now,
            done,
        };
        let r = match self.queue.send(job) {
            Ok(()) => wait
                .await
                .unwrap_or_else(|_| Err("the store's writer stopped".into())),
            Err(_) => Err("the store's writer stopped".into()),
        };
        let spent =
            r.map_err(|e| StoreError::Unavailable(format!("{}: {e}", self.path.display())))?;
        match spent {
            Spent::Now | Spent::Already => {
                // A cache: when it is full, the file still answers.
                let _ = self.known.spend(id, expires_at, now);
                Ok(spent == Spent::Now)
            }
            Spent::Full(n) => Err(StoreError::Full(n.max(self.max as u64) as usize)),
        }
    }
}

/// Removes up to `max` entries that expired before `now`.
fn purge(
    spent: &mut redb::Table<&str, i64>,
    by_exp: &mut redb::Table<(i64, &str), ()>,
    now: i64,
    max: usize,
) -> Result<(), redb::Error> {
    let mut gone = Vec::new();
    for e in by_exp.range((i64::MIN, "")..(now, ""))?.take(max) {
        let (k, _) = e?;
        let (exp, id) = k.value();
        gone.push((exp, id.to_string()));
    }
    for (exp, id) in gone {
        by_exp.remove((exp, id.as_str()))?;
        // Only if this entry still belongs to that expiry.
        if spent.get(id.as_str())?.map(|v| v.value()) == Some(exp) {
            spent.remove(id.as_str())?;
        }
    }
    Ok(())
}

/// Commits one batch of spends (and a purge step): what each found.
fn commit(db: &Database, batch: &[Pending], max: u64) -> Result<Vec<Spent>, redb::Error> {
    // Purge only what every caller of the batch sees as expired.
    let now = batch.iter().map(|p| p.now).min().unwrap_or(i64::MIN);
    let w = db.begin_write()?;
    let mut out = Vec::with_capacity(batch.len());
    {
        let mut spent = w.open_table(SPENT)?;
        let mut by_exp = w.open_table(BY_EXPIRY)?;
        purge(&mut spent, &mut by_exp, now, PURGE_PER_COMMIT)?;
        for p in batch {
            // Any entry counts, even one that expired but is not purged yet: its
            // challenge has expired too, so nothing is lost by refusing.
            if spent.get(p.id.as_str())?.is_some() {
                out.push(Spent::Already);
                continue;
            }
            if spent.len()? >= max {
                purge(&mut spent, &mut by_exp, now, MAX_BATCH)?;
                let n = spent.len()?;
                if n >= max {
                    out.push(Spent::Full(n));
                    continue;
                }
            }
            spent.insert(p.id.as_str(), p.expires_at)?;
            by_exp.insert((p.expires_at, p.id.as_str()), ())?;
            out.push(Spent::Now);
        }
    }
    w.commit()?;
    Ok(out)
}

/// The writer thread: takes every spend queued while the previous commit ran, commits
/// them together, then answers each.
fn writer(db: Database, rx: mpsc::Receiver<Pending>, max: u64) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        match commit(&db, &batch, max) {
            Ok(found) => {
                for (p, f) in batch.into_iter().zip(found) {
                    let _ = p.done.send(Ok(f));
                }
            }
            Err(e) => {
                let e = e.to_string();
                for p in batch {
                    let _ = p.done.send(Err(e.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "grind-durable-{}-{name}/spent.redb",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(p.parent().unwrap());
        p
    }

    #[tokio::test]
    async fn spent_stays_spent_across_reopening() {
        let p = temp("reopen");
        {
            let s = DurableStore::open(&p, 1000, 0).unwrap();
            assert_eq!(s.spend("a", 100, 0).await, Ok(true));
            assert_eq!(s.spend("a", 100, 0).await, Ok(false));
            assert_eq!(s.spend("b", 5, 0).await, Ok(true));
            // A second opener shares the file: what one spent, the other refuses.
            let t = DurableStore::open(&p, 1000, 0).unwrap();
            assert_eq!(t.spend("a", 100, 0).await, Ok(false));
            assert_eq!(t.spend("c", 100, 0).await, Ok(true));
            assert_eq!(s.spend("c", 100, 0).await, Ok(false));
        }
        let s = DurableStore::open(&p, 1000, 10).unwrap();
        assert_eq!(s.spend("a", 100, 10).await, Ok(false), "still spent");
        // "b" expired at 5: purged at start, so its id is free (its challenge is dead).
        assert_eq!(s.len(), 2);
        assert_eq!(s.spend("b", 100, 10).await, Ok(true));
        let _ = std::fs::remove_dir_all(p.parent().unwrap());
    }

    #[tokio::test]
    async fn concurrent_spends_of_one_id_succeed_once_and_batches_commit() {
        let p = temp("concurrent");
        let s = std::sync::Arc::new(DurableStore::open(&p, 100_000, 0).unwrap());
        let mut tasks = Vec::new();
        for i in 0..400 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let id = format!("id{}", i % 100);
                s.spend(&id, 1000, 0).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            if t.await.unwrap().unwrap() {
                ok += 1;
            }
        }
        assert_eq!(ok, 100);
        assert_eq!(s.len(), 100);
        let _ = std::fs::remove_dir_all(p.parent().unwrap());
    }

    #[tokio::test]
    async fn full_is_refused_not_forgotten() {
        let p = temp("full");
        let s = DurableStore::open(&p, 32, 0).unwrap();
        let mut full = false;
        for i in 0..1000 {
            match s.spend(&format!("x{i}"), 100, 0).await {
                Ok(true) => {}
                Err(StoreError::Full(_)) => {
                    full = true;
                    break;
                }
                r => panic!("{r:?}"),
            }
        }
        assert!(full);
        assert_eq!(s.spend("x0", 100, 0).await, Ok(false));
        let _ = std::fs::remove_dir_all(p.parent().unwrap());
    }
}

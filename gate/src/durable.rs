//! The durable replay store: spent challenge ids in an embedded database (fjall, a
//! log-structured key-value store), so that no restart, crash (`kill -9`), upgrade or
//! machine crash accepts a spent challenge again.
//!
//! * **In the kernel before accepted, then synced.** A spend is answered once the write
//!   batch holding it is in fjall's journal file, written to the operating system
//!   ([`fjall::PersistMode::Buffer`]): from there it survives the process (`kill -9`, a
//!   panic, an upgrade), since the kernel holds the file's pages. A separate thread
//!   syncs the journal (`fdatasync`, through its own handle, so commits do not wait for
//!   it; only fjall's own journal rotation syncs in the commit path), starting at most
//!   [`SYNC_INTERVAL`] after each write. Spends that arrive while a commit is in progress
//!   wait for the next one, which takes them all.
//! * **A machine crash moves the horizon.** What the kernel held but had not yet written
//!   may be lost with the machine (a power cut, a kernel panic, a VM reset). The store
//!   records the boot it runs in (Linux's `boot_id`); opened in another boot after a run
//!   that did not end cleanly, it sets its *horizon* to the present, and the gate refuses
//!   every challenge issued before it (the `iat` claim; challenges without one too). So
//!   the spends a crash may have lost belong to challenges that can no longer be spent:
//!   an honest client fetches a new challenge. (The horizon is the clock at the restart,
//!   the clock that signs `iat`: one that stepped back across the crash would narrow it.)
//!   Where the boot cannot be read (not Linux),
//!   every start after an unclean end moves the horizon. A new store (or one written by
//!   a version before horizons) starts with its horizon at its creation: it knows
//!   nothing spent before. A failed sync (a write-back error) stops the store: every
//!   later spend is refused (503), and the failure is recorded so that the next start
//!   moves the horizon (if the disk takes even that write: a restart in the same boot
//!   after a failed record trusts the disk).
//! * **An index in memory.** Decisions are made against an in-memory index of the
//!   unexpired ids (a [`MemoryStore`], bounded the same way), rebuilt from the database
//!   at start.
//! * **One record per commit.** The database holds one record per group commit, keyed
//!   by the latest expiry among its entries and a sequence number (so records sort by
//!   when all their entries are dead), its value the entries (`keep_until`, id). One
//!   insert per commit rather than one per spend keeps the database's in-memory table
//!   out of the hot path (its ordered inserts were a tenth of a durable verify's CPU).
//!   Per-spend keys written by earlier versions (`keep_until ++ id`, empty value) are
//!   still read and expired.
//! * **Expiring and bounded.** Entries expire with their challenge: the start removes
//!   every expired one, and commits remove a few more (at most once a second). At the
//!   configured maximum of unexpired entries a spend is refused (503), never an unexpired
//!   entry forgotten.
//! * **One process per store.** fjall locks its folder; a second process is refused at
//!   start ([`DurableError::InUse`]). Instances that share a key must share a store: on
//!   one machine or several, that is Redis.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use crate::store::{MemoryStore, StoreError};

/// Expired records removed per purge.
const PURGE_PER_COMMIT: usize = 1024;
/// fjall's block cache: bounds the store's share of memory.
const CACHE_BYTES: u64 = 16 << 20;
/// Most spends in one commit.
const MAX_BATCH: usize = 4096;
/// Longest wait, after a commit is written, before the sync thread starts syncing it.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(200);
/// Why every spend is refused after a failed sync.
const SYNC_FAILED: &str = "a sync of its journal failed; restart once the disk is sound";
/// The keyspace of the store's own facts (the boot it runs in, its horizon).
const META: &str = "meta";
/// Meta key: the boot id of the run that has the store open (empty: unknown, or a run
/// whose sync failed); absent once a run has closed it cleanly.
const BOOT_KEY: &[u8] = b"boot";
/// Meta key: the horizon (Unix seconds, big-endian).
const HORIZON_KEY: &[u8] = b"horizon";

/// The id of the running boot (Linux: `/proc/sys/kernel/random/boot_id`); `None` where
/// the system does not tell.
pub fn boot_id() -> Option<String> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let id = id.trim();
    (!id.is_empty()).then(|| id.to_string())
}

/// The journal file fjall appends to: the highest-numbered `<n>.jnl` in the folder (it
/// syncs the journals it seals itself).
fn active_journal(dir: &Path) -> std::io::Result<Option<PathBuf>> {
    let mut best: Option<(u64, PathBuf)> = None;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name();
        let Some(n) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".jnl"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| n > *b) {
            best = Some((n, e.path()));
        }
    }
    Ok(best.map(|(_, p)| p))
}

/// Why the durable store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DurableError {
    /// Another process holds the store.
    #[error(
        "replay store {0} is in use by another process; give this one its own --store PATH, \
         or let instances that share a key share a store with --store redis://..."
    )]
    InUse(PathBuf),
    /// The store cannot be created, opened or read.
    #[error("replay store {path}: {reason}")]
    Open {
        /// The folder.
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
    /// Spent before.
    Already,
    /// The store holds its maximum.
    Full(usize),
}

/// A spend waiting for its commit.
struct Pending {
    id: String,
    keep_until: i64,
    /// The caller's clock (Unix seconds).
    now: i64,
    done: tokio::sync::oneshot::Sender<Result<Spent, String>>,
}

/// The database key of a commit's record: the latest `keep_until` among its entries
/// (big-endian, sign bit flipped, so keys sort by expiry), then the commit's sequence
/// number.
fn record_key(keep_until: i64, seq: u64) -> [u8; 16] {
    let mut k = [0; 16];
    k[..8].copy_from_slice(&((keep_until as u64) ^ (1 << 63)).to_be_bytes());
    k[8..].copy_from_slice(&seq.to_be_bytes());
    k
}

/// Appends one entry to a record's value: `keep_until` (big-endian), the id's length
/// (u32, big-endian), the id.
fn put_entry(v: &mut Vec<u8>, keep_until: i64, id: &str) {
    v.extend_from_slice(&keep_until.to_be_bytes());
    v.extend_from_slice(&(id.len() as u32).to_be_bytes());
    v.extend_from_slice(id.as_bytes());
}

/// The entries of a record's value; `None` if it is malformed.
fn record_entries(mut v: &[u8]) -> Option<Vec<(i64, &str)>> {
    let mut out = Vec::new();
    while !v.is_empty() {
        let (t, rest) = v.split_at_checked(8)?;
        let (n, rest) = rest.split_at_checked(4)?;
        let n = u32::from_be_bytes(n.try_into().ok()?) as usize;
        let (id, rest) = rest.split_at_checked(n)?;
        out.push((
            i64::from_be_bytes(t.try_into().ok()?),
            std::str::from_utf8(id).ok()?,
        ));
        v = rest;
    }
    Some(out)
}

/// The entry of a per-spend key written by earlier versions: `keep_until` (big-endian,
/// sign bit flipped) then the id, with an empty value.
fn legacy_entry(k: &[u8]) -> Option<(i64, &str)> {
    let (t, id) = k.split_at_checked(8)?;
    let t = u64::from_be_bytes(t.try_into().ok()?) ^ (1 << 63);
    Some((t as i64, std::str::from_utf8(id).ok()?))
}

/// The durable store (see the [module documentation](self)).
pub struct DurableStore {
    /// The unexpired spent ids: decided on in the writer thread, read anywhere for fast
    /// refusals.
    index: Arc<MemoryStore>,
    /// `None` only while dropping.
    queue: Option<mpsc::Sender<Pending>>,
    /// The writer thread, joined on drop (it lets go of the folder when it ends).
    writer: Option<std::thread::JoinHandle<()>>,
    path: PathBuf,
    horizon: i64,
    recovered: bool,
    /// A sync failed: every spend is refused.
    failed: Arc<AtomicBool>,
}

impl Drop for DurableStore {
    /// Closes the store: the writer answers what is queued, syncs, marks the store
    /// closed cleanly and lets go of the folder before this returns.
    fn drop(&mut self) {
        self.queue.take();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl DurableStore {
    /// Opens (or creates, with its parent folders) the store in the folder `path`,
    /// holding at most about `max` unexpired entries, and loads its unexpired entries;
    /// `now` is the current Unix time.
    pub fn open(path: &Path, max: usize, now: i64) -> Result<Self, DurableError> {
        Self::open_in_boot(path, max, now, boot_id().as_deref())
    }

    /// [`DurableStore::open`] in the boot `boot` (`None`: unknown).
    pub(crate) fn open_in_boot(
        path: &Path,
        max: usize,
        now: i64,
        boot: Option<&str>,
    ) -> Result<Self, DurableError> {
        let open_err = |e: &dyn std::fmt::Display| DurableError::Open {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(path).map_err(|e| open_err(&e))?;
        let db = match Database::builder(path)
            .cache_size(CACHE_BYTES)
            .manual_journal_persist(true)
            .worker_threads(1)
            .open()
        {
            Ok(db) => db,
            Err(fjall::Error::Locked) => return Err(DurableError::InUse(path.to_path_buf())),
            Err(e) => return Err(open_err(&e)),
        };
        let ks = db
            .keyspace("spent", KeyspaceCreateOptions::default)
            .map_err(|e| open_err(&e))?;
        let meta = db
            .keyspace(META, KeyspaceCreateOptions::default)
            .map_err(|e| open_err(&e))?;
        // The last run did not close the store (its boot is recorded) and ran in another
        // boot, or an unknown one: the kernel may have lost its last spends.
        let last_boot = meta.get(BOOT_KEY).map_err(|e| open_err(&e))?;
        let recovered = last_boot.is_some_and(|b| boot.is_none_or(|c| *b != *c.as_bytes()));
        let stored = match meta.get(HORIZON_KEY).map_err(|e| open_err(&e))? {
            Some(v) => Some(i64::from_be_bytes(v.as_ref().try_into().map_err(|_| {
                open_err(&"malformed horizon; the folder holds something other than a replay store")
            })?)),
            None => None,
        };
        // A store without a horizon is new (or written by a version before horizons):
        // it knows nothing spent before now, so it starts with one too.
        let horizon = match stored {
            Some(h) if recovered => h.max(now),
            Some(h) => h,
            None => now,
        };
        // One synced batch: this run's boot, the horizon, and the records (and legacy
        // keys) whose entries have all expired removed. The unexpired entries are loaded.
        let mut wb = db.batch().durability(Some(PersistMode::SyncData));
        wb.insert(&meta, BOOT_KEY, boot.unwrap_or(""));
        wb.insert(&meta, HORIZON_KEY, horizon.to_be_bytes());
        let index = Arc::new(MemoryStore::new(max));
        let mut seq = 0;
        for kv in ks.iter() {
            let (k, v) = kv.into_inner().map_err(|e| open_err(&e))?;
            let entries = if v.is_empty() {
                legacy_entry(&k).map(|e| vec![e])
            } else {
                seq = seq.max(
                    k.get(8..16)
                        .map_or(0, |s| u64::from_be_bytes(s.try_into().expect("8 bytes"))),
                );
                record_entries(&v)
            };
            let Some(entries) = entries else {
                return Err(open_err(&format!(
                    "malformed record {k:02x?}; the folder holds something other than a replay store"
                )));
            };
            let mut live = false;
            for (keep, id) in entries {
                if keep >= now {
                    index.insert_unbounded(id, keep);
                    live = true;
                }
            }
            if !live {
                wb.remove(&ks, k.to_vec());
            }
        }
        wb.commit().map_err(|e| open_err(&e))?;
        let written = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicBool::new(false));
        let closed = Arc::new(AtomicBool::new(false));
        let syncer = Syncer {
            dir: path.to_path_buf(),
            db: db.clone(),
            meta: meta.clone(),
            written: written.clone(),
            failed: failed.clone(),
            closed: closed.clone(),
            journal: None,
        };
        let syncer = std::thread::Builder::new()
            .name("grind-store-sync".into())
            .spawn(move || syncer.run())
            .map_err(|e| open_err(&e))?;
        // To stop the syncer should the writer not start.
        let stop = (closed.clone(), syncer.thread().clone());
        let (queue, rx) = mpsc::channel();
        let writer = Writer {
            db,
            ks,
            meta,
            index: index.clone(),
            purged_at: i64::MIN,
            seq,
            written,
            failed: failed.clone(),
            closed,
            syncer: Some(syncer),
        };
        let writer = std::thread::Builder::new()
            .name("grind-replay-store".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| {
                // The syncer holds the database: let it go.
                stop.0.store(true, Ordering::SeqCst);
                stop.1.unpark();
                open_err(&e)
            })?;
        Ok(Self {
            index,
            queue: Some(queue),
            writer: Some(writer),
            path: path.to_path_buf(),
            horizon,
            recovered,
            failed,
        })
    }

    /// Challenges issued before this time (Unix seconds) are refused: when the store was
    /// created, or last opened after a crash of its machine (see the
    /// [module documentation](self)).
    pub fn horizon(&self) -> i64 {
        self.horizon
    }

    /// Whether this opening moved the horizon of an existing store (its last run ended in
    /// a crash of its machine or in a failed sync, or its boot cannot be read).
    pub fn recovered(&self) -> bool {
        self.recovered
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Unexpired entries held (expired ones not yet purged included).
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the store holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Marks `id` spent until `keep_until` (Unix seconds), durably. `Ok(true)`: spent now
    /// (and on disk); `Ok(false)`: it already was.
    pub async fn spend(&self, id: &str, keep_until: i64, now: i64) -> Result<bool, StoreError> {
        if self.index.contains(id, now) {
            return Ok(false);
        }
        if self.failed.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable(format!(
                "{}: {SYNC_FAILED}",
                self.path.display()
            )));
        }
        let (done, wait) = tokio::sync::oneshot::channel();
        let job = Pending {
            id: id.to_string(),
            keep_until,
            now,
            done,
        };
        let r = match self.queue.as_ref().map(|q| q.send(job)) {
            Some(Ok(())) => wait
                .await
                .unwrap_or_else(|_| Err("the store's writer stopped".into())),
            _ => Err("the store's writer stopped".into()),
        };
        match r.map_err(|e| StoreError::Unavailable(format!("{}: {e}", self.path.display())))? {
            Spent::Now => Ok(true),
            Spent::Already => Ok(false),
            Spent::Full(n) => Err(StoreError::Full(n)),
        }
    }
}

/// The writer thread's state.
struct Writer {
    db: Database,
    ks: Keyspace,
    meta: Keyspace,
    index: Arc<MemoryStore>,
    /// When expired entries were last removed (Unix seconds).
    purged_at: i64,
    /// The last record's sequence number.
    seq: u64,
    /// Commits written (the syncer's cue).
    written: Arc<AtomicU64>,
    /// A sync failed: every spend is refused.
    failed: Arc<AtomicBool>,
    /// The store was dropped (the syncer stops).
    closed: Arc<AtomicBool>,
    /// The sync thread, woken and joined at the end.
    syncer: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    /// Serves spends until the store is dropped; then syncs, and marks the store closed
    /// cleanly unless a sync failed.
    fn run(mut self, rx: mpsc::Receiver<Pending>) {
        self.serve(rx);
        self.closed.store(true, Ordering::SeqCst);
        if let Some(s) = self.syncer.take() {
            s.thread().unpark();
            let _ = s.join();
        }
        if self.failed.load(Ordering::SeqCst) {
            return;
        }
        let mut wb = self.db.batch().durability(Some(PersistMode::SyncData));
        wb.remove(&self.meta, BOOT_KEY);
        let closed = self
            .db
            .persist(PersistMode::SyncData)
            .and_then(|()| wb.commit());
        if let Err(e) = closed {
            eprintln!("grind: replay store: not closed cleanly: {e}");
        }
    }

    /// Takes every spend queued while the previous commit ran, commits them together,
    /// then answers each.
    fn serve(&mut self, rx: mpsc::Receiver<Pending>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            if self.failed.load(Ordering::SeqCst) {
                for p in batch {
                    let _ = p.done.send(Err(SYNC_FAILED.into()));
                }
                continue;
            }
            match self.commit(&batch) {
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

    /// Commits one batch, as one record: what each spend found.
    fn commit(&mut self, batch: &[Pending]) -> Result<Vec<Spent>, fjall::Error> {
        let mut wb = self.db.batch().durability(Some(PersistMode::Buffer));
        let mut out = Vec::with_capacity(batch.len());
        let mut added = Vec::new();
        let mut record = Vec::new();
        let mut latest = i64::MIN;
        for p in batch {
            out.push(match self.index.spend(&p.id, p.keep_until, p.now) {
                Ok(true) => {
                    put_entry(&mut record, p.keep_until, &p.id);
                    latest = latest.max(p.keep_until);
                    added.push(p.id.as_str());
                    Spent::Now
                }
                Ok(false) => Spent::Already,
                Err(StoreError::Full(n)) => Spent::Full(n),
                Err(StoreError::Unavailable(_)) => unreachable!("the memory index answers"),
            });
        }
        if !record.is_empty() {
            self.seq += 1;
            wb.insert(&self.ks, record_key(latest, self.seq), record);
        }
        // Remove the records whose entries every caller of the batch sees as expired,
        // once a second.
        let before = batch.iter().map(|p| p.now).min().unwrap_or(i64::MIN);
        if before > self.purged_at {
            self.purged_at = before;
            for kv in self
                .ks
                .range(..record_key(before, 0))
                .take(PURGE_PER_COMMIT)
            {
                wb.remove(&self.ks, kv.key()?.to_vec());
            }
        }
        if wb.is_empty() {
            return Ok(out);
        }
        if let Err(e) = wb.commit() {
            // Not written, so not spent: forget them (their clients may try again).
            for id in added {
                self.index.remove(id);
            }
            return Err(e);
        }
        self.written.fetch_add(1, Ordering::SeqCst);
        Ok(out)
    }
}

/// The sync thread's state: syncs the active journal through a handle of its own, so the
/// writer never waits for the disk.
struct Syncer {
    dir: PathBuf,
    db: Database,
    meta: Keyspace,
    written: Arc<AtomicU64>,
    failed: Arc<AtomicBool>,
    closed: Arc<AtomicBool>,
    /// The journal file last synced, open.
    journal: Option<(PathBuf, File)>,
}

impl Syncer {
    fn run(mut self) {
        let mut synced = 0;
        while !self.closed.load(Ordering::SeqCst) {
            std::thread::park_timeout(SYNC_INTERVAL);
            let written = self.written.load(Ordering::SeqCst);
            if written == synced {
                continue;
            }
            if let Err(e) = self.sync() {
                self.fail(&e);
                return;
            }
            synced = written;
        }
    }

    /// Syncs every commit written so far. Only a failed sync is an error: a journal
    /// that cannot be found or opened (no file descriptor left, say) is synced through
    /// fjall instead, its lock held.
    fn sync(&mut self) -> std::io::Result<()> {
        match self.active_journal() {
            Some(f) => f.sync_data(),
            None => self
                .db
                .persist(PersistMode::SyncData)
                .map_err(std::io::Error::other),
        }
    }

    /// A handle to the journal fjall appends to, reopened when it rotates.
    fn active_journal(&mut self) -> Option<&File> {
        let path = active_journal(&self.dir).ok()??;
        if self.journal.as_ref().is_none_or(|(p, _)| *p != path) {
            self.journal = None;
            let f = std::fs::OpenOptions::new().write(true).open(&path).ok()?;
            self.journal = Some((path, f));
        }
        self.journal.as_ref().map(|(_, f)| f)
    }

    /// After a failed sync the kernel may have dropped spends: refuse every spend from
    /// now on, and make the next start move the horizon.
    fn fail(&self, e: &std::io::Error) {
        self.failed.store(true, Ordering::SeqCst);
        eprintln!(
            "grind: replay store {}: sync failed ({e}); refusing every spend until a restart",
            self.dir.display()
        );
        let mut wb = self.db.batch().durability(Some(PersistMode::SyncData));
        wb.insert(&self.meta, BOOT_KEY, "");
        if let Err(e) = wb.commit() {
            eprintln!("grind: replay store: the failure could not be recorded either: {e}");
        }
    }
}

/// Leaves the store in the folder `p` as a run in `boot` that never closed it (killed, or
/// gone with its machine).
#[cfg(test)]
pub(crate) fn mark_open_in(p: &Path, boot: &str) {
    let db = Database::builder(p).open().unwrap();
    let meta = db.keyspace(META, KeyspaceCreateOptions::default).unwrap();
    meta.insert(BOOT_KEY, boot).unwrap();
    db.persist(PersistMode::SyncAll).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let p =
            std::env::temp_dir().join(format!("grind-durable-{}-{name}/spent", std::process::id()));
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
            // A second opener is refused while this one holds the store.
            assert!(matches!(
                DurableStore::open(&p, 1000, 0),
                Err(DurableError::InUse(_))
            ));
            assert_eq!(s.spend("c", 100, 0).await, Ok(true));
        }
        // The writer thread lets go of the store once its queue is dropped.
        std::thread::sleep(std::time::Duration::from_millis(200));
        let s = DurableStore::open(&p, 1000, 10).unwrap();
        assert_eq!(s.spend("a", 100, 10).await, Ok(false), "still spent");
        // "b" expired at 5: purged at start, so its id is free (its challenge is dead).
        assert_eq!(s.len(), 2);
        assert_eq!(s.spend("b", 100, 10).await, Ok(true));
        let _ = std::fs::remove_dir_all(p.parent().unwrap());
    }

    #[tokio::test]
    async fn a_crash_of_the_machine_moves_the_horizon() {
        let p = temp("horizon");
        let open = |now, boot| DurableStore::open_in_boot(&p, 1000, now, boot).unwrap();
        // A new store knows nothing spent before it: it starts with a horizon.
        let s = open(100, Some("boot-a"));
        assert_eq!((s.horizon(), s.recovered()), (100, false));
        assert_eq!(s.spend("x", 10_000, 100).await, Ok(true));
        drop(s);
        // Closed cleanly, reopened in another boot: nothing can have been lost.
        let s = open(110, Some("boot-b"));
        assert_eq!((s.horizon(), s.recovered()), (100, false));
        assert_eq!(s.spend("x", 10_000, 110).await, Ok(false), "still spent");
        drop(s);
        // Killed (kill -9) and restarted in the same boot: the kernel kept its writes.
        mark_open_in(&p, "boot-b");
        let s = open(120, Some("boot-b"));
        assert_eq!((s.horizon(), s.recovered()), (100, false));
        drop(s);
        // Gone with its machine: what was issued before the restart is refused.
        mark_open_in(&p, "boot-b");
        let s = open(200, Some("boot-c"));
        assert_eq!((s.horizon(), s.recovered()), (200, true));
        assert_eq!(s.spend("x", 10_000, 200).await, Ok(false), "still spent");
        drop(s);
        // The horizon stays, across a clean restart.
        let s = open(300, Some("boot-c"));
        assert_eq!((s.horizon(), s.recovered()), (200, false));
        drop(s);
        // A boot that cannot be read is never the same boot.
        mark_open_in(&p, "boot-c");
        let s = open(400, None);
        assert_eq!((s.horizon(), s.recovered()), (400, true));
        drop(s);
        let s = open(500, None);
        assert_eq!((s.horizon(), s.recovered()), (400, false), "closed cleanly");
        drop(s);
        // A run whose sync failed records an unknown boot.
        mark_open_in(&p, "");
        let s = open(600, Some("boot-c"));
        assert_eq!((s.horizon(), s.recovered()), (600, true));
        drop(s);
        let _ = std::fs::remove_dir_all(p.parent().unwrap());
    }

    #[tokio::test]
    async fn spends_are_synced_through_the_active_journal() {
        let p = temp("journal");
        let s = DurableStore::open(&p, 1000, 0).unwrap();
        assert_eq!(s.spend("a", 100, 0).await, Ok(true));
        // fjall keeps its journal where the sync thread looks for it (a fjall upgrade
        // that moves it would otherwise leave spends unsynced until the kernel writes them).
        let j = active_journal(&p).unwrap().expect("a journal file");
        assert!(std::fs::metadata(&j).unwrap().len() > 0);
        std::thread::sleep(SYNC_INTERVAL * 2);
        assert!(!s.failed.load(Ordering::SeqCst));
        drop(s);
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

    #[test]
    fn records_round_trip_and_refuse_garbage() {
        let mut v = Vec::new();
        put_entry(&mut v, -5, "a");
        put_entry(&mut v, i64::MAX, "");
        put_entry(&mut v, 7, "ünï");
        assert_eq!(
            record_entries(&v),
            Some(vec![(-5, "a"), (i64::MAX, ""), (7, "ünï")])
        );
        for cut in 1..v.len() {
            if record_entries(&v[..cut]).is_some() {
                // Only at entry boundaries.
                assert!([13, 25].contains(&cut), "{cut}");
            }
        }
        assert!(record_key(-1, 9) < record_key(0, 0));
        assert!(record_key(3, u64::MAX) < record_key(4, 0));
    }

    #[tokio::test]
    async fn per_spend_keys_of_earlier_versions_are_read_and_expired() {
        let p = temp("legacy");
        std::fs::create_dir_all(&p).unwrap();
        {
            let db = Database::builder(&p).worker_threads(1).open().unwrap();
            let ks = db
                .keyspace("spent", KeyspaceCreateOptions::default)
                .unwrap();
            let legacy = |t: i64, id: &str| {
                let mut k = ((t as u64) ^ (1 << 63)).to_be_bytes().to_vec();
                k.extend_from_slice(id.as_bytes());
                k
            };
            ks.insert(legacy(100, "old-live"), []).unwrap();
            ks.insert(legacy(5, "old-dead"), []).unwrap();
            db.persist(PersistMode::SyncAll).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        {
            let s = DurableStore::open(&p, 1000, 10).unwrap();
            assert_eq!(s.len(), 1);
            assert_eq!(s.spend("old-live", 100, 10).await, Ok(false));
            assert_eq!(s.spend("new", 50, 10).await, Ok(true));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        // Both formats side by side; at 60 the new record has expired, the old key not.
        let s = DurableStore::open(&p, 1000, 60).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s.spend("old-live", 100, 60).await, Ok(false));
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

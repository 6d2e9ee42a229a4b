//! # grindstone-cpu
//!
//! Parallel CPU search over a [`Job`]: the nonce range is cut into batches that rayon
//! workers claim in increasing order; each batch runs one [`Backend`] kernel (chosen once
//! per search, matched once per batch); every candidate the kernel's fast filter passes is
//! confirmed exactly by [`Job::check`] in `grindstone-core`.
//!
//! The result is deterministic: without a timeout or cancellation, the search returns the
//! **lowest** valid index of the job's range, whatever the number of threads: a worker
//! stops only when the next unclaimed batch starts above the best hit so far, and every
//! batch below that hit has been claimed and finished.
//!
//! The [`Stop`] (deadline, cancellation, progress counter) is checked and updated once
//! per batch; the answer is `grindstone-core`'s [`Report`].

#![warn(missing_docs)]

pub mod backend;

use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

pub use backend::{Backend, cpu_features};
use grindstone_core::clock::Instant;
use grindstone_core::search::Halt;
use grindstone_core::{Digest, Job};
pub use grindstone_core::{Outcome, Report, Stop};

/// Errors of the CPU searcher.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No backend of that name.
    #[error("unknown backend {name:?} (known: {known}, auto)")]
    UnknownBackend {
        /// The name asked for.
        name: String,
        /// The names known to this build.
        known: String,
    },
    /// The backend exists but this CPU cannot run it.
    #[error("backend {0:?} is not available on this CPU (see `grind info`)")]
    UnavailableBackend(&'static str),
    /// The thread pool could not be built.
    #[error("cannot start {threads} search threads: {reason}")]
    ThreadPool {
        /// Threads requested.
        threads: usize,
        /// Why it failed.
        reason: String,
    },
}

/// Candidates per batch claimed by a worker. Large enough that claiming costs nothing
/// next to hashing, small enough that cancellation and deadlines are seen within about a
/// millisecond.
pub const BATCH: u64 = 1 << 15;

/// Candidates searched on the calling thread before any worker starts, so that easy
/// challenges never pay for waking the thread pool.
pub const INLINE: u64 = 1 << 12;

/// How to search.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// The kernel.
    pub backend: Backend,
    /// Worker threads; `0` means one per logical CPU.
    pub threads: usize,
    /// When to give up, and where to count progress (checked and updated once per
    /// batch).
    pub stop: Stop,
}

impl Default for SearchOptions {
    fn default() -> Self {
        Self {
            backend: Backend::detect(),
            threads: 0,
            stop: Stop::default(),
        }
    }
}

impl SearchOptions {
    /// The worker threads a search with these options runs (`0` resolved).
    pub fn worker_threads(&self) -> usize {
        if self.threads == 0 {
            default_threads()
        } else {
            self.threads
        }
    }
}

impl Backend {
    /// The kernel that runs `job` when this one is asked for: itself, or
    /// [`Backend::Portable`] where it has no fast path for the job's shape.
    pub fn for_job(self, job: &Job) -> Backend {
        if self.supports(job) {
            self
        } else {
            Backend::Portable
        }
    }
}

/// The number of threads `threads = 0` stands for: one per logical CPU.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// A thread pool per thread count, built on first use and kept.
fn pool(threads: usize) -> Result<Arc<rayon::ThreadPool>, Error> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(p) = pools.get(&threads) {
        return Ok(p.clone());
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("grind-{i}"))
        .build()
        .map_err(|e| Error::ThreadPool {
            threads,
            reason: e.to_string(),
        })?;
    let p = Arc::new(p);
    pools.insert(threads, p.clone());
    Ok(p)
}

/// Shared state of one search.
struct Shared<'a> {
    job: &'a Job,
    backend: Backend,
    base: u64,
    end: u64,
    /// Solutions wanted.
    k: usize,
    next: AtomicU64,
    /// The k-th lowest hit so far (`u64::MAX` until k are known): nothing at or above it
    /// needs searching.
    bound: AtomicU64,
    hits: Mutex<Vec<(u64, Digest)>>,
    hashes: AtomicU64,
    halt: Halt,
    stop: &'a Stop,
}

impl Shared<'_> {
    fn should_stop(&self) -> bool {
        self.halt.poll(self.stop)
    }

    fn count(&self, n: u64) {
        self.hashes.fetch_add(n, Ordering::Relaxed);
        self.stop.count(n);
    }

    /// Keeps the k lowest hits.
    fn record(&self, index: u64, digest: Digest) {
        let mut h = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(pos) = h.binary_search_by_key(&index, |x| x.0) {
            h.insert(pos, (index, digest));
            h.truncate(self.k);
            if h.len() == self.k {
                self.bound.store(h[self.k - 1].0, Ordering::Relaxed);
            }
        }
    }

    /// Claims batches in increasing order until none is left below the bound.
    fn work(&self) {
        loop {
            if self.should_stop() {
                return;
            }
            let b = self.next.fetch_add(1, Ordering::Relaxed);
            let lo = match b.checked_mul(BATCH).and_then(|o| o.checked_add(self.base)) {
                Some(lo) if lo < self.end => lo,
                _ => return,
            };
            if lo >= self.bound.load(Ordering::Relaxed) {
                return;
            }
            let hi = lo.saturating_add(BATCH).min(self.end);
            scan(self, lo..hi);
        }
    }
}

/// Runs the kernel over `range`, confirming candidates and recording every valid index
/// below the bound. Counts what it searched.
fn scan(sh: &Shared<'_>, range: Range<u64>) {
    let mut cur = range.start;
    while cur < range.end {
        let stop = range.end.min(sh.bound.load(Ordering::Relaxed));
        if cur >= stop {
            break;
        }
        match sh.backend.search(sh.job, cur..stop) {
            Some(c) => {
                debug_assert!((cur..stop).contains(&c));
                if let Some(d) = sh.job.check(c) {
                    sh.record(c, d);
                }
                cur = c + 1;
            }
            None => cur = stop,
        }
    }
    sh.count(cur - range.start);
}

/// Searches the whole range of `job` for its lowest valid index (see the
/// [crate documentation](crate)).
pub fn search(job: &Job, opts: &SearchOptions) -> Result<Report, Error> {
    search_many(job, job.range(), 1, opts)
}

/// Searches `range` (clamped to the job's range) of `job` for its lowest valid index.
pub fn search_range(job: &Job, range: Range<u64>, opts: &SearchOptions) -> Result<Report, Error> {
    search_many(job, range, 1, opts)
}

/// Searches `range` (clamped to the job's range) for its `k` lowest valid indices, in one
/// parallel pass: the workers stop as soon as every batch below the k-th hit is done.
/// Without a timeout or cancellation the result does not depend on the thread count.
/// The outcome is `Found` (with the lowest hit) only when all `k` were found.
pub fn search_many(
    job: &Job,
    range: Range<u64>,
    k: usize,
    opts: &SearchOptions,
) -> Result<Report, Error> {
    let started = Instant::now();
    let k = k.max(1);
    let Range { start, end } = job.clamp(range);
    let threads = opts.worker_threads();
    if !opts.backend.is_available() {
        return Err(Error::UnavailableBackend(opts.backend.name()));
    }
    let inline_end = start.saturating_add(INLINE).min(end);
    let sh = Shared {
        job,
        backend: opts.backend.for_job(job),
        base: inline_end,
        end,
        k,
        next: AtomicU64::new(0),
        bound: AtomicU64::new(u64::MAX),
        hits: Mutex::new(Vec::with_capacity(k + 1)),
        hashes: AtomicU64::new(0),
        halt: Halt::default(),
        stop: &opts.stop,
    };
    if start < inline_end && !sh.should_stop() {
        scan(&sh, start..inline_end);
    }
    if sh.bound.load(Ordering::Relaxed) == u64::MAX && inline_end < end && !sh.should_stop() {
        if threads == 1 {
            sh.work();
        } else {
            pool(threads)?.broadcast(|_| sh.work());
        }
    }
    let hits = sh.hits.into_inner().unwrap_or_else(|e| e.into_inner());
    let outcome = if hits.len() == k {
        Outcome::Found {
            index: hits[0].0,
            digest: hits[0].1,
        }
    } else {
        sh.halt.outcome()
    };
    Ok(Report {
        outcome,
        hits,
        hashes: sh.hashes.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    })
}

/// Runs `f` on the search pool of `threads` workers (`0`: one per logical CPU), built
/// once per thread count and kept, so that callers with their own parallel loops (the
/// peer schemes' scans) share the kernels' threads.
pub fn install<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> Result<R, Error> {
    // WebAssembly without threads: rayon's global pool runs on the calling thread.
    #[cfg(target_family = "wasm")]
    if threads <= 1 {
        return Ok(f());
    }
    let threads = if threads == 0 {
        default_threads()
    } else {
        threads
    };
    Ok(pool(threads)?.install(f))
}

/// Scans `0..items` in chunks of `chunk` on the search pool for the lowest item that
/// `probe` answers `Some` for, for work no kernel runs (derivations, SHA-512). `probe`
/// sees one chunk at a time and answers the first hit in it; every chunk below the
/// answer is scanned, so the answer is the lowest whatever the thread count. Stops as
/// [`Stop`] says between chunks. Answers the hit, or why there is none
/// ([`Outcome::Exhausted`], [`Outcome::TimedOut`] or [`Outcome::Cancelled`]), and the
/// items of the chunks scanned.
pub fn scan_chunks<T: Send>(
    items: u64,
    chunk: u64,
    threads: usize,
    stop: &Stop,
    probe: impl Fn(Range<u64>) -> Option<T> + Sync,
) -> Result<(Result<T, Outcome>, u64), Error> {
    let chunk = chunk.max(1);
    let chunks = items.div_ceil(chunk);
    let next = AtomicU64::new(0);
    // The lowest answering chunk so far (`u64::MAX` until one answers): no chunk at or
    // above it needs scanning.
    let bound = AtomicU64::new(u64::MAX);
    let best: Mutex<Option<(u64, T)>> = Mutex::new(None);
    let halt = Halt::default();
    let hashes = AtomicU64::new(0);
    let work = || {
        while !halt.poll(stop) {
            let c = next.fetch_add(1, Ordering::Relaxed);
            if c >= chunks || c >= bound.load(Ordering::Relaxed) {
                return;
            }
            let r = c * chunk..c.saturating_add(1).saturating_mul(chunk).min(items);
            let n = r.end - r.start;
            let hit = probe(r);
            hashes.fetch_add(n, Ordering::Relaxed);
            stop.count(n);
            if let Some(t) = hit {
                let mut b = best.lock().unwrap_or_else(|e| e.into_inner());
                if b.as_ref().is_none_or(|(bc, _)| c < *bc) {
                    *b = Some((c, t));
                    bound.store(c, Ordering::Relaxed);
                }
            }
        }
    };
    let threads = if threads == 0 {
        default_threads()
    } else {
        threads
    };
    if threads == 1 {
        work();
    } else {
        pool(threads)?.broadcast(|_| work());
    }
    let found = best.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok((
        found.map(|(_, t)| t).ok_or_else(|| halt.outcome()),
        hashes.into_inner(),
    ))
}

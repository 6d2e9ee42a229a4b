//! The contract every searcher shares: when to stop ([`Stop`]), how a search ended
//! ([`Outcome`]) and what it did ([`Report`]).
//!
//! The CPU kernels, the GPU, the hybrid engine and the peer-scheme scans all take a
//! [`Stop`] and answer a [`Report`], so that a deadline, a cancel flag and a progress
//! counter mean the same thing everywhere and are checked the same way (once per batch
//! or dispatch; no thread polls them).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use crate::Digest;
use crate::clock::Instant;

/// How a search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// All the solutions asked for were found; the lowest valid index and its digest
    /// (confirmed by [`Job::check`](crate::Job::check)).
    Found {
        /// The nonce index.
        index: u64,
        /// Its digest.
        digest: Digest,
    },
    /// The whole range was searched without finding them all.
    Exhausted,
    /// The deadline passed first.
    TimedOut,
    /// A cancel flag ([`Stop::cancel`] or [`Stop::race`]) was raised first.
    Cancelled,
}

impl Outcome {
    /// Whether the search found what it was asked for.
    pub fn is_found(&self) -> bool {
        matches!(self, Outcome::Found { .. })
    }
}

/// When a search gives up, and where it reports progress. Cheap to clone (the flags and
/// the counter are shared).
#[derive(Debug, Clone, Default)]
pub struct Stop {
    /// Give up at this instant.
    pub deadline: Option<Instant>,
    /// Give up when this becomes `true` (the caller's cancel flag).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Give up when this becomes `true` too: raised by an engine when another searcher of
    /// the same challenge has finished (hybrid), so the caller's flag stays the caller's.
    pub race: Option<Arc<AtomicBool>>,
    /// Candidates searched are added here as the search goes.
    pub progress: Option<Arc<AtomicU64>>,
}

impl Stop {
    /// A stop at `timeout` from now (none without one), with the caller's cancel flag
    /// and progress counter.
    pub fn after(
        timeout: Option<Duration>,
        cancel: Option<Arc<AtomicBool>>,
        progress: Option<Arc<AtomicU64>>,
    ) -> Stop {
        Stop {
            deadline: timeout.map(|t| Instant::now() + t),
            cancel,
            race: None,
            progress,
        }
    }

    /// The same stop that also gives up when `flag` is raised.
    pub fn racing(&self, flag: Arc<AtomicBool>) -> Stop {
        Stop {
            race: Some(flag),
            ..self.clone()
        }
    }

    /// Why the search must stop now: [`Outcome::Cancelled`] when a flag is raised,
    /// [`Outcome::TimedOut`] when the deadline has passed, `None` to go on.
    pub fn check(&self) -> Option<Outcome> {
        let race = self
            .race
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed));
        if self.cancelled_by_caller() || race {
            Some(Outcome::Cancelled)
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Outcome::TimedOut)
        } else {
            None
        }
    }

    /// Whether the caller's own cancel flag is raised.
    pub fn cancelled_by_caller(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// Adds `n` searched candidates to the progress counter.
    pub fn count(&self, n: u64) {
        if let Some(p) = &self.progress {
            p.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// The first reason a multi-threaded search stopped, kept once seen so that every worker
/// stops and the report names that reason.
#[derive(Debug, Default)]
pub struct Halt(AtomicU8);

const GOING: u8 = 0;
const TIMED_OUT: u8 = 1;
const CANCELLED: u8 = 2;

impl Halt {
    /// Whether to stop: already halted, or `stop` says so now (and that is kept).
    pub fn poll(&self, stop: &Stop) -> bool {
        if self.0.load(Ordering::Relaxed) != GOING {
            return true;
        }
        match stop.check() {
            None => false,
            Some(o) => {
                let code = if o == Outcome::TimedOut {
                    TIMED_OUT
                } else {
                    CANCELLED
                };
                let _ = self
                    .0
                    .compare_exchange(GOING, code, Ordering::Relaxed, Ordering::Relaxed);
                true
            }
        }
    }

    /// The outcome of a search that found nothing: why it halted, or
    /// [`Outcome::Exhausted`].
    pub fn outcome(&self) -> Outcome {
        match self.0.load(Ordering::Relaxed) {
            TIMED_OUT => Outcome::TimedOut,
            CANCELLED => Outcome::Cancelled,
            _ => Outcome::Exhausted,
        }
    }
}

/// What a search did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// How it ended; `Found` carries the lowest hit.
    pub outcome: Outcome,
    /// The lowest valid indices found, in increasing order (all of those asked for when
    /// found; fewer after a timeout, a cancellation or an exhausted range).
    pub hits: Vec<(u64, Digest)>,
    /// Candidates searched.
    pub hashes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl Report {
    /// Candidates per second.
    pub fn rate(&self) -> f64 {
        self.hashes as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_reasons() {
        assert_eq!(Stop::default().check(), None);
        let past = Stop {
            deadline: Some(Instant::now()),
            ..Default::default()
        };
        assert_eq!(past.check(), Some(Outcome::TimedOut));
        let flag = Arc::new(AtomicBool::new(false));
        let s = Stop::after(None, None, None).racing(flag.clone());
        assert_eq!(s.check(), None);
        flag.store(true, Ordering::Relaxed);
        assert_eq!(s.check(), Some(Outcome::Cancelled));
        assert!(!s.cancelled_by_caller());
        let h = Halt::default();
        assert!(h.poll(&s));
        assert!(h.poll(&Stop::default()), "a halt is kept");
        assert_eq!(h.outcome(), Outcome::Cancelled);
        assert_eq!(Halt::default().outcome(), Outcome::Exhausted);
    }
}

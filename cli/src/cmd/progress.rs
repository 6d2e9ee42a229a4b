//! A progress line on stderr for long solves: shown only when stderr is a terminal, only
//! after half a second, never in `--json` or quiet mode.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{human_secs, si};

/// Delay before the progress line appears.
const SHOW_AFTER: Duration = Duration::from_millis(500);

/// A running progress display; stops (and clears its line) when dropped.
pub struct Progress {
    counter: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts a display fed by the returned counter, if `wanted` and stderr is a terminal.
    /// `expected` is the expected number of hashes of the whole solve.
    pub fn start(wanted: bool, expected: f64) -> Self {
        let counter = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let thread = (wanted && std::io::stderr().is_terminal()).then(|| {
            let (c, d) = (counter.clone(), done.clone());
            std::thread::spawn(move || display(c, d, expected))
        });
        Self {
            counter,
            done,
            thread,
        }
    }

    /// The counter the search adds hashes to.
    pub fn counter(&self) -> Arc<AtomicU64> {
        self.counter.clone()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

fn display(counter: Arc<AtomicU64>, done: Arc<AtomicBool>, expected: f64) {
    let start = Instant::now();
    while start.elapsed() < SHOW_AFTER {
        if done.load(Ordering::Relaxed) {
            return;
        }
        std::thread::park_timeout(SHOW_AFTER.saturating_sub(start.elapsed()));
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
    while !done.load(Ordering::Relaxed) {
        let hashes = counter.load(Ordering::Relaxed) as f64;
        let secs = start.elapsed().as_secs_f64();
        let rate = hashes / secs.max(1e-9);
        // The search is memoryless: the expected remaining time is always 2^d / rate.
        let eta = if rate > 0.0 {
            expected / rate
        } else {
            f64::INFINITY
        };
        bar.set_message(format!(
            "{}H/s  {}hashes tried  {} elapsed  expected {} (on average, from now)",
            si(rate),
            si(hashes),
            human_secs(secs),
            human_secs(eta),
        ));
        bar.tick();
        std::thread::park_timeout(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

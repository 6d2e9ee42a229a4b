//! Difficulty tuning: what a difficulty means in solve time for this machine and for named
//! client profiles, the difficulty that meets a latency target, the tail of
//! multi-solution challenges, and an SVG plot.

use std::time::Duration;

use grindstone::core::Difficulty;
use grindstone::core::schemes::sha256_bits::Sha256Bits;
use grindstone::cpu::{Backend, SearchOptions, Stop};
use serde::Serialize;

/// Percentiles reported for each difficulty.
pub const PERCENTILES: [f64; 3] = [0.5, 0.9, 0.99];

/// A client whose hash rate is known: measured here, or a reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// Short name (`--profile NAME`).
    pub name: String,
    /// What it is.
    pub description: String,
    /// Hashes per second.
    pub rate: f64,
    /// Whether the rate was measured on this machine (else it is a reference value).
    pub measured: bool,
}

/// Reference profiles with their default rates (SHA-256 candidates per second):
/// `js` (node's `createHash` loop, ~0.6 M/s), `webcrypto` (awaited `crypto.subtle.digest`,
/// ~0.05 M/s), `gpu` (an attacker with a datacentre GPU running hashcat, ~15,000 M/s).
pub fn reference_profiles(js: f64, webcrypto: f64, gpu: f64) -> Vec<Profile> {
    vec![
        Profile {
            name: "js".into(),
            description: "JavaScript client, node createHash".into(),
            rate: js,
            measured: false,
        },
        Profile {
            name: "webcrypto".into(),
            description: "browser client, awaited WebCrypto".into(),
            rate: webcrypto,
            measured: false,
        },
        Profile {
            name: "gpu".into(),
            description: "attacker, datacentre GPU (hashcat)".into(),
            rate: gpu,
            measured: false,
        },
    ]
}

/// Measures `backend` on the `sha256-bits` bench job with `threads` threads for `dur`.
pub fn measure(
    backend: Backend,
    threads: usize,
    dur: Duration,
) -> Result<f64, grindstone::cpu::Error> {
    let (job, _) = grindstone::core::fixtures::bench_job("sha256-bits").expect("fixture");
    let r = grindstone::cpu::search(
        &job,
        &SearchOptions {
            backend,
            threads,
            stop: Stop::after(Some(dur), None, None),
        },
    )?;
    Ok(r.rate())
}

/// Solve time in seconds at percentile `p` for `k` solutions at rate `rate`.
pub fn seconds(d: Difficulty, p: f64, k: u32, rate: f64) -> f64 {
    d.hashes_at_percentile_k(p, k) / rate
}

/// The difficulties `from, from + step, ...` up to `to` (inclusive, within rounding).
pub fn grid(from: f64, to: f64, step: f64) -> Vec<f64> {
    let n = ((to - from) / step + 1e-9).floor().max(0.0) as usize;
    (0..=n).map(|i| from + step * i as f64).collect()
}

/// The smallest difficulty of `grid` whose solve time at percentile `p` (for `k`
/// solutions at `rate`) reaches `target` seconds: the cheapest setting that costs that
/// client at least the target. `None` when even the largest falls short.
pub fn recommend(grid: &[f64], rate: f64, target: f64, p: f64, k: u32) -> Option<f64> {
    grid.iter().copied().find(|&d| {
        Difficulty::new(d)
            .map(|d| seconds(d, p, k, rate) >= target)
            .unwrap_or(false)
    })
}

/// The exact (fractional) difficulty whose percentile-`p` solve time is `target`.
pub fn exact_difficulty(rate: f64, target: f64, p: f64, k: u32) -> f64 {
    // hashes(p, k) = q(p, k) * 2^d, with q independent of d (for d well above 1).
    let q = Difficulty::from_bits(40)
        .expect("in range")
        .hashes_at_percentile_k(p, k)
        / 2f64.powi(40);
    (target * rate / q).log2()
}

/// Hashes needed to find `k` solutions for `samples` distinct salts at difficulty `d`,
/// counted exactly (one thread; the index of the k-th solution plus one).
pub fn sample_hashes(d: f64, k: u32, samples: usize, seed: u64) -> Vec<u64> {
    let opts = SearchOptions {
        threads: 1,
        ..Default::default()
    };
    (0..samples)
        .map(|i| {
            let salt = format!("tune-{seed:x}-{i}");
            let c = Sha256Bits::new(&salt, Difficulty::new(d).expect("in range"))
                .expect("valid salt")
                .with_solutions(k)
                .expect("k fits");
            let plan = c.plan();
            let r = grindstone::cpu::search_many(plan.job(), plan.job().range(), k as usize, &opts)
                .expect("search runs");
            r.hits.last().expect("found").0 + 1
        })
        .collect()
}

/// The empirical `p`-quantile of `v` (sorted in place).
pub fn quantile(v: &mut [u64], p: f64) -> f64 {
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)] as f64
}

/// Writes the plot: solve time (log scale) against difficulty, for each profile a p50
/// line and a p10-p90 band.
pub fn plot_svg(
    path: &std::path::Path,
    profiles: &[Profile],
    grid: &[f64],
    k: u32,
) -> Result<(), String> {
    use plotters::prelude::*;
    let err = |e: &dyn std::fmt::Display| format!("plot {}: {e}", path.display());
    let (lo, hi) = (grid[0], grid[grid.len() - 1]);
    let mut ymin = f64::MAX;
    let mut ymax = f64::MIN;
    for p in profiles {
        for &d in grid {
            let d = Difficulty::new(d).map_err(|e| err(&e))?;
            ymin = ymin.min(seconds(d, 0.1, k, p.rate));
            ymax = ymax.max(seconds(d, 0.9, k, p.rate));
        }
    }
    let ymin = 10f64.powf(ymin.max(1e-12).log10().floor());
    let ymax = 10f64.powf(ymax.max(ymin * 10.0).log10().ceil());
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let caption = if k > 1 {
        format!("Solve time against difficulty ({k} solutions per challenge): p50, p10-p90 band")
    } else {
        "Solve time against difficulty: p50 line, p10-p90 band".to_string()
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(lo..hi, (ymin..ymax).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("difficulty (bits)")
        .y_desc("solve time")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| crate::human::human_secs(*y))
        .draw()
        .map_err(|e| err(&e))?;
    let colors = [&BLUE, &RED, &GREEN, &MAGENTA, &CYAN, &BLACK];
    for (i, p) in profiles.iter().enumerate() {
        let color = colors[i % colors.len()];
        let at = |d: f64, q: f64| seconds(Difficulty::new(d).expect("in range"), q, k, p.rate);
        let mut band: Vec<(f64, f64)> = grid.iter().map(|&d| (d, at(d, 0.9))).collect();
        band.extend(grid.iter().rev().map(|&d| (d, at(d, 0.1))));
        chart
            .draw_series(std::iter::once(Polygon::new(band, color.mix(0.15))))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(
                grid.iter().map(|&d| (d, at(d, 0.5))),
                color.stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label(format!("{} ({}H/s)", p.name, crate::human::si(p.rate)))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recommendation_is_the_smallest_difficulty_meeting_the_target() {
        let g = grid(8.0, 32.0, 1.0);
        assert_eq!(g.len(), 25);
        let rate = 1e6;
        // p90 = ln 10 * 2^d / rate >= 0.2 s  =>  2^d >= 86,858  =>  d >= 16.4: 17.
        let d = recommend(&g, rate, 0.2, 0.9, 1).unwrap();
        assert_eq!(d, 17.0);
        let below = seconds(Difficulty::new(d - 1.0).unwrap(), 0.9, 1, rate);
        let at = seconds(Difficulty::new(d).unwrap(), 0.9, 1, rate);
        assert!(below < 0.2 && at >= 0.2);
        // Finer grids land closer.
        let fine = recommend(&grid(8.0, 32.0, 0.1), rate, 0.2, 0.9, 1).unwrap();
        assert!((fine - 16.5).abs() < 1e-9, "{fine}");
        let exact = exact_difficulty(rate, 0.2, 0.9, 1);
        assert!((exact - (0.2 * rate / 10f64.ln()).log2()).abs() < 1e-6);
        assert!(fine >= exact && fine - exact < 0.1);
        // Out of reach.
        assert_eq!(recommend(&g, 1e15, 1e6, 0.9, 1), None);
    }

    #[test]
    fn measured_solve_distribution_matches_the_prediction() {
        // 2000 solves at d = 8, counted in hashes (no timing noise). The empirical median
        // and 90th percentile of a geometric with p = 2^-8 have a standard error of a few
        // percent at this sample size; 20% tolerances never flake (fixed seed anyway).
        let d = Difficulty::from_bits(8).unwrap();
        for k in [1u32, 4] {
            let mut v = sample_hashes(8.0, k, 2000, 42);
            let mean = v.iter().sum::<u64>() as f64 / v.len() as f64;
            assert!((mean / 256.0 - 1.0).abs() < 0.1, "k={k} mean {mean}");
            for p in [0.5, 0.9] {
                let got = quantile(&mut v, p);
                let want = d.hashes_at_percentile_k(p, k);
                assert!(
                    (got / want - 1.0).abs() < 0.2,
                    "k={k} p={p}: {got} vs {want}"
                );
            }
        }
    }
}

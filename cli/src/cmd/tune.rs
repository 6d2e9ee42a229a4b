//! `grind tune`: what each difficulty costs, here and for reference clients.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::tune::{self, PERCENTILES, Profile};
use anyhow::anyhow;
use grindstone::core::Difficulty;
use grindstone::cpu::{Backend, default_threads};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::{CmdResult, bad, fail, human_secs, si};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Difficulties to show: FROM..=TO (or FROM..TO, the same).
    #[arg(long, default_value = "8..=32")]
    pub range: String,
    /// Step between difficulties (fractional steps allowed, e.g. 0.5).
    #[arg(long, default_value_t = 1.0)]
    pub step: f64,
    /// Solutions per challenge (k): each at d - log2 k; same mean, shorter tail.
    #[arg(long, short = 'k', default_value_t = 1)]
    pub solutions: u32,
    /// How long to measure each of this machine's settings.
    #[arg(long, default_value = "1500ms", value_name = "DURATION", value_parser = super::duration_arg)]
    pub measure: Duration,
    /// Backend to measure (default: the one that would run).
    #[arg(
        long,
        env = "GRIND_BACKEND",
        default_value = "auto",
        value_name = "NAME",
        value_parser = super::kernel_arg
    )]
    pub backend: Backend,
    /// Rate of the `js` profile (node createHash), hashes/s.
    #[arg(long, default_value_t = 0.6e6, value_name = "H/S")]
    pub js_rate: f64,
    /// Rate of the `webcrypto` profile (awaited WebCrypto), hashes/s.
    #[arg(long, default_value_t = 0.05e6, value_name = "H/S")]
    pub webcrypto_rate: f64,
    /// Rate of the `gpu` attacker profile (hashcat on a datacentre GPU), hashes/s.
    #[arg(long, default_value_t = 15e9, value_name = "H/S")]
    pub gpu_rate: f64,
    /// Recommend the smallest difficulty whose p90 solve time reaches this (e.g. 200ms).
    #[arg(long, value_name = "DURATION", requires = "profile", value_parser = super::duration_arg)]
    pub target_p90: Option<Duration>,
    /// The profile the target is for: cpu-1, cpu-all, js, webcrypto or gpu.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Solves sampled per k for the measured p99/p50 tail ratios (0 to skip).
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
    /// Write an SVG plot here.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_range(s: &str) -> Result<(f64, f64), super::Failure> {
    let (a, b) = s
        .split_once("..=")
        .or_else(|| s.split_once(".."))
        .ok_or_else(|| bad(anyhow!("--range {s:?}: expected FROM..=TO, e.g. 8..=32")))?;
    let p = |x: &str| -> Result<f64, super::Failure> {
        let d: Difficulty = x.parse().map_err(bad)?;
        Ok(d.bits())
    };
    let (a, b) = (p(a)?, p(b)?);
    if a > b {
        return Err(bad(anyhow!("--range {s:?}: FROM is above TO")));
    }
    Ok((a, b))
}

/// `12 ms`-style cells for a p50/p90/p99 triple.
fn triple(d: Difficulty, k: u32, rate: f64) -> String {
    PERCENTILES
        .iter()
        .map(|&p| human_secs(tune::seconds(d, p, k, rate)))
        .collect::<Vec<_>>()
        .join("/")
}

pub fn run(a: Args) -> CmdResult {
    let (from, to) = parse_range(&a.range)?;
    if !(a.step.is_finite() && a.step >= 0.01) {
        return Err(bad(anyhow!("--step must be at least 0.01")));
    }
    let grid = tune::grid(from, to, a.step);
    if grid.len() > 2000 {
        return Err(bad(anyhow!(
            "{} difficulties: use a larger --step",
            grid.len()
        )));
    }
    let k = a.solutions;
    for &d in &grid {
        grindstone::core::schemes::sha256_bits::per_solution_difficulty(
            Difficulty::new(d).map_err(bad)?,
            k,
        )
        .map_err(|e| bad(anyhow!("difficulty {d} with k = {k}: {e}")))?;
    }
    let dur = a.measure;
    let target = a.target_p90;
    for r in [a.js_rate, a.webcrypto_rate, a.gpu_rate] {
        if !(r.is_finite() && r > 0.0) {
            return Err(bad(anyhow!("profile rates must be positive numbers")));
        }
    }
    let backend = a.backend;
    let all = default_threads();

    let bar = (!a.json && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::with_draw_target(Some(3), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{bar:20} {pos}/{len} {msg}").expect("valid template"),
        );
        b
    });
    let step = |msg: String| {
        if let Some(b) = &bar {
            b.set_message(msg);
        }
    };
    let mut profiles = Vec::new();
    let mut settings = vec![(1usize, "cpu-1")];
    if all > 1 {
        settings.push((all, "cpu-all"));
    }
    for (threads, name) in settings {
        step(format!("measuring {backend}, {threads} thread(s)"));
        let rate = tune::measure(backend, threads, dur).map_err(|e| fail(anyhow!(e)))?;
        profiles.push(Profile {
            name: name.into(),
            description: format!("this machine, {backend}, {threads} thread(s)"),
            rate,
            measured: true,
        });
        if let Some(b) = &bar {
            b.inc(1);
        }
    }
    profiles.extend(tune::reference_profiles(
        a.js_rate,
        a.webcrypto_rate,
        a.gpu_rate,
    ));

    step(format!("sampling {} solves per k", a.samples));
    let mut tails = Vec::new();
    for kk in [1u32, 4, 16] {
        let predicted = Difficulty::tail_ratio(kk);
        let measured = (a.samples > 0).then(|| {
            let mut v = tune::sample_hashes(12.0, kk, a.samples, 7);
            tune::quantile(&mut v, 0.99) / tune::quantile(&mut v, 0.5)
        });
        tails.push((kk, predicted, measured));
    }
    if let Some(b) = &bar {
        b.inc(1);
        b.finish_and_clear();
    }

    let recommendation = match (target, &a.profile) {
        (Some(t), Some(name)) => {
            let p = profiles
                .iter()
                .find(|p| &p.name == name)
                .ok_or_else(|| {
                    bad(anyhow!(
                        "unknown profile {name:?} (known: {})",
                        profiles
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?
                .clone();
            let t = t.as_secs_f64();
            let d = tune::recommend(&grid, p.rate, t, 0.9, k);
            let exact = tune::exact_difficulty(p.rate, t, 0.9, k);
            Some((p, t, d, exact))
        }
        _ => None,
    };

    if let Some(path) = &a.plot {
        tune::plot_svg(path, &profiles, &grid, k).map_err(|e| fail(anyhow!(e)))?;
    }

    if a.json {
        let rows: Vec<_> = grid
            .iter()
            .map(|&d| {
                let dd = Difficulty::new(d).expect("validated");
                let per: serde_json::Map<_, _> = profiles
                    .iter()
                    .map(|p| {
                        let v: Vec<f64> = PERCENTILES
                            .iter()
                            .map(|&q| tune::seconds(dd, q, k, p.rate))
                            .collect();
                        (
                            p.name.clone(),
                            json!({"p50": v[0], "p90": v[1], "p99": v[2]}),
                        )
                    })
                    .collect();
                json!({"difficulty": d, "seconds": per})
            })
            .collect();
        let out = json!({
            "k": k,
            "profiles": profiles,
            "rows": rows,
            "tail_ratios": tails.iter().map(|(kk, p, m)| json!({"k": kk, "predicted_p99_over_p50": p, "measured_p99_over_p50": m, "samples": a.samples, "difficulty": 12})).collect::<Vec<_>>(),
            "recommendation": recommendation.as_ref().map(|(p, t, d, exact)| json!({
                "profile": p.name, "target_p90_s": t, "difficulty": d, "exact_difficulty": exact,
                "costs": d.map(|d| profiles.iter().map(|q| {
                    let dd = Difficulty::new(d).expect("on the grid");
                    json!({"profile": q.name, "p50": tune::seconds(dd, 0.5, k, q.rate),
                           "p90": tune::seconds(dd, 0.9, k, q.rate), "p99": tune::seconds(dd, 0.99, k, q.rate)})
                }).collect::<Vec<_>>()),
            })),
            "plot": a.plot.as_ref().map(|p| p.display().to_string()),
        });
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }

    println!(
        "Solve time p50 / p90 / p99{}",
        if k > 1 {
            format!(", {k} solutions per challenge")
        } else {
            String::new()
        }
    );
    for p in &profiles {
        println!(
            "  {:<10} {:>10}H/s  {}{}",
            p.name,
            si(p.rate),
            p.description,
            if p.measured {
                " (measured)"
            } else {
                " (reference)"
            }
        );
    }
    let width = 25;
    let mut header = format!("{:>6}", "bits");
    for p in &profiles {
        header.push_str(&format!("  {:>width$}", p.name));
    }
    println!("{header}");
    for &d in &grid {
        let dd = Difficulty::new(d).expect("validated");
        let mut line = format!("{:>6}", dd.to_string());
        for p in &profiles {
            line.push_str(&format!("  {:>width$}", triple(dd, k, p.rate)));
        }
        println!("{line}");
    }
    println!();
    println!("Tail of solve times, p99 / p50 (independent of difficulty and speed):");
    for (kk, p, m) in &tails {
        let m = m
            .map(|m| format!(", measured {m:.2} over {} solves at 12 bits", a.samples))
            .unwrap_or_default();
        println!("  k = {kk:<3} predicted {p:.2}{m}");
    }
    if let Some((p, t, d, exact)) = recommendation {
        println!();
        match d {
            Some(d) => {
                println!(
                    "Recommended for {} (p90 >= {}): {d} bits (exact: {exact:.2}); it costs:",
                    p.name,
                    human_secs(t)
                );
                let dd = Difficulty::new(d).expect("on the grid");
                for q in &profiles {
                    println!("  {:<10} {}", q.name, triple(dd, k, q.rate));
                }
            }
            None => println!(
                "No difficulty up to {to} makes {} spend {} at p90 (exact: {exact:.2} bits)",
                p.name,
                human_secs(t)
            ),
        }
    }
    if let Some(path) = &a.plot {
        println!();
        println!("plot written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

//! `grind info`.

use std::process::ExitCode;

use grindstone::cpu::{Backend, cpu_features, default_threads};
use serde_json::json;

use super::CmdResult;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The CPU model name, where the OS tells.
fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find(|l| l.starts_with("model name") || l.starts_with("Model"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

pub fn run(a: Args) -> CmdResult {
    let features = cpu_features();
    let selected =
        Backend::from_name(&std::env::var("GRIND_BACKEND").unwrap_or_else(|_| "auto".into()));
    let adapters = grindstone::engine::adapters();
    let backends: Vec<_> = Backend::ALL
        .iter()
        .map(|b| (b.name(), b.is_available()))
        .collect();
    if a.json {
        let out = json!({
            "version": env!("CARGO_PKG_VERSION"),
            "arch": std::env::consts::ARCH,
            "cpu": cpu_model(),
            "threads": default_threads(),
            "features": features.iter().map(|(n, v)| (n.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "backends": backends.iter().map(|(n, v)| json!({"name": n, "available": v})).collect::<Vec<_>>(),
            "selected": selected.as_ref().map(|b| b.name()).ok(),
            "selected_error": selected.as_ref().err().map(|e| e.to_string()),
            "gpu_built": grindstone::engine::GPU_BUILT,
            "adapters": adapters,
        });
        println!("{out}");
    } else {
        println!("grind {}", env!("CARGO_PKG_VERSION"));
        println!(
            "cpu:       {} ({}, {} logical CPUs)",
            cpu_model().unwrap_or_else(|| "unknown".into()),
            std::env::consts::ARCH,
            default_threads()
        );
        let f: Vec<String> = features
            .iter()
            .map(|(n, v)| format!("{n}{}", if *v { "" } else { " (no)" }))
            .collect();
        println!("features:  {}", f.join(", "));
        let b: Vec<String> = backends
            .iter()
            .map(|(n, v)| format!("{n}{}", if *v { "" } else { " (unavailable)" }))
            .collect();
        println!("backends:  {}", b.join(", "));
        match &selected {
            Ok(b) => println!("selected:  {b}"),
            Err(_)
                if std::env::var("GRIND_BACKEND")
                    .is_ok_and(|v| v.parse::<grindstone::Engine>().is_ok()) =>
            {
                println!(
                    "selected:  {} (GRIND_BACKEND)",
                    std::env::var("GRIND_BACKEND").unwrap_or_default()
                )
            }
            Err(e) => println!("selected:  none: GRIND_BACKEND: {e}"),
        }
        if !grindstone::engine::GPU_BUILT {
            println!("gpu:       not built (cargo feature `gpu`)");
        } else if adapters.is_empty() {
            println!("gpu:       no adapters (install a Vulkan driver; `--backend gpu` needs one)");
        } else {
            for (i, a) in adapters.iter().enumerate() {
                println!(
                    "{}{} ({}, {}{}), driver {}",
                    if i == 0 { "gpu:       " } else { "           " },
                    a.name,
                    a.backend,
                    a.device_type,
                    if a.software {
                        ", software: not picked by auto"
                    } else {
                        ""
                    },
                    if a.driver.is_empty() {
                        "unknown"
                    } else {
                        &a.driver
                    },
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

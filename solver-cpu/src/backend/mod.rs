//! Search backends: one file per backend, each exposing the same function
//!
//! ```text
//! pub fn search(job: &Job, range: Range<u64>) -> Option<u64>
//! ```
//!
//! which returns the lowest index in `range` whose digest passes the job's fast
//! [`Filter`](grindstone_core::Filter) (a candidate; the caller confirms it exactly with
//! [`Job::check`]), or `None` when no index in `range` passes. A [`Backend`] is detected
//! once and matched once per batch, never per nonce.

use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use grindstone_core::Job;

use crate::Error;

#[cfg(target_arch = "aarch64")]
mod arm_sha2;
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod drive;
pub(crate) mod lanes;
mod portable;
mod scalar;
#[cfg(target_arch = "x86_64")]
mod sha_ni;
#[cfg(all(target_family = "wasm", target_feature = "simd128"))]
mod simd128;

/// A CPU search backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// 16 lanes of AVX-512 (x86-64 with AVX-512F), with per-chunk precomputation.
    Avx512,
    /// The x86 SHA extensions, two candidates per evaluation, with per-chunk
    /// precomputation.
    ShaNi,
    /// 8 lanes of AVX2 (x86-64), with per-chunk precomputation.
    Avx2,
    /// The ARMv8 SHA instructions (aarch64 with the SHA2 extension), two candidates per
    /// evaluation, with per-chunk precomputation.
    ArmSha2,
    /// 4 lanes of WebAssembly SIMD (WebAssembly builds made with `+simd128`), with
    /// per-chunk precomputation.
    Simd128,
    /// One lane of portable Rust, with per-chunk precomputation.
    Scalar,
    /// Midstate plus the RustCrypto `sha2`/`sha1` compression functions, one candidate at
    /// a time (those crates use SHA-NI or the ARMv8 SHA instructions on their own where
    /// the CPU has them). Runs every job layout on every CPU.
    Portable,
}

impl Backend {
    /// Every backend this build knows, in the order [`Backend::detect`] prefers them.
    #[cfg(target_arch = "aarch64")]
    pub const ALL: &'static [Backend] = &[
        Backend::ArmSha2,
        Backend::Portable,
        Backend::Scalar,
        Backend::Avx512,
        Backend::ShaNi,
        Backend::Avx2,
        Backend::Simd128,
    ];
    /// Every backend this build knows, in the order [`Backend::detect`] prefers them.
    #[cfg(target_family = "wasm")]
    pub const ALL: &'static [Backend] = &[
        Backend::Simd128,
        Backend::Scalar,
        Backend::Portable,
        Backend::Avx512,
        Backend::ShaNi,
        Backend::Avx2,
        Backend::ArmSha2,
    ];
    /// Every backend this build knows, in the order [`Backend::detect`] prefers them.
    #[cfg(not(any(target_arch = "aarch64", target_family = "wasm")))]
    pub const ALL: &'static [Backend] = &[
        Backend::Avx512,
        Backend::ShaNi,
        Backend::Avx2,
        Backend::Scalar,
        Backend::Portable,
        Backend::ArmSha2,
        Backend::Simd128,
    ];

    /// The backend's name (`--backend NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Avx512 => "avx512",
            Backend::ShaNi => "sha-ni",
            Backend::Avx2 => "avx2",
            Backend::ArmSha2 => "arm-sha2",
            Backend::Simd128 => "simd128",
            Backend::Scalar => "scalar",
            Backend::Portable => "portable",
        }
    }

    /// Whether this CPU can run the backend.
    pub fn is_available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => avx512::is_available(),
            #[cfg(target_arch = "x86_64")]
            Backend::ShaNi => sha_ni::is_available(),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => avx2::is_available(),
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx512 | Backend::ShaNi | Backend::Avx2 => false,
            #[cfg(target_arch = "aarch64")]
            Backend::ArmSha2 => arm_sha2::is_available(),
            #[cfg(not(target_arch = "aarch64"))]
            Backend::ArmSha2 => false,
            #[cfg(all(target_family = "wasm", target_feature = "simd128"))]
            Backend::Simd128 => simd128::is_available(),
            #[cfg(not(all(target_family = "wasm", target_feature = "simd128")))]
            Backend::Simd128 => false,
            Backend::Scalar | Backend::Portable => true,
        }
    }

    /// Whether the backend runs `job` with its own kernel. The kernels need the nonce in
    /// one block: the final block, or (SHA-256) the one before a final block of padding
    /// and constant bytes (the planners' layouts); for other jobs their `search` falls
    /// back to the portable kernel.
    pub fn supports(self, job: &Job) -> bool {
        match self {
            Backend::Portable => true,
            _ => drive::layout(job).is_some(),
        }
    }

    /// The fastest available backend, detected on first use and cached.
    pub fn detect() -> Backend {
        static DETECTED: OnceLock<Backend> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            Self::ALL
                .iter()
                .copied()
                .find(|b| b.is_available())
                .unwrap_or(Backend::Portable)
        })
    }

    /// Every available backend, fastest first.
    pub fn available() -> Vec<Backend> {
        Self::ALL
            .iter()
            .copied()
            .filter(|b| b.is_available())
            .collect()
    }

    /// The backend named `name`; `auto` means [`Backend::detect`]. Fails for unknown names
    /// and for backends this CPU cannot run.
    pub fn from_name(name: &str) -> Result<Backend, Error> {
        let name = name.trim().to_ascii_lowercase();
        if name == "auto" {
            return Ok(Self::detect());
        }
        let b = Self::ALL
            .iter()
            .copied()
            .find(|b| b.name() == name)
            .ok_or_else(|| Error::UnknownBackend {
                name: name.clone(),
                known: Self::ALL
                    .iter()
                    .map(|b| b.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        if !b.is_available() {
            return Err(Error::UnavailableBackend(b.name()));
        }
        Ok(b)
    }

    /// Searches `range` of `job` for the first filter candidate. Called once per batch.
    pub fn search(self, job: &Job, range: Range<u64>) -> Option<u64> {
        match self {
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => avx512::search(job, range),
            #[cfg(target_arch = "x86_64")]
            Backend::ShaNi => sha_ni::search(job, range),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => avx2::search(job, range),
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx512 | Backend::ShaNi | Backend::Avx2 => portable::search(job, range),
            #[cfg(target_arch = "aarch64")]
            Backend::ArmSha2 => arm_sha2::search(job, range),
            #[cfg(not(target_arch = "aarch64"))]
            Backend::ArmSha2 => portable::search(job, range),
            #[cfg(all(target_family = "wasm", target_feature = "simd128"))]
            Backend::Simd128 => simd128::search(job, range),
            #[cfg(not(all(target_family = "wasm", target_feature = "simd128")))]
            Backend::Simd128 => portable::search(job, range),
            Backend::Scalar => scalar::search(job, range),
            Backend::Portable => portable::search(job, range),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// CPU features relevant to the kernels, as `(name, present)` pairs.
pub fn cpu_features() -> Vec<(&'static str, bool)> {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        vec![
            ("sse4.1", std::is_x86_feature_detected!("sse4.1")),
            ("sha", std::is_x86_feature_detected!("sha")),
            ("avx2", std::is_x86_feature_detected!("avx2")),
            ("avx512f", std::is_x86_feature_detected!("avx512f")),
            ("avx512vl", std::is_x86_feature_detected!("avx512vl")),
            ("avx512bw", std::is_x86_feature_detected!("avx512bw")),
        ]
    }
    #[cfg(target_arch = "aarch64")]
    {
        vec![
            ("neon", std::arch::is_aarch64_feature_detected!("neon")),
            ("sha2", std::arch::is_aarch64_feature_detected!("sha2")),
        ]
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64", target_arch = "aarch64")))]
    {
        Vec::new()
    }
}

//! # grindstone-gpu
//!
//! GPU search over a [`Job`] with wgpu compute shaders written in WGSL
//! (`shaders/search.wgsl` with `sha256.wgsl` or `sha1.wgsl`). The host plans dispatches over the job's nonce range,
//! precomputes what does not depend on the nonce once per dispatch (see [`kernel`]),
//! keeps two dispatches in flight, and confirms every hit the shader reports with
//! [`Job::check`] before returning it. Without a timeout or cancellation the result is the
//! **lowest** valid index of the range, the same as the CPU searcher's.
//!
//! Failures are errors, never panics: no adapter, a shader the driver refuses
//! (validation errors are caught with error scopes and an uncaptured-error handler in
//! place of wgpu's panicking default), a lost device.
//!
//! The kernels run SHA-256 and SHA-1 jobs whose nonce sits in one final block (the
//! layout the `sha256-bits` and hashcash planners produce); [`Gpu::supports`] says
//! whether a job qualifies.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod adapter;
mod dispatch;
pub mod kernel;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

pub use adapter::{AdapterSummary, Selector, adapters};
use grindstone_core::Job;
pub use grindstone_core::{Outcome, Report, Stop};
use kernel::ShaderLayout;

/// Errors of the GPU searcher.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No adapter matched.
    #[error("no GPU adapter {wanted} (adapters: {available})")]
    NoAdapter {
        /// What was asked for.
        wanted: String,
        /// The adapters present, or `none`.
        available: String,
    },
    /// The adapter would not open a device.
    #[error("cannot open a device on {adapter}: {reason}")]
    Device {
        /// The adapter's name.
        adapter: String,
        /// Why.
        reason: String,
    },
    /// The driver refused the shader or pipeline, or reported an error while running it.
    #[error("GPU error on {adapter}: {reason}")]
    Gpu {
        /// The adapter's name.
        adapter: String,
        /// The driver's message.
        reason: String,
    },
    /// The device was lost (driver reset, GPU removed).
    #[error("GPU device {adapter} lost: {reason}")]
    Lost {
        /// The adapter's name.
        adapter: String,
        /// The driver's message.
        reason: String,
    },
    /// The job's layout is not one the kernel runs.
    #[error("the GPU kernel does not run this job ({0}); use a CPU backend")]
    Unsupported(String),
}

/// An open GPU: an adapter, its device and the compiled kernels.
pub struct Gpu {
    info: AdapterSummary,
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipelines: Mutex<HashMap<ShaderLayout, wgpu::ComputePipeline>>,
    errors: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<Option<String>>>,
}

impl fmt::Debug for Gpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gpu").field("adapter", &self.info).finish()
    }
}

impl Gpu {
    /// The adapter in use.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.info
    }

    /// Whether a kernel runs `job` (nonce in one final block).
    pub fn supports(job: &Job) -> bool {
        ShaderLayout::of(job).is_some()
    }

    /// `Ok` when the kernel runs `job`, else [`Error::Unsupported`] saying why.
    pub fn check_supported(job: &Job) -> Result<(), Error> {
        match ShaderLayout::of(job) {
            Some(_) => Ok(()),
            None => Err(unsupported(job)),
        }
    }

    /// Fails with the first error the driver reported since the last check.
    fn check_errors(&self) -> Result<(), Error> {
        if let Some(r) = self.lost.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Err(Error::Lost {
                adapter: self.info.name.clone(),
                reason: r,
            });
        }
        let mut e = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        if !e.is_empty() {
            let reason = e.drain(..).collect::<Vec<_>>().join("; ");
            return Err(Error::Gpu {
                adapter: self.info.name.clone(),
                reason,
            });
        }
        Ok(())
    }

    fn gpu_err(&self, reason: impl fmt::Display) -> Error {
        Error::Gpu {
            adapter: self.info.name.clone(),
            reason: reason.to_string(),
        }
    }

    /// The pipeline for `layout`, compiled on first use (inside a validation error
    /// scope, so that a refused shader is an error).
    fn pipeline(&self, layout: &ShaderLayout) -> Result<wgpu::ComputePipeline, Error> {
        let mut cache = self.pipelines.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = cache.get(layout) {
            return Ok(p.clone());
        }
        let src = layout.shader();
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("search"),
                source: wgpu::ShaderSource::Wgsl(src.into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some("search"),
                layout: None,
                module: &module,
                entry_point: Some("search"),
                compilation_options: Default::default(),
                cache: None,
            });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(self.gpu_err(e));
        }
        self.check_errors()?;
        cache.insert(layout.clone(), pipeline.clone());
        Ok(pipeline)
    }

    /// Compiles the kernel for `job` now (otherwise the first search does), so that
    /// timings leave out shader compilation.
    pub fn prepare(&self, job: &Job) -> Result<(), Error> {
        let layout = ShaderLayout::of(job).ok_or_else(|| unsupported(job))?;
        self.pipeline(&layout).map(drop)
    }
}

fn unsupported(job: &Job) -> Error {
    Error::Unsupported(format!(
        "{}: the nonce does not end in the final message block's first 56 bytes",
        job.alg()
    ))
}

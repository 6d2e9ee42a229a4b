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

#![warn(missing_docs)]

pub mod kernel;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use grindstone_core::{Digest, Job};
pub use grindstone_core::{Outcome, Report, Stop};
use kernel::Layout;

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

/// An adapter, as `grind info` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterSummary {
    /// The device name.
    pub name: String,
    /// The graphics API (`Vulkan`, `Metal`, `Dx12`).
    pub backend: String,
    /// `DiscreteGpu`, `IntegratedGpu`, `VirtualGpu`, `Cpu` or `Other`.
    pub device_type: String,
    /// Driver name and version.
    pub driver: String,
    /// Whether it is a software rasteriser on the CPU (lavapipe/llvmpipe, WARP, ...).
    pub software: bool,
}

impl AdapterSummary {
    fn of(info: &wgpu::AdapterInfo) -> Self {
        let driver = [info.driver.as_str(), info.driver_info.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        Self {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver,
            software: info.device_type == wgpu::DeviceType::Cpu,
        }
    }
}

impl fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}, {})", self.name, self.backend, self.device_type)
    }
}

fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

fn list(instance: &wgpu::Instance) -> Vec<wgpu::Adapter> {
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
}

/// Every adapter wgpu can see (Vulkan, Metal, DX12), hardware and software.
pub fn adapters() -> Vec<AdapterSummary> {
    list(&instance())
        .iter()
        .map(|a| AdapterSummary::of(&a.get_info()))
        .collect()
}

/// Which adapter to open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// A substring of the adapter's name (case-insensitive); `None` picks the best one.
    pub name: Option<String>,
    /// Whether a software adapter may be picked when no name is given.
    pub allow_software: bool,
}

fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

/// "No hit" in the result buffer.
const NO_HIT: u32 = u32::MAX;
/// Dispatches in flight.
const IN_FLIGHT: usize = 2;
/// Threads per workgroup (`@workgroup_size` in the shader).
const WORKGROUP: u64 = 64;
/// Workgroups per grid dimension (WebGPU's limit).
const MAX_GROUPS: u64 = 65_535;
/// First dispatch size in candidates; later ones aim at [`TARGET`] each.
const FIRST: u64 = 1 << 16;
/// Wall time a dispatch should take: long enough to keep the GPU busy, short enough
/// for deadlines and cancellation.
const TARGET: Duration = Duration::from_millis(40);
/// Params buffer: state 8, w 80, kw 80, sym 64, 8 scalars.
const PARAM_WORDS: usize = 8 + 80 + 80 + 64 + 8;

/// An open GPU: an adapter, its device and the compiled kernels.
pub struct Gpu {
    info: AdapterSummary,
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipelines: Mutex<HashMap<Layout, wgpu::ComputePipeline>>,
    errors: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<Option<String>>>,
}

impl fmt::Debug for Gpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gpu").field("adapter", &self.info).finish()
    }
}

impl Gpu {
    /// Opens the adapter `sel` picks.
    pub fn open(sel: &Selector) -> Result<Gpu, Error> {
        let inst = instance();
        let all = list(&inst);
        let available = if all.is_empty() {
            "none".to_string()
        } else {
            all.iter()
                .map(|a| AdapterSummary::of(&a.get_info()).to_string())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let chosen = match &sel.name {
            Some(n) => {
                let n = n.to_lowercase();
                all.into_iter()
                    .find(|a| a.get_info().name.to_lowercase().contains(&n))
            }
            None => {
                let mut v: Vec<_> = all
                    .into_iter()
                    .filter(|a| {
                        sel.allow_software || a.get_info().device_type != wgpu::DeviceType::Cpu
                    })
                    .collect();
                v.sort_by_key(|a| rank(a.get_info().device_type));
                v.into_iter().next()
            }
        };
        let adapter = chosen.ok_or_else(|| Error::NoAdapter {
            wanted: match &sel.name {
                Some(n) => format!("matching {n:?}"),
                None if sel.allow_software => "found".into(),
                None => "other than a software one found".into(),
            },
            available,
        })?;
        let info = AdapterSummary::of(&adapter.get_info());
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("grindstone"),
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| Error::Device {
            adapter: info.name.clone(),
            reason: e.to_string(),
        })?;
        let errors: Arc<Mutex<Vec<String>>> = Arc::default();
        let e2 = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            e2.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(e.to_string());
        }));
        let lost: Arc<Mutex<Option<String>>> = Arc::default();
        let l2 = lost.clone();
        device.set_device_lost_callback(move |reason, msg| {
            *l2.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!("{reason:?}: {msg}"));
        });
        Ok(Gpu {
            info,
            device,
            queue,
            pipelines: Mutex::default(),
            errors,
            lost,
        })
    }

    /// The adapter in use.
    pub fn adapter(&self) -> &AdapterSummary {
        &self.info
    }

    /// Whether a kernel runs `job` (nonce in one final block).
    pub fn supports(job: &Job) -> bool {
        Layout::of(job).is_some()
    }

    /// `Ok` when the kernel runs `job`, else [`Error::Unsupported`] saying why.
    pub fn check_supported(job: &Job) -> Result<(), Error> {
        match Layout::of(job) {
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
    fn pipeline(&self, layout: &Layout) -> Result<wgpu::ComputePipeline, Error> {
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
        let layout = Layout::of(job).ok_or_else(|| unsupported(job))?;
        self.pipeline(&layout).map(drop)
    }

    /// Searches `range` (clamped to the job's range) for its `k` lowest valid indices.
    pub fn search_many(
        &self,
        job: &Job,
        range: Range<u64>,
        k: usize,
        stop: &Stop,
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let k = k.max(1);
        let layout = Layout::of(job).ok_or_else(|| unsupported(job))?;
        let pipeline = self.pipeline(&layout)?;
        let Range { start, end } = job.clamp(range);
        let mut run = Run::new(self, job, &layout, &pipeline, end);
        let mut hits: Vec<(u64, Digest)> = Vec::new();
        let mut next = start;
        let mut outcome = Outcome::Exhausted;
        let mut last_done = Instant::now();
        loop {
            while run.flight.len() < IN_FLIGHT && next < end {
                next = run.submit(next)?;
            }
            let Some(f) = run.flight.pop_front() else {
                break;
            };
            let hit = run.wait(&f)?;
            let now = Instant::now();
            let dt = now.duration_since(last_done.max(f.submitted));
            last_done = now;
            let searched = match hit {
                Some(off) => u64::from(off) + 1 - u64::from(f.lo),
                None => u64::from(f.hi - f.lo),
            };
            run.hashes += searched;
            stop.count(searched);
            if hit.is_none() {
                run.adapt(u64::from(f.hi - f.lo), dt);
            }
            if let Some(off) = hit {
                let index = f.base + u64::from(off);
                if let Some(d) = job.check(index) {
                    hits.push((index, d));
                }
                // Everything in flight lies above the hit: drop it and go on after it.
                for g in run.flight.drain(..) {
                    run.free.push(g.slot);
                }
                next = index + 1;
                if hits.len() == k {
                    outcome = Outcome::Found {
                        index: hits[0].0,
                        digest: hits[0].1,
                    };
                    break;
                }
            }
            if let Some(o) = stop.check() {
                outcome = o;
                break;
            }
        }
        Ok(Report {
            outcome,
            hits,
            hashes: run.hashes,
            elapsed: started.elapsed(),
        })
    }
}

fn unsupported(job: &Job) -> Error {
    Error::Unsupported(format!(
        "{}: the nonce does not end in the final message block's first 56 bytes",
        job.alg()
    ))
}

/// Buffers of one dispatch slot.
struct Slot {
    params: wgpu::Buffer,
    hit: wgpu::Buffer,
    read: wgpu::Buffer,
    bind: wgpu::BindGroup,
}

/// A submitted dispatch.
struct Flight {
    slot: usize,
    /// Index of candidate offset 0.
    base: u64,
    lo: u32,
    hi: u32,
    sub: wgpu::SubmissionIndex,
    submitted: Instant,
}

/// The state of one search.
struct Run<'a> {
    gpu: &'a Gpu,
    job: &'a Job,
    layout: &'a Layout,
    pipeline: &'a wgpu::ComputePipeline,
    end: u64,
    slots: Vec<Slot>,
    free: Vec<usize>,
    flight: VecDeque<Flight>,
    /// The high part the cached precomputation is for.
    pre: Option<(u64, [u32; PARAM_WORDS])>,
    budget: u64,
    hashes: u64,
}

impl<'a> Run<'a> {
    fn new(
        gpu: &'a Gpu,
        job: &'a Job,
        layout: &'a Layout,
        pipeline: &'a wgpu::ComputePipeline,
        end: u64,
    ) -> Self {
        let bgl = pipeline.get_bind_group_layout(0);
        let slots = (0..=IN_FLIGHT)
            .map(|_| {
                let params = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("params"),
                    size: (PARAM_WORDS * 4) as u64,
                    usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                let hit = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("hit"),
                    size: 4,
                    usage: wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_SRC
                        | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                let read = gpu.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("hit readback"),
                    size: 4,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                let bind = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("search"),
                    layout: &bgl,
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: params.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: hit.as_entire_binding(),
                        },
                    ],
                });
                Slot {
                    params,
                    hit,
                    read,
                    bind,
                }
            })
            .collect();
        Run {
            gpu,
            job,
            layout,
            pipeline,
            end,
            slots,
            free: (0..=IN_FLIGHT).collect(),
            flight: VecDeque::new(),
            pre: None,
            budget: FIRST,
            hashes: 0,
        }
    }

    /// Dispatch sizes follow the measured rate.
    fn adapt(&mut self, candidates: u64, dt: Duration) {
        let rate = candidates as f64 / dt.as_secs_f64().max(1e-6);
        let want = (rate * TARGET.as_secs_f64()) as u64;
        let max = (MAX_GROUPS * MAX_GROUPS * WORKGROUP).min(1 << 31);
        self.budget = want
            .clamp(self.budget / 2, self.budget * 4)
            .clamp(FIRST, max);
    }

    /// Submits a dispatch starting at index `cur`; returns the next index to search.
    fn submit(&mut self, cur: u64) -> Result<u64, Error> {
        let l = self.layout;
        let radix = u64::from(l.radix());
        let high = cur / l.low_space();
        let off = cur % l.low_space();
        let q0 = off / radix;
        let base = high * l.low_space() + q0 * radix;
        let room = (l.inv_space() - q0) * radix;
        let seg_end = self.end.min(base + room.min(self.budget));
        let (lo, hi) = ((cur - base) as u32, (seg_end - base) as u32);
        let invocations = u64::from(hi).div_ceil(radix);
        let groups = invocations.div_ceil(WORKGROUP);
        let x = groups.min(MAX_GROUPS);
        let y = groups.div_ceil(x);
        if self.pre.as_ref().is_none_or(|p| p.0 != high) {
            let pre = l.precompute(self.job, high);
            let mut words = [0u32; PARAM_WORDS];
            words[..8].copy_from_slice(&pre.state);
            words[8..88].copy_from_slice(&pre.w);
            words[88..168].copy_from_slice(&pre.kw);
            for (w, &s) in words[168..232]
                .iter_mut()
                .zip(self.job.nonce().alphabet.symbols())
            {
                *w = u32::from(s);
            }
            words[232] = pre.h0;
            self.pre = Some((high, words));
        }
        let mut words = self.pre.as_ref().expect("set above").1;
        let f = self.job.filter();
        words[233..240].copy_from_slice(&[
            q0 as u32,
            lo,
            hi,
            (x * WORKGROUP) as u32,
            f.xor,
            f.mask,
            f.max,
        ]);
        let slot = self.free.pop().expect("one slot more than in flight");
        let s = &self.slots[slot];
        let q = &self.gpu.queue;
        q.write_buffer(&s.params, 0, bytemuck::cast_slice(&words));
        q.write_buffer(&s.hit, 0, &NO_HIT.to_le_bytes());
        let mut enc = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor::default());
            pass.set_pipeline(self.pipeline);
            pass.set_bind_group(0, &s.bind, &[]);
            pass.dispatch_workgroups(x as u32, y as u32, 1);
        }
        enc.copy_buffer_to_buffer(&s.hit, 0, &s.read, 0, 4);
        let sub = q.submit([enc.finish()]);
        self.flight.push_back(Flight {
            slot,
            base,
            lo,
            hi,
            sub,
            submitted: Instant::now(),
        });
        Ok(seg_end)
    }

    /// Waits for a dispatch and reads its lowest hit offset.
    fn wait(&mut self, f: &Flight) -> Result<Option<u32>, Error> {
        let s = &self.slots[f.slot];
        let (tx, rx) = std::sync::mpsc::channel();
        s.read.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.gpu
            .device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(f.sub.clone()),
                timeout: None,
            })
            .map_err(|e| self.gpu.gpu_err(e))?;
        // The map callback runs on whichever thread polls the device: when searches
        // share it, another thread may be running it right now.
        let waited = Instant::now();
        let mapped = loop {
            self.gpu.check_errors()?;
            match rx.try_recv() {
                Ok(r) => break r,
                Err(std::sync::mpsc::TryRecvError::Empty)
                    if waited.elapsed() < Duration::from_secs(60) =>
                {
                    std::thread::sleep(Duration::from_micros(50));
                    self.gpu
                        .device
                        .poll(wgpu::PollType::Poll)
                        .map_err(|e| self.gpu.gpu_err(e))?;
                }
                Err(_) => return Err(self.gpu.gpu_err("the result buffer was never mapped")),
            }
        };
        mapped.map_err(|e| self.gpu.gpu_err(e))?;
        let v = {
            let view = s
                .read
                .slice(..)
                .get_mapped_range()
                .map_err(|e| self.gpu.gpu_err(e))?;
            u32::from_le_bytes([view[0], view[1], view[2], view[3]])
        };
        s.read.unmap();
        self.free.push(f.slot);
        Ok((v != NO_HIT).then_some(v))
    }
}

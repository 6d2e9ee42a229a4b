//! The dispatch loop: dispatches sized to take about [`TARGET`] each, two in flight,
//! hits read back and confirmed by [`Job::check`], the [`Stop`] checked between them.

use std::collections::VecDeque;
use std::ops::Range;
use std::time::{Duration, Instant};

use grindstone_core::{Digest, Job, Outcome, Report, Stop};

use crate::kernel::ShaderLayout;
use crate::{Error, Gpu, unsupported};

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

impl Gpu {
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
        let layout = ShaderLayout::of(job).ok_or_else(|| unsupported(job))?;
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
    layout: &'a ShaderLayout,
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
        layout: &'a ShaderLayout,
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

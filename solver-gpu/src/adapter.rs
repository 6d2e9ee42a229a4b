//! Adapters: listing them (`grind info`), choosing one ([`Selector`]) and opening its
//! device ([`Gpu::open`]).

use std::fmt;
use std::sync::{Arc, Mutex};

use crate::{Error, Gpu};

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
}

//! Disan's wgpu renderers, usable headless (thumbnails, `disan render`, tests on Mesa's lavapipe) and,
//! through the same code, in the viewer. Today: relic meshes ([`render_scene`]).
//!
//! Materials are glTF's metallic-roughness model (base colour, metallic-roughness, normal, occlusion and
//! emissive maps), lit by a key, a fill and a rim light plus ambient from a procedural sky/ground
//! environment: simple enough to read the same on every GPU, software ones included. A scene is
//! uploaded once ([`prepare_scene`]) and can then be drawn from many views ([`render_prepared`]).

use std::sync::{Arc, OnceLock};

use bytemuck::{Pod, Zeroable};
use disan_model::Scene;
use disan_model::scene::{Primitive, Vertex};
use glam::{Mat4, Vec3};
use image::RgbaImage;
use wgpu::util::DeviceExt;

/// Shader source, public so tests can validate it with naga.
pub const MESH_SHADER: &str = include_str!("mesh.wgsl");

/// Why a render failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no GPU adapter (install Mesa's Vulkan driver, Debian package mesa-vulkan-drivers): {0}")]
    NoAdapter(String),
    #[error("GPU device: {0}")]
    Device(String),
    #[error("{width}×{height} is not a size this GPU can render (1 to {max} pixels a side)")]
    Size { width: u32, height: u32, max: u32 },
    #[error("reading the image back: {0}")]
    Readback(String),
    #[error("the model draws nothing")]
    Empty,
}

/// A device and queue, shared by every render of a process.
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter_name: String,
    mesh: OnceLock<MeshPipeline>,
    /// The last render's targets, kept for the next one of the same size: a turntable draws hundreds of frames,
    /// and allocating (on lavapipe: faulting in and clearing) 82 MB of fresh attachments for each 1080p frame
    /// cost about 7 ms of the helmet's 162 and 17 of a plain box's 83.
    targets: std::sync::Mutex<Option<Targets>>,
}

/// What one render draws into and reads back from.
struct Targets {
    width: u32,
    height: u32,
    msaa: wgpu::TextureView,
    resolved: wgpu::Texture,
    resolved_view: wgpu::TextureView,
    depth: wgpu::TextureView,
    readback: wgpu::Buffer,
}

impl Targets {
    fn new(device: &wgpu::Device, width: u32, height: u32) -> Self {
        let size = wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        };
        let target = |format, samples, usage| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: None,
                size,
                mip_level_count: 1,
                sample_count: samples,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage,
                view_formats: &[],
            })
        };
        let view = |t: &wgpu::Texture| t.create_view(&Default::default());
        let resolved = target(
            COLOR_FORMAT,
            1,
            wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        );
        Self {
            width,
            height,
            msaa: view(&target(COLOR_FORMAT, SAMPLES, wgpu::TextureUsages::RENDER_ATTACHMENT)),
            resolved_view: view(&resolved),
            resolved,
            depth: view(&target(DEPTH_FORMAT, SAMPLES, wgpu::TextureUsages::RENDER_ATTACHMENT)),
            readback: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("readback"),
                size: u64::from(readback_row(width)) * u64::from(height),
                usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
                mapped_at_creation: false,
            }),
        }
    }
}

/// The largest render whose targets are kept for the next (2048×2048: about 170 MB of them). A larger one
/// (`disan render --size 8000x8000` would keep 1.3 GB for the rest of the process) lets go of its own.
const MAX_KEPT_PIXELS: u64 = 2048 * 2048;

/// Bytes per row of the read-back buffer (rows are padded to wgpu's copy alignment).
fn readback_row(width: u32) -> u32 {
    (width * 4).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)
}

static SHARED: OnceLock<Result<Arc<Gpu>, String>> = OnceLock::new();

/// Mesa's Vulkan device-selection layer (`VK_LAYER_MESA_device_select`, an implicit layer on every Debian
/// machine with Mesa) connects to a Wayland display to pick a default GPU. On a headless machine (a server,
/// CI, an SSH session) `XDG_RUNTIME_DIR` is unset and libwayland prints "error: XDG_RUNTIME_DIR is invalid or
/// not set in the environment." to stderr, once per Vulkan instance, in the middle of Disan's output. The
/// layer has nothing to choose there, and it honours `NODEVICE_SELECT=1`; the environment cannot be changed
/// safely once threads run, so a binary that may use the GPU calls this first thing in `main`: with no
/// usable runtime folder it re-executes itself (same arguments, same standard streams) with the layer off.
/// It returns when nothing needs doing, or when re-executing failed (the lines then show; nothing else
/// changes).
pub fn quiet_headless_vulkan() {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt as _;
        let runtime_ok = std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| std::path::Path::new(&d).is_dir());
        if runtime_ok || std::env::var_os("NODEVICE_SELECT").is_some() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else { return };
        let mut args = std::env::args_os();
        let argv0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
        let error = std::process::Command::new(&exe)
            .arg0(argv0)
            .args(args)
            .env("NODEVICE_SELECT", "1")
            .exec();
        tracing::debug!(
            "could not re-execute {} without Mesa's device selection: {error}",
            exe.display()
        );
    }
}

impl Gpu {
    /// Opens the default adapter (honouring `WGPU_BACKEND`/`WGPU_ADAPTER_NAME`) without a window.
    pub fn new() -> Result<Self, RenderError> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        if std::env::var_os("WGPU_BACKEND").is_none() {
            // Vulkan, Metal or DX12; probing OpenGL prints EGL noise on headless Linux.
            desc.backends = wgpu::Backends::PRIMARY;
        }
        let instance = wgpu::Instance::new(desc);
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            ..Default::default()
        }))
        .map_err(|e| RenderError::NoAdapter(e.to_string()))?;
        let adapter_name = adapter.get_info().name;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("disan"),
            required_limits: wgpu::Limits::downlevel_defaults().using_resolution(adapter.limits()),
            ..Default::default()
        }))
        .map_err(|e| RenderError::Device(e.to_string()))?;
        tracing::debug!(adapter = %adapter_name, "GPU ready");
        Ok(Self {
            device,
            queue,
            adapter_name,
            mesh: OnceLock::new(),
            targets: std::sync::Mutex::new(None),
        })
    }

    /// One GPU for the whole process (opening a device on lavapipe costs a fraction of a second).
    pub fn shared() -> Result<Arc<Gpu>, RenderError> {
        SHARED
            .get_or_init(|| Gpu::new().map(Arc::new).map_err(|e| e.to_string()))
            .clone()
            .map_err(RenderError::NoAdapter)
    }
}

/// Where the camera is and what it renders.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub width: u32,
    pub height: u32,
    /// Degrees around the vertical axis; 0 looks at the model's front (+Z), positive turns to its right.
    pub yaw: f32,
    /// Degrees above the horizon.
    pub pitch: f32,
    /// Vertical field of view in degrees.
    pub fov: f32,
    /// Linear RGBA; alpha 0 gives a transparent background (PNG output).
    pub background: [f64; 4],
    /// 1 frames the whole model; 2 comes twice as close.
    pub zoom: f32,
    /// Moves the point looked at across the view, in bounding-sphere radii (x right, y up).
    pub pan: [f32; 2],
    /// An explicit camera (an annotation's saved view): orbit this point at this distance; `zoom` and `pan`
    /// are then unused.
    pub orbit: Option<Orbit>,
}

/// A camera that orbits `target` (model units) at `distance`, looking from `View::yaw`/`View::pitch`: the
/// same camera as `<model-viewer camera-orbit="{yaw}deg {90 − pitch}deg {distance}m"
/// camera-target="{target}m" field-of-view="{fov}deg">`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Orbit {
    pub target: [f32; 3],
    pub distance: f32,
}

/// Where a view's camera stands, what it looks at and how it projects.
#[derive(Clone, Copy, Debug)]
pub struct Camera {
    pub eye: Vec3,
    pub target: Vec3,
    pub up: Vec3,
    /// Vertical field of view, radians.
    pub fov_y: f32,
    pub aspect: f32,
    pub near: f32,
    pub far: f32,
    pub width: u32,
    pub height: u32,
}

impl Camera {
    /// The camera of `view` for a model with these bounds (see [`Prepared::bounds`], `Scene::bounds`).
    pub fn new(bounds: ([f32; 3], [f32; 3]), view: &View) -> Self {
        let (min, max) = (Vec3::from(bounds.0), Vec3::from(bounds.1));
        let centre = (min + max) * 0.5;
        let radius = ((max - min).length() * 0.5).max(1e-6);
        let aspect = view.width.max(1) as f32 / view.height.max(1) as f32;
        let fov_y = if view.fov.is_finite() {
            view.fov.clamp(1.0, 170.0).to_radians()
        } else {
            30f32.to_radians()
        };
        let (yaw, pitch) = (view.yaw.to_radians(), view.pitch.to_radians());
        let dir = Vec3::new(yaw.sin() * pitch.cos(), pitch.sin(), yaw.cos() * pitch.cos());
        let up = if pitch.cos().abs() < 1e-4 { Vec3::Z } else { Vec3::Y };
        let (target, distance) = match view.orbit {
            Some(o) if Vec3::from(o.target).is_finite() && o.distance.is_finite() && o.distance > 0.0 => {
                (Vec3::from(o.target), o.distance)
            }
            _ => {
                // Fit the bounding sphere in the narrower of the two fields of view.
                let fov_x = 2.0 * ((fov_y * 0.5).tan() * aspect).atan();
                let half = (fov_y.min(fov_x)) * 0.5;
                let zoom = if view.zoom.is_finite() {
                    view.zoom.clamp(0.1, 100.0)
                } else {
                    1.0
                };
                // Panning moves eye and target together across the view.
                let side = up.cross(dir).normalize_or_zero();
                let lift = dir.cross(side).normalize_or_zero();
                let pan = |v: f32| if v.is_finite() { v.clamp(-10.0, 10.0) } else { 0.0 };
                let target = centre + side * pan(view.pan[0]) * radius + lift * pan(view.pan[1]) * radius;
                (target, radius / half.sin() * 1.02 / zoom)
            }
        };
        let eye = target + dir * distance;
        let off = (target - centre).length();
        let near = (distance - radius * 1.5 - off).max(distance * 0.01).max(radius * 1e-4);
        let far = (distance + radius * 1.5 + off).max(near * 2.0);
        Self {
            eye,
            target,
            up,
            fov_y,
            aspect,
            near,
            far,
            width: view.width.max(1),
            height: view.height.max(1),
        }
    }

    pub fn view_matrix(&self) -> Mat4 {
        glam::camera::rh::view::look_at_mat4(self.eye, self.target, self.up)
    }

    pub fn view_proj(&self) -> Mat4 {
        glam::camera::rh::proj::directx::perspective(self.fov_y, self.aspect, self.near, self.far) * self.view_matrix()
    }

    /// The orbit this camera is on (to save a view, or to fly from it).
    pub fn orbit(&self) -> Orbit {
        Orbit {
            target: self.target.to_array(),
            distance: (self.eye - self.target).length(),
        }
    }

    /// Where `point` lands in the image, in pixels from the top-left corner (continuous: pixel `i` spans
    /// `i..i + 1`); `None` when it is behind the camera.
    pub fn project(&self, point: [f32; 3]) -> Option<[f32; 2]> {
        let v = self.view_matrix().transform_point3(Vec3::from(point));
        if v.z >= 0.0 {
            return None;
        }
        let t = (self.fov_y * 0.5).tan();
        let (nx, ny) = (v.x / (-v.z * t * self.aspect), v.y / (-v.z * t));
        Some([
            (nx + 1.0) * 0.5 * self.width as f32,
            (1.0 - ny) * 0.5 * self.height as f32,
        ])
    }

    /// The ray from the eye through pixel position `(x, y)` (as [`Camera::project`] gives them): origin and
    /// unit direction.
    pub fn ray(&self, x: f32, y: f32) -> ([f32; 3], [f32; 3]) {
        let t = (self.fov_y * 0.5).tan();
        let nx = x / self.width as f32 * 2.0 - 1.0;
        let ny = 1.0 - y / self.height as f32 * 2.0;
        let local = Vec3::new(nx * t * self.aspect, ny * t, -1.0);
        let dir = self.view_matrix().inverse().transform_vector3(local).normalize();
        (self.eye.to_array(), dir.to_array())
    }
}

impl Default for View {
    fn default() -> Self {
        Self {
            width: 512,
            height: 512,
            yaw: 30.0,
            pitch: 20.0,
            fov: 30.0,
            // A dark slate (sRGB 48, 52, 58): light stone, plaster and paper read against it, and lit
            // faces of dark bronze stay lighter than it.
            background: [0.0296, 0.0343, 0.0423, 1.0],
            zoom: 1.0,
            pan: [0.0, 0.0],
            orbit: None,
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct CameraUniform {
    view_proj: [[f32; 4]; 4],
    eye: [f32; 4],
    key: [f32; 4],
    fill: [f32; 4],
    rim: [f32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct DrawUniform {
    model: [[f32; 4]; 4],
    normal_matrix: [[f32; 4]; 4],
    base_color: [f32; 4],
    emissive: [f32; 4],
    material: [f32; 4],
    maps: [f32; 4],
    params: [f32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuVertex {
    pos: [f32; 3],
    normal: [f32; 3],
    uv0: [f32; 2],
    uv1: [f32; 2],
    color: [f32; 4],
    tangent: [f32; 4],
}

const SAMPLES: u32 = 4;
const COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8UnormSrgb;
/// Metallic-roughness, normal and occlusion maps hold linear data.
const DATA_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;

/// How a primitive's material is drawn (glTF's `alphaMode`), in this order: opaque surfaces first, then
/// alpha-tested ones, then blended ones over them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    Opaque,
    Mask,
    Blend,
}

struct MeshPipeline {
    opaque: wgpu::RenderPipeline,
    mask: wgpu::RenderPipeline,
    blend: wgpu::RenderPipeline,
    camera_layout: wgpu::BindGroupLayout,
    draw_layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
}

impl MeshPipeline {
    fn new(device: &wgpu::Device) -> Self {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("mesh.wgsl"),
            source: wgpu::ShaderSource::Wgsl(MESH_SHADER.into()),
        });
        let uniform = |binding, visibility| wgpu::BindGroupLayoutEntry {
            binding,
            visibility,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let texture = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: true },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let camera_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("camera"),
            entries: &[uniform(0, wgpu::ShaderStages::VERTEX_FRAGMENT)],
        });
        let draw_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("draw"),
            entries: &[
                uniform(0, wgpu::ShaderStages::VERTEX_FRAGMENT),
                texture(1),
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
                texture(3),
                texture(4),
                texture(5),
                texture(6),
            ],
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("mesh"),
            bind_group_layouts: &[Some(&camera_layout), Some(&draw_layout)],
            immediate_size: 0,
        });
        let attributes = wgpu::vertex_attr_array![
            0 => Float32x3, 1 => Float32x3, 2 => Float32x2, 3 => Float32x2, 4 => Float32x4, 5 => Float32x4
        ];
        let make = |pass: Pass| {
            let blend = pass == Pass::Blend;
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(match pass {
                    Pass::Opaque => "mesh opaque",
                    Pass::Mask => "mesh mask",
                    Pass::Blend => "mesh blend",
                }),
                layout: Some(&layout),
                vertex: wgpu::VertexState {
                    module: &shader,
                    entry_point: Some("vs_main"),
                    compilation_options: Default::default(),
                    buffers: &[Some(wgpu::VertexBufferLayout {
                        array_stride: size_of::<GpuVertex>() as u64,
                        step_mode: wgpu::VertexStepMode::Vertex,
                        attributes: &attributes,
                    })],
                },
                primitive: wgpu::PrimitiveState {
                    topology: wgpu::PrimitiveTopology::TriangleList,
                    cull_mode: None,
                    ..Default::default()
                },
                depth_stencil: Some(wgpu::DepthStencilState {
                    format: DEPTH_FORMAT,
                    depth_write_enabled: Some(!blend),
                    depth_compare: Some(wgpu::CompareFunction::LessEqual),
                    stencil: Default::default(),
                    bias: Default::default(),
                }),
                multisample: wgpu::MultisampleState {
                    count: SAMPLES,
                    ..Default::default()
                },
                fragment: Some(wgpu::FragmentState {
                    module: &shader,
                    // Only alpha-tested materials get the shader with a `discard`: the others keep the
                    // early depth test.
                    entry_point: Some(if pass == Pass::Mask { "fs_mask" } else { "fs_main" }),
                    compilation_options: Default::default(),
                    targets: &[Some(wgpu::ColorTargetState {
                        format: COLOR_FORMAT,
                        blend: blend.then_some(wgpu::BlendState::ALPHA_BLENDING),
                        write_mask: wgpu::ColorWrites::ALL,
                    })],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("material maps"),
            address_mode_u: wgpu::AddressMode::Repeat,
            address_mode_v: wgpu::AddressMode::Repeat,
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            mipmap_filter: wgpu::MipmapFilterMode::Linear,
            ..Default::default()
        });
        Self {
            opaque: make(Pass::Opaque),
            mask: make(Pass::Mask),
            blend: make(Pass::Blend),
            camera_layout,
            draw_layout,
            sampler,
        }
    }
}

/// Vertices for the GPU; flat-shaded normals are computed for primitives without their own.
fn gpu_vertices(p: &Primitive) -> (Vec<GpuVertex>, Vec<u32>) {
    if p.attributes.normal {
        let v = p.vertices.iter().map(|v| to_gpu(v, v.normal, p)).collect();
        return (v, p.indices.clone());
    }
    // One vertex per corner, with its face's normal (what glTF asks for when normals are absent).
    let mut verts = Vec::with_capacity(p.indices.len());
    for tri in p.indices.chunks_exact(3) {
        let [a, b, c] = [0, 1, 2].map(|k| Vec3::from(p.vertices[tri[k] as usize].pos));
        let n = (b - a).cross(c - a).normalize_or_zero().to_array();
        for &i in tri {
            verts.push(to_gpu(&p.vertices[i as usize], n, p));
        }
    }
    let n = verts.len() as u32;
    (verts, (0..n).collect())
}

fn to_gpu(v: &Vertex, normal: [f32; 3], p: &Primitive) -> GpuVertex {
    let a = p.attributes;
    // Tangents only make sense with the normals they were made for; w = 0 asks the shader to derive them.
    let tangent = if a.tangent && a.normal && v.tangent[3] != 0.0 {
        v.tangent
    } else {
        [0.0; 4]
    };
    GpuVertex {
        pos: v.pos,
        normal,
        uv0: if a.uv0 { v.uv0 } else { [0.0; 2] },
        uv1: if a.uv1 { v.uv1 } else { [0.0; 2] },
        color: v.color,
        tangent,
    }
}

/// An RGBA8 texture with its mip chain made on the CPU (top level at most 2048 px).
fn upload_texture(gpu: &Gpu, rgba: &RgbaImage, format: wgpu::TextureFormat) -> wgpu::Texture {
    let mut level = {
        let (w, h) = rgba.dimensions();
        let scale = (2048.0 / w.max(h) as f32).min(1.0);
        if scale < 1.0 {
            let (nw, nh) = (((w as f32 * scale) as u32).max(1), ((h as f32 * scale) as u32).max(1));
            image::imageops::resize(rgba, nw, nh, image::imageops::FilterType::Triangle)
        } else {
            rgba.clone()
        }
    };
    let (w, h) = level.dimensions();
    let mips = 32 - w.max(h).leading_zeros();
    let texture = gpu.device.create_texture(&wgpu::TextureDescriptor {
        label: Some("material map"),
        size: wgpu::Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        },
        mip_level_count: mips,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    for mip in 0..mips {
        let (lw, lh) = level.dimensions();
        gpu.queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture: &texture,
                mip_level: mip,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            level.as_raw(),
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(lw * 4),
                rows_per_image: Some(lh),
            },
            wgpu::Extent3d {
                width: lw,
                height: lh,
                depth_or_array_layers: 1,
            },
        );
        if mip + 1 < mips {
            level = image::imageops::resize(
                &level,
                (lw / 2).max(1),
                (lh / 2).max(1),
                image::imageops::FilterType::Triangle,
            );
        }
    }
    texture
}

/// The camera that frames `bounds` from `view`'s direction (or the view's explicit orbit).
fn camera(bounds: ([f32; 3], [f32; 3]), view: &View) -> (CameraUniform, Mat4) {
    let cam = Camera::new(bounds, view);
    let (eye, view_m) = (cam.eye, cam.view_matrix());
    let dir = (cam.eye - cam.target).normalize_or(Vec3::Z);
    let proj = glam::camera::rh::proj::directx::perspective(cam.fov_y, cam.aspect, cam.near, cam.far);
    // Three-point lighting that follows the camera: a key from above its left shoulder, a softer fill
    // from the right, and a rim from behind the model that picks out its silhouette.
    let right = view_m.inverse().transform_vector3(Vec3::X);
    let key = (dir + Vec3::Y * 0.8 - right * 0.5).normalize();
    let fill = (dir + Vec3::Y * 0.1 + right * 0.9).normalize();
    let rim = (-dir + Vec3::Y * 0.6 + right * 0.3).normalize();
    let vp = proj * view_m;
    (
        CameraUniform {
            view_proj: vp.to_cols_array_2d(),
            eye: eye.extend(1.0).to_array(),
            key: key.extend(0.85).to_array(),
            fill: fill.extend(0.3).to_array(),
            rim: rim.extend(0.45).to_array(),
        },
        vp,
    )
}

/// One primitive uploaded: its buffers and material bind group.
struct DrawCall {
    vertices: wgpu::Buffer,
    indices: wgpu::Buffer,
    count: u32,
    group: wgpu::BindGroup,
    pass: Pass,
}

/// A scene uploaded to the GPU once (vertices, material maps with mip chains), ready to be drawn from any
/// number of views. Uploading is the slow part for textured relics; a viewer keeps this between frames.
pub struct Prepared {
    draws: Vec<DrawCall>,
    bounds: ([f32; 3], [f32; 3]),
}

impl Prepared {
    /// The world-space bounds the default framing fits (for [`Camera::new`]).
    pub fn bounds(&self) -> ([f32; 3], [f32; 3]) {
        self.bounds
    }
}

/// The material maps `prepare_scene` binds, decoded and uploaded once per (texture, colour space).
struct Maps<'a> {
    gpu: &'a Gpu,
    scene: &'a Scene,
    views: std::collections::HashMap<(usize, bool), Option<wgpu::TextureView>>,
}

impl Maps<'_> {
    /// The texture a material slot names, if the primitive has the UV set it reads and it decodes.
    fn get(
        &mut self,
        slot: Option<disan_model::scene::TexRef>,
        p: &Primitive,
        srgb: bool,
    ) -> Option<(wgpu::TextureView, f32)> {
        let t = slot?;
        let set = match t.tex_coord {
            0 if p.attributes.uv0 => 1.0,
            1 if p.attributes.uv1 => 2.0,
            _ => return None,
        };
        let (gpu, scene) = (self.gpu, self.scene);
        let view = self
            .views
            .entry((t.texture, srgb))
            .or_insert_with(|| {
                let image = scene.images.get(scene.textures.get(t.texture)?.image)?;
                match disan_imaging::decode_any(&image.bytes, &disan_imaging::DecodeLimits::textures()) {
                    Ok(img) => {
                        let format = if srgb { COLOR_FORMAT } else { DATA_FORMAT };
                        Some(upload_texture(gpu, &img.to_rgba8(), format).create_view(&Default::default()))
                    }
                    Err(e) => {
                        tracing::warn!("texture {} unreadable: {e}", t.texture);
                        None
                    }
                }
            })
            .clone()?;
        Some((view, set))
    }
}

/// Uploads a scene's meshes and material maps.
pub fn prepare_scene(gpu: &Gpu, scene: &Scene) -> Result<Prepared, RenderError> {
    let bounds = scene.bounds().ok_or(RenderError::Empty)?;
    let pipe = gpu.mesh.get_or_init(|| MeshPipeline::new(&gpu.device));
    let device = &gpu.device;
    let white = upload_texture(gpu, &RgbaImage::from_pixel(1, 1, image::Rgba([255; 4])), DATA_FORMAT);
    let white_view = white.create_view(&Default::default());
    let mut maps = Maps {
        gpu,
        scene,
        views: Default::default(),
    };
    let mut draws = Vec::new();
    for (mesh, world) in scene.instances() {
        let model = Mat4::from_cols_array(&world);
        let normal_matrix = model.inverse().transpose();
        for p in &scene.meshes[mesh].primitives {
            if p.indices.is_empty() {
                continue;
            }
            let material = p
                .material
                .and_then(|m| scene.materials.get(m))
                .cloned()
                .unwrap_or_default();
            let base = maps.get(material.base_color_texture, p, true);
            let mr = maps.get(material.metallic_roughness_texture, p, false);
            let normal = maps.get(material.normal_texture, p, false);
            let occlusion = maps.get(material.occlusion_texture, p, false);
            let emissive = maps.get(material.emissive_texture, p, true);
            let set = |m: &Option<(wgpu::TextureView, f32)>| m.as_ref().map_or(0.0, |m| m.1);
            let scale = |t: Option<disan_model::scene::TexRef>| t.map_or(1.0, |t| t.scale);
            let (verts, indices) = gpu_vertices(p);
            let uniform = DrawUniform {
                model: model.to_cols_array_2d(),
                normal_matrix: normal_matrix.to_cols_array_2d(),
                base_color: material.base_color,
                emissive: [
                    material.emissive[0],
                    material.emissive[1],
                    material.emissive[2],
                    set(&emissive),
                ],
                material: [
                    material.metallic,
                    material.roughness,
                    scale(material.normal_texture),
                    scale(material.occlusion_texture),
                ],
                maps: [set(&base), set(&mr), set(&normal), set(&occlusion)],
                params: [
                    0.0,
                    if material.alpha_mode == "MASK" {
                        material.alpha_cutoff.unwrap_or(0.5)
                    } else {
                        0.0
                    },
                    if material.unlit { 1.0 } else { 0.0 },
                    0.0,
                ],
            };
            let draw_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("draw"),
                contents: bytemuck::bytes_of(&uniform),
                usage: wgpu::BufferUsages::UNIFORM,
            });
            fn view_of<'a>(
                m: &'a Option<(wgpu::TextureView, f32)>,
                white: &'a wgpu::TextureView,
            ) -> wgpu::BindingResource<'a> {
                wgpu::BindingResource::TextureView(m.as_ref().map_or(white, |m| &m.0))
            }
            let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("draw"),
                layout: &pipe.draw_layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: draw_buf.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: view_of(&base, &white_view),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: wgpu::BindingResource::Sampler(&pipe.sampler),
                    },
                    wgpu::BindGroupEntry {
                        binding: 3,
                        resource: view_of(&mr, &white_view),
                    },
                    wgpu::BindGroupEntry {
                        binding: 4,
                        resource: view_of(&normal, &white_view),
                    },
                    wgpu::BindGroupEntry {
                        binding: 5,
                        resource: view_of(&occlusion, &white_view),
                    },
                    wgpu::BindGroupEntry {
                        binding: 6,
                        resource: view_of(&emissive, &white_view),
                    },
                ],
            });
            draws.push(DrawCall {
                vertices: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("vertices"),
                    contents: bytemuck::cast_slice(&verts),
                    usage: wgpu::BufferUsages::VERTEX,
                }),
                indices: device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("indices"),
                    contents: bytemuck::cast_slice(&indices),
                    usage: wgpu::BufferUsages::INDEX,
                }),
                count: indices.len() as u32,
                group,
                pass: match material.alpha_mode.as_str() {
                    "BLEND" => Pass::Blend,
                    "MASK" => Pass::Mask,
                    _ => Pass::Opaque,
                },
            });
        }
    }
    if draws.is_empty() {
        return Err(RenderError::Empty);
    }
    Ok(Prepared { draws, bounds })
}

/// Renders a model to an RGBA image (sRGB, straight alpha).
pub fn render_scene(gpu: &Gpu, scene: &Scene, view: &View) -> Result<RgbaImage, RenderError> {
    check_size(gpu, view)?;
    render_prepared(gpu, &prepare_scene(gpu, scene)?, view)
}

fn check_size(gpu: &Gpu, view: &View) -> Result<(), RenderError> {
    let max = gpu.device.limits().max_texture_dimension_2d;
    if view.width == 0 || view.height == 0 || view.width > max || view.height > max {
        return Err(RenderError::Size {
            width: view.width,
            height: view.height,
            max,
        });
    }
    Ok(())
}

/// Renders an uploaded scene from one view.
pub fn render_prepared(gpu: &Gpu, prepared: &Prepared, view: &View) -> Result<RgbaImage, RenderError> {
    check_size(gpu, view)?;
    let pipe = gpu.mesh.get_or_init(|| MeshPipeline::new(&gpu.device));
    let device = &gpu.device;
    let (cam, _) = camera(prepared.bounds, view);
    let camera_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("camera"),
        contents: bytemuck::bytes_of(&cam),
        usage: wgpu::BufferUsages::UNIFORM,
    });
    let camera_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("camera"),
        layout: &pipe.camera_layout,
        entries: &[wgpu::BindGroupEntry {
            binding: 0,
            resource: camera_buf.as_entire_binding(),
        }],
    });
    let draws = &prepared.draws;
    // The last render's targets when they have this size (taken out, so that renders on other threads
    // make their own meanwhile), else new ones.
    let cached = gpu
        .targets
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
        .filter(|t| (t.width, t.height) == (view.width, view.height));
    let targets = cached.unwrap_or_else(|| Targets::new(device, view.width, view.height));
    let mut encoder = device.create_command_encoder(&Default::default());
    {
        let [r, g, b, a] = view.background;
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("mesh"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &targets.msaa,
                depth_slice: None,
                resolve_target: Some(&targets.resolved_view),
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color { r, g, b, a }),
                    store: wgpu::StoreOp::Discard,
                },
            })],
            depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                view: &targets.depth,
                depth_ops: Some(wgpu::Operations {
                    load: wgpu::LoadOp::Clear(1.0),
                    store: wgpu::StoreOp::Discard,
                }),
                stencil_ops: None,
            }),
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_bind_group(0, &camera_group, &[]);
        // Opaque first, then alpha-tested, then blended surfaces over them.
        for (kind, pipeline) in [
            (Pass::Opaque, &pipe.opaque),
            (Pass::Mask, &pipe.mask),
            (Pass::Blend, &pipe.blend),
        ] {
            pass.set_pipeline(pipeline);
            for d in draws.iter().filter(|d| d.pass == kind) {
                pass.set_bind_group(1, &d.group, &[]);
                pass.set_vertex_buffer(0, d.vertices.slice(..));
                pass.set_index_buffer(d.indices.slice(..), wgpu::IndexFormat::Uint32);
                pass.draw_indexed(0..d.count, 0, 0..1);
            }
        }
    }
    let image = read_back(gpu, encoder, &targets)?;
    if u64::from(targets.width) * u64::from(targets.height) <= MAX_KEPT_PIXELS {
        *gpu.targets.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(targets);
    }
    Ok(image)
}

fn read_back(gpu: &Gpu, mut encoder: wgpu::CommandEncoder, targets: &Targets) -> Result<RgbaImage, RenderError> {
    let (width, height, buffer) = (targets.width, targets.height, &targets.readback);
    let row = readback_row(width);
    encoder.copy_texture_to_buffer(
        wgpu::TexelCopyTextureInfo {
            texture: &targets.resolved,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::TexelCopyBufferInfo {
            buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(row),
                rows_per_image: Some(height),
            },
        },
        wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
    );
    gpu.queue.submit([encoder.finish()]);
    let slice = buffer.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    gpu.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    rx.recv()
        .map_err(|e| RenderError::Readback(e.to_string()))?
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    let data = slice
        .get_mapped_range()
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    let mut pixels = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height as usize {
        let start = y * row as usize;
        pixels.extend_from_slice(&data[start..start + width as usize * 4]);
    }
    drop(data);
    buffer.unmap();
    RgbaImage::from_raw(width, height, pixels).ok_or(RenderError::Readback("short image".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(gpu: &Gpu) -> Option<(u32, u32)> {
        gpu.targets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(|t| (t.width, t.height))
    }

    /// Targets are kept after a render of ordinary size, replaced by the next size drawn, and not kept after
    /// a render larger than `MAX_KEPT_PIXELS`.
    #[test]
    fn render_targets_are_kept_up_to_a_size() {
        let gpu = Gpu::new().expect("a GPU adapter (lavapipe: apt-get install mesa-vulkan-drivers)");
        let path = disan_tests::testdata("models").join("Box.glb");
        let scene = disan_model::read_scene_file(&path, disan_model::Limits::default()).unwrap();
        let prepared = prepare_scene(&gpu, &scene).unwrap();
        let draw = |width, height| {
            let view = View {
                width,
                height,
                ..View::default()
            };
            render_prepared(&gpu, &prepared, &view).unwrap()
        };
        assert_eq!(kept(&gpu), None);
        draw(64, 48);
        assert_eq!(kept(&gpu), Some((64, 48)));
        draw(48, 64);
        assert_eq!(kept(&gpu), Some((48, 64)));
        let big = draw(2050, 2048);
        assert_eq!(big.dimensions(), (2050, 2048));
        assert_eq!(kept(&gpu), None, "a render over the limit kept its targets");
    }
}

// Relic meshes: base colour (factor × vertex colour × texture), a key light from above the camera's
// left shoulder, a fill from the other side and a sky/ground ambient. Double-sided lighting, since
// photogrammetry meshes do not always wind consistently.

struct Camera {
    view_proj: mat4x4<f32>,
    eye: vec4<f32>,
    light_dir: vec4<f32>,
};

struct Draw {
    model: mat4x4<f32>,
    normal_matrix: mat4x4<f32>,
    base_color: vec4<f32>,
    // x: texture weight (0 or 1), y: alpha cutoff, z: unlit (0 or 1)
    params: vec4<f32>,
};

@group(0) @binding(0) var<uniform> camera: Camera;
@group(1) @binding(0) var<uniform> draw: Draw;
@group(1) @binding(1) var base_texture: texture_2d<f32>;
@group(1) @binding(2) var base_sampler: sampler;

struct VertexIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) uv: vec2<f32>,
    @location(3) color: vec4<f32>,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) normal: vec3<f32>,
    @location(1) uv: vec2<f32>,
    @location(2) color: vec4<f32>,
    @location(3) world: vec3<f32>,
};

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    var out: VertexOut;
    let world = draw.model * vec4<f32>(v.position, 1.0);
    out.clip = camera.view_proj * world;
    out.normal = (draw.normal_matrix * vec4<f32>(v.normal, 0.0)).xyz;
    out.uv = v.uv;
    out.color = v.color;
    out.world = world.xyz;
    return out;
}

@fragment
fn fs_main(in: VertexOut, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    let texel = textureSample(base_texture, base_sampler, in.uv);
    let base = draw.base_color * in.color * mix(vec4<f32>(1.0), texel, draw.params.x);
    if base.a < draw.params.y {
        discard;
    }
    if draw.params.z > 0.5 {
        return base;
    }
    var n = normalize(in.normal);
    if !front {
        n = -n;
    }
    let key = max(dot(n, normalize(camera.light_dir.xyz)), 0.0);
    let fill_dir = normalize(vec3<f32>(-camera.light_dir.x, 0.2, -camera.light_dir.z));
    let fill = max(dot(n, fill_dir), 0.0);
    let sky = 0.5 + 0.5 * n.y;
    let light = 0.22 + 0.18 * sky + 0.75 * key + 0.2 * fill;
    return vec4<f32>(base.rgb * light, base.a);
}

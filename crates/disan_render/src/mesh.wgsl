// Relic meshes with glTF's metallic-roughness materials: base colour (factor × vertex colour × texture),
// metallic-roughness, normal, occlusion and emissive maps. Lit by three lights (a key above the camera's
// left shoulder, a fill from the other side, a rim from behind) with a Cook-Torrance GGX specular, plus
// image-based ambient from a procedural sky/ground environment (hemisphere irradiance for diffuse, the
// environment along the reflected ray for specular, weighted by Karis's analytic split-sum fit).
// Double-sided lighting, since photogrammetry meshes do not always wind consistently.

struct Camera {
    view_proj: mat4x4<f32>,
    eye: vec4<f32>,
    // Directions towards the lights (xyz) and their intensities (w).
    key: vec4<f32>,
    fill: vec4<f32>,
    rim: vec4<f32>,
};

struct Draw {
    model: mat4x4<f32>,
    normal_matrix: mat4x4<f32>,
    base_color: vec4<f32>,
    // rgb: emissive factor; w: emissive map (0 none, 1 TEXCOORD_0, 2 TEXCOORD_1)
    emissive: vec4<f32>,
    // x: metallic, y: roughness, z: normal scale, w: occlusion strength
    material: vec4<f32>,
    // Which UV set each map reads (0 none, 1 TEXCOORD_0, 2 TEXCOORD_1):
    // x: base colour, y: metallic-roughness, z: normal, w: occlusion
    maps: vec4<f32>,
    // x: unused, y: alpha cutoff, z: unlit (0 or 1)
    params: vec4<f32>,
};

@group(0) @binding(0) var<uniform> camera: Camera;
@group(1) @binding(0) var<uniform> draw: Draw;
@group(1) @binding(1) var base_texture: texture_2d<f32>;
@group(1) @binding(2) var map_sampler: sampler;
@group(1) @binding(3) var mr_texture: texture_2d<f32>;
@group(1) @binding(4) var normal_texture: texture_2d<f32>;
@group(1) @binding(5) var occlusion_texture: texture_2d<f32>;
@group(1) @binding(6) var emissive_texture: texture_2d<f32>;

struct VertexIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) uv0: vec2<f32>,
    @location(3) uv1: vec2<f32>,
    @location(4) color: vec4<f32>,
    // w = 0 when the mesh has no tangents: the fragment shader derives them from the UVs.
    @location(5) tangent: vec4<f32>,
};

struct VertexOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) normal: vec3<f32>,
    @location(1) uv0: vec2<f32>,
    @location(2) uv1: vec2<f32>,
    @location(3) color: vec4<f32>,
    @location(4) world: vec3<f32>,
    @location(5) tangent: vec4<f32>,
};

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    var out: VertexOut;
    let world = draw.model * vec4<f32>(v.position, 1.0);
    out.clip = camera.view_proj * world;
    out.normal = (draw.normal_matrix * vec4<f32>(v.normal, 0.0)).xyz;
    out.uv0 = v.uv0;
    out.uv1 = v.uv1;
    out.color = v.color;
    out.world = world.xyz;
    out.tangent = vec4<f32>((draw.model * vec4<f32>(v.tangent.xyz, 0.0)).xyz, v.tangent.w);
    return out;
}

const PI: f32 = 3.14159265;
const SKY: vec3<f32> = vec3<f32>(0.92, 0.95, 1.0);
const GROUND: vec3<f32> = vec3<f32>(0.30, 0.27, 0.24);
const AMBIENT: f32 = 0.45;

fn pick_uv(uv_set: f32, uv0: vec2<f32>, uv1: vec2<f32>) -> vec2<f32> {
    return select(uv0, uv1, uv_set > 1.5);
}

// The environment's radiance along `dir`, blurred towards its mean as roughness grows.
fn environment(dir: vec3<f32>, roughness: f32) -> vec3<f32> {
    let sharp = mix(GROUND, SKY, smoothstep(-0.2, 0.2, dir.y));
    let soft = mix(GROUND, SKY, 0.5 + 0.5 * dir.y);
    return AMBIENT * mix(sharp, soft, roughness);
}

// Karis, "Physically Based Shading on Mobile" (2014): the split-sum DFG term without a lookup table.
fn env_brdf(f0: vec3<f32>, roughness: f32, n_dot_v: f32) -> vec3<f32> {
    let c0 = vec4<f32>(-1.0, -0.0275, -0.572, 0.022);
    let c1 = vec4<f32>(1.0, 0.0425, 1.04, -0.04);
    let r = roughness * c0 + c1;
    let a004 = min(r.x * r.x, exp2(-9.28 * n_dot_v)) * r.x + r.y;
    let ab = vec2<f32>(-1.04, 1.04) * a004 + r.zw;
    return f0 * ab.x + ab.y;
}

// One directional light's contribution (GGX distribution, Schlick-GGX geometry, Schlick Fresnel).
fn direct(light: vec4<f32>, n: vec3<f32>, v: vec3<f32>, diffuse: vec3<f32>, f0: vec3<f32>, roughness: f32) -> vec3<f32> {
    let l = normalize(light.xyz);
    let n_dot_l = max(dot(n, l), 0.0);
    if n_dot_l <= 0.0 {
        return vec3<f32>(0.0);
    }
    let h = normalize(l + v);
    let n_dot_v = max(dot(n, v), 1e-4);
    let n_dot_h = max(dot(n, h), 0.0);
    let v_dot_h = max(dot(v, h), 0.0);
    let a = roughness * roughness;
    let a2 = a * a;
    let d_den = n_dot_h * n_dot_h * (a2 - 1.0) + 1.0;
    let d = a2 / (PI * d_den * d_den);
    let k = (roughness + 1.0) * (roughness + 1.0) / 8.0;
    let g = n_dot_l / (n_dot_l * (1.0 - k) + k) * n_dot_v / (n_dot_v * (1.0 - k) + k);
    let f = f0 + (vec3<f32>(1.0) - f0) * pow(1.0 - v_dot_h, 5.0);
    let specular = d * g * f / (4.0 * n_dot_l * n_dot_v);
    let kd = (vec3<f32>(1.0) - f) * diffuse / PI;
    return (kd + specular) * n_dot_l * light.w * PI;
}

// Opaque and blended surfaces. Without a `discard` the depth test can run before the shader (early-Z), so
// hidden fragments are not shaded (on lavapipe, 5 % of a 1080p frame of the Damaged Helmet).
@fragment
fn fs_main(in: VertexOut, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    return shade(in, front);
}

// glTF's alpha MASK: fragments below the cutoff are dropped.
@fragment
fn fs_mask(in: VertexOut, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    let color = shade(in, front);
    if color.a < draw.params.y {
        discard;
    }
    return color;
}

fn shade(in: VertexOut, front: bool) -> vec4<f32> {
    // Every sample and derivative first, in uniform control flow; unused maps are bound to a white texel.
    let texel = textureSample(base_texture, map_sampler, pick_uv(draw.maps.x, in.uv0, in.uv1));
    let mr = textureSample(mr_texture, map_sampler, pick_uv(draw.maps.y, in.uv0, in.uv1));
    let normal_uv = pick_uv(draw.maps.z, in.uv0, in.uv1);
    let tn = textureSample(normal_texture, map_sampler, normal_uv).xyz * 2.0 - 1.0;
    let occ = textureSample(occlusion_texture, map_sampler, pick_uv(draw.maps.w, in.uv0, in.uv1)).r;
    let em = textureSample(emissive_texture, map_sampler, pick_uv(draw.emissive.w, in.uv0, in.uv1)).rgb;
    let dp1 = dpdx(in.world);
    let dp2 = dpdy(in.world);
    let duv1 = dpdx(normal_uv);
    let duv2 = dpdy(normal_uv);

    let base = draw.base_color * in.color * select(vec4<f32>(1.0), texel, draw.maps.x > 0.5);
    if draw.params.z > 0.5 {
        return base;
    }
    var n = normalize(in.normal);
    if !front {
        n = -n;
    }
    if draw.maps.z > 0.5 {
        var t: vec3<f32>;
        var b: vec3<f32>;
        if in.tangent.w != 0.0 {
            t = normalize(in.tangent.xyz - n * dot(n, in.tangent.xyz));
            b = cross(n, t) * in.tangent.w;
        } else {
            // Mikkelsen-style cotangent frame from screen-space derivatives.
            let dp2perp = cross(dp2, n);
            let dp1perp = cross(n, dp1);
            t = dp2perp * duv1.x + dp1perp * duv2.x;
            b = dp2perp * duv1.y + dp1perp * duv2.y;
            let len = max(dot(t, t), dot(b, b));
            if len > 0.0 {
                let inv = inverseSqrt(len);
                t = t * inv;
                b = b * inv;
            }
        }
        let scaled = vec3<f32>(tn.xy * draw.material.z, tn.z);
        let mapped = t * scaled.x + b * scaled.y + n * scaled.z;
        if dot(mapped, mapped) > 1e-8 {
            n = normalize(mapped);
        }
    }

    let metallic = clamp(draw.material.x * select(1.0, mr.b, draw.maps.y > 0.5), 0.0, 1.0);
    let roughness = clamp(draw.material.y * select(1.0, mr.g, draw.maps.y > 0.5), 0.05, 1.0);
    let ao = select(1.0, 1.0 + draw.material.w * (occ - 1.0), draw.maps.w > 0.5);
    let f0 = mix(vec3<f32>(0.04), base.rgb, metallic);
    let diffuse = base.rgb * (1.0 - metallic);
    let v = normalize(camera.eye.xyz - in.world);
    let n_dot_v = max(dot(n, v), 1e-4);

    var color = direct(camera.key, n, v, diffuse, f0, roughness);
    color += direct(camera.fill, n, v, diffuse, f0, roughness);
    color += direct(camera.rim, n, v, diffuse, f0, roughness);
    let irradiance = AMBIENT * mix(GROUND, SKY, 0.5 + 0.5 * n.y);
    let specular = environment(reflect(-v, n), roughness) * env_brdf(f0, roughness, n_dot_v);
    color += (diffuse * irradiance + specular) * ao;
    color += draw.emissive.rgb * select(vec3<f32>(1.0), em, draw.emissive.w > 0.5);
    return vec4<f32>(color, base.a);
}

//! Wavefront OBJ + MTL (read by `tobj`) converted to a [`Scene`]: one mesh per object, diffuse colour
//! and textures as base colour, bump/normal maps as normal textures. Material libraries and textures
//! resolve inside the model's folder only.

use std::io::{BufReader, Cursor};
use std::path::Path;

use crate::ModelError;
use crate::scene::{Attributes, IDENTITY, Material, Mesh, Node, Primitive, Scene, TexRef, Vertex};

/// Reads OBJ text; `dir` is the folder of the OBJ file.
pub fn load_obj(bytes: &[u8], dir: &Path) -> Result<Scene, ModelError> {
    let options = tobj::LoadOptions {
        single_index: true,
        triangulate: true,
        ignore_points: true,
        ignore_lines: true,
    };
    let mtl_dirs = std::cell::RefCell::new(Vec::new());
    let (models, materials) = tobj::load_obj_buf(&mut BufReader::new(Cursor::new(bytes)), &options, |p| {
        let uri = p.to_string_lossy();
        let r = crate::resolve(dir, &uri).map_err(|_| tobj::LoadError::OpenFileFailed)?;
        let text = std::fs::read(&r.path).map_err(|_| tobj::LoadError::OpenFileFailed)?;
        mtl_dirs.borrow_mut().push(r.path.parent().unwrap_or(dir).to_owned());
        tobj::load_mtl_buf(&mut BufReader::new(Cursor::new(text)))
    })
    .map_err(|e| ModelError::Obj(format!("OBJ: {e}")))?;
    let mut scene = Scene::default();
    let materials = match materials {
        Ok(m) => m,
        Err(e) => {
            scene.warnings.push(format!(
                "material library unreadable ({e}): the model is shown untextured"
            ));
            Vec::new()
        }
    };
    // Texture files resolve against the folder of the (last) MTL, which lies inside `dir`.
    let mtl_dir = mtl_dirs.borrow().last().cloned().unwrap_or_else(|| dir.to_owned());
    let texture_for = |file: &str, scene: &mut Scene| -> Result<usize, ModelError> {
        let r = crate::resolve(&mtl_dir, file)?;
        if !r.path.starts_with(dir) {
            return Err(ModelError::Confinement {
                uri: file.to_owned(),
                reason: "it lies outside the model's folder",
            });
        }
        let bytes = std::fs::read(&r.path).map_err(|source| ModelError::Io {
            path: r.path.clone(),
            source,
        })?;
        scene.push_texture_file(file, bytes)
    };
    for m in &materials {
        let mut tex_ref = |file: &Option<String>| -> Result<Option<TexRef>, ModelError> {
            file.as_deref()
                .map(|f| {
                    Ok(TexRef {
                        texture: texture_for(f, &mut scene)?,
                        tex_coord: 0,
                        scale: 1.0,
                    })
                })
                .transpose()
        };
        let base_color_texture = tex_ref(&m.diffuse_texture)?;
        let normal_texture = tex_ref(&m.normal_texture)?;
        let kd = m.diffuse.unwrap_or([1.0; 3]);
        let alpha = m.dissolve.unwrap_or(1.0).clamp(0.0, 1.0);
        let base = if base_color_texture.is_some() { [1.0; 3] } else { kd };
        scene.materials.push(Material {
            name: Some(m.name.clone()),
            base_color: [base[0], base[1], base[2], alpha],
            base_color_texture,
            normal_texture,
            metallic: 0.0,
            roughness: 1.0,
            alpha_mode: if alpha < 1.0 { "BLEND".into() } else { "OPAQUE".into() },
            ..Material::default()
        });
    }
    for model in models {
        let mesh = &model.mesh;
        let count = mesh.positions.len() / 3;
        let has = Attributes {
            normal: mesh.normals.len() == count * 3 && count > 0,
            uv0: mesh.texcoords.len() == count * 2 && count > 0,
            color: mesh.vertex_color.len() == count * 3 && count > 0,
            ..Attributes::default()
        };
        let vertices = (0..count)
            .map(|i| Vertex {
                pos: [
                    mesh.positions[i * 3],
                    mesh.positions[i * 3 + 1],
                    mesh.positions[i * 3 + 2],
                ],
                normal: if has.normal {
                    [mesh.normals[i * 3], mesh.normals[i * 3 + 1], mesh.normals[i * 3 + 2]]
                } else {
                    [0.0; 3]
                },
                // OBJ's v runs upward; glTF's downward.
                uv0: if has.uv0 {
                    [mesh.texcoords[i * 2], 1.0 - mesh.texcoords[i * 2 + 1]]
                } else {
                    [0.0; 2]
                },
                color: if has.color {
                    [
                        mesh.vertex_color[i * 3],
                        mesh.vertex_color[i * 3 + 1],
                        mesh.vertex_color[i * 3 + 2],
                        1.0,
                    ]
                } else {
                    [1.0; 4]
                },
                ..Vertex::default()
            })
            .collect();
        if mesh.indices.iter().any(|&i| i as usize >= count) {
            return Err(ModelError::Obj(format!(
                "OBJ object {:?}: a face refers past the vertex list",
                model.name
            )));
        }
        if mesh.indices.is_empty() {
            continue;
        }
        scene.meshes.push(Mesh {
            name: Some(model.name.clone()),
            primitives: vec![Primitive {
                vertices,
                indices: mesh.indices.clone(),
                attributes: has,
                material: mesh.material_id.filter(|&m| m < scene.materials.len()),
            }],
        });
        scene.nodes.push(Node {
            name: Some(model.name),
            matrix: IDENTITY,
            mesh: Some(scene.meshes.len() - 1),
            children: Vec::new(),
        });
        scene.roots.push(scene.nodes.len() - 1);
    }
    if scene.meshes.is_empty() {
        return Err(ModelError::Obj("OBJ holds no faces".into()));
    }
    Ok(scene)
}

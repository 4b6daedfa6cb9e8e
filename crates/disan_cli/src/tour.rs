//! `disan tour`: virtual tours of panoramas with link and info hotspots, and their web exports.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;

use disan_catalog::{Catalog, InfoHotspot, LinkHotspot, Tour, TourFormat, TourScene, TourView, fields};
use disan_core::LangText;

use crate::output::print_json;

#[derive(Subcommand)]
pub enum TourCommand {
    /// List the tours.
    List,
    /// Create an empty tour: `disan tour create yen-tu title.vi="Đường lên Yên Tử" title.en=…`.
    Create {
        /// The tour's id: lower-case ASCII letters, digits and '-'.
        name: String,
        /// title.LANG=TEXT.
        fields: Vec<String>,
    },
    /// Add a panorama as a scene (the first scene is where the tour starts).
    Add {
        name: String,
        pano: String,
        /// Start view, in degrees as Pannellum means them.
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        yaw: f64,
        #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
        pitch: f64,
        #[arg(long, default_value_t = 100.0)]
        hfov: f64,
        /// title.LANG=TEXT, overriding the panorama's title in this tour.
        fields: Vec<String>,
    },
    /// Link one scene to another with a hotspot at (yaw, pitch) in the first.
    Link {
        name: String,
        from: String,
        to: String,
        #[arg(long, allow_hyphen_values = true)]
        yaw: f64,
        #[arg(long, allow_hyphen_values = true)]
        pitch: f64,
        /// The view to arrive at in the target (default: its start view).
        #[arg(long, allow_hyphen_values = true)]
        target_yaw: Option<f64>,
        #[arg(long, allow_hyphen_values = true)]
        target_pitch: Option<f64>,
    },
    /// Add an information point: `disan tour info yen-tu PANO --yaw 30 --pitch -5 title.vi=… text.vi=…`.
    Info {
        name: String,
        pano: String,
        #[arg(long, allow_hyphen_values = true)]
        yaw: f64,
        #[arg(long, allow_hyphen_values = true)]
        pitch: f64,
        /// A photo or model asset the point opens.
        #[arg(long)]
        asset: Option<String>,
        /// title.LANG=TEXT and text.LANG=TEXT.
        fields: Vec<String>,
    },
    /// Move a hotspot.
    Move {
        name: String,
        hotspot: String,
        #[arg(long, allow_hyphen_values = true)]
        yaw: f64,
        #[arg(long, allow_hyphen_values = true)]
        pitch: f64,
    },
    /// Remove a hotspot, or a scene with every link to it.
    Remove { name: String, what: String },
    /// Show a tour.
    Show { name: String },
    /// Propose links between the tour's panoramas from their GPS positions and compass headings
    /// (yaw = bearing − heading); `--accept` adds those not linked yet.
    Suggest {
        name: String,
        /// Largest distance between linked panoramas, in metres.
        #[arg(long, default_value_t = 150.0)]
        radius: f64,
        #[arg(long)]
        accept: bool,
    },
    /// Turn down a suggested link FROM → TO: `suggest` marks it rejected and `--accept` leaves it out (undo
    /// with `disan undo REV`).
    Reject { name: String, from: String, to: String },
    /// The tour's revisions (undo one with `disan undo REV`).
    History { name: String },
    /// Export for the web: `pannellum` (a folder with index.html, tour.json, Pannellum and the tiles),
    /// `marzipano` (index.html, data.js, Marzipano and tiles resampled to its levels) or `json` (the tour
    /// document, which `disan tour import` reads).
    Export {
        name: String,
        #[arg(long)]
        format: TourFormat,
        #[arg(long)]
        out: PathBuf,
        /// Language of the titles and texts (others stand in where one is missing).
        #[arg(long, default_value = "vi")]
        lang: String,
    },
    /// Create or replace a tour from its JSON document (as `export --format json` writes it).
    Import { file: PathBuf },
}

/// `title.vi=…`, `text.en=…` into (field, language, text).
fn texts(args: &[String], allowed: &[&str]) -> anyhow::Result<Vec<(String, String, String)>> {
    args.iter()
        .map(|a| {
            let (key, value) = a
                .split_once('=')
                .with_context(|| format!("{a:?}: write FIELD.LANG=TEXT, e.g. title.vi=\"Chùa Đồng\""))?;
            let (field, lang) = key
                .split_once('.')
                .with_context(|| format!("{key:?}: name the language, e.g. {key}.vi"))?;
            if !allowed.contains(&field) {
                bail!("{field:?}: fields here are {}", allowed.join(", "));
            }
            let lang = fields::language_tag(lang).map_err(anyhow::Error::msg)?;
            Ok((field.to_owned(), lang, value.to_owned()))
        })
        .collect()
}

fn lang_text(parts: &[(String, String, String)], field: &str) -> LangText {
    let mut t = LangText::new();
    for (f, l, v) in parts.iter().filter(|(f, _, _)| f == field) {
        let _ = f;
        t.set(l, v);
    }
    t
}

fn print_tour(t: &Tour, out: &mut impl Write) -> std::io::Result<()> {
    let title = t.title.get_or_fallback("vi", &["en", "zh-Hans"]).map_or("", |(_, s)| s);
    writeln!(out, "tour {}  {title}", t.id)?;
    for (n, s) in t.scenes.iter().enumerate() {
        writeln!(
            out,
            "{:>2}. {}  start yaw {:.1} pitch {:.1} hfov {:.0}{}",
            n + 1,
            s.asset,
            s.view.yaw,
            s.view.pitch,
            s.view.hfov,
            if n == 0 { "  (first)" } else { "" }
        )?;
        for l in &s.links {
            writeln!(
                out,
                "      {:<4} → {}  at yaw {:.1} pitch {:.1}",
                l.id, l.target, l.yaw, l.pitch
            )?;
        }
        for i in &s.infos {
            let title = i.title.get_or_fallback("vi", &["en", "zh-Hans"]).map_or("", |(_, s)| s);
            writeln!(
                out,
                "      {:<4} ⓘ {title}  at yaw {:.1} pitch {:.1}",
                i.id, i.yaw, i.pitch
            )?;
        }
    }
    Ok(())
}

pub fn run(collection: &Path, cmd: TourCommand, json: bool, who: &str) -> anyhow::Result<ExitCode> {
    let mut cat = Catalog::open_for_edit(collection)?;
    let show = |t: &Tour| -> anyhow::Result<()> {
        if json {
            print_json(t)?;
        } else {
            print_tour(t, &mut std::io::stdout().lock())?;
        }
        Ok(())
    };
    match cmd {
        TourCommand::List => {
            let ids = cat.tours()?;
            if json {
                print_json(&ids)?;
            } else {
                for id in &ids {
                    let t = cat.tour(id)?;
                    println!("{id}  {} scenes", t.scenes.len());
                }
            }
        }
        TourCommand::Create { name, fields } => {
            let parts = texts(&fields, &["title"])?;
            show(&cat.create_tour(&name, lang_text(&parts, "title"), who)?)?;
        }
        TourCommand::Add {
            name,
            pano,
            yaw,
            pitch,
            hfov,
            fields,
        } => {
            let parts = texts(&fields, &["title"])?;
            let asset = cat.resolve_id(&pano)?;
            let t = cat.update_tour(&name, who, |_, t| {
                if t.scene(&asset).is_some() {
                    return Err(disan_catalog::CatalogError::Invalid(format!(
                        "{asset} is in the tour already"
                    )));
                }
                t.scenes.push(TourScene {
                    asset: asset.clone(),
                    title: lang_text(&parts, "title"),
                    view: TourView { yaw, pitch, hfov },
                    links: vec![],
                    infos: vec![],
                });
                Ok(())
            })?;
            show(&t)?;
        }
        TourCommand::Link {
            name,
            from,
            to,
            yaw,
            pitch,
            target_yaw,
            target_pitch,
        } => {
            let (from, to) = (cat.resolve_id(&from)?, cat.resolve_id(&to)?);
            let t = cat.update_tour(&name, who, |_, t| {
                let id = t.next_hotspot_id("l");
                let arrive = (target_yaw.is_some() || target_pitch.is_some()).then(|| {
                    let start = t.scene(&to).map(|s| s.view).unwrap_or_default();
                    TourView {
                        yaw: target_yaw.unwrap_or(start.yaw),
                        pitch: target_pitch.unwrap_or(start.pitch),
                        hfov: start.hfov,
                    }
                });
                let scene = t.scene_mut(&from).ok_or_else(|| not_a_scene(&from))?;
                scene.links.push(LinkHotspot {
                    id,
                    yaw,
                    pitch,
                    target: to.clone(),
                    arrive,
                });
                Ok(())
            })?;
            show(&t)?;
        }
        TourCommand::Info {
            name,
            pano,
            yaw,
            pitch,
            asset,
            fields,
        } => {
            let parts = texts(&fields, &["title", "text"])?;
            if parts.is_empty() {
                bail!("give the point a title or text, e.g. title.vi=\"Chùa Đồng\" text.vi=\"…\"");
            }
            let pano = cat.resolve_id(&pano)?;
            let asset = asset.map(|a| cat.resolve_id(&a)).transpose()?;
            let t = cat.update_tour(&name, who, |_, t| {
                let id = t.next_hotspot_id("i");
                let scene = t.scene_mut(&pano).ok_or_else(|| not_a_scene(&pano))?;
                scene.infos.push(InfoHotspot {
                    id,
                    yaw,
                    pitch,
                    title: lang_text(&parts, "title"),
                    text: lang_text(&parts, "text"),
                    asset,
                });
                Ok(())
            })?;
            show(&t)?;
        }
        TourCommand::Move {
            name,
            hotspot,
            yaw,
            pitch,
        } => {
            let t = cat.update_tour(&name, who, |_, t| {
                for s in &mut t.scenes {
                    if let Some(l) = s.links.iter_mut().find(|l| l.id == hotspot) {
                        (l.yaw, l.pitch) = (yaw, pitch);
                        return Ok(());
                    }
                    if let Some(i) = s.infos.iter_mut().find(|i| i.id == hotspot) {
                        (i.yaw, i.pitch) = (yaw, pitch);
                        return Ok(());
                    }
                }
                Err(disan_catalog::CatalogError::Invalid(format!(
                    "no hotspot {hotspot:?} in this tour"
                )))
            })?;
            show(&t)?;
        }
        TourCommand::Remove { name, what } => {
            let scene = cat.resolve_id(&what).ok();
            let t = cat.update_tour(&name, who, |_, t| {
                let before = t.clone();
                if let Some(asset) = &scene {
                    t.scenes.retain(|s| &s.asset != asset);
                    for s in &mut t.scenes {
                        s.links.retain(|l| &l.target != asset);
                    }
                }
                for s in &mut t.scenes {
                    s.links.retain(|l| l.id != what);
                    s.infos.retain(|i| i.id != what);
                }
                if *t == before {
                    return Err(disan_catalog::CatalogError::Invalid(format!(
                        "{what:?} is neither a scene nor a hotspot of this tour"
                    )));
                }
                Ok(())
            })?;
            show(&t)?;
        }
        TourCommand::Show { name } => show(&cat.tour(&name)?)?,
        TourCommand::Suggest { name, radius, accept } => {
            let suggestions = cat.suggest_links(&name, radius)?;
            if accept {
                let new: Vec<_> = suggestions
                    .iter()
                    .filter(|s| !s.exists && !s.rejected)
                    .cloned()
                    .collect();
                let t = cat.update_tour(&name, who, |_, t| {
                    for s in &new {
                        let id = t.next_hotspot_id("l");
                        let scene = t.scene_mut(&s.from).ok_or_else(|| not_a_scene(&s.from))?;
                        scene.links.push(LinkHotspot {
                            id,
                            yaw: s.yaw,
                            pitch: -10.0,
                            target: s.to.clone(),
                            arrive: None,
                        });
                    }
                    Ok(())
                })?;
                show(&t)?;
            } else if json {
                print_json(&suggestions)?;
            } else {
                for s in &suggestions {
                    println!(
                        "{} → {}  {:.0} m at bearing {:.0}°: yaw {:.1}{}",
                        s.from,
                        s.to,
                        s.distance_m,
                        s.bearing_deg,
                        s.yaw,
                        match (s.exists, s.rejected) {
                            (true, _) => "  (linked)",
                            (false, true) => "  (rejected)",
                            _ => "",
                        }
                    );
                }
                if suggestions.is_empty() {
                    println!("no panoramas of this tour with GPS and a heading lie within {radius} m of each other");
                }
            }
        }
        TourCommand::Reject { name, from, to } => {
            let (from, to) = (cat.resolve_id(&from)?, cat.resolve_id(&to)?);
            show(&cat.update_tour(&name, who, |_, t| t.reject_link(&from, &to))?)?;
        }
        TourCommand::History { name } => {
            let revs = cat.tour_history(&name)?;
            if json {
                print_json(&revs)?;
            } else {
                for r in &revs {
                    let scenes = |doc: &Option<String>| {
                        doc.as_deref()
                            .and_then(|d| serde_json::from_str::<Tour>(d).ok())
                            .map_or(0, |t| t.scenes.len())
                    };
                    println!(
                        "#{:<5} {} {:<12} {} → {} scenes{}",
                        r.id,
                        &r.at[..r.at.floor_char_boundary(19)],
                        r.author,
                        scenes(&r.old),
                        scenes(&r.new),
                        r.reverts.map(|n| format!("  (undoes #{n})")).unwrap_or_default()
                    );
                }
            }
        }
        TourCommand::Export {
            name,
            format,
            out,
            lang,
        } => {
            let lang = fields::language_tag(&lang).map_err(anyhow::Error::msg)?;
            let bar =
                crate::output::face_bar(!json && std::io::stderr().is_terminal() && format == TourFormat::Marzipano);
            let files = disan_pipeline::export_tour(&cat, &name, format, &out, &lang, &|done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })?;
            bar.finish_and_clear();
            if json {
                print_json(&serde_json::json!({"tour": name, "out": out, "files": files}))?;
            } else {
                println!("{files} files in {}", out.display());
            }
        }
        TourCommand::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let tour: Tour =
                serde_json::from_str(&text).with_context(|| format!("{} is not a tour", file.display()))?;
            show(&cat.import_tour(tour, who)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn not_a_scene(asset: &str) -> disan_catalog::CatalogError {
    disan_catalog::CatalogError::Invalid(format!("{asset} is not a scene of this tour (`disan tour add`)"))
}

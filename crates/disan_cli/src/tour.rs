//! `disan tour`: virtual tours of panoramas with link and info hotspots, and their web exports.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;

use disan_catalog::{Arrival, Catalog, InfoPoint, Tour, TourView, fields};
use disan_core::LangText;
use disan_publish::TourFormat;

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
            let lang = fields::language_tag(lang)?;
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
            let view = TourView { yaw, pitch, hfov };
            show(&cat.add_scene(&name, &asset, lang_text(&parts, "title"), view, who)?)?;
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
            let arrival = Arrival {
                yaw: target_yaw,
                pitch: target_pitch,
            };
            show(&cat.add_link(&name, (&from, &to), (yaw, pitch), arrival, who)?.0)?;
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
            let point = InfoPoint {
                yaw,
                pitch,
                title: lang_text(&parts, "title"),
                text: lang_text(&parts, "text"),
                asset: asset.map(|a| cat.resolve_id(&a)).transpose()?,
            };
            show(&cat.add_info(&name, &pano, point, who)?.0)?;
        }
        TourCommand::Move {
            name,
            hotspot,
            yaw,
            pitch,
        } => show(&cat.move_hotspot(&name, &hotspot, (yaw, pitch), who)?)?,
        TourCommand::Remove { name, what } => {
            // A scene by its asset id (or a unique prefix), else a hotspot by its id.
            let scene = cat
                .resolve_id(&what)
                .ok()
                .filter(|a| cat.tour(&name).is_ok_and(|t| t.scene(a).is_some()));
            show(&match scene {
                Some(asset) => cat.remove_scene(&name, &asset, who)?,
                None => cat.remove_hotspot(&name, &what, who)?,
            })?;
        }
        TourCommand::Show { name } => show(&cat.tour(&name)?)?,
        TourCommand::Suggest { name, radius, accept } => {
            if accept {
                show(&cat.accept_suggestions(&name, radius, who)?)?;
            } else if json {
                let suggestions = cat.suggest_links(&name, radius)?;
                print_json(&suggestions)?;
            } else {
                let suggestions = cat.suggest_links(&name, radius)?;
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
            show(&cat.reject_suggestion(&name, &from, &to, who)?)?;
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
            let lang = fields::language_tag(&lang)?;
            let bar =
                crate::output::face_bar(!json && std::io::stderr().is_terminal() && format == TourFormat::Marzipano);
            let files = disan_publish::export_tour(&cat, &name, format, &out, &lang, &|done, total| {
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

//! Curation commands: `meta`, `history`, `undo`, `state`, `search`, `site`, `export`, `vocab`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use disan_catalog::{Catalog, Change, Entity, Filter, Revision, Site, fields, vocab};
use disan_core::{AssetKind, Metadata, REQUIRED_LANGS};
use disan_publish::ExportFormat;

use crate::output::print_json;

/// Which assets a batch command applies to, besides the ids given.
#[derive(Args, Clone, Debug, Default)]
pub struct FilterArgs {
    /// Assets of this site (id or exact name).
    #[arg(long = "site", id = "filter_site")]
    pub site: Option<String>,
    /// Assets of this kind (photo, panorama, model).
    #[arg(long = "kind", id = "filter_kind")]
    pub kind: Option<AssetKind>,
    /// Assets with this tag in `subject`, in any language (case and diacritics ignored).
    #[arg(long = "tag", id = "filter_tag")]
    pub tag: Option<String>,
    /// Assets in this workflow state.
    #[arg(long = "in-state", id = "filter_state")]
    pub in_state: Option<String>,
}

impl FilterArgs {
    fn filter(&self) -> Filter {
        Filter {
            site: self.site.clone(),
            kind: self.kind,
            tag: self.tag.clone(),
            state: self.in_state.clone(),
            rank: None,
        }
    }
}

#[derive(Subcommand)]
pub enum MetaCommand {
    /// Show an asset's curated metadata (every field and language) and capture facts.
    Get { id: String },
    /// Set fields: `disan meta set ID... title.vi="Vịnh Hạ Long" rights=http://…`, or for every asset
    /// a filter selects (`--site`, `--kind`, `--tag`, `--in-state`). An empty value clears a field.
    Set {
        /// Asset ids (or unique prefixes), then FIELD=VALUE or FIELD.LANG=VALUE assignments.
        #[arg(required = true, value_name = "ID|FIELD=VALUE")]
        args: Vec<String>,
        #[command(flatten)]
        filter: FilterArgs,
        /// The revision the new values are based on (the newest one `disan history` showed): if another
        /// curator changed one of these fields after it, nothing is written and disan exits with code 3.
        #[arg(long, value_name = "REVISION")]
        base_revision: Option<i64>,
    },
    /// Write every asset's metadata to a CSV (UTF-8 with BOM; one column per field and language).
    Export {
        #[arg(long)]
        csv: PathBuf,
    },
    /// Apply a metadata CSV: shows the changes, checks every cell, applies all or nothing.
    Import {
        file: PathBuf,
        /// Show the changes and problems without applying anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// List assets missing a field that publication requires, or a translation.
    Report,
}

#[derive(Subcommand)]
pub enum SiteCommand {
    /// List sites (suggested ones marked `?`).
    List {
        /// Also sites merged into others.
        #[arg(long)]
        all: bool,
    },
    /// Show one site.
    Show { site: String },
    /// Create a site: `disan site create name.vi="Vịnh Hạ Long" province=quang-ninh rank=unesco …`.
    Create {
        /// The id (default: made from the Vietnamese name).
        #[arg(long)]
        id: Option<String>,
        /// FIELD=VALUE: name.LANG, description.LANG, province, rank, type, lat, lon.
        #[arg(required = true)]
        fields: Vec<String>,
    },
    /// Change a site's fields.
    Set {
        site: String,
        #[arg(required = true)]
        fields: Vec<String>,
    },
    /// Confirm sites that ingest suggested.
    Confirm {
        #[arg(required = true)]
        sites: Vec<String>,
    },
    /// Put assets in a site (`none`: in no site), by id or by filter.
    Assign {
        /// The site, or `none`.
        site: String,
        ids: Vec<String>,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Merge sites into one: their assets move, their names fill gaps.
    Merge {
        into: String,
        #[arg(required = true)]
        from: Vec<String>,
    },
    /// Move some assets of a site into a new site: `disan site split SITE ID... name.vi="…"`.
    Split {
        site: String,
        /// Asset ids, then FIELD=VALUE assignments for the new site (a name at least).
        #[arg(required = true, value_name = "ID|FIELD=VALUE")]
        args: Vec<String>,
    },
    /// Place assets with GPS and no site in the nearest site, clustering the rest into new sites.
    Suggest {
        /// Metres within which an asset belongs to a site.
        #[arg(long, default_value_t = disan_core::Settings::default().site_radius_m)]
        radius: f64,
    },
    /// The revisions of a site.
    History { site: String },
}

/// A site as JSON, or as text.
fn show_site(s: &Site, json: bool) -> std::io::Result<()> {
    if json {
        print_json(s)
    } else {
        print_site(s, &mut std::io::stdout().lock())
    }
}

fn split_assignments(args: &[String]) -> (Vec<String>, Vec<String>) {
    args.iter().cloned().partition(|a| !a.contains('='))
}

fn parse_changes(entity: Entity, args: &[String]) -> anyhow::Result<Vec<Change>> {
    args.iter()
        .map(|a| fields::parse_assignment(entity, a).map_err(anyhow::Error::from))
        .collect()
}

fn targets(cat: &Catalog, ids: Vec<String>, filter: &FilterArgs) -> anyhow::Result<Vec<String>> {
    let f = filter.filter();
    let mut out = Vec::new();
    for id in &ids {
        out.push(cat.resolve_id(id)?);
    }
    if !f.is_empty() {
        out.extend(cat.select(&f)?);
    } else if ids.is_empty() {
        bail!("name assets by id, or select them with --site, --kind, --tag or --in-state");
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn print_revisions(revs: &[Revision], json: bool) -> anyhow::Result<()> {
    if json {
        return Ok(print_json(revs)?);
    }
    let mut out = std::io::stdout().lock();
    if revs.is_empty() {
        writeln!(out, "nothing changed")?;
    }
    for r in revs {
        writeln!(
            out,
            "#{:<6} {} {:<16} {:<20} {} → {}{}",
            r.id,
            r.at.get(..19).unwrap_or(&r.at),
            r.entity_id,
            r.key(),
            show(r.old.as_deref()),
            show(r.new.as_deref()),
            r.reverts.map(|n| format!("   (undoes #{n})")).unwrap_or_default()
        )?;
    }
    Ok(())
}

fn show(v: Option<&str>) -> String {
    match v {
        None => "∅".into(),
        Some(v) => {
            let one_line = v.replace('\n', "⏎");
            if one_line.chars().count() > 60 {
                format!("{:?}", format!("{}…", one_line.chars().take(59).collect::<String>()))
            } else {
                format!("{one_line:?}")
            }
        }
    }
}

fn label(v: &vocab::Vocabulary, id: &Option<String>) -> String {
    match id {
        Some(id) => match v.get(id) {
            Some(t) => format!("{} ({})", t.label.get("vi").unwrap_or(id), id),
            None => id.clone(),
        },
        None => "—".into(),
    }
}

fn print_site(s: &Site, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{}{}",
        s.id,
        if s.confirmed {
            ""
        } else {
            "  (suggested, not confirmed)"
        }
    )?;
    if let Some(m) = &s.merged_into {
        writeln!(out, "  merged into {m}")?;
    }
    for (field, t) in [("name", &s.name), ("description", &s.description)] {
        for lang in REQUIRED_LANGS
            .iter()
            .copied()
            .chain(t.iter().map(|(l, _)| l).filter(|l| !REQUIRED_LANGS.contains(l)))
        {
            writeln!(
                out,
                "  {:<20} {}",
                format!("{field}.{lang}"),
                t.get(lang).unwrap_or("—")
            )?;
        }
    }
    writeln!(out, "  {:<20} {}", "province", label(vocab::provinces(), &s.province))?;
    writeln!(out, "  {:<20} {}", "rank", label(vocab::ranks(), &s.rank))?;
    writeln!(out, "  {:<20} {}", "type", label(vocab::relic_types(), &s.relic_type))?;
    match (s.lat, s.lon) {
        (Some(a), Some(o)) => writeln!(out, "  {:<20} {a:.6}, {o:.6}", "position")?,
        _ => writeln!(out, "  {:<20} —", "position")?,
    }
    writeln!(out, "  {:<20} {}", "assets", s.assets)
}

pub fn meta(collection: &Path, cmd: MetaCommand, json: bool, who: &str) -> anyhow::Result<ExitCode> {
    let mut cat = Catalog::open_for_edit(collection)?;
    match cmd {
        MetaCommand::Get { id } => {
            let m = cat.asset_meta(&id)?;
            if json {
                print_json(&m)?;
                return Ok(ExitCode::SUCCESS);
            }
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}  {}  {}  {}", m.id, m.kind, m.state, m.source_name)?;
            match &m.site {
                Some(s) => writeln!(
                    out,
                    "  {:<20} {} ({})",
                    "site",
                    s.name.get_or_fallback("vi", &REQUIRED_LANGS).map_or("—", |(_, t)| t),
                    s.id
                )?,
                None => writeln!(out, "  {:<20} —", "site")?,
            }
            let mut langs: Vec<&str> = REQUIRED_LANGS.to_vec();
            for f in Metadata::MULTILINGUAL {
                for (l, _) in m.metadata.text(f).expect("field").iter() {
                    if !langs.contains(&l) {
                        langs.push(l);
                    }
                }
            }
            for f in Metadata::MULTILINGUAL {
                for l in &langs {
                    writeln!(
                        out,
                        "  {:<20} {}",
                        format!("{f}.{l}"),
                        m.metadata.get(f, Some(l)).unwrap_or("—")
                    )?;
                }
            }
            for f in Metadata::PLAIN {
                let v = m.metadata.get(f, None).map(str::to_owned).or_else(|| {
                    (f == "date")
                        .then(|| m.date.as_ref().map(|d| format!("{d} (capture date)")))
                        .flatten()
                });
                writeln!(out, "  {:<20} {}", f, v.as_deref().unwrap_or("—"))?;
            }
            let c = &m.capture;
            writeln!(out, "  capture")?;
            writeln!(out, "    {:<18} {}", "taken", c.taken_at.as_deref().unwrap_or("—"))?;
            if let Some(g) = c.gps {
                writeln!(
                    out,
                    "    {:<18} {:.6}, {:.6}{}",
                    "gps",
                    g.lat,
                    g.lon,
                    g.alt.map(|a| format!(", {a:.0} m")).unwrap_or_default()
                )?;
            }
            if let Some(h) = c.heading_deg {
                writeln!(out, "    {:<18} {h:.1}°", "heading")?;
            }
            let camera = [c.make.as_deref(), c.model.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            if !camera.is_empty() {
                writeln!(out, "    {:<18} {camera}", "camera")?;
            }
            if let Some(l) = &c.lens {
                writeln!(out, "    {:<18} {l}", "lens")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        MetaCommand::Set {
            args,
            filter,
            base_revision,
        } => {
            let (ids, assignments) = split_assignments(&args);
            if assignments.is_empty() {
                bail!(
                    "give at least one FIELD=VALUE, e.g. title.vi=\"Vịnh Hạ Long\"; fields are {}",
                    fields::field_names(Entity::Asset)
                );
            }
            let changes = parse_changes(Entity::Asset, &assignments)?;
            let ids = targets(&cat, ids, &filter)?;
            let revs = cat.set_meta_based_on(&ids, &changes, who, base_revision)?;
            if !json {
                eprintln!("{} asset(s), {} change(s)", ids.len(), revs.len());
            }
            print_revisions(&revs, json)?;
            Ok(ExitCode::SUCCESS)
        }
        MetaCommand::Export { csv } => {
            let n = cat.export_csv(&csv)?;
            if json {
                print_json(&serde_json::json!({"file": csv, "rows": n}))?;
            } else {
                println!(
                    "{}: {n} assets, columns {}",
                    csv.display(),
                    cat.csv_columns()?.join(",")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        MetaCommand::Import { file, dry_run } => {
            let r = cat.import_csv(&file, dry_run, who)?;
            if json {
                print_json(&r)?;
            } else {
                let mut out = std::io::stdout().lock();
                for c in &r.changes {
                    writeln!(
                        out,
                        "row {:<5} {} {:<18} {} → {}",
                        c.row,
                        c.id,
                        c.column,
                        show(c.old.as_deref()),
                        show(c.new.as_deref())
                    )?;
                }
                for e in &r.errors {
                    writeln!(out, "{}: {e}", file.display())?;
                }
                let what = if !r.errors.is_empty() {
                    format!("{} problem(s): nothing applied", r.errors.len())
                } else if r.changes.is_empty() {
                    "no changes".into()
                } else if dry_run {
                    "dry run: nothing applied".into()
                } else {
                    format!("applied ({} revisions)", r.revisions)
                };
                writeln!(
                    out,
                    "{}: {} rows, {} change(s), {what}",
                    file.display(),
                    r.rows,
                    r.changes.len()
                )?;
            }
            Ok(if r.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        MetaCommand::Report => {
            let r = cat.publication_report()?;
            if json {
                print_json(&r)?;
            } else {
                let mut out = std::io::stdout().lock();
                for i in &r {
                    let title = i.title.get_or_fallback("vi", &REQUIRED_LANGS).map_or("", |(_, t)| t);
                    writeln!(out, "{}  {:<10} {}", i.id, i.state, title)?;
                    if !i.missing.is_empty() {
                        writeln!(out, "    required for publication: {}", i.missing.join(", "))?;
                    }
                    if !i.translations.is_empty() {
                        writeln!(out, "    missing translations:     {}", i.translations.join(", "))?;
                    }
                }
                writeln!(out, "{} asset(s) need work", r.len())?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn history(collection: &Path, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let cat = Catalog::open_for_edit(collection)?;
    print_revisions(&cat.history(Entity::Asset, id)?, json)?;
    Ok(ExitCode::SUCCESS)
}

pub fn undo(collection: &Path, revisions: &[i64], force: bool, json: bool, who: &str) -> anyhow::Result<ExitCode> {
    let mut cat = Catalog::open_for_edit(collection)?;
    let revs = cat.undo(revisions, who, force)?;
    print_revisions(&revs, json)?;
    Ok(ExitCode::SUCCESS)
}

pub fn state(
    collection: &Path,
    args: &[String],
    filter: &FilterArgs,
    json: bool,
    who: &str,
) -> anyhow::Result<ExitCode> {
    let mut cat = Catalog::open_for_edit(collection)?;
    let Some((state, ids)) = args.split_last() else {
        bail!("give the new state: {}", disan_catalog::STATES.join(", "));
    };
    let ids = targets(&cat, ids.to_vec(), filter)?;
    let revs = cat.set_state(&ids, state, who)?;
    print_revisions(&revs, json)?;
    Ok(ExitCode::SUCCESS)
}

pub struct SearchArgs {
    pub query: Vec<String>,
    pub filter: Filter,
    pub limit: usize,
}

pub fn search(collection: &Path, a: SearchArgs, json: bool, lang: &str) -> anyhow::Result<ExitCode> {
    let hits = Catalog::open_for_edit(collection)?.search(&a.query.join(" "), &a.filter, a.limit)?;
    if json {
        print_json(&hits)?;
    } else {
        let mut out = std::io::stdout().lock();
        for h in &hits {
            let title = h.title.get_or_fallback(lang, &REQUIRED_LANGS).map_or("", |(_, t)| t);
            writeln!(
                out,
                "{}  {:<9} {:<10} {:<20} {title}",
                h.id,
                h.kind,
                h.state,
                h.site_id.as_deref().unwrap_or("—")
            )?;
        }
        if hits.is_empty() {
            writeln!(out, "no matches")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn site(collection: &Path, cmd: SiteCommand, json: bool, who: &str) -> anyhow::Result<ExitCode> {
    let mut cat = Catalog::open_for_edit(collection)?;
    match cmd {
        SiteCommand::List { all } => {
            let sites = cat.sites(all)?;
            if json {
                print_json(&sites)?;
            } else {
                let mut out = std::io::stdout().lock();
                for s in &sites {
                    writeln!(
                        out,
                        "{}{:<28} {:>5} assets  {:<18} {:<18} {}",
                        if s.confirmed { ' ' } else { '?' },
                        s.id,
                        s.assets,
                        s.rank.as_deref().unwrap_or("—"),
                        s.province.as_deref().unwrap_or("—"),
                        s.name.get_or_fallback("vi", &REQUIRED_LANGS).map_or("", |(_, t)| t)
                    )?;
                }
                writeln!(out, "{} site(s); ? = suggested by ingest, not confirmed", sites.len())?;
            }
        }
        SiteCommand::Show { site } => show_site(&cat.site(&site)?, json)?,
        SiteCommand::Create { id, fields } => {
            let changes = parse_changes(Entity::Site, &fields)?;
            show_site(&cat.create_site(id.as_deref(), &changes, who)?.0, json)?;
        }
        SiteCommand::Set { site, fields } => {
            let changes = parse_changes(Entity::Site, &fields)?;
            print_revisions(&cat.set_site(&site, &changes, who)?, json)?;
        }
        SiteCommand::Confirm { sites } => {
            let mut revs = Vec::new();
            for s in &sites {
                revs.extend(cat.confirm_site(s, who)?);
            }
            print_revisions(&revs, json)?;
        }
        SiteCommand::Assign { site, ids, filter } => {
            let ids = targets(&cat, ids, &filter)?;
            let site = (site != "none").then_some(site);
            print_revisions(&cat.assign_site(site.as_deref(), &ids, who)?, json)?;
        }
        SiteCommand::Merge { into, from } => {
            print_revisions(&cat.merge_sites(&into, &from, who)?, json)?;
        }
        SiteCommand::Split { site, args } => {
            let (ids, assignments) = split_assignments(&args);
            let changes = parse_changes(Entity::Site, &assignments)?;
            let (s, revs) = cat.split_site(&site, &ids, &changes, who)?;
            if json {
                print_json(&serde_json::json!({"site": s, "revisions": revs}))?;
            } else {
                print_site(&s, &mut std::io::stdout().lock())?;
            }
        }
        SiteCommand::Suggest { radius } => {
            let r = cat.suggest_sites(radius, who)?;
            if json {
                print_json(&r)?;
            } else {
                println!(
                    "{} asset(s) placed in existing sites, {} new site(s) suggested for {} asset(s)",
                    r.assigned.len(),
                    r.created.len(),
                    r.created.iter().map(|c| c.1).sum::<usize>()
                );
            }
        }
        SiteCommand::History { site } => {
            print_revisions(&cat.history(Entity::Site, &site)?, json)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export(
    collection: &Path,
    format: ExportFormat,
    out: Option<PathBuf>,
    all: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let cat = Catalog::open_for_edit(collection)?;
    let out = out.unwrap_or_else(|| disan_publish::default_export_dir(collection));
    let s = disan_publish::export(&cat, format, &out, all)
        .with_context(|| format!("cannot export to {}", out.display()))?;
    if json {
        print_json(&s)?;
    } else {
        println!(
            "{}: {} file(s) for {} asset(s){}",
            out.display(),
            s.files.len(),
            s.assets,
            if s.sites > 0 {
                format!(" in {} site(s)", s.sites)
            } else {
                String::new()
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn vocab_list(name: Option<&str>, json: bool) -> anyhow::Result<ExitCode> {
    let all = [
        ("ranks", vocab::ranks()),
        ("types", vocab::relic_types()),
        ("provinces", vocab::provinces()),
        ("rights", vocab::rights()),
    ];
    let chosen: Vec<_> = match name {
        Some(n) => {
            let v = all
                .iter()
                .find(|(k, _)| *k == n)
                .with_context(|| format!("{n:?}: vocabularies are ranks, types, provinces, rights"))?;
            vec![*v]
        }
        None => all.to_vec(),
    };
    if json {
        let terms: serde_json::Map<String, serde_json::Value> = chosen
            .iter()
            .map(|(k, v)| {
                let terms: Vec<_> = v
                    .terms
                    .iter()
                    .map(|t| serde_json::json!({"id": t.id, "label": t.label, "current": t.current, "merged_into": t.merged_into, "valid_to": t.valid_to}))
                    .collect();
                (k.to_string(), serde_json::Value::Array(terms))
            })
            .collect();
        print_json(&terms)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    for (k, v) in chosen {
        writeln!(out, "{k}: {}", v.description)?;
        for t in &v.terms {
            let extra = match (&t.merged_into, &t.valid_to) {
                (Some(m), Some(to)) => format!("  (until {to}, now part of {m})"),
                _ => String::new(),
            };
            writeln!(
                out,
                "  {:<48} {} / {} / {}{extra}",
                t.id,
                t.label.get("vi").unwrap_or(""),
                t.label.get("en").unwrap_or(""),
                t.label.get("zh-Hans").unwrap_or("")
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

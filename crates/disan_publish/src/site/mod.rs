//! `disan web build`: the published collection as a static, multilingual website that any static host, object
//! store or CDN serves, and `disan web serve` for a laptop, a kiosk or a LAN.
//!
//! Layout of the site folder (every internal link is relative, so the folder works under any URL prefix):
//!
//! - `index.html` (choose a language), `robots.txt`, `sitemap.xml` (with `hreflang` alternates);
//! - `<lang>/index.html` home, `<lang>/sites/…`, `<lang>/assets/<id>/`, `<lang>/tours/<id>/`, `<lang>/map/`,
//!   `<lang>/search/` and `<lang>/search.json` (the prebuilt index, folded as the catalogue folds);
//! - `media/<id>/…`: the asset files the pages show, hard-linked from the collection (copied where links
//!   are not possible); `iiif/info.json` rewritten so its `id` is the site's own URL;
//! - `og/…jpg`: 1200×630 share images with the title drawn in the page's language; `qr/…` QR codes (SVG,
//!   PNG); `signs/<site>.html`: printable A4 signs;
//! - `static/`: the site's CSS and JavaScript and the bundled viewers with their licences.
//!
//! Builds are incremental and fail whole: every output is computed first (nothing is touched if anything
//! fails), then only files whose content or source changed are written, each by a rename, and files of pages
//! that no longer exist are removed. `.disan-site.json` records what each file was made from.

pub(crate) mod card;
pub(crate) mod data;
mod pages;
mod serve;
pub(crate) mod text;

pub use serve::{ServeOptions, serve};

/// The website's interface texts in `lang` (English for a language the site is not translated into).
pub fn interface_strings(lang: &str) -> Strings {
    let s = text::strings(lang);
    if s.len() > 1 { s } else { text::strings("en") }
}

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use disan_catalog::Catalog;
use rayon::prelude::*;
use serde::Serialize;

use crate::{PublishError, Result};

/// What `disan web build` is asked for.
#[derive(Clone, Debug)]
pub struct SiteOptions {
    /// The site folder (created; rebuilt in place).
    pub out: PathBuf,
    /// The public URL the folder is served from; the collection's (`disan publish`) when `None`.
    pub base_url: Option<String>,
    /// Page languages, in the order the language switch shows them; vi, en and zh-Hans when empty.
    pub langs: Vec<String>,
}

/// What a build did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SiteReport {
    pub out: PathBuf,
    pub base_url: String,
    pub langs: Vec<String>,
    pub assets: usize,
    pub sites: usize,
    pub tours: usize,
    /// HTML pages, over all languages.
    pub pages: usize,
    /// Files in the site.
    pub files: usize,
    /// Files written (new or changed) by this build.
    pub written: usize,
    /// Files left as they were.
    pub unchanged: usize,
    /// Files removed (pages of assets no longer published, …).
    pub removed: usize,
}

/// One file of the site, before it is written.
enum Output {
    /// Content made now (pages, indexes): compared by its hash.
    Bytes(Vec<u8>),
    /// A file of the collection, hard-linked: compared by size and modification time.
    Link(PathBuf),
    /// Costly content (share images, QR PNGs), made only when `key` (what it is made from) changed. Outputs
    /// of one `group` (the share images of one asset in every language) are made one after the other, so
    /// what they share (the decoded picture) is read once and let go.
    Made {
        key: String,
        group: String,
        make: Box<dyn FnOnce() -> Result<Vec<u8>> + Send>,
    },
}

/// The files of a site being planned: relative path → output.
#[derive(Default)]
struct Plan {
    files: BTreeMap<String, Output>,
}

impl Plan {
    fn bytes(&mut self, rel: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.files.insert(rel.into(), Output::Bytes(bytes.into()));
    }
    fn link(&mut self, rel: impl Into<String>, from: PathBuf) {
        self.files.insert(rel.into(), Output::Link(from));
    }
    fn made(
        &mut self,
        rel: impl Into<String>,
        key: String,
        group: String,
        make: impl FnOnce() -> Result<Vec<u8>> + Send + 'static,
    ) {
        self.files.insert(
            rel.into(),
            Output::Made {
                key,
                group,
                make: Box::new(make),
            },
        );
    }
}

/// The record of the last build, `<out>/.disan-site.json`: relative path → what the file was made from.
const STATE: &str = ".disan-site.json";

#[derive(Default, Serialize, serde::Deserialize)]
struct State {
    version: u32,
    files: BTreeMap<String, String>,
}

/// Builds (or brings up to date) the website of `catalog`'s published assets in `opts.out`. `progress`
/// hears (stage, done, total).
pub fn build_site(
    catalog: &Catalog,
    opts: &SiteOptions,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> Result<SiteReport> {
    let base_url = match &opts.base_url {
        Some(u) => crate::base_url::check(u)?,
        None => catalog.public_base_url()?,
    };
    let base_url = base_url.trim_end_matches('/').to_owned();
    let langs = text::languages(&opts.langs)?;
    progress("read", 0, 1);
    let data = data::Data::load(catalog, &langs)?;
    progress("read", 1, 1);
    let mut plan = Plan::default();
    let pages = pages::plan(&data, &base_url, &mut plan)?;
    card::plan(&data, &base_url, &mut plan)?;
    let mut report = apply(&opts.out, plan, progress)?;
    report.base_url = base_url;
    report.langs = langs;
    report.assets = data.assets.len();
    report.sites = data.sites.len();
    report.tours = data.tours.len();
    report.pages = pages;
    report.out = opts.out.clone();
    Ok(report)
}

fn hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..32].to_owned()
}

fn link_key(from: &Path) -> Result<String> {
    let meta = std::fs::metadata(from).map_err(disan_fs::FsError::io(from))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Ok(format!("link {} {mtime} {}", meta.len(), from.display()))
}

/// Writes what changed. Everything costly or fallible is done before the first file is touched.
fn apply(out: &Path, plan: Plan, progress: &(dyn Fn(&str, u64, u64) + Sync)) -> Result<SiteReport> {
    let old: State = std::fs::read(out.join(STATE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    // Keys of every output, and what must be (re)made.
    enum Todo {
        Write(Vec<u8>),
        Link(PathBuf),
        /// Made into the staging folder, renamed into place with the rest.
        Staged(PathBuf),
    }
    type Make = Box<dyn FnOnce() -> Result<Vec<u8>> + Send>;
    let mut keys = BTreeMap::new();
    let mut todo: Vec<(String, Todo)> = Vec::new();
    let mut makes: Vec<(String, String, Make)> = Vec::new();
    for (rel, output) in plan.files {
        let same = |key: &String| old.files.get(&rel) == Some(key) && out.join(&rel).is_file();
        match output {
            Output::Bytes(b) => {
                let key = hash(&b);
                if !same(&key) {
                    todo.push((rel.clone(), Todo::Write(b)));
                }
                keys.insert(rel, key);
            }
            Output::Link(from) => {
                let key = link_key(&from)?;
                if !same(&key) {
                    todo.push((rel.clone(), Todo::Link(from)));
                }
                keys.insert(rel, key);
            }
            Output::Made { key, group, make } => {
                if !same(&key) {
                    makes.push((group, rel.clone(), make));
                }
                keys.insert(rel, key);
            }
        }
    }
    // Make the costly files into a staging folder beside the site before anything of the site is touched: a
    // failure leaves the site as it was. Groups run in parallel, a group's files one after the other on one
    // thread, so what they share is made once, held by one group at a time per thread, and never awaited
    // by a task that rayon's work stealing put on the very thread making it.
    let mut groups: BTreeMap<String, Vec<(String, Make)>> = BTreeMap::new();
    let total = makes.len() as u64;
    for (group, rel, make) in makes {
        groups.entry(group).or_default().push((rel, make));
    }
    let staging = out.join(".disan-staging");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(disan_fs::FsError::io(&staging))?;
    let done = std::sync::atomic::AtomicU64::new(0);
    let made: Result<Vec<Vec<(String, Todo)>>> = groups
        .into_par_iter()
        .map(|(_, items)| {
            let mut staged_files = Vec::with_capacity(items.len());
            for (rel, make) in items {
                let bytes = make()?;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                let staged = staging.join(n.to_string());
                std::fs::write(&staged, &bytes).map_err(disan_fs::FsError::io(&staged))?;
                progress("images", n, total);
                staged_files.push((rel, Todo::Staged(staged)));
            }
            Ok(staged_files)
        })
        .collect();
    let made = made.map(|g| g.into_iter().flatten().collect::<Vec<_>>());
    let made = match made {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    todo.extend(made);
    let written = todo.len();
    let total = written as u64;
    for (i, (rel, job)) in todo.into_iter().enumerate() {
        let dest = out.join(&rel);
        match job {
            Todo::Write(bytes) => put(&dest, &bytes)?,
            Todo::Link(from) => put_link(&from, &dest)?,
            Todo::Staged(staged) => {
                let dir = dest.parent().expect("a file in a folder");
                std::fs::create_dir_all(dir).map_err(disan_fs::FsError::io(dir))?;
                std::fs::rename(&staged, &dest).map_err(disan_fs::FsError::io(&dest))?;
            }
        }
        if i % 64 == 0 || i + 1 == written {
            progress("write", i as u64 + 1, total);
        }
    }
    let _ = std::fs::remove_dir_all(&staging);
    // Files of the last build that this one does not have: pages of assets that left `published`, …
    let mut removed = 0;
    for rel in old.files.keys().filter(|r| !keys.contains_key(*r)) {
        if disan_fs::plain_relative(rel).is_err() {
            continue; // a tampered record names nothing of ours
        }
        let path = out.join(rel);
        if std::fs::remove_file(&path).is_ok() {
            removed += 1;
            let mut dir = path.parent();
            while let Some(d) = dir.filter(|d| *d != out) {
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
                dir = d.parent();
            }
        }
    }
    let files = keys.len();
    let state = State {
        version: 1,
        files: keys,
    };
    disan_fs::write_atomic(
        &out.join(STATE),
        &serde_json::to_vec(&state).expect("the state serialises"),
    )?;
    Ok(SiteReport {
        files,
        written,
        unchanged: files - written,
        removed,
        ..SiteReport::default()
    })
}

/// Replaces `dest` with `bytes` by a rename (a reader sees the old file or the new one). Not flushed: a site
/// is rebuilt from the catalogue, never the only copy of anything.
fn put(dest: &Path, bytes: &[u8]) -> Result<()> {
    let dir = dest.parent().expect("a file in a folder");
    std::fs::create_dir_all(dir).map_err(disan_fs::FsError::io(dir))?;
    let tmp = tmp_name(dest);
    let res = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&tmp, dest));
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(disan_fs::FsError::io(dest)(e).into());
    }
    Ok(())
}

/// Hard-links `from` at `dest` (copies it where links are not possible), replacing `dest` by a rename.
fn put_link(from: &Path, dest: &Path) -> Result<()> {
    let dir = dest.parent().expect("a file in a folder");
    std::fs::create_dir_all(dir).map_err(disan_fs::FsError::io(dir))?;
    let tmp = tmp_name(dest);
    let _ = std::fs::remove_file(&tmp);
    let res = std::fs::hard_link(from, &tmp)
        .or_else(|_| std::fs::copy(from, &tmp).map(drop))
        .and_then(|()| std::fs::rename(&tmp, dest));
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(disan_fs::FsError::io(dest)(e).into());
    }
    Ok(())
}

fn tmp_name(dest: &Path) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    dest.with_file_name(format!(".{name}.disan-tmp"))
}

/// Where the pages of one kind live, relative to the language folder.
pub(crate) fn page_path(kind: PageKind<'_>) -> String {
    match kind {
        PageKind::Home => String::new(),
        PageKind::Sites => "sites/".into(),
        PageKind::Site(id) => format!("sites/{id}/"),
        PageKind::Asset(id) => format!("assets/{id}/"),
        PageKind::Tour(id) => format!("tours/{id}/"),
        PageKind::Map => "map/".into(),
        PageKind::Search => "search/".into(),
    }
}

/// The pages of each language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PageKind<'a> {
    Home,
    Sites,
    Site(&'a str),
    Asset(&'a str),
    Tour(&'a str),
    Map,
    Search,
}

/// A string map of a language's interface texts, for templates.
pub type Strings = HashMap<String, String>;

impl From<serde_json::Error> for PublishError {
    fn from(e: serde_json::Error) -> Self {
        PublishError::Encode {
            what: "JSON".into(),
            reason: e.to_string(),
        }
    }
}

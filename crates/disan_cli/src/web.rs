//! `disan web build|serve`: the published collection as a static website, and a small server for it.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use disan_catalog::Catalog;
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::print_json;

#[derive(Subcommand)]
pub enum WebCommand {
    /// Write (or bring up to date) a static website of the published assets, their sites and tours:
    /// pages in each language, search, map, share images, QR codes and printable signs.
    Build {
        /// The site folder.
        #[arg(long)]
        out: PathBuf,
        /// The public URL the folder is served from (canonical links, sitemap, share tags, QR codes);
        /// default: the collection's (`disan publish`).
        #[arg(long)]
        base_url: Option<String>,
        /// Page languages, comma-separated, in the order of the language switch.
        #[arg(long, value_delimiter = ',', default_value = "vi,en,zh-Hans")]
        lang: Vec<String>,
    },
    /// Serve a site folder over HTTP (previews, kiosks, a LAN without internet). Runs until stopped.
    Serve {
        /// The site folder (`disan web build --out`).
        dir: PathBuf,
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// Address to listen on: 127.0.0.1 for this machine only, 0.0.0.0 for the LAN.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
    },
}

pub fn run(collection: &Path, command: WebCommand, json: bool) -> anyhow::Result<ExitCode> {
    match command {
        WebCommand::Build { out, base_url, lang } => {
            let catalog = Catalog::open(collection)?;
            // Asset files in object storage come down first: the site is built from files on disk.
            crate::shared::mirror_assets(collection)?;
            let show = !json && std::io::stderr().is_terminal();
            let bar = if show {
                ProgressBar::new(0)
            } else {
                ProgressBar::hidden()
            };
            bar.set_style(
                ProgressStyle::with_template("{msg:>8} {bar:40} {pos}/{len}  {elapsed_precise}")
                    .expect("static template"),
            );
            let opts = disan_publish::SiteOptions {
                out: out.clone(),
                base_url,
                langs: lang,
            };
            let report = disan_publish::build_site(&catalog, &opts, &|stage, done, total| {
                bar.set_message(stage.to_owned());
                bar.set_length(total);
                bar.set_position(done);
            })
            .with_context(|| format!("cannot build the website in {}", out.display()))?;
            bar.finish_and_clear();
            if json {
                print_json(&report)?;
            } else {
                println!(
                    "{}: {} pages in {} for {} asset(s), {} site(s), {} tour(s); {} file(s) written, {} unchanged, {} removed",
                    out.display(),
                    report.pages,
                    report.langs.join(", "),
                    report.assets,
                    report.sites,
                    report.tours,
                    report.written,
                    report.unchanged,
                    report.removed
                );
                println!("public URL: {}/", report.base_url);
                println!("open it: disan web serve {}", out.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        WebCommand::Serve { dir, port, bind } => {
            let opts = disan_publish::ServeOptions {
                dir: dir.clone(),
                addr: SocketAddr::new(bind, port),
            };
            disan_publish::serve(&opts, |addr| {
                if json {
                    // One line, for scripts that read the address and go on.
                    println!("{}", serde_json::json!({"url": format!("http://{addr}/"), "dir": dir}));
                } else {
                    println!("serving {} at http://{addr}/ (Ctrl-C stops)", dir.display());
                }
            })
            .with_context(|| format!("cannot serve {}", dir.display()))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

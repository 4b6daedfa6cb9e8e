//! `disan share`: ready-to-post files for social media, from published assets.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use disan_catalog::Catalog;
use indicatif::{ProgressBar, ProgressStyle};

use crate::output::print_json;

#[derive(Args)]
pub struct ShareArgs {
    /// Asset ids (or unique prefixes).
    ids: Vec<String>,
    /// Every published asset of this site (repeatable).
    #[arg(long = "site")]
    sites: Vec<String>,
    /// The folder the posts go into: <out>/<asset>/<lang>/.
    #[arg(long)]
    out: PathBuf,
    /// Languages, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "vi,en,zh-Hans")]
    lang: Vec<String>,
    /// Which files, comma-separated: link, square, portrait, pano360 (default: all that apply).
    #[arg(long, value_delimiter = ',')]
    formats: Vec<disan_publish::ShareFormat>,
    /// The website's address for the captions' links (default: the collection's, `disan publish`).
    #[arg(long)]
    base_url: Option<String>,
}

pub fn run(collection: &Path, args: ShareArgs, json: bool) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        !args.ids.is_empty() || !args.sites.is_empty(),
        "name the assets to share (ids) or --site SITE"
    );
    let catalog = Catalog::open(collection)?;
    let bar = if !json && std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("share {bar:40} {pos}/{len}  {elapsed_precise}").expect("static template"),
    );
    let opts = disan_publish::ShareOptions {
        out: args.out.clone(),
        langs: args.lang,
        formats: args.formats,
        base_url: args.base_url,
    };
    let report = disan_publish::share(&catalog, &args.ids, &args.sites, &opts, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .with_context(|| format!("cannot make posts in {}", args.out.display()))?;
    bar.finish_and_clear();
    if json {
        print_json(&report)?;
    } else {
        for item in &report.items {
            match &item.error {
                None => println!("{} {}: {}", item.id, item.lang, item.files.join(", ")),
                Some(e) => eprintln!("error: {e}"),
            }
        }
        println!(
            "{}: {} made, {} failed",
            report.out.display(),
            report.made,
            report.failed
        );
    }
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

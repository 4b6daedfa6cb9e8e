//! CSV round-trip for spreadsheet work: one row per asset, one column per field and language, UTF-8 with
//! a byte-order mark so Excel shows Vietnamese correctly. Import checks every cell first (errors name the
//! row and column), shows the changes, and applies all of them in one transaction or none.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use disan_core::{Metadata, REQUIRED_LANGS};
use serde::Serialize;

use crate::curate::{Author, STATES, allowed_transition, apply, load_all_metadata, unpublishable, write};
use crate::fields::{self, Entity};
use crate::{Catalog, CatalogError, Result, search};

/// Columns export writes for information; import ignores them (spreadsheets reformat dates and numbers).
pub const READ_ONLY_COLUMNS: [&str; 5] = ["kind", "source", "taken_at", "lat", "lon"];
const BOM: &[u8] = b"\xEF\xBB\xBF";
/// Largest CSV file import reads.
pub const MAX_CSV_BYTES: u64 = 1 << 30;

/// One cell that an import changes.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CellChange {
    /// Spreadsheet row (the header is row 1).
    pub row: usize,
    pub id: String,
    pub column: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// One problem found in an import file.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CellError {
    /// Spreadsheet row (the header is row 1).
    pub row: usize,
    /// Column name and letter, when the problem is in one cell.
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for CellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "row {}, column {c}: {}", self.row, self.message),
            None => write!(f, "row {}: {}", self.row, self.message),
        }
    }
}

/// What an import found and did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub changes: Vec<CellChange>,
    pub errors: Vec<CellError>,
    /// True when the changes were written (no errors, not a dry run, something to change).
    pub applied: bool,
    pub revisions: usize,
}

/// Spreadsheet column letter: 0 → A, 26 → AA.
fn letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII")
}

/// Where a quoted cell opens and never closes, as (spreadsheet row, file line): the csv reader would
/// silently take the rest of the file as that cell.
fn unclosed_quote(body: &[u8]) -> Option<(usize, usize)> {
    let (mut row, mut line) = (1, 1);
    let (mut in_quotes, mut at_field_start) = (false, true);
    let mut opened = (0, 0);
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if in_quotes {
            if b == b'"' {
                if body.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            } else if b == b'\n' {
                line += 1;
            }
        } else {
            match b {
                b'"' if at_field_start => {
                    in_quotes = true;
                    opened = (row, line);
                }
                b',' => {
                    at_field_start = true;
                    i += 1;
                    continue;
                }
                b'\n' => {
                    row += 1;
                    line += 1;
                    at_field_start = true;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            at_field_start = false;
        }
        i += 1;
    }
    in_quotes.then_some(opened)
}

enum Column {
    Id,
    ReadOnly,
    State,
    Site,
    Field(String, Option<String>),
}

impl Catalog {
    /// Languages used anywhere in the catalogue's asset text, vi, en and zh-Hans first.
    pub fn languages(&self) -> Result<Vec<String>> {
        let used: BTreeSet<String> = self.sql(
            self.conn
                .prepare("SELECT DISTINCT lang FROM asset_text WHERE lang != ''")
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect()),
        )?;
        let mut langs: Vec<String> = REQUIRED_LANGS.iter().map(|s| s.to_string()).collect();
        langs.extend(used.into_iter().filter(|l| !REQUIRED_LANGS.contains(&l.as_str())));
        Ok(langs)
    }

    /// The header of the metadata CSV.
    pub fn csv_columns(&self) -> Result<Vec<String>> {
        let langs = self.languages()?;
        let mut cols: Vec<String> = ["id", "kind", "state", "site", "source", "taken_at", "lat", "lon"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for f in Metadata::MULTILINGUAL {
            cols.extend(langs.iter().map(|l| format!("{f}.{l}")));
        }
        cols.extend(Metadata::PLAIN.iter().map(|s| s.to_string()));
        Ok(cols)
    }

    /// Writes every asset's editable metadata (and some facts for reference) to `path`. Returns the rows.
    pub fn export_csv(&self, path: &Path) -> Result<usize> {
        let columns = self.csv_columns()?;
        let all = self.sql(load_all_metadata(&self.conn))?;
        let mut w = csv::WriterBuilder::new().from_writer(BOM.to_vec());
        let csv_err = |e: csv::Error| CatalogError::Invalid(format!("{}: {e}", path.display()));
        w.write_record(&columns).map_err(csv_err)?;
        let mut stmt = self.sql(
            self.conn
                .prepare("SELECT id, kind, state, site_id, source_name, taken_at, lat, lon FROM assets ORDER BY id"),
        )?;
        let mut rows = self.sql(stmt.query([]))?;
        let empty = Metadata::default();
        let mut n = 0;
        let mut record: Vec<String> = Vec::with_capacity(columns.len());
        while let Some(r) = self.sql(rows.next())? {
            let id: String = self.sql(r.get(0))?;
            record.clear();
            record.push(id.clone());
            for i in 1..6 {
                record.push(self.sql(r.get::<_, Option<String>>(i))?.unwrap_or_default());
            }
            for i in 6..8 {
                record.push(
                    self.sql(r.get::<_, Option<f64>>(i))?
                        .map(|v| format!("{v}"))
                        .unwrap_or_default(),
                );
            }
            let m = all.get(&id).unwrap_or(&empty);
            for c in &columns[8..] {
                let (field, lang) = match c.split_once('.') {
                    Some((f, l)) => (f, Some(l)),
                    None => (c.as_str(), None),
                };
                record.push(m.get(field, lang).unwrap_or_default().to_owned());
            }
            w.write_record(&record).map_err(csv_err)?;
            n += 1;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| CatalogError::Invalid(format!("{}: {e}", path.display())))?;
        disan_fs::write_atomic(path, &bytes)?;
        Ok(n)
    }

    /// Reads a metadata CSV, checks every cell, and (unless `dry_run` or there are errors) applies every
    /// change in one transaction. Cells equal to what is stored change nothing; an empty cell clears.
    pub fn import_csv(&mut self, path: &Path, dry_run: bool, author: &str) -> Result<ImportReport> {
        // The changes are computed from a snapshot and written with the old values they were computed
        // from; if another process commits in between, compute them again.
        for _ in 0..3 {
            if let Some(report) = self.import_csv_once(path, dry_run, author)? {
                return Ok(report);
            }
        }
        Err(CatalogError::Invalid(format!(
            "{}: the catalogue kept changing while the file was checked; import it again",
            path.display()
        )))
    }

    /// One attempt of [`Self::import_csv`]: `None` when the catalogue changed between check and write.
    fn import_csv_once(&mut self, path: &Path, dry_run: bool, author: &str) -> Result<Option<ImportReport>> {
        let io = |source| CatalogError::Io {
            path: path.to_owned(),
            source,
        };
        let size = std::fs::metadata(path).map_err(io)?.len();
        if size > MAX_CSV_BYTES {
            return Err(CatalogError::Invalid(format!(
                "{}: {size} bytes is more than the {MAX_CSV_BYTES} a metadata CSV may have",
                path.display()
            )));
        }
        let bytes = std::fs::read(path).map_err(io)?;
        let body = bytes.strip_prefix(BOM).unwrap_or(&bytes);
        let mut report = ImportReport::default();
        if let Some((row, line)) = unclosed_quote(body) {
            report.errors.push(CellError {
                row,
                column: None,
                message: format!("a quoted cell opens on line {line} and is never closed (a stray \" ?)"),
            });
            return Ok(Some(report));
        }
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
        let header = match reader.byte_headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                report.errors.push(CellError {
                    row: 1,
                    column: None,
                    message: format!("unreadable header: {e}"),
                });
                return Ok(Some(report));
            }
        };
        // The header.
        let mut columns = Vec::with_capacity(header.len());
        let mut names = Vec::with_capacity(header.len());
        let mut seen = HashSet::new();
        for (i, cell) in header.iter().enumerate() {
            let name = String::from_utf8_lossy(cell).trim().to_owned();
            let label = format!("{name} ({})", letter(i));
            let col = match name.as_str() {
                "id" => Ok(Column::Id),
                "state" => Ok(Column::State),
                "site" => Ok(Column::Site),
                n if READ_ONLY_COLUMNS.contains(&n) => Ok(Column::ReadOnly),
                n => fields::parse_key(Entity::Asset, n).map(|(f, l)| Column::Field(f, l)),
            };
            match col {
                Ok(c) => {
                    let key = match &c {
                        Column::Field(f, Some(l)) => format!("{f}.{l}"),
                        _ => name.clone(),
                    };
                    if !seen.insert(key) {
                        report.errors.push(CellError {
                            row: 1,
                            column: Some(label.clone()),
                            message: "column appears twice".into(),
                        });
                    }
                    columns.push(c);
                }
                Err(e) => {
                    report.errors.push(CellError {
                        row: 1,
                        column: Some(label.clone()),
                        message: e.to_string(),
                    });
                    columns.push(Column::ReadOnly);
                }
            }
            names.push((name, label));
        }
        let Some(id_col) = columns.iter().position(|c| matches!(c, Column::Id)) else {
            report.errors.push(CellError {
                row: 1,
                column: None,
                message: "no id column".into(),
            });
            return Ok(Some(report));
        };

        // What the catalogue holds now.
        let version = self.data_version()?;
        let mut current: HashMap<String, (String, Option<String>)> = HashMap::new();
        {
            let mut stmt = self.sql(self.conn.prepare("SELECT id, state, site_id FROM assets"))?;
            let mut rows = self.sql(stmt.query([]))?;
            while let Some(r) = self.sql(rows.next())? {
                current.insert(self.sql(r.get(0))?, (self.sql(r.get(1))?, self.sql(r.get(2))?));
            }
        }
        let sites: HashSet<String> = self.sql(
            self.conn
                .prepare("SELECT id FROM sites WHERE merged_into IS NULL")
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect()),
        )?;
        let all = self.sql(load_all_metadata(&self.conn))?;
        let empty = Metadata::default();

        // Every row, every cell.
        let mut ids_seen: HashMap<String, usize> = HashMap::new();
        let mut record = csv::ByteRecord::new();
        let mut index = 0usize;
        loop {
            let row = index + 2;
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    report.errors.push(CellError {
                        row,
                        column: None,
                        message: format!("unreadable: {e}"),
                    });
                    index += 1;
                    if report.errors.len() > 1000 {
                        break;
                    }
                    continue;
                }
            }
            index += 1;
            report.rows += 1;
            if record.len() != header.len() {
                report.errors.push(CellError {
                    row,
                    column: None,
                    message: format!(
                        "has {} cells where the header has {} (a stray quote or separator?)",
                        record.len(),
                        header.len()
                    ),
                });
                continue;
            }
            let mut cells = Vec::with_capacity(record.len());
            let mut bad = false;
            for (i, cell) in record.iter().enumerate() {
                match std::str::from_utf8(cell) {
                    Ok(s) => cells.push(s),
                    Err(_) => {
                        report.errors.push(CellError {
                            row,
                            column: Some(names[i].1.clone()),
                            message: "not valid UTF-8 (save the file as \"CSV UTF-8\")".into(),
                        });
                        bad = true;
                        cells.push("");
                    }
                }
            }
            if bad {
                continue;
            }
            let id = cells[id_col].trim().to_ascii_lowercase();
            let Some((state, site)) = current.get(&id) else {
                report.errors.push(CellError {
                    row,
                    column: Some(names[id_col].1.clone()),
                    message: format!("no asset {id:?} in this collection"),
                });
                continue;
            };
            if let Some(first) = ids_seen.insert(id.clone(), row) {
                report.errors.push(CellError {
                    row,
                    column: Some(names[id_col].1.clone()),
                    message: format!("asset {id} is also on row {first}"),
                });
                continue;
            }
            let m = all.get(&id).unwrap_or(&empty);
            for (i, col) in columns.iter().enumerate() {
                let raw = cells[i];
                let err = |message: String| CellError {
                    row,
                    column: Some(names[i].1.clone()),
                    message,
                };
                let (old, new) = match col {
                    Column::Id | Column::ReadOnly => continue,
                    Column::State => {
                        let v = raw.trim();
                        if !STATES.contains(&v) {
                            report
                                .errors
                                .push(err(format!("{v:?} is not a state ({})", STATES.join(", "))));
                            continue;
                        }
                        (Some(state.as_str()), Some(v.to_owned()))
                    }
                    Column::Site => {
                        let v = raw.trim();
                        if !v.is_empty() && !sites.contains(v) {
                            report.errors.push(err(format!("no site {v:?}")));
                            continue;
                        }
                        (site.as_deref(), Some(v.to_owned()))
                    }
                    Column::Field(f, l) => match fields::normalise_value(Entity::Asset, f, raw) {
                        Ok(v) => (m.get(f, l.as_deref()), Some(v)),
                        Err(e) => {
                            report.errors.push(err(e.to_string()));
                            continue;
                        }
                    },
                };
                let new = new.filter(|v| !v.is_empty());
                if old != new.as_deref() {
                    report.changes.push(CellChange {
                        row,
                        id: id.clone(),
                        column: names[i].0.clone(),
                        old: old.map(str::to_owned),
                        new,
                    });
                }
            }
        }
        if !report.errors.is_empty() || dry_run || report.changes.is_empty() {
            return Ok(Some(report));
        }

        // Apply: metadata and sites first, then states (publishing checks the new values).
        let author = Author::new(author);
        let err = crate::sql_err(&self.path);
        let tx = crate::begin_immediate(&mut self.conn, &self.path)?;
        let now = crate::data_version(&tx).map_err(err)?;
        if now != version {
            return Ok(None);
        }
        let mut touched: Vec<&str> = Vec::new();
        let mut revisions = 0;
        for c in report.changes.iter().filter(|c| c.column != "state") {
            let (field, lang) = if c.column == "site" {
                ("site".to_owned(), None)
            } else {
                fields::parse_key(Entity::Asset, &c.column).expect("checked above")
            };
            if write(
                &tx,
                &author,
                Entity::Asset,
                &c.id,
                &field,
                lang.as_deref(),
                c.old.clone(),
                c.new.as_deref(),
                None,
            )
            .map_err(err)?
            .is_some()
            {
                revisions += 1;
            }
            if touched.last() != Some(&c.id.as_str()) {
                touched.push(&c.id);
            }
        }
        search::reindex_assets(&tx, touched.iter().copied()).map_err(err)?;
        let mut problems = Vec::new();
        for c in report.changes.iter().filter(|c| c.column == "state") {
            let (from, to) = (c.old.as_deref().unwrap_or(""), c.new.as_deref().unwrap_or(""));
            if !allowed_transition(from, to) {
                problems.push(CellError {
                    row: c.row,
                    column: Some("state".into()),
                    message: format!("cannot go from {from} to {to}"),
                });
                continue;
            }
            if to == "published" {
                let missing = unpublishable(&tx, &c.id).map_err(err)?;
                if !missing.is_empty() {
                    problems.push(CellError {
                        row: c.row,
                        column: Some("state".into()),
                        message: format!("cannot publish, missing {}", missing.join(", ")),
                    });
                    continue;
                }
            }
            apply(&tx, &author, Entity::Asset, &c.id, "state", None, Some(to), None).map_err(err)?;
            search::reindex_asset(&tx, &c.id).map_err(err)?;
            revisions += 1;
        }
        for id in &touched {
            let state: String = tx
                .query_row("SELECT state FROM assets WHERE id = ?1", [id], |r| r.get(0))
                .map_err(err)?;
            if state == "published" {
                let missing = unpublishable(&tx, id).map_err(err)?;
                if !missing.is_empty() {
                    let row = report.changes.iter().find(|c| c.id == *id).map_or(0, |c| c.row);
                    problems.push(CellError {
                        row,
                        column: None,
                        message: format!("{id} is published and would lack {}", missing.join(", ")),
                    });
                }
            }
        }
        if !problems.is_empty() {
            report.errors = problems;
            return Ok(Some(report)); // the transaction rolls back when dropped
        }
        search::commit(tx).map_err(err)?;
        report.applied = true;
        report.revisions = revisions;
        Ok(Some(report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_quotes() {
        assert_eq!(unclosed_quote(b"id,t\na,\"x\"\"y\"\nb,\"multi\nline\"\n"), None);
        assert_eq!(unclosed_quote(b"id,t\na,\"x\nb,y\n"), Some((2, 2)));
        // A quote inside an unquoted cell is literal.
        assert_eq!(unclosed_quote(b"id,t\na,5\" tall\n"), None);
    }

    #[test]
    fn letters() {
        assert_eq!(letter(0), "A");
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(26), "AA");
        assert_eq!(letter(27), "AB");
        assert_eq!(letter(701), "ZZ");
        assert_eq!(letter(702), "AAA");
    }
}

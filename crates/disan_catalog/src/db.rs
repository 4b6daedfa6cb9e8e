//! One SQL interface over the two catalogue backends: embedded SQLite (`rusqlite`) and shared PostgreSQL
//! (`postgres`). The curation code (revisions, workflow, sites, tours, stories, narration, CSV) is written
//! once against [`Connection`], in SQL both databases understand, with `?N` placeholders (sent to
//! PostgreSQL as `$N`). Its API follows rusqlite's (`query_row`, `prepare_cached`, `query_map`,
//! `transaction`), so the code reads the same as before; rows are read into [`Value`]s, which bind to
//! either database with the column's own type (an integer binds to `BIGINT`, `INTEGER` or `DOUBLE
//! PRECISION` alike, a NULL to any column).
//!
//! What differs between the two is kept out of the shared SQL: schema and migrations (`schema.rs`,
//! `shared.rs`), the search index (FTS5 or tsvectors, `search.rs`), and ids of new rows (`RETURNING`).

use std::cell::RefCell;
use std::collections::HashMap;

use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

/// A value read from or bound to a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A database error of either backend.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", pg_message(.0))]
    Postgres(#[from] postgres::Error),
    #[error("query returned no rows")]
    NoRows,
    #[error("column {0}: {1}")]
    Type(usize, String),
}

/// A PostgreSQL error with the server's message and detail (the plain `Display` says only "db error").
pub(crate) fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(d) => format!("{}: {d}", db.message()),
            None => db.message().to_owned(),
        },
        None => e.to_string(),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `Result<T>` → `Result<Option<T>>`, with no row as `None` (as rusqlite's `OptionalExtension`).
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// What can be bound to a placeholder.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_to_value!(i32, i64, u32, u64, usize);
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
}

/// What a column can be read as.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> std::result::Result<Self, String>;
}

impl FromValue for Value {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        Ok(v.clone())
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromValue for i64 {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Int(i) => Ok(*i),
            other => Err(format!("expected an integer, found {other:?}")),
        }
    }
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Real(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        Ok(i64::from_value(v)? != 0)
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            Value::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: &Value) -> std::result::Result<Self, String> {
                let i = i64::from_value(v)?;
                <$t>::try_from(i).map_err(|_| format!("{i} is out of range"))
            }
        }
    )*};
}
int_from_value!(i32, u32, u64, usize);
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> std::result::Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// A column index (`0`, or a `usize` variable).
pub trait RowIndex {
    fn index(self) -> usize;
}
impl RowIndex for i32 {
    fn index(self) -> usize {
        self as usize
    }
}
impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One result row.
#[derive(Clone, Debug)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    pub(crate) fn new(values: Vec<Value>) -> Self {
        Self { values }
    }

    /// Column `i` as a `T`.
    pub fn get<I: RowIndex, T: FromValue>(&self, i: I) -> Result<T> {
        let i = i.index();
        let v = self
            .values
            .get(i)
            .ok_or_else(|| Error::Type(i, format!("no such column ({} in the row)", self.values.len())))?;
        T::from_value(v).map_err(|why| Error::Type(i, why))
    }
}

/// The values bound to a statement's placeholders.
pub trait Params {
    fn values(self) -> Vec<Value>;
}

impl Params for &[&dyn ToValue] {
    fn values(self) -> Vec<Value> {
        self.iter().map(|v| v.to_value()).collect()
    }
}
impl Params for [&dyn ToValue; 0] {
    fn values(self) -> Vec<Value> {
        Vec::new()
    }
}
impl Params for () {
    fn values(self) -> Vec<Value> {
        Vec::new()
    }
}
impl Params for Vec<Value> {
    fn values(self) -> Vec<Value> {
        self
    }
}
macro_rules! array_params {
    ($($n:literal)*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn values(self) -> Vec<Value> {
                self.iter().map(ToValue::to_value).collect()
            }
        }
        impl<T: ToValue> Params for &[T; $n] {
            fn values(self) -> Vec<Value> {
                self.iter().map(ToValue::to_value).collect()
            }
        }
    )*};
}
array_params!(1 2 3 4 5 6 7 8 9 10 11 12);

/// `params![a, b, …]`: a slice of values of mixed types to bind (as rusqlite's).
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::db::ToValue]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::db::ToValue),+] as &[&dyn $crate::db::ToValue]
    };
}
pub(crate) use params;

/// Binds values from an iterator (as rusqlite's `params_from_iter`).
pub fn params_from_iter<T: ToValue>(it: impl IntoIterator<Item = T>) -> Vec<Value> {
    it.into_iter().map(|v| v.to_value()).collect()
}

/// Key of the transaction-level advisory lock every catalogue write on PostgreSQL holds ("disanw" in ASCII).
pub const WRITE_LOCK: i64 = 0x6469_7361_6e77;

/// Which database a connection talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

struct Pg {
    client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

enum Inner {
    Sqlite(rusqlite::Connection),
    Postgres(Box<RefCell<Pg>>),
}

/// A connection to either backend.
pub struct Connection {
    inner: Inner,
}

impl Connection {
    pub fn sqlite(conn: rusqlite::Connection) -> Self {
        Self {
            inner: Inner::Sqlite(conn),
        }
    }

    pub fn postgres(client: postgres::Client) -> Self {
        Self {
            inner: Inner::Postgres(Box::new(RefCell::new(Pg {
                client,
                statements: HashMap::new(),
            }))),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::Sqlite(_) => Backend::Sqlite,
            Inner::Postgres(_) => Backend::Postgres,
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, FTS5).
    pub fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.inner {
            Inner::Sqlite(c) => Some(c),
            Inner::Postgres(_) => None,
        }
    }

    /// Runs `f` on the PostgreSQL client, for what only PostgreSQL has.
    pub fn with_postgres<T>(&self, f: impl FnOnce(&mut postgres::Client) -> Result<T>) -> Option<Result<T>> {
        match &self.inner {
            Inner::Sqlite(_) => None,
            Inner::Postgres(pg) => Some(f(&mut pg.borrow_mut().client)),
        }
    }

    /// Runs one statement (or several separated by `;`, without parameters).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Inner::Postgres(pg) => Ok(pg.borrow_mut().client.batch_execute(sql)?),
        }
    }

    /// Runs one statement; returns the number of rows changed.
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<usize> {
        self.run(sql, params.values()).map(|r| r.changed)
    }

    /// The first row of a query, mapped by `f`; [`Error::NoRows`] when there is none.
    pub fn query_row<T>(&self, sql: &str, params: impl Params, f: impl FnOnce(&Row) -> Result<T>) -> Result<T> {
        let rows = self.run(sql, params.values())?.rows;
        rows.first().ok_or(Error::NoRows).and_then(f)
    }

    /// A statement to run (SQLite keeps it prepared; PostgreSQL statements are prepared once per connection).
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        Ok(Statement {
            conn: self,
            sql: sql.to_owned(),
        })
    }

    /// As [`Self::prepare`].
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        self.prepare(sql)
    }

    /// Starts a transaction; it rolls back unless committed.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.begin("BEGIN")
    }

    /// Starts a transaction that takes SQLite's write lock at once (`BEGIN IMMEDIATE`), so what it reads
    /// stays true until it commits. On PostgreSQL every transaction takes the [`WRITE_LOCK`] at once.
    pub fn transaction_immediate(&mut self) -> Result<Transaction<'_>> {
        self.begin("BEGIN IMMEDIATE")
    }

    fn begin(&mut self, sqlite_begin: &str) -> Result<Transaction<'_>> {
        match self.backend() {
            Backend::Sqlite => self.execute_batch(sqlite_begin)?,
            // Catalogue writes from every machine take turns, as SQLite's writers do: they read, check and
            // write in one step. (Ingest workers commit through `SharedCatalog`, without this lock.)
            Backend::Postgres => self.execute_batch(&format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"))?,
        }
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }

    fn run(&self, sql: &str, params: Vec<Value>) -> Result<Output> {
        match &self.inner {
            Inner::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let bind = params.into_iter().map(|v| match v {
                    Value::Null => rusqlite::types::Value::Null,
                    Value::Int(i) => rusqlite::types::Value::Integer(i),
                    Value::Real(f) => rusqlite::types::Value::Real(f),
                    Value::Text(s) => rusqlite::types::Value::Text(s),
                    Value::Blob(b) => rusqlite::types::Value::Blob(b),
                });
                let columns = stmt.column_count();
                if columns == 0 {
                    let changed = stmt.execute(rusqlite::params_from_iter(bind))?;
                    return Ok(Output {
                        changed,
                        rows: Vec::new(),
                    });
                }
                let mut rows = stmt.query(rusqlite::params_from_iter(bind))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut values = Vec::with_capacity(columns);
                    for i in 0..columns {
                        values.push(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Value::Null,
                            rusqlite::types::ValueRef::Integer(i) => Value::Int(i),
                            rusqlite::types::ValueRef::Real(f) => Value::Real(f),
                            rusqlite::types::ValueRef::Text(t) => Value::Text(
                                std::str::from_utf8(t)
                                    .map_err(|e| Error::Type(i, e.to_string()))?
                                    .to_owned(),
                            ),
                            rusqlite::types::ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                        });
                    }
                    out.push(Row { values });
                }
                drop(rows);
                let changed = if stmt.readonly() { 0 } else { c.changes() as usize };
                Ok(Output { changed, rows: out })
            }
            Inner::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                let pg = &mut *pg;
                let stmt = match pg.statements.get(sql) {
                    Some(s) => s.clone(),
                    None => {
                        let s = pg.client.prepare(&postgres_sql(sql))?;
                        pg.statements.insert(sql.to_owned(), s.clone());
                        s
                    }
                };
                let bind: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                if stmt.columns().is_empty() {
                    let changed = pg.client.execute(&stmt, &bind)? as usize;
                    return Ok(Output {
                        changed,
                        rows: Vec::new(),
                    });
                }
                let rows = pg.client.query(&stmt, &bind)?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let mut values = Vec::with_capacity(r.len());
                    for i in 0..r.len() {
                        values.push(r.try_get::<_, Value>(i)?);
                    }
                    out.push(Row { values });
                }
                Ok(Output {
                    changed: out.len(),
                    rows: out,
                })
            }
        }
    }
}

struct Output {
    changed: usize,
    rows: Vec<Row>,
}

/// `?N` placeholders as PostgreSQL's `$N` (a bare `?` takes the next number), outside quoted text.
pub(crate) fn postgres_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 1;
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c != '?' || quoted {
            out.push(c);
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        if digits.is_empty() {
            digits = next.to_string();
            next += 1;
        }
        out.push('$');
        out.push_str(&digits);
    }
    out
}

/// A prepared statement.
pub struct Statement<'c> {
    conn: &'c Connection,
    sql: String,
}

impl Statement<'_> {
    pub fn execute(&mut self, params: impl Params) -> Result<usize> {
        self.conn.execute(&self.sql, params)
    }

    pub fn query_row<T>(&mut self, params: impl Params, f: impl FnOnce(&Row) -> Result<T>) -> Result<T> {
        self.conn.query_row(&self.sql, params, f)
    }

    /// Every row mapped by `f`.
    pub fn query_map<T, F: FnMut(&Row) -> Result<T>>(
        &mut self,
        params: impl Params,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let rows = self.conn.run(&self.sql, params.values())?.rows;
        Ok(rows.iter().map(&mut f).collect::<Vec<_>>().into_iter())
    }

    /// Every row, to step through with [`Rows::next`].
    pub fn query(&mut self, params: impl Params) -> Result<Rows> {
        Ok(Rows {
            rows: self.conn.run(&self.sql, params.values())?.rows.into_iter(),
            current: None,
        })
    }

    /// Whether the query returns a row.
    pub fn exists(&mut self, params: impl Params) -> Result<bool> {
        Ok(!self.conn.run(&self.sql, params.values())?.rows.is_empty())
    }
}

/// The rows of [`Statement::query`].
pub struct Rows {
    rows: std::vec::IntoIter<Row>,
    current: Option<Row>,
}

impl Rows {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<&Row>> {
        self.current = self.rows.next();
        Ok(self.current.as_ref())
    }
}

/// A transaction: derefs to its [`Connection`]; rolls back when dropped uncommitted.
pub struct Transaction<'c> {
    conn: &'c mut Connection,
    done: bool,
}

impl Transaction<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.conn.execute_batch("COMMIT")
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::FLOAT4 => (*i as f32).to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    i.to_string().as_str().to_sql(ty, out)
                }
                _ => Err(format!("cannot bind an integer to a {ty} column").into()),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::UNKNOWN => f.to_string().as_str().to_sql(ty, out),
                _ => Err(format!("cannot bind a number to a {ty} column").into()),
            },
            Value::Text(s) => match *ty {
                Type::INT8 => s.parse::<i64>()?.to_sql(ty, out),
                Type::INT4 => s.parse::<i32>()?.to_sql(ty, out),
                Type::FLOAT8 => s.parse::<f64>()?.to_sql(ty, out),
                Type::BYTEA => s.as_bytes().to_sql(ty, out),
                _ => s.as_str().to_sql(&Type::TEXT, out),
            },
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
            Type::BYTEA => Value::Blob(raw.to_vec()),
            _ => Value::Text(String::from_sql(&Type::TEXT, raw)?),
        })
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_outside_quotes() {
        assert_eq!(
            postgres_sql("SELECT a FROM t WHERE b = ?1 AND c = ?2 OR d = '?' AND e = ?1"),
            "SELECT a FROM t WHERE b = $1 AND c = $2 OR d = '?' AND e = $1"
        );
        assert_eq!(postgres_sql("VALUES (?, ?)"), "VALUES ($1, $2)");
    }

    #[test]
    fn sqlite_rows_read_as_values() {
        let conn = Connection::sqlite(rusqlite::Connection::open_in_memory().unwrap());
        conn.execute_batch("CREATE TABLE t (a INTEGER, b TEXT, c REAL)")
            .unwrap();
        let n = conn
            .execute("INSERT INTO t VALUES (?1, ?2, ?3)", params![7_i64, "Hạ Long", 1.5])
            .unwrap();
        assert_eq!(n, 1);
        conn.execute("INSERT INTO t VALUES (?1, ?2, NULL)", params![8_i64, None::<String>])
            .unwrap();
        let rows: Vec<(i64, Option<String>, Option<f64>)> = conn
            .prepare("SELECT a, b, c FROM t ORDER BY a")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(rows, [(7, Some("Hạ Long".into()), Some(1.5)), (8, None, None)]);
        assert!(matches!(
            conn.query_row("SELECT a FROM t WHERE a = 9", [], |r| r.get::<_, i64>(0)),
            Err(Error::NoRows)
        ));
        assert!(
            conn.query_row("SELECT b FROM t WHERE a = 7", [], |r| r.get::<_, i64>(0))
                .is_err()
        );
    }
}

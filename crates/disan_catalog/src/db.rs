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

/// A value read from a statement (an owned row: PostgreSQL's, or one kept past its statement).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Int(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s),
            Value::Blob(b) => ValueRef::Blob(b),
        }
    }
}

/// A value bound to a placeholder, or read in place from an SQLite row: nothing is copied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl ValueRef<'_> {
    pub fn to_owned(self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Int(i) => Value::Int(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(s) => Value::Text(s.to_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }
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
    fn to_value(&self) -> ValueRef<'_>;
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> ValueRef<'_> {
        (**self).to_value()
    }
}
impl ToValue for str {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Text(self)
    }
}
impl ToValue for String {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Text(self)
    }
}
impl ToValue for Value {
    fn to_value(&self) -> ValueRef<'_> {
        self.as_ref()
    }
}
impl ToValue for bool {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Int(i64::from(*self))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Real(*self)
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}
macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> ValueRef<'_> {
                ValueRef::Int(*self as i64)
            }
        }
    )*};
}
int_to_value!(i32, i64, u32, u64, usize);
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> ValueRef<'_> {
        match self {
            Some(v) => v.to_value(),
            None => ValueRef::Null,
        }
    }
}

/// What a column can be read as.
pub trait FromValue: Sized {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String>;
}

impl FromValue for Value {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        Ok(v.to_owned())
    }
}
impl FromValue for String {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Text(s) => Ok(s.to_owned()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromValue for i64 {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Int(i) => Ok(i),
            other => Err(format!("expected an integer, found {other:?}")),
        }
    }
}
impl FromValue for f64 {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Real(f) => Ok(f),
            ValueRef::Int(i) => Ok(i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}
impl FromValue for bool {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        Ok(i64::from_value(v)? != 0)
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            ValueRef::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}
macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
                let i = i64::from_value(v)?;
                <$t>::try_from(i).map_err(|_| format!("{i} is out of range"))
            }
        }
    )*};
}
int_from_value!(i32, u32, u64, usize);
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Null => Ok(None),
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

/// One result row: read in place from SQLite while the statement steps, or owned (PostgreSQL's rows, and
/// rows kept past their statement).
pub struct Row<'r> {
    inner: RowInner<'r>,
}

enum RowInner<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Owned(Vec<Value>),
}

impl Row<'_> {
    pub(crate) fn new(values: Vec<Value>) -> Row<'static> {
        Row {
            inner: RowInner::Owned(values),
        }
    }

    /// Column `i` as a `T`.
    pub fn get<I: RowIndex, T: FromValue>(&self, i: I) -> Result<T> {
        let i = i.index();
        let v = match &self.inner {
            RowInner::Sqlite(r) => sqlite_value(r, i)?,
            RowInner::Owned(values) => values
                .get(i)
                .map(Value::as_ref)
                .ok_or_else(|| Error::Type(i, format!("no such column ({} in the row)", values.len())))?,
        };
        T::from_value(v).map_err(|why| Error::Type(i, why))
    }

    /// The row, owned (to keep past its statement).
    pub fn to_owned_row(&self) -> Result<Row<'static>> {
        Ok(Row::new(match &self.inner {
            RowInner::Sqlite(r) => (0..r.as_ref().column_count())
                .map(|i| sqlite_value(r, i).map(ValueRef::to_owned))
                .collect::<Result<_>>()?,
            RowInner::Owned(values) => values.clone(),
        }))
    }
}

fn sqlite_value<'a>(r: &'a rusqlite::Row<'_>, i: usize) -> Result<ValueRef<'a>> {
    Ok(match r.get_ref(i)? {
        rusqlite::types::ValueRef::Null => ValueRef::Null,
        rusqlite::types::ValueRef::Integer(v) => ValueRef::Int(v),
        rusqlite::types::ValueRef::Real(f) => ValueRef::Real(f),
        rusqlite::types::ValueRef::Text(t) => {
            ValueRef::Text(std::str::from_utf8(t).map_err(|e| Error::Type(i, e.to_string()))?)
        }
        rusqlite::types::ValueRef::Blob(b) => ValueRef::Blob(b),
    })
}

/// The values bound to a statement's placeholders.
pub trait Params {
    fn values(&self) -> Vec<ValueRef<'_>>;
}

impl Params for &[&dyn ToValue] {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}
impl Params for [&dyn ToValue; 0] {
    fn values(&self) -> Vec<ValueRef<'_>> {
        Vec::new()
    }
}
impl Params for () {
    fn values(&self) -> Vec<ValueRef<'_>> {
        Vec::new()
    }
}
impl Params for Vec<ValueRef<'_>> {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.clone()
    }
}
impl Params for Vec<Value> {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.iter().map(Value::as_ref).collect()
    }
}
macro_rules! array_params {
    ($($n:literal)*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn values(&self) -> Vec<ValueRef<'_>> {
                self.iter().map(ToValue::to_value).collect()
            }
        }
        impl<T: ToValue> Params for &[T; $n] {
            fn values(&self) -> Vec<ValueRef<'_>> {
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
        self.prepare(sql)?.execute(params)
    }

    /// Runs an `INSERT` into a table with an `id` key made by the database and returns the new row's id
    /// (SQLite's last rowid; PostgreSQL's `RETURNING id`: SQLite's RETURNING buffers its rows and costs more).
    pub fn insert_id(&self, sql: &str, params: impl Params) -> Result<i64> {
        match &self.inner {
            Inner::Sqlite(c) => {
                self.execute(sql, params)?;
                Ok(c.last_insert_rowid())
            }
            Inner::Postgres(_) => self.query_row(&format!("{sql} RETURNING id"), params, |r| r.get(0)),
        }
    }

    /// The first row of a query, mapped by `f`; [`Error::NoRows`] when there is none.
    pub fn query_row<T>(&self, sql: &str, params: impl Params, f: impl FnOnce(&Row) -> Result<T>) -> Result<T> {
        self.prepare(sql)?.query_row(params, f)
    }

    /// A statement to run (SQLite keeps it prepared; PostgreSQL statements are prepared once per connection).
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        Ok(match &self.inner {
            Inner::Sqlite(c) => Statement {
                conn: self,
                sqlite: Some(c.prepare_cached(sql)?),
                sql: String::new(),
            },
            Inner::Postgres(_) => Statement {
                conn: self,
                sqlite: None,
                sql: sql.to_owned(),
            },
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

    /// Runs `sql` on PostgreSQL (prepared once per connection): the number of rows changed (or returned),
    /// and the rows.
    fn pg_run(&self, sql: &str, params: &[ValueRef<'_>]) -> Result<(usize, Vec<Row<'static>>)> {
        let Inner::Postgres(pg) = &self.inner else {
            unreachable!("SQLite statements run through their rusqlite statement");
        };
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
            return Ok((pg.client.execute(&stmt, &bind)? as usize, Vec::new()));
        }
        let rows = pg
            .client
            .query(&stmt, &bind)?
            .iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<_, Value>(i))
                    .collect::<Result<_, _>>()
                    .map(Row::new)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((rows.len(), rows))
    }
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
    /// SQLite's prepared statement, held while this lives (rows are read from it as it steps).
    sqlite: Option<rusqlite::CachedStatement<'c>>,
    /// The SQL, for PostgreSQL (empty for SQLite).
    sql: String,
}

/// The values as SQLite binds them (borrowed; SQLite copies text and blobs as they are bound).
fn sqlite_params<'a>(values: &'a [ValueRef<'a>]) -> impl rusqlite::Params + 'a {
    rusqlite::params_from_iter(values.iter().map(|v| {
        rusqlite::types::ToSqlOutput::Borrowed(match *v {
            ValueRef::Null => rusqlite::types::ValueRef::Null,
            ValueRef::Int(i) => rusqlite::types::ValueRef::Integer(i),
            ValueRef::Real(f) => rusqlite::types::ValueRef::Real(f),
            ValueRef::Text(s) => rusqlite::types::ValueRef::Text(s.as_bytes()),
            ValueRef::Blob(b) => rusqlite::types::ValueRef::Blob(b),
        })
    }))
}

impl Statement<'_> {
    pub fn execute(&mut self, params: impl Params) -> Result<usize> {
        let values = params.values();
        match &mut self.sqlite {
            Some(stmt) if stmt.column_count() == 0 => Ok(stmt.execute(sqlite_params(&values))?),
            Some(stmt) => {
                let readonly = stmt.readonly();
                let mut rows = stmt.query(sqlite_params(&values))?;
                while rows.next()?.is_some() {}
                drop(rows);
                Ok(match (&self.conn.inner, readonly) {
                    (Inner::Sqlite(c), false) => c.changes() as usize,
                    _ => 0,
                })
            }
            None => Ok(self.conn.pg_run(&self.sql, &values)?.0),
        }
    }

    pub fn query_row<T>(&mut self, params: impl Params, f: impl FnOnce(&Row) -> Result<T>) -> Result<T> {
        let values = params.values();
        match &mut self.sqlite {
            Some(stmt) => {
                let mut rows = stmt.query(sqlite_params(&values))?;
                match rows.next()? {
                    Some(r) => f(&Row {
                        inner: RowInner::Sqlite(r),
                    }),
                    None => Err(Error::NoRows),
                }
            }
            None => match self.conn.pg_run(&self.sql, &values)?.1.first() {
                Some(r) => f(r),
                None => Err(Error::NoRows),
            },
        }
    }

    /// Every row mapped by `f`, read as SQLite steps (PostgreSQL's rows come at once).
    pub fn query_map<'s, T: 's, F: FnMut(&Row) -> Result<T> + 's>(
        &'s mut self,
        params: impl Params,
        mut f: F,
    ) -> Result<Box<dyn Iterator<Item = Result<T>> + 's>> {
        let values = params.values();
        match &mut self.sqlite {
            Some(stmt) => {
                let rows = stmt.query_map(sqlite_params(&values), move |r| {
                    Ok(f(&Row {
                        inner: RowInner::Sqlite(r),
                    }))
                })?;
                Ok(Box::new(rows.map(|r| r.map_err(Error::from).and_then(|v| v))))
            }
            None => {
                let rows = self.conn.pg_run(&self.sql, &values)?.1;
                Ok(Box::new(rows.iter().map(f).collect::<Vec<_>>().into_iter()))
            }
        }
    }

    /// Every row, to step through with [`Rows::next`] (SQLite's as it steps).
    pub fn query(&mut self, params: impl Params) -> Result<Rows<'_>> {
        let values = params.values();
        Ok(Rows {
            inner: match &mut self.sqlite {
                Some(stmt) => RowsInner::Sqlite(stmt.query(sqlite_params(&values))?),
                None => RowsInner::Owned(self.conn.pg_run(&self.sql, &values)?.1.into_iter()),
            },
        })
    }

    /// Whether the query returns a row.
    pub fn exists(&mut self, params: impl Params) -> Result<bool> {
        Ok(self.query_map(params, |_| Ok(()))?.next().transpose()?.is_some())
    }
}

/// The rows of [`Statement::query`].
pub struct Rows<'s> {
    inner: RowsInner<'s>,
}

enum RowsInner<'s> {
    Sqlite(rusqlite::Rows<'s>),
    Owned(std::vec::IntoIter<Row<'static>>),
}

impl Rows<'_> {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Row<'_>>> {
        Ok(match &mut self.inner {
            RowsInner::Sqlite(rows) => rows.next()?.map(|r| Row {
                inner: RowInner::Sqlite(r),
            }),
            RowsInner::Owned(rows) => rows.next(),
        })
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

impl ToSql for ValueRef<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            ValueRef::Null => Ok(IsNull::Yes),
            ValueRef::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::FLOAT8 => (i as f64).to_sql(ty, out),
                Type::FLOAT4 => (i as f32).to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    i.to_string().as_str().to_sql(ty, out)
                }
                _ => Err(format!("cannot bind an integer to a {ty} column").into()),
            },
            ValueRef::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (f as f32).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::UNKNOWN => f.to_string().as_str().to_sql(ty, out),
                _ => Err(format!("cannot bind a number to a {ty} column").into()),
            },
            ValueRef::Text(s) => match *ty {
                Type::INT8 => s.parse::<i64>()?.to_sql(ty, out),
                Type::INT4 => s.parse::<i32>()?.to_sql(ty, out),
                Type::FLOAT8 => s.parse::<f64>()?.to_sql(ty, out),
                Type::BYTEA => s.as_bytes().to_sql(ty, out),
                _ => s.to_sql(&Type::TEXT, out),
            },
            ValueRef::Blob(b) => b.to_sql(ty, out),
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

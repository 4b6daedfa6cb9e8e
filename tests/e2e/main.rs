//! End-to-end tests of `disan` over the real captures in ../shared/testdata.

mod bad_input;
mod concurrency;
mod curation;
mod disk_full;
mod hostile;
mod iiif;
mod ingest;
mod models;
mod pannellum;
mod resume;
mod shared;
mod tours;
mod website;

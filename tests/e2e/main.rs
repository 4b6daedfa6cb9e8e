//! End-to-end tests of `disan` over the real captures in ../shared/testdata.

mod bad_input;
mod curation;
mod iiif;
mod ingest;
mod models;
mod pannellum;
mod resume;

//! Writes the hostile corpus (`disan_tests::hostile`) into a folder: `cargo run -p disan_tests --bin
//! hostile-corpus -- DIR`. `fuzz/seed.sh` uses it to seed the fuzzers.

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: hostile-corpus DIR");
        std::process::exit(2);
    };
    let dir = std::path::PathBuf::from(dir);
    let cases = disan_tests::hostile::write_corpus(&dir, &dir.join("outside/secret.bin"));
    println!("{} files in {}", cases.len(), dir.display());
}

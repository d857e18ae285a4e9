//! Lets this package's tests, examples and benches find liblightyear_conn at run time
//! without LD_LIBRARY_PATH, by giving them an rpath to the directory lightyear-conn-sys
//! linked against.
//!
//! lightyear-conn-sys has `links = "lightyear_conn"` and prints `cargo:lib_dir=...`, so
//! build scripts of packages that depend on it directly get DEP_LIGHTYEAR_CONN_LIB_DIR.
//! `rustc-link-arg` only applies to the package's own binaries, tests, examples and
//! benches, so a binary crate of yours does the same: depend on lightyear-conn-sys (same
//! version) next to lightyear-conn and copy this file. For a shipped binary, use an
//! rpath like `$ORIGIN` and put liblightyear_conn.so.0 next to it instead.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_LIGHTYEAR_CONN_LIB_DIR");
    let Ok(dir) = std::env::var("DEP_LIGHTYEAR_CONN_LIB_DIR") else {
        return;
    };
    if std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os != "windows") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}

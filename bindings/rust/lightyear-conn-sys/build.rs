//! Finds or builds liblightyear_conn and tells cargo how to link it.
//!
//! * `LIGHTYEAR_CONN_LIB_DIR=/path` : link the library found there (for example the CMake
//!   build directory `build/`, an installed `lib/`, or the `lib/` of an unpacked release
//!   archive from scripts/package.sh). Nothing is built. What must be there depends on the
//!   target: `liblightyear_conn.so` (Linux, Android), `liblightyear_conn.dylib` (macOS),
//!   the import library `lightyear_conn.lib` (Windows, MSVC targets) or
//!   `liblightyear_conn.dll.a` (Windows, GNU targets; `lightyear_conn.dll` itself also
//!   links there). On Windows `lightyear_conn.dll` is looked for in that directory and in
//!   `../bin` (the archive's layout) and announced as `cargo:dll_dir`; programs need it
//!   beside them, or on PATH, to start.
//! * otherwise: build it from the Go sources of this repository into `OUT_DIR`, with
//!   `go build -buildmode=c-shared ./capi` run from the repository root (found relative to
//!   this crate). Only Go (1.26+) and a C compiler for cgo are needed; no CMake, no libclang.
//!
//! Outputs `cargo:lib_dir=...` and `cargo:include=...`, which crates depending on this one
//! read as `DEP_LIGHTYEAR_CONN_LIB_DIR` / `DEP_LIGHTYEAR_CONN_INCLUDE` in their own build
//! scripts (to set an rpath, see lightyear-conn's build.rs).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=LIGHTYEAR_CONN_LIB_DIR");
    println!("cargo:rerun-if-env-changed=GO");

    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    // bindings/rust/lightyear-conn-sys -> the repository root.
    let repo = manifest_dir.join("../../..");
    let header = repo.join("include/lightyear_conn.h");
    let in_repo = header.is_file() && repo.join("capi").is_dir() && repo.join("go.mod").is_file();

    if in_repo {
        let include = fs::canonicalize(repo.join("include")).unwrap();
        println!("cargo:rerun-if-changed={}", header.display());
        println!("cargo:include={}", include.display());
        // The ABI test compiles a C program against the header.
        println!("cargo:rustc-env=LIGHTYEAR_CONN_INCLUDE_DIR={}", include.display());
    } else {
        println!("cargo:rustc-env=LIGHTYEAR_CONN_INCLUDE_DIR=");
    }

    let lib_dir = match env::var_os("LIGHTYEAR_CONN_LIB_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            let names = link_file_names();
            if !names.iter().any(|name| dir.join(name).exists()) {
                panic!(
                    "LIGHTYEAR_CONN_LIB_DIR={} holds no {} (what {} links); point it at the lib/ \
                     of the release archive for this target, or at a CMake build directory \
                     (`cmake -S . -B build -G Ninja && cmake --build build`), or unset it",
                    dir.display(),
                    names.join(" or "),
                    env::var("TARGET").unwrap_or_default()
                );
            }
            let dir = fs::canonicalize(&dir).unwrap_or(dir);
            if target_os() == "windows" {
                announce_dll(&dir);
            }
            dir
        }
        _ => {
            if !in_repo {
                panic!(
                    "lightyear-conn-sys: the lightyear_conn sources are not at {} and \
                     LIGHTYEAR_CONN_LIB_DIR is not set; point it at a directory holding {}",
                    repo.display(),
                    lib_file_name()
                );
            }
            let repo = fs::canonicalize(&repo).unwrap();
            build_with_go(&repo, &out_dir);
            out_dir.clone()
        }
    };

    // Cargo puts link-search directories inside the target directory (not others) on the
    // library path of what `cargo run` / `cargo test` start, for every package that links
    // this one: a library found elsewhere is linked through symlinks in OUT_DIR, so that
    // dependents need no rpath (build.rs) of their own under cargo.
    let search_dir = if lib_dir != out_dir && cfg!(unix) && target_os() != "windows" {
        link_into(&lib_dir, &out_dir);
        out_dir.clone()
    } else {
        lib_dir.clone()
    };
    println!("cargo:rustc-link-search=native={}", search_dir.display());
    println!("cargo:rustc-link-lib=dylib=lightyear_conn");
    println!("cargo:lib_dir={}", lib_dir.display());
    // This crate's own tests find the library without LD_LIBRARY_PATH. (rustc-link-arg
    // applies to this package's tests, examples, benches and binaries only.)
    if rpath_supported() {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib_dir.display());
    }
}

/// Symlinks `lib_dir`'s liblightyear_conn.* (the library, its SONAME name, its versioned
/// file) into `out_dir`.
fn link_into(lib_dir: &Path, out_dir: &Path) {
    let Ok(entries) = fs::read_dir(lib_dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with("liblightyear_conn.") {
            continue;
        }
        let link = out_dir.join(&name);
        let _ = fs::remove_file(&link);
        #[cfg(unix)]
        if let Err(e) = std::os::unix::fs::symlink(entry.path(), &link) {
            panic!(
                "lightyear-conn-sys: cannot link {} into OUT_DIR: {e}",
                entry.path().display()
            );
        }
    }
}

fn target_os() -> String {
    env::var("CARGO_CFG_TARGET_OS").unwrap_or_default()
}

fn rpath_supported() -> bool {
    matches!(
        target_os().as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly" | "macos"
    )
}

/// The files the linker can link `-l lightyear_conn` against, for the target, in the
/// order they are looked for.
fn link_file_names() -> &'static [&'static str] {
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    match (target_os().as_str(), target_env.as_str()) {
        // link.exe reads import libraries only: the one made from lightyear_conn.def.
        ("windows", "msvc") => &["lightyear_conn.lib"],
        // GNU ld takes the MinGW import library, or the DLL itself.
        ("windows", _) => &["liblightyear_conn.dll.a", "lightyear_conn.dll"],
        ("macos", _) => &["liblightyear_conn.dylib"],
        _ => &["liblightyear_conn.so"],
    }
}

/// Windows: where lightyear_conn.dll is (beside the import library in a build directory,
/// in ../bin in a release archive), for the crates and users that must ship it.
fn announce_dll(lib_dir: &Path) {
    let found = [lib_dir.to_path_buf(), lib_dir.join("..").join("bin")]
        .into_iter()
        .find(|dir| dir.join("lightyear_conn.dll").is_file());
    match found {
        Some(dir) => {
            let dir = fs::canonicalize(&dir).unwrap_or(dir);
            println!("cargo:dll_dir={}", dir.display());
        }
        None => println!(
            "cargo:warning=lightyear_conn.dll is neither in {} nor in its ../bin: \
             programs linked here will need it beside them to start",
            lib_dir.display()
        ),
    }
}

fn lib_file_name() -> &'static str {
    match target_os().as_str() {
        "macos" | "ios" => "liblightyear_conn.dylib",
        "windows" => "lightyear_conn.dll",
        _ => "liblightyear_conn.so",
    }
}

/// The major version in the header: the SONAME is liblightyear_conn.so.<major>, as the
/// CMake build sets it, so a binary linked here also runs against an installed library.
fn major_version(repo: &Path) -> String {
    let text = fs::read_to_string(repo.join("include/lightyear_conn.h")).unwrap();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#define LY_VERSION_MAJOR ") {
            return rest.trim().to_string();
        }
    }
    panic!("LY_VERSION_MAJOR not found in include/lightyear_conn.h");
}

fn build_with_go(repo: &Path, out_dir: &Path) {
    let host = env::var("HOST").unwrap_or_default();
    let target = env::var("TARGET").unwrap_or_default();
    if host != target {
        panic!(
            "lightyear-conn-sys builds the Go library for the host only ({host}); for {target} \
             build liblightyear_conn with GOOS/GOARCH/CC set and point LIGHTYEAR_CONN_LIB_DIR at it"
        );
    }
    if target_os() == "windows" {
        panic!(
            "on Windows, set LIGHTYEAR_CONN_LIB_DIR to the lib/ of the windows-x86_64 release \
             archive (scripts/package.sh), or of a cross build (PLATFORMS.md)"
        );
    }

    // Rebuild when a non-test Go file, a cgo file of capi/, the module files or the header
    // change. (Go's own build cache makes an unnecessary rebuild cost a few seconds.)
    let mut inputs = Vec::new();
    collect_inputs(repo, repo, &mut inputs);
    for f in ["go.mod", "go.sum", "include/lightyear_conn.h"] {
        inputs.push(repo.join(f));
    }
    for f in &inputs {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    // The export package as a directory too, so that a file added there (a new group of
    // exports) is noticed even if no listed file changed.
    println!("cargo:rerun-if-changed={}", repo.join("capi").display());

    let go = env::var_os("GO").unwrap_or_else(|| "go".into());
    let lib = out_dir.join(lib_file_name());
    // Symlinks left by an earlier LIGHTYEAR_CONN_LIB_DIR build: go build would write
    // through them into that directory.
    for entry in fs::read_dir(out_dir).into_iter().flatten().flatten() {
        let is_link = entry.file_type().is_ok_and(|t| t.is_symlink());
        if is_link && entry.file_name().to_string_lossy().starts_with("liblightyear_conn.") {
            let _ = fs::remove_file(entry.path());
        }
    }
    let mut cmd = Command::new(&go);
    cmd.current_dir(repo).env("CGO_ENABLED", "1").args([
        "build",
        "-buildmode=c-shared",
        "-trimpath",
        "-buildvcs=false",
    ]);
    if target_os() == "macos" {
        cmd.arg("-ldflags=-s -w");
    } else {
        let soname = format!("liblightyear_conn.so.{}", major_version(repo));
        cmd.arg(format!("-ldflags=-s -w -extldflags=-Wl,-soname,{soname}"));
    }
    cmd.arg("-o").arg(&lib).arg("./capi");
    let status = cmd.status().unwrap_or_else(|e| {
        panic!(
            "lightyear-conn-sys: could not run `{}` ({e}); install Go 1.26+ (https://go.dev/dl), \
             set GO=/path/to/go, or set LIGHTYEAR_CONN_LIB_DIR to a prebuilt library",
            go.to_string_lossy()
        )
    });
    if !status.success() {
        panic!("lightyear-conn-sys: `go build -buildmode=c-shared ./capi` failed ({status})");
    }
    // go build writes a cgo header beside the library. It is not the contract
    // (include/lightyear_conn.h is): remove it so that nothing picks it up.
    let _ = fs::remove_file(out_dir.join("liblightyear_conn.h"));
    if target_os() != "macos" {
        // The library's SONAME is liblightyear_conn.so.<major>: binaries record that name,
        // so it must exist beside the file the linker saw.
        let soname = out_dir.join(format!("liblightyear_conn.so.{}", major_version(repo)));
        let _ = fs::remove_file(&soname);
        #[cfg(unix)]
        std::os::unix::fs::symlink(lib_file_name(), &soname).unwrap();
    }
}

fn collect_inputs(repo: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            let rel = path.strip_prefix(repo).unwrap_or(&path);
            let skip = name.starts_with('.')
                || name == "testdata"
                || rel == Path::new("build")
                || rel == Path::new("bindings")
                || rel == Path::new("tests")
                || rel == Path::new("examples")
                || rel == Path::new("bench")
                || name == "target";
            if !skip {
                collect_inputs(repo, &path, out);
            }
        } else if (name.ends_with(".go") && !name.ends_with("_test.go"))
            || (path.parent().is_some_and(|p| p.ends_with("capi")) && (name.ends_with(".c") || name.ends_with(".h")))
        {
            out.push(path);
        }
    }
}

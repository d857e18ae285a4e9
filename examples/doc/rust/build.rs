fn main() {
    let Ok(dir) = std::env::var("DEP_LIGHTYEAR_CONN_LIB_DIR") else { return };
    if std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os != "windows") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}

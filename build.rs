//! Compiles the Slint views in `ui/`. Debug builds keep element debug info so tests can find
//! controls by their accessible label.

fn main() {
    let profile = std::env::var("PROFILE").unwrap_or_default();
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_debug_info(profile != "release");
    if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
        eprintln!("slint: {e}");
        std::process::exit(1);
    }
}

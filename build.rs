//! Compiles the Slint views in `ui/` with their translations bundled. The same gettext
//! catalogs become the Rust-side table in `core/build.rs` (`anjungan_core::i18n`), so
//! screens, slips and errors share one catalog per language.
//!
//! Every build keeps the element debug info that Slint's element query needs: the UI tests
//! find controls by their accessible label with it, and so does the boot test of the image
//! through the release build (`src/ui/probe.rs`). It costs a table of element names in the
//! binary, read only by that query.

const TRANSLATIONS: &str = "ui/translations";

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_debug_info(true)
        // Indonesian is the source language; the catalogs carry the others (English).
        .with_bundled_translations(TRANSLATIONS)
        // One entry per text, whichever view shows it.
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    if let Err(e) = slint_build::compile_with_config("ui/app.slint", config) {
        eprintln!("slint: {e}");
        std::process::exit(1);
    }
}

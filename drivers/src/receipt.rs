//! A small receipt document model and its rendering to ESC/POS bytes with the `escpos` crate.
//!
//! Owns: what a receipt is made of (text lines with alignment, bold and size, separators,
//! a native QR code, feeds, the partial cut), the paper width, and the sanitising of text to
//! the printer's code page. It knows nothing about JKN: slips are built elsewhere.

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::utils::{JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};

/// Paper roll width. Columns are for font A (12 dots per character).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperWidth {
    /// 58 mm roll: 32 columns.
    Mm58,
    /// 80 mm roll: 48 columns.
    Mm80,
}

impl PaperWidth {
    /// From millimetres as in the config (58 or 80).
    pub fn from_mm(mm: u32) -> Option<Self> {
        match mm {
            58 => Some(Self::Mm58),
            80 => Some(Self::Mm80),
            _ => None,
        }
    }

    /// Characters per line at font A, normal size.
    pub fn columns(self) -> usize {
        match self {
            Self::Mm58 => 32,
            Self::Mm80 => 48,
        }
    }
}

/// Horizontal alignment of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

/// One element of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A line of text. Longer text is word-wrapped to the paper width at render time.
    Text {
        text: String,
        align: Align,
        bold: bool,
        /// Character magnification, 1 (normal) to 8, for width and height alike.
        size: u8,
    },
    /// A full-width line of `-`.
    Separator,
    /// A label on the left and a value on the right of the same line (wrapped if too long).
    Pair { label: String, value: String },
    /// A native QR code (GS ( k), centred.
    Qr { data: String },
    /// Blank lines.
    Feed(u8),
}

/// A receipt: blocks printed top to bottom, then fed and partially cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub width: PaperWidth,
    pub blocks: Vec<Block>,
}

/// Why a receipt could not be rendered (only an out-of-range value can cause it).
#[derive(Debug, thiserror::Error)]
#[error("cannot render receipt: {0}")]
pub struct RenderError(String);

impl Receipt {
    /// An empty receipt for a paper width.
    pub fn new(width: PaperWidth) -> Self {
        Self {
            width,
            blocks: Vec::new(),
        }
    }

    /// Adds a normal left-aligned line.
    pub fn line(&mut self, text: impl Into<String>) -> &mut Self {
        self.styled(text, Align::Left, false, 1)
    }

    /// Adds a line with alignment, bold and size.
    pub fn styled(
        &mut self,
        text: impl Into<String>,
        align: Align,
        bold: bool,
        size: u8,
    ) -> &mut Self {
        self.blocks.push(Block::Text {
            text: text.into(),
            align,
            bold,
            size: size.clamp(1, 8),
        });
        self
    }

    /// Adds a label/value line.
    pub fn pair(&mut self, label: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Pair {
            label: label.into(),
            value: value.into(),
        });
        self
    }

    /// Adds a separator.
    pub fn separator(&mut self) -> &mut Self {
        self.blocks.push(Block::Separator);
        self
    }

    /// Adds a QR code.
    pub fn qr(&mut self, data: impl Into<String>) -> &mut Self {
        self.blocks.push(Block::Qr { data: data.into() });
        self
    }

    /// Adds blank lines.
    pub fn feed(&mut self, n: u8) -> &mut Self {
        self.blocks.push(Block::Feed(n));
        self
    }

    /// The receipt as ESC/POS bytes: init, the blocks, a feed and a partial cut.
    pub fn to_escpos(&self) -> Result<Vec<u8>, RenderError> {
        let buf = MemDriver::default();
        let mut p = Printer::new(buf.clone(), Protocol::default(), None);
        let e = |e: escpos::errors::PrinterError| RenderError(e.to_string());
        let cols = self.width.columns();
        p.init().map_err(e)?;
        for block in &self.blocks {
            match block {
                Block::Text {
                    text,
                    align,
                    bold,
                    size,
                } => {
                    p.justify(justify(*align)).map_err(e)?;
                    if *bold {
                        p.bold(true).map_err(e)?;
                    }
                    if *size > 1 {
                        p.size(*size, *size).map_err(e)?;
                    }
                    let per_line = (cols / *size as usize).max(1);
                    for l in wrap(&sanitize(text), per_line) {
                        p.writeln(&l).map_err(e)?;
                    }
                    if *size > 1 {
                        p.reset_size().map_err(e)?;
                    }
                    if *bold {
                        p.bold(false).map_err(e)?;
                    }
                }
                Block::Separator => {
                    p.justify(JustifyMode::LEFT).map_err(e)?;
                    p.writeln(&"-".repeat(cols)).map_err(e)?;
                }
                Block::Pair { label, value } => {
                    p.justify(JustifyMode::LEFT).map_err(e)?;
                    for l in pair_lines(&sanitize(label), &sanitize(value), cols) {
                        p.writeln(&l).map_err(e)?;
                    }
                }
                Block::Qr { data } => {
                    p.justify(JustifyMode::CENTER).map_err(e)?;
                    let size = match self.width {
                        PaperWidth::Mm58 => 5,
                        PaperWidth::Mm80 => 6,
                    };
                    let opt =
                        QRCodeOption::new(QRCodeModel::Model2, size, QRCodeCorrectionLevel::M);
                    // QR payloads are ASCII by construction; sanitise anyway so the length
                    // field escpos computes matches what the printer stores.
                    p.qrcode_option(&sanitize(data), opt).map_err(e)?;
                    p.feed().map_err(e)?;
                }
                Block::Feed(n) => {
                    p.feeds(*n).map_err(e)?;
                }
            }
        }
        p.justify(JustifyMode::LEFT).map_err(e)?;
        p.feeds(3).map_err(e)?;
        // escpos's `partial_cut` sends GS V 65 1, which the ESC/POS reference defines as a
        // *full* cut after feeding; GS V 66 0 is the partial cut (function B, no extra feed).
        p.custom(&PARTIAL_CUT).map_err(e)?;
        p.print().map_err(e)?;
        Ok(buf.take())
    }
}

/// GS V 66 0: partial cut.
pub const PARTIAL_CUT: [u8; 4] = [0x1d, b'V', 66, 0];

fn justify(a: Align) -> JustifyMode {
    match a {
        Align::Left => JustifyMode::LEFT,
        Align::Center => JustifyMode::CENTER,
        Align::Right => JustifyMode::RIGHT,
    }
}

/// Maps text to what the printer's default code page prints: printable ASCII.
///
/// escpos sends a character outside the code page as raw UTF-8 without complaint, which a
/// printer prints as garbage; so typographic punctuation becomes its ASCII look-alike, common
/// Latin letters with accents lose them, and anything else becomes `?`. Control characters
/// (including ESC, which would start a command) become spaces.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ' '..='~' => out.push(c),
            '\t' | '\n' | '\r' => out.push(' '),
            '\u{2013}' | '\u{2014}' | '\u{2212}' | '\u{2010}' | '\u{2011}' => out.push('-'),
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => out.push('"'),
            '\u{2026}' => out.push_str("..."),
            '\u{00A0}' | '\u{2009}' | '\u{202F}' => out.push(' '),
            '\u{2022}' | '\u{00B7}' => out.push('*'),
            '\u{2192}' => out.push_str("->"),
            '\u{00D7}' => out.push('x'),
            'à' | 'á' | 'â' | 'ä' | 'ã' => out.push('a'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'É' => out.push('E'),
            c if c.is_control() => out.push(' '),
            _ => out.push('?'),
        }
    }
    out
}

/// Word-wraps to `width` columns; a word longer than a line is split. Leading spaces are an
/// indent kept on every line (as long as it leaves room for text).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let indent = text.len() - text.trim_start_matches(' ').len();
    if indent > 0 && indent < width {
        let pad = " ".repeat(indent);
        return wrap_plain(text.trim_start_matches(' '), width - indent)
            .into_iter()
            .map(|l| format!("{pad}{l}"))
            .collect();
    }
    wrap_plain(text, width)
}

fn wrap_plain(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word = word.to_owned();
        loop {
            let need = if cur.is_empty() {
                word.len()
            } else {
                cur.len() + 1 + word.len()
            };
            if need <= width {
                if !cur.is_empty() {
                    cur.push(' ');
                }
                cur.push_str(&word);
                break;
            }
            if !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
                continue;
            }
            // ASCII after sanitising, so byte indices are char indices.
            let rest = word.split_off(width);
            lines.push(word);
            word = rest;
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

fn pair_lines(label: &str, value: &str, cols: usize) -> Vec<String> {
    if label.len() + 1 + value.len() <= cols {
        let pad = cols - label.len() - value.len();
        return vec![format!("{label}{}{value}", " ".repeat(pad))];
    }
    let mut lines = wrap(label, cols);
    for v in wrap(value, cols.saturating_sub(2).max(1)) {
        lines.push(format!("{:>width$}", v, width = cols));
    }
    lines
}

/// An escpos [`Driver`] that collects the bytes in memory: escpos has none, and rendering
/// must not touch a device (the bytes go out through a [`crate::transport::Transport`]).
#[derive(Clone, Default)]
pub struct MemDriver {
    buf: Rc<RefCell<Vec<u8>>>,
}

impl MemDriver {
    /// Takes the bytes written so far.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.buf.borrow_mut())
    }
}

impl Driver for MemDriver {
    fn name(&self) -> String {
        "memory".into()
    }

    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.buf.borrow_mut().extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }

    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_maps_typography_and_replaces_the_unknown() {
        assert_eq!(sanitize("A–B—C’s “x”"), "A-B-C's \"x\"");
        assert_eq!(sanitize("Rp 1.000 → 2\u{1b}@"), "Rp 1.000 -> 2 @");
        assert_eq!(sanitize("日本"), "??");
        assert_eq!(sanitize("café"), "cafe");
    }

    #[test]
    fn wrap_breaks_on_words_and_splits_long_ones() {
        assert_eq!(wrap("aaa bbb ccc", 7), ["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("  aa bb", 5), ["  aa", "  bb"]);
    }

    #[test]
    fn a_minimal_receipt_is_exact_bytes() {
        let mut r = Receipt::new(PaperWidth::Mm58);
        r.styled("A", Align::Center, true, 2);
        let b = r.to_escpos().unwrap();
        assert_eq!(
            b,
            [
                &[0x1b, b'@'][..],
                &[0x1b, b'a', 1],
                &[0x1b, b'E', 1],
                &[0x1d, b'!', 0x11],
                b"A",
                &[0x1b, b'd', 1],
                &[0x1d, b'!', 0x00],
                &[0x1b, b'E', 0],
                &[0x1b, b'a', 0],
                &[0x1b, b'd', 3],
                &PARTIAL_CUT,
            ]
            .concat()
        );
    }

    #[test]
    fn pairs_fill_the_line() {
        assert_eq!(pair_lines("No", "A-012", 10), ["No   A-012"]);
        assert_eq!(
            pair_lines("Label", "long value", 10),
            ["Label", "      long", "     value"]
        );
    }
}

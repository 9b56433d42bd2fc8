//! A PNG picture of a printed page, for the demo, diagnostics preview and reviewers.
//!
//! Owns only drawing: 12×24-dot character cells at font A (an 8×8 bitmap font from
//! `font8x8`, stretched), magnification, bold, alignment, and QR symbols drawn from their
//! payload with the `qrcode` crate so the preview can be scanned. 203 dpi: 576 dots per line on
//! 80 mm paper, 384 on 58 mm.

use font8x8::UnicodeFonts;

use crate::escpos_decode::{Page, PageItem};
use crate::receipt::PaperWidth;

const CELL_W: usize = 12;
const CELL_H: usize = 24;
const MARGIN: usize = 8;

struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: usize) -> Self {
        Self {
            w,
            h: 0,
            px: Vec::new(),
        }
    }

    fn grow(&mut self, h: usize) {
        if h > self.h {
            self.px.resize(self.w * h, 255);
            self.h = h;
        }
    }

    fn dot(&mut self, x: usize, y: usize) {
        if x < self.w {
            self.grow(y + 1);
            self.px[y * self.w + x] = 0;
        }
    }
}

/// Renders a page to PNG bytes (8-bit greyscale).
pub fn render_png(page: &Page, width: PaperWidth) -> Vec<u8> {
    let dots = width.columns() * CELL_W;
    let mut c = Canvas::new(dots + 2 * MARGIN);
    let mut y = MARGIN;
    for item in &page.items {
        match item {
            PageItem::Line(l) => {
                let (sw, sh) = (
                    l.style.width.max(1) as usize,
                    l.style.height.max(1) as usize,
                );
                let text_w = l.text.len() * CELL_W * sw;
                let x0 = MARGIN
                    + match l.style.align {
                        1 => dots.saturating_sub(text_w) / 2,
                        2 => dots.saturating_sub(text_w),
                        _ => 0,
                    };
                for (i, ch) in l.text.chars().enumerate() {
                    let glyph = font8x8::BASIC_FONTS.get(ch).unwrap_or([0; 8]);
                    let cx = x0 + i * CELL_W * sw;
                    for (row, bits) in glyph.iter().enumerate() {
                        for col in 0..8 {
                            if bits >> col & 1 == 0 {
                                continue;
                            }
                            // 8×8 glyph → 8 wide × 16 tall inside the 12×24 cell, centred.
                            for dy in 0..2 * sh {
                                for dx in 0..sw {
                                    let x = cx + (2 + col) * sw + dx;
                                    let yy = y + (4 + row * 2) * sh + dy;
                                    c.dot(x, yy);
                                    if l.style.bold {
                                        c.dot(x + 1, yy);
                                    }
                                }
                            }
                        }
                    }
                }
                y += CELL_H * sh;
                c.grow(y);
            }
            PageItem::Qr(data) => {
                let module = 6;
                match qrcode::QrCode::new(data.as_bytes()) {
                    Ok(code) => {
                        let n = code.width();
                        let colors = code.to_colors();
                        let x0 = MARGIN + dots.saturating_sub(n * module) / 2;
                        for (i, col) in colors.iter().enumerate() {
                            if *col == qrcode::Color::Dark {
                                let (qx, qy) = (i % n, i / n);
                                for dy in 0..module {
                                    for dx in 0..module {
                                        c.dot(x0 + qx * module + dx, y + qy * module + dy);
                                    }
                                }
                            }
                        }
                        y += n * module + CELL_H / 2;
                    }
                    Err(_) => y += CELL_H,
                }
                c.grow(y);
            }
        }
    }
    if page.cut {
        // A dashed cut mark.
        y += CELL_H / 2;
        for x in (0..c.w).step_by(8) {
            for d in 0..4 {
                c.dot(x + d, y);
            }
        }
    }
    c.grow(y + MARGIN);
    encode(&c)
}

fn encode(c: &Canvas) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, c.w as u32, c.h as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        // Writing to a Vec cannot fail for a well-formed canvas; an empty picture is the
        // fallback rather than a panic.
        let ok = enc
            .write_header()
            .and_then(|mut w| w.write_image_data(&c.px));
        if ok.is_err() {
            return Vec::new();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::escpos_decode::{Line, Style};

    #[test]
    fn renders_a_png_of_the_right_width() {
        let page = Page {
            items: vec![
                PageItem::Line(Line {
                    text: "A-012".into(),
                    style: Style {
                        align: 1,
                        bold: true,
                        width: 2,
                        height: 2,
                    },
                }),
                PageItem::Qr("X".into()),
            ],
            cut: true,
            raw: Vec::new(),
        };
        let png = render_png(&page, PaperWidth::Mm58);
        assert_eq!(&png[1..4], b"PNG");
        let dec = png::Decoder::new(std::io::Cursor::new(png));
        let reader = dec.read_info().unwrap();
        assert_eq!(reader.info().width as usize, 32 * 12 + 16);
    }
}

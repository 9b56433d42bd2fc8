//! QR codes on screen: what a member can scan with a phone instead of copying by hand (a
//! place's maps link, a request's reference). The slips print their own with the printer's
//! QR command; this draws the same kind of code into a Slint image.

use qrcode::{Color, EcLevel, QrCode};
use slint::{Image, Rgb8Pixel, SharedPixelBuffer};

/// Pixels per module: a 33-module code is then 328 px with its quiet zone, easy to scan from
/// a phone held at arm's length.
const SCALE: u32 = 8;
/// The quiet zone the standard asks for, in modules.
const QUIET: u32 = 4;

/// The modules of `text`'s QR code (medium error correction), dark = true, row by row, and
/// the side length; `None` if the text is too long for a QR code.
pub fn modules(text: &str) -> Option<(Vec<bool>, u32)> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = u32::try_from(code.width()).ok()?;
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Some((dark, width))
}

/// `text` as a black-on-white QR image with its quiet zone; `None` when it cannot be encoded.
pub fn image(text: &str) -> Option<Image> {
    let (dark, width) = modules(text)?;
    let side = (width + 2 * QUIET) * SCALE;
    let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(side, side);
    let pixels = buffer.make_mut_slice();
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = (
                (x / SCALE).wrapping_sub(QUIET),
                (y / SCALE).wrapping_sub(QUIET),
            );
            let on = mx < width && my < width && dark[(my * width + mx) as usize];
            let v = if on { 0 } else { 255 };
            pixels[(y * side + x) as usize] = Rgb8Pixel { r: v, g: v, b: v };
        }
    }
    Some(Image::from_rgb8(buffer))
}

/// The link that opens a place in the phone's maps app: the same as on the slip.
pub fn maps_url(lat: f64, lon: f64) -> String {
    crate::slips::maps_link(lat, lon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_and_a_maps_link_encode_with_a_quiet_zone() {
        for text in ["AJ-4K7QM-2XD9R", &maps_url(-6.8945, 107.635)] {
            let (dark, width) = modules(text).unwrap();
            assert!(width >= 21, "{width}");
            assert_eq!(dark.len() as u32, width * width);
            // The finder pattern's corner module is dark.
            assert!(dark[0] && dark[(width - 1) as usize]);
            let img = image(text).unwrap();
            assert_eq!(img.size().width, (width + 2 * QUIET) * SCALE);
        }
        assert!(maps_url(-6.8945, 107.635).starts_with("https://"));
        assert!(
            modules(&"x".repeat(5000)).is_none(),
            "too long is refused, not a panic"
        );
    }
}

//! The virtual printer's ESC/POS decoder must never panic, whatever it is sent, and must
//! decode the same events whether bytes arrive at once or split.
#![no_main]

use anjungan_drivers::escpos_decode::{EscPosDecoder, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let whole = decode(data);
    let mut d = EscPosDecoder::new();
    let mut split = Vec::new();
    for chunk in data.chunks(7) {
        split.extend(d.feed(chunk));
    }
    assert_eq!(whole, split);
    assert!(d.pending_len() <= data.len());
});

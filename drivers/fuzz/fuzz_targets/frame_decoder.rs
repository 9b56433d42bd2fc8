//! The dispenser frame decoder must never panic, never loop, and only yield frames whose
//! re-encoding is byte-identical to input it was given.
#![no_main]

use anjungan_drivers::dispenser::FrameCodec;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    let mut codec = FrameCodec::default();
    // Feed in two pieces to exercise partial frames.
    let cut = data.first().map_or(0, |b| *b as usize % (data.len() + 1));
    let mut buf = BytesMut::from(&data[..cut]);
    let mut frames = Vec::new();
    while let Ok(Some(f)) = codec.decode(&mut buf) {
        frames.push(f);
    }
    buf.extend_from_slice(&data[cut..]);
    while let Ok(Some(f)) = codec.decode(&mut buf) {
        frames.push(f);
    }
    for f in frames {
        let bytes = f.to_bytes();
        assert!(data.windows(bytes.len()).any(|w| w == bytes.as_slice()));
    }
});

//! Dispenser wire framing: `STX LEN SEQ CMD PAYLOAD CRC_HI CRC_LO ETX`, as a tokio codec.
//!
//! Owns the byte layout and its integrity check (CRC-16/CCITT-FALSE), and recovery from
//! corrupt or partial input by resynchronising on the next STX. See
//! `docs/dispenser-protocol.md`.

use bytes::{Buf, BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// Start of frame.
pub const STX: u8 = 0x02;
/// End of frame.
pub const ETX: u8 = 0x03;
/// Largest payload.
pub const MAX_PAYLOAD: usize = 64;
/// Bytes around the payload: STX LEN SEQ CMD CRC CRC ETX.
pub const OVERHEAD: usize = 7;

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Sequence number; a reply carries its request's.
    pub seq: u8,
    /// Command or reply code.
    pub cmd: u8,
    pub payload: Vec<u8>,
}

/// CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor.
/// Check value: `crc16(b"123456789") == 0x29B1`.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xffff;
    for &b in data {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

impl Frame {
    /// A frame.
    pub fn new(seq: u8, cmd: u8, payload: Vec<u8>) -> Self {
        Self { seq, cmd, payload }
    }

    /// The frame's bytes. A payload over [`MAX_PAYLOAD`] is cut (never produced by this crate).
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = &self.payload[..self.payload.len().min(MAX_PAYLOAD)];
        let mut out = Vec::with_capacity(payload.len() + OVERHEAD);
        out.push(STX);
        out.push((payload.len() + 2) as u8);
        out.push(self.seq);
        out.push(self.cmd);
        out.extend_from_slice(payload);
        let crc = crc16(&out[1..]);
        out.extend_from_slice(&crc.to_be_bytes());
        out.push(ETX);
        out
    }
}

/// Frame decoder/encoder. Corrupt input is skipped, not an error, so a stream survives line
/// noise; [`FrameCodec::rejected`] counts what was thrown away.
#[derive(Debug, Default)]
pub struct FrameCodec {
    /// Candidate frames rejected (bad length, CRC or end byte) since creation.
    pub rejected: u64,
}

impl Decoder for FrameCodec {
    type Item = Frame;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, std::io::Error> {
        loop {
            match buf.iter().position(|&b| b == STX) {
                Some(0) => {}
                Some(i) => buf.advance(i),
                None => {
                    buf.clear();
                    return Ok(None);
                }
            }
            if buf.len() < 2 {
                return Ok(None);
            }
            let len = buf[1] as usize;
            if !(2..=MAX_PAYLOAD + 2).contains(&len) {
                self.rejected += 1;
                buf.advance(1);
                continue;
            }
            let total = len + 5;
            if buf.len() < total {
                return Ok(None);
            }
            let crc = u16::from_be_bytes([buf[total - 3], buf[total - 2]]);
            if buf[total - 1] != ETX || crc16(&buf[1..total - 3]) != crc {
                // Resync: this STX was not a frame start (or the frame is damaged); look for
                // the next one inside what we already have.
                self.rejected += 1;
                buf.advance(1);
                continue;
            }
            let f = Frame {
                seq: buf[2],
                cmd: buf[3],
                payload: buf[4..total - 3].to_vec(),
            };
            buf.advance(total);
            return Ok(Some(f));
        }
    }
}

impl Encoder<Frame> for FrameCodec {
    type Error = std::io::Error;

    fn encode(&mut self, f: Frame, dst: &mut BytesMut) -> Result<(), std::io::Error> {
        dst.put_slice(&f.to_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }

    #[test]
    fn ping_frame_bytes() {
        let f = Frame::new(7, 0x01, vec![]);
        assert_eq!(f.to_bytes(), [0x02, 0x02, 0x07, 0x01, 0x2b, 0x4a, 0x03]);
    }

    #[test]
    fn issue_frame_bytes() {
        let f = Frame::new(9, 0x03, vec![b'A', 0, 0x12, 0x34, 0x56, 0x78]);
        assert_eq!(
            f.to_bytes(),
            [
                0x02, 0x08, 0x09, 0x03, 0x41, 0x00, 0x12, 0x34, 0x56, 0x78, 0x2b, 0x9a, 0x03
            ]
        );
    }

    fn decode_all(bytes: &[u8]) -> (Vec<Frame>, u64) {
        let mut c = FrameCodec::default();
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        while let Some(f) = c.decode(&mut buf).unwrap() {
            out.push(f);
        }
        (out, c.rejected)
    }

    #[test]
    fn resyncs_after_noise_and_a_corrupt_frame() {
        let a = Frame::new(1, 3, b"A\x00\x00\x00\x00\x05".to_vec());
        let b = Frame::new(2, 1, vec![]);
        let mut bad = a.to_bytes();
        bad[5] ^= 0x40;
        let stream = [
            &b"\xff\x02\x99noise"[..],
            &bad,
            &b.to_bytes(),
            &a.to_bytes(),
        ]
        .concat();
        let (frames, rejected) = decode_all(&stream);
        assert_eq!(frames, [b, a]);
        assert!(rejected >= 2);
    }

    #[test]
    fn partial_frames_wait_for_more() {
        let f = Frame::new(9, 2, vec![1, 2, 3]).to_bytes();
        let mut c = FrameCodec::default();
        let mut buf = BytesMut::new();
        for (i, b) in f.iter().enumerate() {
            buf.put_u8(*b);
            let got = c.decode(&mut buf).unwrap();
            assert_eq!(got.is_some(), i == f.len() - 1);
        }
    }
}

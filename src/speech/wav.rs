//! 16-bit PCM WAV: read what espeak-ng writes (its `--stdout` header carries placeholder
//! sizes, since it streams), write it back with the real sizes.

/// A mono or stereo 16-bit PCM sound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    pub sample_rate: u32,
    pub channels: u16,
    /// Little-endian 16-bit samples, interleaved.
    pub data: Vec<u8>,
}

/// Why bytes are not a WAV this kiosk can play.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    #[error("not a RIFF/WAVE file")]
    NotWave,
    #[error("no fmt chunk before the data")]
    NoFormat,
    #[error("not 16-bit PCM (format {format}, {bits} bits)")]
    NotPcm16 { format: u16, bits: u16 },
    #[error("no data chunk")]
    NoData,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl Wav {
    /// Reads a WAV; a data chunk whose size runs past the end (a streamed header) is taken
    /// to the end.
    pub fn parse(b: &[u8]) -> Result<Self, WavError> {
        if b.get(0..4) != Some(b"RIFF") || b.get(8..12) != Some(b"WAVE") {
            return Err(WavError::NotWave);
        }
        let mut at = 12;
        let mut format: Option<(u16, u16, u32, u16)> = None;
        while let (Some(id), Some(size)) = (b.get(at..at + 4), u32_at(b, at + 4)) {
            let body = at + 8;
            if id == b"fmt " {
                let f = (
                    u16_at(b, body).ok_or(WavError::NoFormat)?,
                    u16_at(b, body + 2).ok_or(WavError::NoFormat)?,
                    u32_at(b, body + 4).ok_or(WavError::NoFormat)?,
                    u16_at(b, body + 14).ok_or(WavError::NoFormat)?,
                );
                format = Some(f);
            } else if id == b"data" {
                let (fmt, channels, sample_rate, bits) = format.ok_or(WavError::NoFormat)?;
                if fmt != 1 || bits != 16 {
                    return Err(WavError::NotPcm16 { format: fmt, bits });
                }
                let end = body.saturating_add(size as usize).min(b.len());
                let mut data = b[body..end].to_vec();
                data.truncate(data.len() / 2 * 2);
                return Ok(Self {
                    sample_rate,
                    channels,
                    data,
                });
            }
            // Chunks are padded to an even size.
            at = body
                .saturating_add(size as usize)
                .saturating_add(size as usize & 1);
        }
        Err(WavError::NoData)
    }

    /// The file, with the real sizes in its header.
    pub fn to_bytes(&self) -> Vec<u8> {
        let data_len = self.data.len() as u32;
        let block = self.channels * 2;
        let mut out = Vec::with_capacity(44 + self.data.len());
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&(36 + data_len).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&self.channels.to_le_bytes());
        out.extend_from_slice(&self.sample_rate.to_le_bytes());
        out.extend_from_slice(&(self.sample_rate * u32::from(block)).to_le_bytes());
        out.extend_from_slice(&block.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        out.extend_from_slice(&self.data);
        out
    }

    /// How long it plays.
    pub fn seconds(&self) -> f64 {
        let frames = self.data.len() / (2 * usize::from(self.channels.max(1)));
        frames as f64 / f64::from(self.sample_rate.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, frames: usize) -> Wav {
        Wav {
            sample_rate: rate,
            channels: 1,
            data: (0..frames)
                .flat_map(|i| ((i as i16).wrapping_mul(97)).to_le_bytes())
                .collect(),
        }
    }

    #[test]
    fn round_trips_with_real_sizes() {
        let w = tone(22_050, 22_050);
        let bytes = w.to_bytes();
        assert_eq!(u32_at(&bytes, 4), Some(36 + 44_100));
        assert_eq!(Wav::parse(&bytes).unwrap(), w);
        assert!((w.seconds() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_streamed_header_is_read_to_the_end() {
        let mut bytes = tone(16_000, 800).to_bytes();
        // espeak-ng --stdout: sizes it could not know.
        bytes[4..8].copy_from_slice(&0x7fff_f024u32.to_le_bytes());
        bytes[40..44].copy_from_slice(&0x7fff_f000u32.to_le_bytes());
        let w = Wav::parse(&bytes).unwrap();
        assert_eq!(w.data.len(), 1600);
        assert!((w.seconds() - 0.05).abs() < 1e-9);
    }

    #[test]
    fn what_is_not_a_pcm16_wav_is_refused() {
        assert_eq!(Wav::parse(b"hello"), Err(WavError::NotWave));
        let mut bytes = tone(16_000, 4).to_bytes();
        bytes[34] = 8; // 8-bit
        assert!(matches!(
            Wav::parse(&bytes),
            Err(WavError::NotPcm16 { bits: 8, .. })
        ));
        let header_only = &tone(16_000, 4).to_bytes()[..36];
        assert_eq!(Wav::parse(header_only), Err(WavError::NoData));
    }
}

//! Errors a member or technician can cause, with stable codes and bilingual messages.

use crate::domain::{Bilingual, Explain, IdError, NikError};
use crate::store::StoreError;

/// Why a service could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The NIK typed is not a well-formed NIK.
    #[error("invalid NIK: {0}")]
    InvalidNik(NikError),
    /// The card number typed is not a well-formed JKN card number.
    #[error("invalid card number: {0}")]
    InvalidCard(IdError),
    /// A date typed is not a real date. The value is not kept: it is a date of birth.
    #[error("invalid date")]
    InvalidDate,
    /// No member has this NIK/card with this date of birth. Deliberately the same whether or
    /// not the NIK exists, so the kiosk does not reveal who is a member.
    /// `attempts_left`: how many more mismatches the identifier may have before it locks
    /// (`None` where no lockout counts, as in tools that only read).
    /// `offline`: the kiosk could not ask its hub, so a member from another region could
    /// not be checked; said the same way for a local typo, so it does not reveal who is
    /// local.
    #[error("identity does not match")]
    IdentityMismatch {
        attempts_left: Option<u32>,
        offline: bool,
    },
    /// Too many mismatches for this identifier: it is locked for a while. Other identifiers
    /// are not.
    #[error("identifier locked for {seconds_left} s")]
    IdentityLocked { seconds_left: u64 },
    /// A kelas other than 1, 2 or 3 was asked for.
    #[error("invalid kelas {0:?}")]
    InvalidKelas(String),
    /// A search filter names no known facility type or office level.
    #[error("unknown filter {0:?}")]
    InvalidFilter(String),
    /// A location is not `LAT,LON` in decimal degrees.
    #[error("invalid location {0:?}")]
    InvalidLocation(String),
    /// The family card has no single head, so its Virtual Account cannot be named.
    #[error("family has no single head")]
    NoFamilyHead,
    /// The kiosk has no member data loaded yet.
    #[error("no member data loaded")]
    NoData,
    /// The data is older than the configured limit, so change requests are refused
    /// (lookups still answer).
    #[error("data older than {max_hours} h (as of {as_of:?})")]
    DataTooOld {
        as_of: Option<String>,
        max_hours: u64,
    },
    /// The member may not make this change now; the reasons were explained by the check.
    #[error("not eligible for this change")]
    NotEligible(Vec<Bilingual>),
    /// The member (FKTP) or the family (kelas) already has an open or approved request of
    /// this kind for the same effective month (or one still waiting): one at a time.
    #[error("request {reference} already covers this change")]
    RequestExists { reference: String, approved: bool },
    /// No request with this reference is known here.
    #[error("unknown request reference")]
    UnknownReference,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    /// The stable code printed as `{"error": CODE}`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidNik(_) => "INVALID_NIK",
            Self::InvalidCard(_) => "INVALID_CARD",
            Self::InvalidDate => "INVALID_DATE",
            Self::IdentityMismatch { .. } => "IDENTITY_MISMATCH",
            Self::IdentityLocked { .. } => "IDENTITY_LOCKED",
            Self::InvalidKelas(_) => "INVALID_KELAS",
            Self::InvalidFilter(_) => "INVALID_FILTER",
            Self::InvalidLocation(_) => "INVALID_LOCATION",
            Self::NoFamilyHead => "NO_FAMILY_HEAD",
            Self::NoData => "NO_DATA",
            Self::DataTooOld { .. } => "DATA_TOO_OLD",
            Self::NotEligible(_) => "NOT_ELIGIBLE",
            Self::RequestExists { .. } => "REQUEST_EXISTS",
            Self::UnknownReference => "UNKNOWN_REFERENCE",
            Self::Store(_) => "STORE_ERROR",
        }
    }
}

impl Explain for ServiceError {
    fn explain(&self) -> Bilingual {
        match self {
            Self::InvalidNik(e) => e.explain(),
            Self::InvalidCard(e) => e.explain(),
            Self::InvalidDate => Bilingual::tr(
                "Tanggal lahir tidak valid. Tulis sebagai TTTT-BB-HH, misalnya 1985-08-17, dan pastikan tanggal itu ada.",
            ),
            Self::IdentityMismatch {
                attempts_left,
                offline,
            } => {
                let mut b = if *offline {
                    Bilingual::tr(
                        "Data tidak cocok. Anjungan sedang tidak terhubung ke kantor pusat, jadi peserta dari daerah lain belum dapat diperiksa di sini. Periksa kembali NIK atau nomor kartu dan tanggal lahir, atau silakan ke loket atau hubungi Care Center 165.",
                    )
                } else {
                    Bilingual::tr(
                        "Data tidak cocok. Periksa kembali NIK atau nomor kartu dan tanggal lahir. Jika tetap tidak cocok, silakan ke loket informasi.",
                    )
                };
                if let Some(n) = attempts_left {
                    b.id.push_str(&format!(
                        " Sisa {n} kali percobaan untuk nomor ini sebelum dikunci sementara."
                    ));
                    let tries = if *n == 1 { "try" } else { "tries" };
                    b.en.push_str(&format!(
                        " {n} {tries} left for this number before it is locked for a while."
                    ));
                }
                b
            }
            Self::IdentityLocked { seconds_left } => {
                let minutes = seconds_left.div_ceil(60).max(1);
                let unit = if minutes == 1 { "minute" } else { "minutes" };
                Bilingual {
                    id: format!(
                        "Nomor ini dikunci sementara karena terlalu banyak percobaan yang tidak cocok. Coba lagi dalam {minutes} menit, atau bawa KTP atau kartu JKN ke loket informasi."
                    ),
                    en: format!(
                        "This number is locked for now after too many attempts that did not match. Try again in {minutes} {unit}, or bring your ID card or JKN card to the information counter."
                    ),
                }
            }
            Self::InvalidKelas(_) => Bilingual::tr("Kelas rawat hanya 1, 2 atau 3."),
            Self::InvalidFilter(w) => Bilingual {
                id: format!(
                    "Jenis {w:?} tidak dikenal. Pilih jenis dari daftar, misalnya PUSKESMAS atau FKTP."
                ),
                en: format!(
                    "Unknown type {w:?}. Choose a type from the list, for example PUSKESMAS or FKTP."
                ),
            },
            Self::InvalidLocation(_) => Bilingual::tr(
                "Lokasi tidak valid. Tulis sebagai LINTANG,BUJUR, misalnya -6.90,107.59.",
            ),
            Self::NoFamilyHead => Bilingual::tr(
                "Nomor Virtual Account keluarga Anda tidak dapat ditampilkan karena data kepala keluarga belum lengkap. Silakan ke loket E (perubahan data).",
            ),
            Self::NoData => Bilingual::tr(
                "Data peserta belum tersedia di anjungan ini. Silakan ke loket, atau coba lagi nanti.",
            ),
            Self::DataTooOld { as_of, .. } => {
                let when = as_of.as_deref().unwrap_or("-");
                Bilingual {
                    id: format!(
                        "Data di anjungan ini belum diperbarui (data per {when}), jadi permohonan perubahan belum dapat diterima. Pengecekan tetap dapat dilakukan. Silakan coba lagi nanti, ajukan lewat Mobile JKN, atau ke loket."
                    ),
                    en: format!(
                        "This kiosk's data is out of date (data as of {when}), so change requests cannot be taken now. Lookups still work. Please try again later, use Mobile JKN, or go to a counter."
                    ),
                }
            }
            Self::NotEligible(messages) => {
                let join = |f: fn(&Bilingual) -> &str| {
                    messages.iter().map(f).collect::<Vec<_>>().join(" ")
                };
                Bilingual {
                    id: format!("Permohonan belum dapat diajukan. {}", join(|m| &m.id)),
                    en: format!("The request cannot be made now. {}", join(|m| &m.en)),
                }
            }
            Self::RequestExists {
                reference,
                approved,
            } => {
                let (id, en) = if *approved {
                    ("sudah disetujui", "has been approved")
                } else {
                    (
                        "masih menunggu keputusan",
                        "is still waiting for a decision",
                    )
                };
                Bilingual {
                    id: format!(
                        "Sudah ada permohonan {reference} untuk perubahan ini, dan permohonan itu {id}. Hanya satu permohonan per jenis per bulan berlaku. Cek statusnya di menu Cek Permohonan dengan nomor {reference}."
                    ),
                    en: format!(
                        "Request {reference} already covers this change, and it {en}. Only one request of a kind per month counts. Check it under Request Status with the number {reference}."
                    ),
                }
            }
            Self::UnknownReference => Bilingual::tr(
                "Nomor referensi tidak ditemukan. Periksa nomor pada slip, atau tanyakan ke loket.",
            ),
            Self::Store(_) => Bilingual::tr(
                "Terjadi gangguan pada anjungan. Silakan ke loket dan laporkan ke petugas.",
            ),
        }
    }
}

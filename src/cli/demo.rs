//! `anjungan demo`: the kiosk's main job on built-in sample data, with simulated devices.
//!
//! It generates a small synthetic dataset, imports it into a fresh database, then answers
//! what members ask at a kiosk (status, dues, VA, facility search, FKTP and kelas changes)
//! for a few sample members, printing what the screen would say, and takes a queue ticket
//! from the simulated dispenser and prints it on the virtual printer.

use std::path::PathBuf;

use anjungan::dataset::{self, synth::GenOptions};
use anjungan::domain::{self, Kelas, Status};
use anjungan::services::{Identity, IdentityKey, MemberSession};
use anjungan::store::{FacilityQuery, Point, Store};
use chrono::NaiveDate;
use clap::Args;

use super::output::Answer;
use super::{Failure, Today};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the sample dataset and database (default: a folder in the temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Sample size.
    #[arg(long, default_value_t = 5_000)]
    members: usize,
    /// Print the screens as text even where a window could open.
    #[arg(long)]
    text: bool,
    /// Also run a local hub on 127.0.0.1 with the same sample data, and sync the kiosk with
    /// it: change requests go to the hub, decisions come back (window only).
    #[arg(long)]
    with_hub: bool,
    /// Start in headphone speech mode: every screen says its title and guidance, and what it
    /// shows (window only; needs espeak-ng).
    #[arg(long)]
    speech: bool,
    /// With --speech: write each utterance as NNNN.wav and NNNN.txt (the words) in DIR,
    /// instead of playing it. For the demo only: a kiosk never writes speech to disk.
    #[arg(long, requires = "speech")]
    speech_dir: Option<PathBuf>,
    #[command(flatten)]
    today: Today,
}

pub fn run(args: &DemoArgs) -> Result<Answer, Failure> {
    let today = args.today.resolve();
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("anjungan-demo"));
    let data = dir.join("dataset");
    let db = dir.join("kiosk.db");
    std::fs::create_dir_all(&dir).map_err(Failure::internal)?;

    section("Data sampel / Sample data");
    let opts = GenOptions {
        members: args.members,
        facilities: (args.members / 10).max(200),
        offices: None,
        seed: 1,
        today,
    };
    let stamp = dir.join("demo.json");
    let wanted = Prepared::of(&opts);
    let store = match Prepared::read(&stamp).filter(|p| *p == wanted) {
        // Prepared today by this build with the same options: reuse it.
        Some(_) => match Store::open(&db) {
            Ok(store) if store.data_as_of().ok().flatten().is_some() => {
                outln!("{} (siap / ready)", db.display());
                Some(store)
            }
            _ => None,
        },
        None => None,
    };
    let store = match store {
        Some(store) => store,
        None => {
            let _ = std::fs::remove_file(&stamp);
            let _ = std::fs::remove_file(&db);
            // A local hub's state belongs to the old data.
            let _ = std::fs::remove_dir_all(dir.join("hub"));
            dataset::synth::generate(&opts, &data).map_err(Failure::internal)?;
            let mut store = Store::open(&db).map_err(Failure::from)?;
            let report = dataset::import_dir(&mut store, &data, today)?;
            outln!(
                "{} peserta, {} tagihan, {} faskes, {} kantor → {} ({:.2} s)",
                report.members,
                report.bills,
                report.facilities,
                report.offices,
                db.display(),
                report.seconds
            );
            wanted.write(&stamp).map_err(Failure::internal)?;
            store
        }
    };

    let samples = pick_samples(&data, &store, today)?;
    if !args.text && super::demo_window::display_available() {
        // Synthetic members: their NIK and birth date are printed so they can be typed in.
        outln!("\nCoba / Try these (sample data):");
        for (label, identity) in &samples {
            if let anjungan::services::IdentityKey::Nik(nik) = &identity.key {
                let who = label.split(": NIK").next().unwrap_or(label);
                outln!(
                    "  {who}: NIK {nik}, lahir / born {}",
                    identity.birth_date.format("%d-%m-%Y")
                );
            }
        }
        drop(store);
        let hub = args.with_hub.then_some(super::demo_window::LocalHub {
            dataset: &data,
            today,
        });
        let voice = if args.speech {
            Some(voice(args.speech_dir.as_deref())?)
        } else {
            None
        };
        super::demo_window::run(&dir, &db, args.today.tz, hub, voice)?;
        return Ok(Answer::json_or_text(
            &serde_json::json!({ "demo": "closed" }),
        ));
    }
    for (label, identity) in &samples {
        section(label);
        let session = MemberSession::identify(&store, identity)?;
        show("Cek Status / Status", &session.status(today));
        show("Cek Tagihan / Dues", &session.dues(today));
        show("Info Virtual Account", &session.virtual_accounts(today)?);
        let nearby = store
            .search_facilities(&FacilityQuery {
                near: session.fktp.as_ref().map(|f| Point {
                    lat: f.lat,
                    lon: f.lon,
                }),
                open_fktp_only: true,
                limit: 3,
                ..FacilityQuery::default()
            })
            .map_err(Failure::internal)?;
        if let Some(target) = nearby.iter().find(|f| f.code != session.member.fktp_code) {
            show(
                &format!("Ubah FKTP → {} / Change FKTP", target.name),
                &session.change_fktp(&store, &target.code, today)?,
            );
        }
        let other_kelas = Kelas::new(if session.member.kelas.get() == 3 {
            2
        } else {
            3
        });
        if let Some(to) = other_kelas {
            show(
                "Ubah Kelas / Change class",
                &session.change_kelas(to, today),
            );
        }
    }

    section("Ambil antrean / Queue ticket (simulated dispenser and printer)");
    super::demo_devices::queue_ticket(&dir, today.and_hms_opt(9, 0, 0).unwrap_or_default())?;

    section("Cari Faskes / Find a facility: \"puskesmas\" dekat/near Bandung");
    let found = store
        .search_facilities(&FacilityQuery {
            text: Some("puskesmas".into()),
            near: Some(Point {
                lat: -6.9175,
                lon: 107.6191,
            }),
            limit: 5,
            ..FacilityQuery::default()
        })
        .map_err(Failure::internal)?;
    Ok(Answer::rows(&found))
}

/// What a prepared demo folder was made from. A later start with the same options, on the
/// same day, by the same build, reuses the database instead of generating it again; a new day
/// prepares fresh data, so the demo's data is never older than the kiosk's freshness limit.
#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Prepared {
    version: String,
    members: usize,
    facilities: usize,
    seed: u64,
    day: NaiveDate,
}

impl Prepared {
    fn of(opts: &GenOptions) -> Self {
        Self {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            members: opts.members,
            facilities: opts.facilities,
            seed: opts.seed,
            day: opts.today,
        }
    }

    fn read(path: &std::path::Path) -> Option<Self> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }

    /// Written last, after the import committed: a half-prepared folder has no stamp.
    fn write(&self, path: &std::path::Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        anjungan::private::write(path, &json)
    }
}

fn section(title: &str) {
    outln!("\n=== {title} ===");
}

fn show<T: serde::Serialize>(title: &str, view: &T) {
    outln!("\n--- {title} ---");
    Answer::json_or_text(view).print(false);
}

/// Picks members the way they would walk up, taking their NIK and date of birth from the
/// dataset itself: a PBPU family in arrears, an active PBPU/BP family, a PPU worker and a PBI
/// member.
fn pick_samples(
    data: &std::path::Path,
    store: &Store,
    today: NaiveDate,
) -> Result<Vec<(String, Identity)>, Failure> {
    let mut reader =
        csv::Reader::from_path(data.join(dataset::files::MEMBERS)).map_err(Failure::internal)?;
    let headers = reader.headers().map_err(Failure::internal)?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(nik), Some(dob), Some(relation)) = (col("nik"), col("birth_date"), col("relation"))
    else {
        return Err(Failure::internal("sample members.csv lacks columns"));
    };
    type Want = fn(&MemberSession, NaiveDate) -> bool;
    let wants: [(&str, Want); 4] = [
        ("PBPU menunggak / in arrears", |s, t| {
            s.member.segment.member_pays() && s.status_at(t) == Status::TidakAktifMenunggak
        }),
        ("PBPU/BP aktif / active", |s, t| {
            s.member.segment.member_pays() && s.status_at(t) == Status::Aktif
        }),
        ("PPU (pekerja / employee)", |s, _| s.member.segment.is_ppu()),
        ("PBI", |s, _| s.member.segment.is_pbi()),
    ];
    let mut found: Vec<Option<Identity>> = vec![None; wants.len()];
    for record in reader.records() {
        let record = record.map_err(Failure::internal)?;
        if record.get(relation) != Some("PESERTA") {
            continue;
        }
        let Ok(identity) = Identity::parse(
            IdentityKey::Nik(record.get(nik).unwrap_or_default().to_owned()),
            record.get(dob).unwrap_or_default(),
            today,
        ) else {
            continue;
        };
        let session = MemberSession::identify(store, &identity)?;
        if let Some(slot) = wants
            .iter()
            .zip(found.iter_mut())
            .find_map(|((_, want), slot)| (slot.is_none() && want(&session, today)).then_some(slot))
        {
            *slot = Some(identity);
        }
        if found.iter().all(Option::is_some) {
            break;
        }
    }
    Ok(wants
        .iter()
        .zip(found)
        .filter_map(|((label, _), id)| {
            let id = id?;
            let masked = match &id.key {
                IdentityKey::Nik(n) => domain::mask_nik(n),
                IdentityKey::Card(c) => domain::mask_card(c),
            };
            Some((format!("Peserta {label}: NIK {masked}"), id))
        })
        .collect())
}

/// The demo's voice: headphone mode, played through ALSA or recorded into `dir`.
fn voice(dir: Option<&std::path::Path>) -> Result<anjungan::ui::runtime::Voice, Failure> {
    use anjungan::speech::{Aplay, Recorder};
    use anjungan::ui::runtime::Voice;
    use anjungan::ui::speech::Output::Headphones;
    let explained = |e: anjungan::speech::SpeechError| {
        Failure::new(e.code(), anjungan::domain::Explain::explain(&e), 1)
    };
    match dir {
        Some(dir) => {
            let rec = Recorder::new(dir.to_path_buf()).map_err(Failure::internal)?;
            outln!("Suara / Speech: {} (NNNN.wav + NNNN.txt)", dir.display());
            Voice::start(Headphones, rec)
                .map(Voice::always_on)
                .map_err(explained)
        }
        None => {
            outln!("Suara / Speech: ALSA (aplay), mode headphone");
            Voice::start(Headphones, Aplay::new(None))
                .map(Voice::always_on)
                .map_err(explained)
        }
    }
}

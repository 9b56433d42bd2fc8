//! Member, family and bill lookups.

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, Row, params};

use super::corrupt;
use super::{Store, StoreError, code_col, date_col, parse_code};
use crate::domain::calendar::{YearMonth, parse_date};
use crate::domain::{Bill, Employer, Kelas, NonActiveReason, Relation, Segment, Sex, StoredStatus};

/// One row of `members`, typed.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRecord {
    pub card_no: String,
    pub nik: String,
    pub kk_no: String,
    pub name: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub relation: Relation,
    pub segment: Segment,
    pub kelas: Kelas,
    pub fktp_code: String,
    pub fktp_since: NaiveDate,
    pub kelas_since: NaiveDate,
    pub registered_on: NaiveDate,
    pub status: StoredStatus,
    pub wage: Option<i64>,
    pub employer: Option<Employer>,
    /// Why a NON_AKTIF member is not active, when the dataset records it.
    pub status_reason: Option<NonActiveReason>,
}

const MEMBER_COLUMNS: &str = "card_no, nik, kk_no, name, birth_date, sex, relation, segment, \
     kelas, fktp_code, fktp_since, kelas_since, registered_on, status, wage, employer, status_reason";

impl MemberRecord {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        let employer: Option<String> = row.get(15)?;
        let reason: Option<String> = row.get(16)?;
        Ok(MemberRecord {
            card_no: row.get(0)?,
            nik: row.get(1)?,
            kk_no: row.get(2)?,
            name: row.get(3)?,
            birth_date: date_col(row, 4)?,
            sex: code_col(row, 5)?,
            relation: code_col(row, 6)?,
            segment: code_col(row, 7)?,
            kelas: code_col(row, 8)?,
            fktp_code: row.get(9)?,
            fktp_since: date_col(row, 10)?,
            kelas_since: date_col(row, 11)?,
            registered_on: date_col(row, 12)?,
            status: code_col(row, 13)?,
            wage: row.get(14)?,
            employer: match employer {
                Some(e) if !e.is_empty() => Some(parse_code(15, e)?),
                _ => None,
            },
            status_reason: match reason {
                Some(r) if !r.is_empty() => Some(parse_code(16, r)?),
                _ => None,
            },
        })
    }
}

impl Store {
    /// The member with this NIK, if any.
    pub fn member_by_nik(&self, nik: &str) -> Result<Option<MemberRecord>, StoreError> {
        self.member_where("nik", nik)
    }

    /// The member with this JKN card number, if any.
    pub fn member_by_card(&self, card_no: &str) -> Result<Option<MemberRecord>, StoreError> {
        self.member_where("card_no", card_no)
    }

    fn member_where(&self, column: &str, value: &str) -> Result<Option<MemberRecord>, StoreError> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE {column} = ?1");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_row([value], MemberRecord::from_row).optional()?)
    }

    /// Everyone on the family card `kk_no`, the head (PESERTA) first.
    pub fn family(&self, kk_no: &str) -> Result<Vec<MemberRecord>, StoreError> {
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE kk_no = ?1 \
             ORDER BY relation != 'PESERTA', birth_date, card_no"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([kk_no], MemberRecord::from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The family's bills, oldest period first.
    pub fn bills(&self, kk_no: &str) -> Result<Vec<Bill>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT period, amount, paid_on FROM bills WHERE kk_no = ?1 ORDER BY period",
        )?;
        let rows = stmt.query_map(params![kk_no], |r| {
            let period: String = r.get(0)?;
            let paid_on: Option<String> = r.get(2)?;
            Ok(Bill {
                period: YearMonth::parse(&period).map_err(|_| corrupt(0, period))?,
                amount: r.get(1)?,
                paid_on: match paid_on {
                    Some(d) if !d.is_empty() => Some(parse_date(&d).map_err(|_| corrupt(2, d))?),
                    _ => None,
                },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

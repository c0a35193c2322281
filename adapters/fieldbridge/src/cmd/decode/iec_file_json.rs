//! The file transfer elements of IEC 60870-5-101 clause 7.3.6 (type IDs 120 to 127) as JSON
//! fields: names and lengths of files and sections, each step's qualifier with its name, the
//! directory status bits, and the segments of F_SG_NA_1 with their data as hex.
//!
//! ```text
//! F_FR_NA_1 120  nof lof frq negative        F_SR_NA_1 121  nof nos lof srq not_ready
//! F_SC_NA_1 122  nof nos scq scq_name error  F_LS_NA_1 123  nof nos lsq lsq_name chs
//! F_AF_NA_1 124  nof nos afq afq_name error  F_SG_NA_1 125  segments: ioa nof nos los data
//! F_DR_TA_1 126  nof lof status last_file subdirectory active created
//! F_SC_NB_1 127  nof start stop
//! ```

use fieldbridge_iec60870::asdu::Segment;
use fieldbridge_iec60870::Element;

use super::json::{hex, Obj};

/// The file error of SCQ and AFQ (their high four bits), by name.
fn error_name(error: u8) -> Option<&'static str> {
    Some(match error {
        0 => "no error",
        1 => "requested memory space not available",
        2 => "checksum failed",
        3 => "unexpected communication service",
        4 => "unexpected name of file",
        5 => "unexpected name of section",
        _ => return None,
    })
}

/// Writes the fields of a file transfer element; false for any other element. `time` turns a
/// CP56Time2a into its object.
pub(crate) fn file_fields(
    obj: &mut Obj,
    element: &Element,
    time: impl Fn(&fieldbridge_iec60870::Cp56Time2a) -> Obj,
) -> bool {
    match *element {
        Element::FileReady { nof, lof, frq } => {
            obj.put("nof", nof.0)
                .put("lof", lof.value())
                .put("frq", frq.value())
                .put("negative", frq.negative());
        }
        Element::SectionReady { nof, nos, lof, srq } => {
            obj.put("nof", nof.0)
                .put("nos", nos.0)
                .put("lof", lof.value())
                .put("srq", srq.value())
                .put("not_ready", srq.not_ready());
        }
        Element::CallFile { nof, nos, scq } => {
            let name = match scq.action() {
                1 => Some("select file"),
                2 => Some("request file"),
                3 => Some("deactivate file"),
                4 => Some("delete file"),
                5 => Some("select section"),
                6 => Some("request section"),
                7 => Some("deactivate section"),
                _ => None,
            };
            obj.put("nof", nof.0)
                .put("nos", nos.0)
                .put("scq", scq.action())
                .put("scq_name", name)
                .put("file_error", scq.error())
                .put("file_error_name", error_name(scq.error()));
        }
        Element::LastSection { nof, nos, lsq, chs } => {
            let name = match lsq.0 {
                1 => Some("file transfer without deactivation"),
                2 => Some("file transfer with deactivation"),
                3 => Some("section transfer without deactivation"),
                4 => Some("section transfer with deactivation"),
                _ => None,
            };
            obj.put("nof", nof.0)
                .put("nos", nos.0)
                .put("lsq", lsq.0)
                .put("lsq_name", name)
                .put("chs", chs.0);
        }
        Element::AckFile { nof, nos, afq } => {
            let name = match afq.ack() {
                1 => Some("positive acknowledge of file transfer"),
                2 => Some("negative acknowledge of file transfer"),
                3 => Some("positive acknowledge of section transfer"),
                4 => Some("negative acknowledge of section transfer"),
                _ => None,
            };
            obj.put("nof", nof.0)
                .put("nos", nos.0)
                .put("afq", afq.ack())
                .put("afq_name", name)
                .put("file_error", afq.error())
                .put("file_error_name", error_name(afq.error()));
        }
        Element::Directory {
            nof,
            lof,
            sof,
            created,
        } => {
            obj.put("nof", nof.0)
                .put("lof", lof.value())
                .put("status", sof.status())
                .put("last_file", sof.last_file())
                .put("subdirectory", sof.subdirectory())
                .put("active", sof.active())
                .put_obj("created", time(&created));
        }
        Element::QueryLog { nof, start, stop } => {
            obj.put("nof", nof.0)
                .put_obj("start", time(&start))
                .put_obj("stop", time(&stop));
        }
        _ => return false,
    }
    true
}

/// One segment of F_SG_NA_1.
pub(crate) fn segment_obj(segment: &Segment<'_>) -> Obj {
    let mut obj = Obj::new();
    obj.put("ioa", segment.address)
        .put("nof", segment.nof.0)
        .put("nos", segment.nos.0)
        .put("los", segment.los().0)
        .put("data", hex(segment.data));
    obj
}

"""Readers of the field's coding sheets: every parsed value, sentinels, refusals, whole-file errors.

All files are built here in the datasets' layouts (tests/sheets.py); no dataset file is used.
"""

from pathlib import Path

import pytest
import sheets

from annotator.formats.detect import detect
from annotator.formats.emotions import MEGC3_LABELS, megc3, normalise_emotion
from annotator.formats.readers import FORMATS, read
from annotator.formats.readers.elan import frame_at, tier_role
from annotator.formats.readers.ids import casme_sq_video, normalise_subject, normalise_video, subject_id
from annotator.formats.records import (
    FRAME_FILE_NUMBER,
    FRAME_INDEX_0,
    FRAME_POSITION_1,
    FRAME_RELATIVE_1,
    FormatError,
    Provenance,
    RefusedRow,
    SentinelNote,
)
from annotator.formats.writers import ExportInterval, ExportVideo, write


def interval(record) -> tuple:
    return (record.subject, record.video, record.kind, record.onset, record.apex, record.offset)


# --- CASME II ---------------------------------------------------------------------------------


def casme2_rows():
    return [
        ["01", "EP02_01f", None, 46, 59, 86, None, "4+7+L10", "disgust", "IV"],
        [1, "EP03_02", None, 10, "/", 20.5, None, "12", "happiness", "I"],
        [1, "EP03_02", None, 10, "/", 20.5, None, "12", "happiness", "I"],  # duplicate
        [],
        ["2", "EP04", None, "abc", 5, 6, None, "", "others", ""],  # text onset
        ["2", "EP05", None, 30, 40, 20, None, "", "others", ""],  # onset after offset
        ["2", "EP06", None, 30, 90, 40, None, "14", "repression", "VII"],  # apex outside
        ["3", "EP07", None, "NULL", "", "", None, "", "others", ""],  # nothing known
    ]


def test_casme2_every_value(tmp_path):
    path = sheets.casme2(tmp_path / "CASME2-coding.xlsx", casme2_rows())
    report = read(path, "casme2")
    assert report.format == "casme2" and report.rows_read == 7
    assert [interval(r) for r in report.records] == [
        ("01", "EP02_01f", "ME", 46, 59, 86),
        ("1", "EP03_02", "ME", 10, None, 21),
        ("2", "EP06", "ME", 30, None, 40),
    ]
    first = report.records[0]
    assert (first.aus, first.emotion, first.extra) == ("4+7+L10", "disgust", {"objective_class": "IV"})
    assert first.frame_convention == FRAME_FILE_NUMBER
    assert first.provenance == Provenance(str(path), "Sheet1", 2)
    assert first.raw == {
        "Subject": "01",
        "Filename": "EP02_01f",
        "OnsetFrame": "46",
        "ApexFrame": "59",
        "OffsetFrame": "86",
        "Action Units": "4+7+L10",
        "Estimated Emotion": "disgust",
        "Objective Classes": "IV",
    }
    assert report.records[1].raw["OffsetFrame"] == "20.5"
    assert report.sentinels == [
        SentinelNote(3, "ApexFrame", "/", "unknown"),
        SentinelNote(3, "OffsetFrame", "20.5", "21"),
        SentinelNote(8, "apex", "90 outside [30, 40]", "unknown"),
    ]
    assert report.refused == [
        RefusedRow(4, "duplicate of row 3"),
        RefusedRow(6, "column OnsetFrame: 'abc' is not a frame number"),
        RefusedRow(7, "onset 30 is after offset 20"),
        RefusedRow(9, "neither onset nor offset is known"),
    ]
    assert report.warnings == ["Sheet1: skipped 1 empty row(s): 5"]


def test_every_row_is_accounted_for(tmp_path):
    report = read(sheets.casme2(tmp_path / "c.xlsx", casme2_rows()), "casme2")
    rows = {r.provenance.row for r in report.records} | {r.row for r in report.refused}
    assert rows == {2, 3, 4, 6, 7, 8, 9}  # row 5 is the empty one, named in the warnings


def test_fractional_frames_round_half_up(tmp_path):
    rows = [
        ["01", f"EP{i}", None, onset, None, 100, None, "", "", ""] for i, onset in enumerate([2.5, 3.5, 4.49])
    ]
    report = read(sheets.casme2(tmp_path / "c.xlsx", rows), "casme2")
    assert [r.onset for r in report.records] == [3, 4, 4]
    assert [(n.value, n.mapped_to) for n in report.sentinels if n.column == "OnsetFrame"] == [
        ("2.5", "3"),
        ("3.5", "4"),
        ("4.49", "4"),
    ]


def test_header_moved_down_is_found_and_reported(tmp_path):
    path = sheets.workbook(
        tmp_path / "c.xlsx", {"S": [["CASME II coding"], [], sheets.CASME2_HEADER, casme2_rows()[0]]}
    )
    report = read(path, "casme2")
    assert [interval(r) for r in report.records] == [("01", "EP02_01f", "ME", 46, 59, 86)]
    assert report.records[0].provenance.row == 4
    assert report.warnings == ["sheet 'S': header found on row 3, expected on row 1"]


def test_missing_columns_are_named(tmp_path):
    header = [h for h in sheets.CASME2_HEADER if h not in ("ApexFrame", "Estimated Emotion")]
    path = sheets.workbook(tmp_path / "c.xlsx", {"S": [header, ["01", "EP", 1, 2]]})
    with pytest.raises(FormatError, match=r"header on row 1 lacks column\(s\) ApexFrame, Estimated Emotion"):
        read(path, "casme2")


def test_no_header_within_search_window(tmp_path):
    path = sheets.workbook(
        tmp_path / "c.xlsx", {"S": [[f"note {i}"] for i in range(40)] + [sheets.CASME2_HEADER]}
    )
    with pytest.raises(FormatError, match="no header row in the first 30 rows"):
        read(path, "casme2")


def test_empty_sheet_and_empty_file(tmp_path):
    with pytest.raises(FormatError, match="the sheet is empty"):
        read(sheets.workbook(tmp_path / "c.xlsx", {"S": []}), "casme2")
    (tmp_path / "zero.xlsx").write_bytes(b"")
    with pytest.raises(FormatError, match="empty file"):
        read(tmp_path / "zero.xlsx", "casme2")
    with pytest.raises(FormatError, match="empty file"):
        detect(tmp_path / "zero.xlsx")


def test_corrupt_and_encrypted_workbooks(tmp_path):
    good = sheets.casme2(tmp_path / "c.xlsx", casme2_rows()).read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(good[: len(good) // 2])
    with pytest.raises(FormatError, match=r"cut.xlsx: corrupt .xlsx workbook"):
        read(tmp_path / "cut.xlsx", "casme2")
    with pytest.raises(FormatError, match="password-protected"):
        read(sheets.encrypted_xlsx(tmp_path / "locked.xlsx"), "casme2")
    with pytest.raises(FormatError, match="password-protected"):
        read(sheets.xls(tmp_path / "locked.xls", {"S": [sheets.CASME2_HEADER]}, encrypted=True), "casme2")
    (tmp_path / "bad.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    with pytest.raises(FormatError, match=r"bad.xls: corrupt .xls workbook"):
        read(tmp_path / "bad.xls", "casme2")
    (tmp_path / "notes.xlsx").write_text("hello")
    with pytest.raises(FormatError, match="not an Excel workbook"):
        read(tmp_path / "notes.xlsx", "casme2")


def test_sheet_of_another_format_is_refused(tmp_path):
    path = sheets.samm(tmp_path / "samm.xlsx", [])
    with pytest.raises(FormatError, match=r"header on row 14 lacks column\(s\) OnsetFrame"):
        read(path, "casme2")
    with pytest.raises(FormatError, match=r"no sheet 'AU\+Emotion' or 'label' \(sheets: MICRO_ONLY\)"):
        read(path, "casme3-a")


# --- SAMM and SAMM-LV -------------------------------------------------------------------------


def test_samm_banner_rows_and_capitalised_emotions(tmp_path):
    rows = [
        ["006", "006_1_2", 1, 5562, 5588, 5627, 66, "Micro - 1/2", "4+7", "Anger", "IV", ""],
        ["007", "007_6_1", 6, 2111, "-1", 2160, 50, "Micro - 1/2", "R12", "Happiness", "I", "check apex"],
    ]
    path = sheets.samm(tmp_path / "SAMM_Micro_FACS_Codes_v2.xlsx", rows)
    report = read(path, "samm")
    assert [interval(r) for r in report.records] == [
        ("006", "006_1_2", "ME", 5562, 5588, 5627),
        ("007", "007_6_1", "ME", 2111, None, 2160),
    ]
    second = report.records[1]
    assert (second.aus, second.emotion, second.notes) == ("R12", "Happiness", "check apex")
    assert second.extra == {
        "inducement_code": "6",
        "duration": "50",
        "micro": "Micro - 1/2",
        "objective_class": "I",
    }
    assert second.provenance == Provenance(str(path), "MICRO_ONLY", 16)
    assert report.sentinels == [SentinelNote(16, "Apex Frame", "-1", "unknown")]
    assert report.refused == [] and report.warnings == []


def test_samm_lv_types_sentinels_and_positions(tmp_path):
    rows = [
        ["006", "006_1", 1, 0, -1, 96, 96, "Macro", "12", ""],
        ["006", "006_1", 1, 1500.5, 1520, 1560, 61, "Micro - 1/2", "R14", "blink at end"],
        ["006", "006_2", 2, 10, 20, 30, 21, "Gesture", "", ""],
    ]
    report = read(sheets.samm_lv(tmp_path / "SAMM_LongVideos_V3_Release.xlsx", rows), "samm-lv")
    assert [interval(r) for r in report.records] == [
        ("006", "006_1", "MaE", None, None, 96),
        ("006", "006_1", "ME", 1501, 1520, 1560),
    ]
    assert all(r.frame_convention == FRAME_POSITION_1 for r in report.records)
    assert report.records[1].notes == "blink at end"
    assert report.sentinels == [
        SentinelNote(11, "Onset", "0", "unknown"),
        SentinelNote(11, "Apex", "-1", "unknown"),
        SentinelNote(12, "Onset", "1500.5", "1501"),
    ]
    assert report.refused == [RefusedRow(13, "type 'Gesture' is neither micro, macro nor blink")]
    assert report.warnings == ["row 12: Duration is 61, offset - onset + 1 is 60"]


# --- CAS(ME)^2 --------------------------------------------------------------------------------


def casme_sq_file(tmp_path: Path) -> Path:
    rows = [
        [1, "anger1_1", 557, 572, 608, "4+7", "negative", "macro-expression", "anger"],
        [1, "anger1_2", 1001, 0, 0, "L12", "others", "micro-expression", "sad"],
        [2, "happy1_1", 20, 25, 30, "12", "positive", "micro-expression", "happy"],
        [9, "anger1_1", 10, 12, 14, "4", "negative", "micro-expression", ""],
        [1, "unknown3_1", 10, 12, 14, "4", "negative", "micro-expression", ""],
    ]
    folders = [[15, "s15", 1], [16, "s16", 2]]
    codes = [["0401", "anger1"], [502, "happy1"]]
    return sheets.casme_sq(tmp_path / "CAS(ME)^2code_final.xlsx", rows, folders, codes)


def test_casme_sq_naming_rules_join(tmp_path):
    path = casme_sq_file(tmp_path)
    report = read(path, "casme-sq")
    assert [interval(r) for r in report.records] == [
        ("s15", "15_0401", "MaE", 557, 572, 608),
        ("s15", "15_0401", "ME", 1001, None, None),
        ("s16", "16_0502", "ME", 20, 25, 30),
    ]
    first = report.records[0]
    assert first.frame_convention == FRAME_POSITION_1
    assert (first.aus, first.emotion) == ("4+7", "negative")
    assert first.extra == {
        "participant": "1",
        "expression_id": "anger1_1",
        "video_name": "anger1",
        "self_reported_emotion": "anger",
    }
    assert first.provenance == Provenance(str(path), "CASFEcode_final", 1)
    assert report.sentinels == [
        SentinelNote(2, "apex (D)", "0", "unknown"),
        SentinelNote(2, "offset (E)", "0", "unknown"),
    ]
    assert report.refused == [
        RefusedRow(4, "participant '9' is not in sheet 'naming rule1'"),
        RefusedRow(5, "video name 'unknown3' of expression 'unknown3_1' is not in sheet 'naming rule2'"),
    ]


def test_casme_sq_without_naming_sheets(tmp_path):
    path = sheets.workbook(tmp_path / "c.xlsx", {"CASFEcode_final": [[1, "anger1_1", 1, 2, 3]]})
    with pytest.raises(FormatError, match="missing sheet\\(s\\) naming rule1, naming rule2"):
        read(path, "casme-sq")


# --- CAS(ME)^3 --------------------------------------------------------------------------------


def casme3_rows():
    return [
        ["spNO.1", "a", 10, 20, 30, "4+7，12", "Micro-expression", "I"],
        ["spNO.1", "b", 1.5, None, "/", "", "Macro-expression", "II"],
        ["spNO.2", "c", 50, 40, 45, "12", "Micro-expression", "I"],  # onset after offset
    ]


def casme3_checks(report, path: Path) -> None:
    assert [interval(r) for r in report.records] == [
        ("spNO.1", "a", "ME", 10, 20, 30),
        ("spNO.1", "b", "MaE", 2, None, None),
        ("spNO.1", "a", "blink", 3, None, 9),
    ]
    assert report.records[0].aus == "4+7，12" and report.records[0].extra == {"objective_class": "I"}
    assert report.records[2].provenance == Provenance(str(path), "eye blink", 2)
    assert report.sentinels == [
        SentinelNote(3, "Onset", "1.5", "2"),
        SentinelNote(3, "Apex", "(empty)", "unknown"),
        SentinelNote(3, "Offset", "/", "unknown"),
    ]
    assert report.refused == [RefusedRow(4, "onset 50 is after offset 45")]


def test_casme3_a_xls_via_xlrd(tmp_path):
    path = sheets.xls(
        tmp_path / "CAS(ME)3_part_A_v2.xls",
        {
            "AU+Emotion": [sheets.CASME3_A_HEADER, *casme3_rows()],
            "eye blink": [sheets.CASME3_BLINK_HEADER, ["spNO.1", "a", 3, 9]],
        },
    )
    assert detect(path)[0] == "casme3-a"
    casme3_checks(read(path), path)


def test_casme3_a_xlsx_and_one_sheet(tmp_path):
    path = sheets.casme3_a(tmp_path / "a.xlsx", casme3_rows(), [["spNO.1", "a", 3, 9]])
    casme3_checks(read(path, "casme3-a"), path)
    blinks = read(path, "casme3-a", sheet="eye blink")
    assert [interval(r) for r in blinks.records] == [("spNO.1", "a", "blink", 3, None, 9)]


def test_casme3_label_variant(tmp_path):
    rows = [["spNO.3", "d", 100, 110, 120, "L1+L2", "III", "surprise"]]
    report = read(sheets.casme3_label(tmp_path / "ME_label_JpgIndex_v2.xlsx", rows), "casme3-a")
    assert [interval(r) for r in report.records] == [("spNO.3", "d", "ME", 100, 110, 120)]
    assert (report.records[0].emotion, report.records[0].extra) == ("surprise", {"objective_class": "III"})


def test_casme3_c_commas_and_no_apex(tmp_path):
    rows = [["1", 1, 1200, 1260, "1,2，4", "surprise"], ["1", 2, 3000, 2990, "4", "anger"]]
    report = read(sheets.casme3_c(tmp_path / "CAS(ME)3_part_C_ME.xlsx", rows), "casme3-c")
    assert [interval(r) for r in report.records] == [("1", "1", "ME", 1200, None, 1260)]
    assert (report.records[0].aus, report.records[0].extra) == ("1,2，4", {"count": "1"})
    assert report.refused == [RefusedRow(3, "onset 3000 is after offset 2990")]


# --- SMIC -------------------------------------------------------------------------------------


def test_smic_e_three_mes_per_row_and_free_text(tmp_path):
    rows = [
        ["s1", "s1_ne_01", 100, 120, 21, 130, 140, 11, 200, 210, 12, "negative", 50, 300, 251],
        ["s2", "s2_po_02", 400, 410, 11, None, None, None, None, None, None, "positive", 380, 500, 121],
        ["s2", "s2_sur_01", 20, 10, 0, None, None, None, None, None, None, "surprise", 1, 80, 80],
    ]
    path = sheets.smic_e(tmp_path / "SMIC-HS-E_annotation.xlsx", rows, ["Note: frame numbers are absolute."])
    report = read(path)
    assert report.format == "smic-e"
    assert [(*interval(r), r.first_frame, r.extra["me_index"]) for r in report.records] == [
        ("s1", "s1_ne_01", "ME", 100, None, 120, 50, "1"),
        ("s1", "s1_ne_01", "ME", 130, None, 140, 50, "2"),
        ("s1", "s1_ne_01", "ME", 200, None, 210, 50, "3"),
        ("s2", "s2_po_02", "ME", 400, None, 410, 380, "1"),
    ]
    assert [r.provenance.row for r in report.records] == [2, 2, 2, 3]
    assert report.records[0].emotion == "negative" and report.records[1].extra["total_frames"] == "11"
    assert report.refused == [
        RefusedRow(4, "onset 20 is after offset 10"),
        RefusedRow(6, "free-text row, not a label: 'Note: frame numbers are absolute.'"),
    ]
    assert report.warnings == [
        "row 2: TotalMF3 is 12, offset - onset + 1 is 11",
        "Sheet1: skipped 1 empty row(s): 5",
    ]


def test_smic_folder_tree(tmp_path):
    root = sheets.smic_tree(
        tmp_path / "SMIC",
        {
            "HS/s1/micro/negative/s1_ne_01": range(1698, 1712),
            "HS/s1/micro/surprise/s1_sur_01": range(3, 10),
            "VIS/s2/micro/positive/s2_po_03": range(120, 125),
            "HS/s1/non_micro/s1_no_01": range(1, 5),
        },
    )
    report = read(root)
    assert report.format == "smic"
    assert [(*interval(r), r.emotion, r.first_frame) for r in report.records] == [
        ("s1", "s1_ne_01", "ME", 1698, None, 1711, "negative", 1698),
        ("s1", "s1_sur_01", "ME", 3, None, 9, "surprise", 3),
        ("s2", "s2_po_03", "ME", 120, None, 124, "positive", 120),
    ]
    assert report.records[0].extra == {"camera": "HS", "images": "14"}
    assert report.records[0].provenance == Provenance("HS/s1/micro/negative/s1_ne_01")
    assert report.warnings == [
        "1 image folder(s) outside a 'micro' folder not imported: HS/s1/non_micro/s1_no_01 ..."
    ]


def test_smic_folder_read_from_a_micro_folder(tmp_path):
    root = sheets.smic_tree(tmp_path / "s3" / "micro", {"negative/s3_ne_02": range(7, 9)})
    report = read(root, "smic")
    assert [(*interval(r), r.emotion) for r in report.records] == [
        ("s3", "s3_ne_02", "ME", 7, None, 8, "negative")
    ]


def test_smic_folder_without_micro(tmp_path):
    root = sheets.smic_tree(tmp_path / "x", {"a/b": range(2)})
    with pytest.raises(FormatError, match="no image folder under a 'micro' folder"):
        read(root, "smic")


# --- MMEW -------------------------------------------------------------------------------------


def test_mmew_relative_frames(tmp_path):
    rows = [
        ["S01", "S01-01-001", 1, 12, 30, "AU4+AU7", "disgust", "glasses"],
        ["S01", "S01-01-002", 5, 0, 25, "", "others", ""],
    ]
    report = read(sheets.mmew(tmp_path / "MMEW_Micro_Exp.xlsx", rows))
    assert report.format == "mmew"
    assert [interval(r) for r in report.records] == [
        ("S01", "S01-01-001", "ME", 1, 12, 30),
        ("S01", "S01-01-002", "ME", 5, None, 25),
    ]
    assert report.records[0].notes == "glasses" and report.records[0].frame_convention == FRAME_RELATIVE_1
    assert report.sentinels == [SentinelNote(3, "ApexFrame", "0", "unknown")]


# --- ELAN -------------------------------------------------------------------------------------


def test_elan_tiers_to_frames(tmp_path):
    # 200 fps: frame f starts at (f - 1) * 5 ms; an interval ends where the frame after its offset starts.
    path = sheets.eaf(
        tmp_path / "006_1.eaf",
        {
            "ME": [(100, 205, "first"), (1000, 1050, "")],
            "ME apex": [(150, 155, "apex")],
            "ME AUs": [(100, 205, "4+7")],
            "ME emotion": [(100, 205, "anger")],
            "MaE": [(2000, 3000, "")],
            "MaE AUs": [(2000, 3000, "12")],
            "Comments": [(0, 10, "x")],
        },
        media="file:///data/006_1.mp4",
    )
    assert detect(path)[0] == "eaf"
    report = read(path, fps=200)
    assert [interval(r) for r in report.records] == [
        ("", "006_1", "ME", 21, 31, 41),
        ("", "006_1", "ME", 201, None, 210),
        ("", "006_1", "MaE", 401, None, 600),
    ]
    first = report.records[0]
    assert (first.aus, first.emotion, first.notes, first.frame_convention) == (
        "4+7",
        "anger",
        "first",
        FRAME_POSITION_1,
    )
    assert report.records[2].aus == "12"  # the ME AUs tier does not leak into MaE
    assert first.provenance == Provenance(str(path), "ME", 1)
    assert report.warnings == ["tier 'Comments' is not one of the accepted tiers; not imported"]


def test_elan_needs_fps_and_a_kind_tier(tmp_path):
    path = sheets.eaf(tmp_path / "a.eaf", {"ME": [(0, 100, "")]})
    with pytest.raises(FormatError, match="give the video's fps"):
        read(path, "eaf")
    other = sheets.eaf(tmp_path / "b.eaf", {"words": [(0, 100, "")]})
    with pytest.raises(FormatError, match="no ME, MaE, blink or other tier"):
        read(other, "eaf", fps=30)
    (tmp_path / "c.eaf").write_text("<ANNOTATION_DOCUMENT><oops")
    with pytest.raises(FormatError, match="not a readable ELAN file"):
        read(tmp_path / "c.eaf", "eaf", fps=30)


def test_elan_tier_names_and_frame_rounding():
    assert tier_role("Micro-expressions") == ("ME", None)
    assert tier_role("macro_expression") == ("MaE", None)
    assert tier_role("Eye blink") == ("blink", None)
    assert tier_role("MaE AUs") == ("aus", "MaE")
    assert tier_role("micro emotion") == ("emotion", "ME")
    assert tier_role("Comments") is None
    # 30 fps: frame 2 starts at round(1000 / 30) = 33 ms, frame 3 at 67 ms
    assert [frame_at(ms, 30) for ms in (0, 33, 67, 16, 17)] == [1, 2, 3, 1, 2]


# --- generic CSV ------------------------------------------------------------------------------


def test_generic_csv(tmp_path):
    rows = [
        ["v1", "ME", 0, 3, 9, "4+7", "disgust", "sub01", "first frame is 0"],
        ["v1", "mae", 10, "", 20, "", "", "sub01", ""],
        ["v1", "wave", 1, 2, 3, "", "", "", ""],
        ["v2", "blink", -1, "NULL", 4, "", "", "", ""],
    ]
    path = sheets.csv_file(tmp_path / "labels.csv", rows)
    assert detect(path)[0] == "csv"
    report = read(path)
    assert [interval(r) for r in report.records] == [
        ("sub01", "v1", "ME", 0, 3, 9),
        ("sub01", "v1", "MaE", 10, None, 20),
        ("", "v2", "blink", None, None, 4),
    ]
    assert report.records[0].frame_convention == FRAME_INDEX_0
    assert report.records[0].notes == "first frame is 0" and report.records[0].provenance.row == 2
    assert report.refused == [RefusedRow(4, "kind 'wave' is not one of ME, MaE, blink, other")]
    assert report.sentinels == [
        SentinelNote(3, "apex", "(empty)", "unknown"),
        SentinelNote(5, "onset", "-1", "unknown"),
        SentinelNote(5, "apex", "NULL", "unknown"),
    ]


def test_generic_csv_missing_columns(tmp_path):
    path = sheets.csv_file(tmp_path / "x.csv", [["v", 1]], header=["video", "onset"])
    with pytest.raises(FormatError, match=r"lacks column\(s\) kind, apex, offset, aus, emotion"):
        read(path, "csv")


# --- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "build"),
    [
        ("casme2", lambda p: sheets.casme2(p, [])),
        ("samm", lambda p: sheets.samm(p, [])),
        ("samm-lv", lambda p: sheets.samm_lv(p, [])),
        ("casme-sq", casme_sq_file),
        ("casme3-a", lambda p: sheets.casme3_a(p, [], [])),
        ("casme3-a", lambda p: sheets.casme3_label(p, [])),
        ("casme3-c", lambda p: sheets.casme3_c(p, [])),
        ("smic-e", lambda p: sheets.smic_e(p, [])),
        ("mmew", lambda p: sheets.mmew(p, [])),
    ],
)
def test_detect_each_layout(tmp_path, fmt, build):
    target = tmp_path if fmt == "casme-sq" else tmp_path / "sheet.xlsx"
    path = build(target)
    found, reasons = detect(path)
    assert found == fmt and reasons and all(reasons)


def test_detect_lists_every_format_tried(tmp_path):
    path = sheets.workbook(tmp_path / "other.xlsx", {"Results": [["model", "F1"], ["x", 0.5]]})
    with pytest.raises(FormatError) as caught:
        detect(path)
    message = str(caught.value)
    assert "no known format fits" in message
    for name in FORMATS:
        assert f"  - {name}: " in message
    assert "casme2: other.xlsx, sheet 'Results': no header row in the first 30 rows" in message
    assert "samm: other.xlsx: no sheet named 'MICRO_ONLY' (sheets: Results)" in message
    assert "casme-sq: no sheet 'CASFEcode_final'" in message
    assert "smic: reads a folder, this is an Excel workbook" in message


# --- ids --------------------------------------------------------------------------------------


def test_subject_and_video_ids():
    assert {normalise_subject(s) for s in ("01", "1", "sub01", "s1", "S01", "spNO.1", " 1 ")} == {"1"}
    assert normalise_subject("006") == normalise_subject("6") == "6"
    assert normalise_subject("Anna") == "anna"
    assert subject_id("sub01").written == "sub01" and subject_id("sub01").normalised == "1"
    assert normalise_video("15_0401girlcrashing") == normalise_video("15_0401") == "15_0401"
    assert normalise_video("EP02_01f") == "ep02_01f"
    assert casme_sq_video("15", "401") == "15_0401"


# --- emotions ---------------------------------------------------------------------------------


def test_emotion_vocabularies():
    assert normalise_emotion("Anger", "samm") == "anger"
    assert normalise_emotion(" Other ", "samm") == "other"
    assert normalise_emotion("Others", "casme2") == normalise_emotion("other", "casme2") == "others"
    assert normalise_emotion("repression", "samm") is None  # not a SAMM label
    assert normalise_emotion("happy", "casme3-a") == "happiness"
    assert [
        normalise_emotion(e, "casme-sq") for e in ("Negative", "positive", "SURPRISE", "others", "anger")
    ] == [
        "negative",
        "positive",
        "surprise",
        "others",
        None,
    ]
    assert normalise_emotion("ne", "smic-e") == "negative"
    with pytest.raises(ValueError, match="no emotion vocabulary for 'fer2013'"):
        normalise_emotion("happy", "fer2013")


def test_megc_three_classes_with_the_casme2_exception():
    assert [
        megc3(e, "casme2")
        for e in ("disgust", "repression", "sadness", "fear", "happiness", "surprise", "others")
    ] == [
        "negative",
        "negative",
        None,
        None,
        "positive",
        "surprise",
        None,
    ]
    samm = ("Anger", "Contempt", "Disgust", "Fear", "Sadness", "Happiness", "Surprise", "Other")
    assert [megc3(e, "samm") for e in samm] == ["negative"] * 5 + ["positive", "surprise", None]
    assert [megc3(e, "smic") for e in ("negative", "positive", "surprise")] == [
        "negative",
        "positive",
        "surprise",
    ]
    assert MEGC3_LABELS == {"negative": 0, "positive": 1, "surprise": 2}


# --- round trip with the exporters ------------------------------------------------------------

CASME_VIDEO = ExportVideo("c1", "sub01", 200.0, 100, 46, "EP02_01f")
LONG_VIDEO = ExportVideo("l1", "006", 200.0, 2000, 1, "006_1", "006_1")
SQ_VIDEO = ExportVideo("q1", "s15", 30.0, 1000, 1, "15_0401girlcrashing", "15_0401")


@pytest.mark.parametrize(
    ("fmt", "video", "expected"),
    [
        ("casme2", CASME_VIDEO, [(46, 59, 86), (96, None, 106)]),  # image numbers: index + 46
        ("samm-lv", LONG_VIDEO, [(1, 14, 41), (51, None, 61)]),  # 1-based positions
        ("casme-sq", SQ_VIDEO, [(1, 14, 41), (51, None, 61)]),
        ("mmew", CASME_VIDEO, [(1, 14, 41), (51, None, 61)]),  # clip-relative 1..N
        ("eaf", CASME_VIDEO, [(1, 14, 41), (51, None, 61)]),
        ("csv", CASME_VIDEO, [(0, 13, 40), (50, None, 60)]),  # 0-based indices
    ],
)
def test_exported_files_read_back(tmp_path, fmt, video, expected):
    intervals = [
        ExportInterval(video, "ME", 0, 13, 40, "4+7", "negative"),
        ExportInterval(video, "ME", 50, None, 60, "12", "positive"),
    ]
    out = tmp_path / {"eaf": "eaf", "csv": "labels.csv"}.get(fmt, "sheet.xlsx")
    write(fmt, intervals, out)
    path = next(out.iterdir()) if out.is_dir() else out
    assert detect(path)[0] == fmt
    report = read(path, fps=video.fps) if fmt == "eaf" else read(path)
    assert [(r.onset, r.apex, r.offset) for r in report.records] == expected
    assert [(r.kind, r.aus) for r in report.records] == [("ME", "4+7"), ("ME", "12")]
    assert report.refused == []

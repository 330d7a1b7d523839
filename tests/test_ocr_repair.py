"""Domain repair rules (extract/ocr/repairs.toml, extract/ocr/repair.py), table-driven with exact
values; the comparison sign read from synthetic and font-drawn glyphs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from perfdecl.extract.ocr.engines import OcrLine
from perfdecl.extract.grid import CellRepair
from perfdecl.extract.ocr.repair import (Repairer, load_rules,
                                         lone_sign, repair_amount, sign_from_glyph)
from perfdecl.models import BudgetItem, Form
from perfdecl.normalize.cells import cell_labels
from perfdecl.normalize.checks import check_repaired_sums


@pytest.fixture(scope="module")
def repairer():
    return Repairer(labels=cell_labels())


CONFUSIONS = [
    ("预算金额(万元)", "预算金额（万元）"),
    ("预算金额(万元）", "预算金额（万元）"),
    ("拟投入的资金（万元)", "拟投入的资金（万元）"),
    ("项目验收合格率(%)", "项目验收合格率（%）"),
    ("拟投入的资金(万\n元)", "拟投入的资金（万\n元）"),
    ("城乡居民(", "城乡居民（"),
    ("目标1:城乡居民", "目标1：城乡居民"),
    ("县按照1:1:1比例", "县按照1:1:1比例"),
    ("工作,促进", "工作，促进"),
    ("1,140", "1,140"),
    ("人才;采取", "人才；采取"),
    ("促进创业带动就业.", "促进创业带动就业。"),
    ("≥4.5亿元", "≥4.5亿元"),
    ('"三支一扶"人员', "“三支一扶”人员"),
    ('“三支一扶"人员', "“三支一扶”人员"),
    ("专项资金〈含贴息资金)", "专项资金（含贴息资金）"),
    ("Wi Fi (2.4G)", "Wi Fi (2.4G)"),
]


@pytest.mark.parametrize("read, repaired", CONFUSIONS)
def test_confusions(repairer, read, repaired):
    assert repairer.confuse(read).text == repaired


AMOUNTS = [
    ("269.652.59", "269,652.59"),
    ("4,192,11", "4,192.11"),
    ("4,192.11", "4,192.11"),
    ("10.610.00", "10,610.00"),
    ("72807,38", "72807.38"),
    ("0,00", "0.00"),
    ("269,.652.59", "269,652.59"),
    ("1,715.52", "1,715.52"),
    ("1,140", "1,140"),        # thousands, no decimals: as printed
    ("1.140", "1.140"),        # three digits after the only separator: ambiguous, left alone
    ("12,3456", "12,3456"),
    ("1234,567.89", "1234,567.89"),
    ("18862", "18862"),
    ("≥95%", "≥95%"),
    ("", ""),
]


@pytest.mark.parametrize("read, repaired", AMOUNTS)
def test_amount_separators(read, repaired):
    assert repair_amount(read) == repaired


LABELS = [
    ("预算金颔（万元）", "预算金额（万元）"),
    ("拟用于对下转移支付资全", "拟用于对下转移支付资金"),
    ("其他事业发展性支岀", "其他事业发展性支出"),
    ("年度重点工作仼务", "年度重点工作任务"),
    ("基本支出", None),                 # exact: nothing to do
    ("服务对象满意度", None),            # an indicator name, not the label 服务对象满意度指标
    ("补贴发放准确率", None),
    ("名秤", None),                     # too short to snap safely
]


@pytest.mark.parametrize("read, label", LABELS)
def test_label_snapping(repairer, read, label):
    assert repairer.snap_label(read) == label


def test_repair_cell_records_its_rules(repairer):
    fixed = repairer.repair_cell("269.652.59")
    assert (fixed.text, fixed.rules) == ("269,652.59", ["amount"])
    fixed = repairer.repair_cell("预算金额(万元)")
    assert (fixed.text, fixed.rules) == ("预算金额（万元）", ["brackets"])
    fixed = repairer.repair_cell("预算金颔(万元)")
    assert (fixed.text, fixed.rules) == ("预算金额（万元）", ["brackets", "label"])
    assert repairer.repair_cell("协调落实广州市").rules == []


# ---------------------------------------------------------------------------------------------
# signs from the glyph
def _sign_image(sign: str, size: int = 40) -> tuple[np.ndarray, tuple]:
    """A text line "<sign>95%" drawn with lines: the sign, then two digit-like blobs."""
    img = np.full((size * 2, size * 5), 255, np.uint8)
    top, mid, bottom = size // 2, size // 2 + size * 3 // 8, size // 2 + size * 3 // 4
    left, right = 10, 10 + size // 2
    if sign in "≥>":
        cv2.line(img, (left, top), (right, mid), 0, 3)
        cv2.line(img, (right, mid), (left, bottom - (6 if sign == "≥" else 0)), 0, 3)
    elif sign in "≤<":
        cv2.line(img, (right, top), (left, mid), 0, 3)
        cv2.line(img, (left, mid), (right, bottom - (6 if sign == "≤" else 0)), 0, 3)
    if sign in "≥≤":
        cv2.line(img, (left, bottom + 4), (right, bottom + 4), 0, 3)
    if sign == "=":
        cv2.line(img, (left, mid - 6), (right, mid - 6), 0, 3)
        cv2.line(img, (left, mid + 6), (right, mid + 6), 0, 3)
    for k in range(2):  # "95"
        x = right + 12 + k * (size // 2 + 6)
        cv2.rectangle(img, (x, top), (x + size // 2, bottom + 4), 0, 3)
    return img, (5, top - 5, img.shape[1] - 5, bottom + 10)


@pytest.mark.parametrize("sign", ["≥", "≤", ">", "<", "="])
def test_sign_from_drawn_glyph(sign):
    img, box = _sign_image(sign)
    assert sign_from_glyph(img, box) == sign


FONTS = [Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
         Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")]


@pytest.mark.parametrize("sign", ["≥", "≤", "≧", "≦"])
@pytest.mark.parametrize("px", [28, 42])
def test_sign_from_font_glyph(sign, px):
    font_path = next((f for f in FONTS if f.exists()), None)
    if font_path is None:
        pytest.skip("no font with ≥ ≤ installed")
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path), px)
    im = Image.new("L", (px * 6, px * 2), 255)
    ImageDraw.Draw(im).text((px // 2, px // 2), f"{sign}95%", font=font, fill=0)
    img = np.asarray(im)
    ys, xs = np.nonzero(img < 128)
    box = (xs.min() - 2, ys.min() - 2, xs.max() + 2, ys.max() + 2)
    assert sign_from_glyph(img, box) == {"≧": "≥", "≦": "≤"}.get(sign, sign)


@pytest.mark.parametrize("read, drawn, repaired", [
    ("三95%", "≥", "≥95%"),       # tesseract chi_sim has no ≥ ≤: 三 二 = for both
    ("二130个", "≥", "≥130个"),
    ("三0%", "≤", "≤0%"),
    ("=1.4万人", "≥", "≥1.4万人"),
    ("<30天", "≤", "≤30天"),       # low confidence: checked against the glyph
    ("295%", "≥", "≥95%"),         # tesseract reads ≧ as 2: the glyph has a bar standing apart
    ("过95%", "≥", "≥95%"),
    ("约95%", "=", None),          # not a chevron: a word stays
    (">=23亿", "≥", "≥23亿"),      # a sign spelt with two characters
    ("=160亿,", "≥", "≥160亿"),    # a speck read after the value
    ("≥90%", "≥", None),           # right already
    ("三支一扶", "≥", None),        # no number after it: not a target
])
def test_target_sign_rule(repairer, read, drawn, repaired):
    img, box = _sign_image(drawn)
    fixed = repairer.repair_cell(read, [OcrLine(read, box, 0.5)], img, 0.5)
    assert fixed.text == (repaired or read)
    assert ("sign" in fixed.rules) == (repaired is not None)


@pytest.mark.parametrize("text", ["2000人", "2.5亿元", "25%"])
def test_a_real_digit_two_stays(repairer, text):
    img = np.full((80, 300), 255, np.uint8)
    cv2.putText(img, text.encode("ascii", "ignore").decode() or "2", (10, 55),
                cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3)
    ys, xs = np.nonzero(img < 128)
    box = (xs.min() - 2, ys.min() - 2, xs.max() + 2, ys.max() + 2)
    assert repairer.repair_cell(text, [OcrLine(text, box, 0.6)], img, 0.6).text == text


def _bars_cell(profile: list[int], width: int, top_inset: int = 0) -> tuple[np.ndarray, tuple]:
    """A sign column's cell (rules around it) holding one glyph of horizontal bars, row by row
    the grey levels of `profile` (a scan's rows through =, ═ or a dash); `top_inset` shortens the
    first bar at both ends (二)."""
    img = np.full((60, 80), 255, np.uint8)
    img[[0, -1], :] = 0
    img[:, [0, -1]] = 0
    y0, x0 = 30 - len(profile) // 2, 40 - width // 2
    for i, grey in enumerate(profile):
        inset = top_inset if i < len(profile) // 2 else 0
        img[y0 + i, x0 + inset:x0 + width - inset] = grey
    return img, (0, 0, 80, 60)


@pytest.mark.parametrize("profile, width, top_inset, sign", [
    ([40, 40, 255, 255, 255, 255, 40, 40], 14, 0, "="),          # = (300 dpi scan of form 16)
    ([57, 158, 143, 75], 31, 0, "═"),                            # ═: bars a pixel apart, 200 dpi
    ([221, 167, 121, 150, 111, 143, 210], 31, 0, "═"),           # ═ blurred (degraded scan)
    ([40, 40, 255, 255, 255, 255, 40, 40], 14, 3, None),         # 二: the top bar is shorter
    ([60, 60, 60, 60], 31, 0, None),                             # one thick bar: a dash
    ([40, 40, 255, 255, 40, 40, 255, 255, 40, 40], 14, 0, None),  # 三
])
def test_lone_sign_of_bars(repairer, profile, width, top_inset, sign):
    img, cell = _bars_cell(profile, width, top_inset)
    assert lone_sign(img, cell) == sign
    # the engine read the cell as nothing, or as 二: the glyph decides; a dash stays a dash
    for read in ("", "二", "一"):
        fixed = repairer.repair_cell(read, [], img, 0.9, cell)
        assert (fixed.text, fixed.rules) == ((sign, ["lone_sign"]) if sign and sign != read
                                             else (read, []))


@pytest.mark.parametrize("stroke, read, repaired", [
    ((10, 3), "1", "-"),     # a short dash alone in a unit cell, read as 1
    ((14, 2), "l", "-"),
    ((3, 20), "1", "1"),     # a real 1 stands taller than wide
    ((10, 3), "2", "2"),     # only the characters listed in repairs.toml are doubted
])
def test_lone_dash(repairer, stroke, read, repaired):
    img = np.full((50, 80), 255, np.uint8)
    img[[0, -1], :] = 0
    img[:, [0, -1]] = 0
    w, h = stroke
    img[25 - h // 2:25 - h // 2 + h, 40 - w // 2:40 - w // 2 + w] = 0
    fixed = repairer.repair_cell(read, [], img, 0.8, (0, 0, 80, 50))
    assert (fixed.text, fixed.rules) == ((repaired, ["lone_dash"]) if repaired != read else (read, []))


def test_lone_sign_read_as_a_letter_needs_a_chevron(repairer):
    font_path = next((f for f in FONTS if f.exists()), None)
    if font_path is None:
        pytest.skip("no font with ≥ installed")
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(font_path), 30)
    for sign, expected in (("≧", "≥"), ("=", "M")):
        im = Image.new("L", (80, 60), 255)
        draw = ImageDraw.Draw(im)
        draw.rectangle((0, 0, 79, 59), outline=0)
        draw.text((25, 10), sign, font=font, fill=0)
        fixed = repairer.repair_cell("M", [], np.asarray(im), 0.9, (0, 0, 80, 60))
        assert fixed.text == expected


def test_confident_sign_is_not_second_guessed(repairer):
    img, box = _sign_image("<")
    fixed = repairer.repair_cell("≤30天", [OcrLine("≤30天", box, 0.99)], img, 0.99)
    assert fixed.text == "≤30天"


def test_rules_are_data():
    rules = load_rules()
    assert {c["name"] for c in rules["confusions"]} >= {"brackets", "comma", "colon"}
    assert "三" in rules["targets"]["misread"] and rules["targets"]["glyph"]["right_bar"] == "≥"
    assert rules["amounts"] == {"decimal_places": 2, "thousands": ",", "decimal": "."}


# ---------------------------------------------------------------------------------------------
def _form(amounts: dict[str, float], page=1) -> Form:
    items = []
    for k, (name, value) in enumerate(amounts.items()):
        items.append(BudgetItem(group="g", item=name, amount=value, unit="万元",
                                amount_raw=f"{value:,.2f}", page=page,
                                bbox=(100, 100 + 20 * k, 300, 118 + 20 * k)))
    return Form(title="t", form_type="department", budget=items)


def test_repaired_amount_checked_by_the_budget_sums():
    form = _form({"基本支出": 4192.11, "项目支出": 265460.48, "市本级使用资金": 269652.59,
                  "拟用于对下转移支付资金": 0.0})
    rep = CellRepair(page=1, bbox=(200, 141, 290, 157), before="269.652.59", after="269,652.59",
                     rules=["amount"], confidence=0.9)
    verdict = check_repaired_sums([form.budget], [rep])
    assert verdict == {0: "基本支出+项目支出 = 市本级使用资金+拟用于对下转移支付资金 holds"}
    bad = _form({"基本支出": 4192.11, "项目支出": 265460.48, "市本级使用资金": 26965.259,
                 "拟用于对下转移支付资金": 0.0})
    rep_bad = CellRepair(page=1, bbox=(200, 141, 290, 157), before="26.965.259",
                         after="26,965.26", rules=["amount"], confidence=0.9)
    bad.budget[2].amount_raw = "26,965.26"
    assert "does not hold" in check_repaired_sums([bad.budget], [rep_bad])[0]

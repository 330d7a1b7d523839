"""Each block reader on small hand-built tables: what it reads, found by the roles of its labels
and headers, wherever they stand in the grid."""

import tomllib
from pathlib import Path

import pytest

from perfdecl.extract.grid import Table, TextLine
from perfdecl.normalize.blocks import (BLOCK_READERS, PAIRS, READERS, Block, BlockReader,
                                       BudgetReader, FactsReader, FormContext, FormDraft, FormParts,
                                       GoalsReader, IndicatorColumns, IndicatorsReader, MetaReader,
                                       TasksReader)
from perfdecl.normalize.forms import FormAssembler
from perfdecl.normalize.vocabulary import vocabulary

from samplecases import grid


def readers(title: str = "项目支出绩效目标表", lines: tuple[str, ...] = (),
            table: Table | None = None) -> FormContext:
    items = [TextLine(text, 1, (0.0, 0.0, 100.0, 10.0)) for text in lines]
    draft = FormDraft(title=title, title_page=1, items=items + ([table] if table else []))
    context = FormContext(vocabulary(), draft, "x.pdf")
    context.open_readers(READERS)
    return context


def read_block(context: FormContext, cls: type[BlockReader], block: Block, table: Table,
               rows: range, label_col: int | None = 0) -> FormParts:
    """Start `block` in the reader, feed it `rows` (less the label cell), end it, finish."""
    reader = context.reader(cls)
    reader.start(block)
    for r in rows:
        cells = table.row_cells(r)
        reader.feed(table, r, [c for c in cells if label_col is None or c.col != label_col])
    reader.end()
    parts = FormParts()
    reader.finish(parts)
    return parts


def brief(records, *names: str) -> list[tuple]:
    return [tuple(getattr(rec, n) for n in names) for rec in records]


def test_every_block_of_the_vocabulary_has_a_reader():
    with (Path(__file__).parent.parent / "normalize" / "labels.toml").open("rb") as fh:
        blocks = tomllib.load(fh)["blocks"]
    assert set(blocks) | {PAIRS} == set(BLOCK_READERS)
    assert BLOCK_READERS[PAIRS] == (MetaReader, BudgetReader)  # fields and stand-alone amounts
    assert BLOCK_READERS["other_tasks"] == (TasksReader,)
    assert all(issubclass(cls, BlockReader) for cls in READERS)


# -- meta ---------------------------------------------------------------------------------------

def test_meta_reads_title_year_unit_and_fields_table_first():
    table = grid((0, 0, "项目名称"), (0, 1, "职业技能培训"), (0, 2, "实施单位"), (0, 3, "市就业中心"),
                 n_cols=4)
    context = readers("2024年项目支出绩效目标表", ("金额单位：元", "主管部门：市人社局"), table)
    meta = context.reader(MetaReader)
    for line in ("金额单位：元", "主管部门：市人社局"):
        meta.read_line(line)
    parts = read_block(context, MetaReader, Block(PAIRS), table, range(1), label_col=None)
    assert parts.fields == {"title": "2024年项目支出绩效目标表", "form_type": "project",
                            "year": 2024, "department": "市就业中心",
                            "project_name": "职业技能培训"}
    assert meta.unit == "元"  # stated above the table; no line field of its own


def test_meta_department_form_names_its_own_department_first():
    context = readers("部门整体支出绩效目标表", ("主管部门：市财政局", "部门名称：市协作办"))
    meta = context.reader(MetaReader)
    for line in ("主管部门：市财政局", "部门名称：市协作办"):
        meta.read_line(line)
    assert (meta.form_type, meta.department(), meta.year, meta.unit) == \
        ("department", "市协作办", None, "万元")


# -- budget -------------------------------------------------------------------------------------

def test_budget_block_with_two_dimensional_headers():
    """年初预算数 | 全年预算数 | 全年执行数 side by side: each column's header is the group, the row
    label the item, the unit the block label's brackets."""
    table = grid((0, 0, "项目资金（万元）", 3, 1), (0, 1, ""), (0, 2, "年初预算数"), (0, 3, "全年预算数"),
                 (0, 4, "全年执行数"),
                 (1, 1, "财政拨款"), (1, 2, "100.00"), (1, 3, "120.00"), (1, 4, "110.50"),
                 (2, 1, "其他资金"), (2, 2, "10"), (2, 3, ""), (2, 4, "5"), n_cols=5)
    parts = read_block(readers(), BudgetReader, Block("budget", "项目资金（万元）", range(0, 3)),
                       table, range(3))
    assert brief(parts.fields["budget"], "group", "item", "amount", "unit", "amount_raw") == [
        ("年初预算数", "财政拨款", 100.0, "万元", "100.00"),
        ("年初预算数", "其他资金", 10.0, "万元", "10"),
        ("全年预算数", "财政拨款", 120.0, "万元", "120.00"),
        ("全年预算数", "其他资金", None, "万元", None),
        ("全年执行数", "财政拨款", 110.5, "万元", "110.50"),
        ("全年执行数", "其他资金", 5.0, "万元", "5"),
    ]


def test_budget_header_pairs_a_group_label_with_its_amount_column():
    table = grid((0, 0, "预算情况", 3, 1), (0, 1, "收入来源"), (0, 2, "预算金额（元）"),
                 (1, 1, "财政拨款"), (1, 2, "3,309,840.00"),
                 (2, 1, "合计"), (2, 2, "3,309,840.00"), n_cols=3)
    parts = read_block(readers(), BudgetReader, Block("budget", "预算情况", range(0, 3)),
                       table, range(3))
    assert brief(parts.fields["budget"], "group", "item", "amount", "unit") == [
        ("收入来源", "财政拨款", 3309840.0, "元"), ("收入来源", "合计", 3309840.0, "元")]


def test_pairs_row_gives_fields_to_meta_and_standalone_amounts_to_budget():
    table = grid((0, 0, "项目名称"), (0, 1, "主体班"), (0, 2, "项目金额"), (0, 3, "164万元"),
                 (0, 4, "其中:当年市级财政资金（万元）"), (0, 5, "132"), n_cols=6)
    context = readers(lines=("金额单位：万元",), table=table)
    context.reader(MetaReader).start(Block(PAIRS))
    context.reader(MetaReader).feed(table, 0, table.row_cells(0))
    parts = read_block(context, BudgetReader, Block(PAIRS), table, range(1), label_col=None)
    assert context.reader(MetaReader).fields == {"project_name": "主体班"}
    assert brief(parts.fields["budget"], "group", "item", "amount", "unit", "amount_raw") == [
        ("项目金额", "项目金额", 164.0, "万元", "164万元"),
        ("其中:当年市级财政资金", "其中:当年市级财政资金", 132.0, "万元", "132")]


# -- goals --------------------------------------------------------------------------------------

def test_goals_block_with_period_and_annual_goals_under_a_header_row():
    period = "到2026年全市职业技能培训覆盖率达到百分之九十以上"
    annual = "2024年完成职业技能培训一万二千人次，就业率不低于八成"
    table = grid((0, 0, "总体绩效目标", 2, 1), (0, 1, "中期目标"), (0, 2, "年度目标"),
                 (1, 1, period), (1, 2, annual), n_cols=3)
    parts = read_block(readers(), GoalsReader, Block("overall_goal", "总体绩效目标", range(0, 2)),
                       table, range(2))
    assert parts.fields == {"overall_goal": annual, "goals": {"中期目标": period}}


def test_goals_printed_as_label_text_pairs():
    """`label | text` pairs (goal texts longer than any label)."""
    table = grid((0, 0, "绩效目标", 2, 1), (0, 1, "实施期目标"), (0, 2, "三年内建成区域职业技能培训基地并全面投入使用"),
                 (1, 1, "年度目标"), (1, 2, "年内完成培训基地主体工程建设和全部设备采购"), n_cols=3)
    parts = read_block(readers(), GoalsReader, Block("overall_goal", "绩效目标", range(0, 2)),
                       table, range(2))
    assert parts.fields == {"overall_goal": "年内完成培训基地主体工程建设和全部设备采购",
                            "goals": {"实施期目标": "三年内建成区域职业技能培训基地并全面投入使用"}}


# -- tasks --------------------------------------------------------------------------------------

def test_tasks_by_their_column_roles_and_the_other_task_row():
    table = grid((0, 0, "年度重点工作任务", 3, 1), (0, 1, "任务名称"), (0, 2, "主要实施内容"),
                 (0, 3, "拟投入的资金（万元）"), (0, 4, "期望达到的目标"),
                 (1, 1, "技能培训"), (1, 2, "开展企业职工培训"), (1, 3, "50"), (1, 4, "培训1000人次"),
                 (2, 1, "创业补贴"), (2, 2, "发放一次性创业补贴"), (2, 3, ""), (2, 4, "扶持创业200人"),
                 (3, 0, "其他需完成的任务"), (3, 1, "宣传活动拟投入资金：10", 1, 4), n_cols=5)
    context = readers()
    tasks = context.reader(TasksReader)
    read_block(context, TasksReader, Block("tasks", "年度重点工作任务", range(0, 3)), table, range(3))
    parts = read_block(context, TasksReader, Block("other_tasks", "其他需完成的任务", range(3, 4)),
                       table, range(3, 4))
    assert parts.fields["tasks"] is tasks.tasks
    assert brief(tasks.tasks, "name", "content", "funds", "funds_unit", "expected_goal",
                 "funds_raw") == [
        ("技能培训", "开展企业职工培训", 50.0, "万元", "培训1000人次", "50"),
        ("创业补贴", "发放一次性创业补贴", None, "万元", "扶持创业200人", None),
        ("宣传活动", None, 10.0, "万元", None, "10")]


def test_a_task_header_starts_the_tasks_block_without_its_label():
    """A page break printed the tasks block's merged label on a later row only: the header row,
    its label cell empty, still starts the block by its column roles."""
    table = grid((0, 0, "总体绩效目标"), (0, 1, "完成年度就业目标", 1, 4),
                 (1, 0, ""), (1, 1, "名称"), (1, 2, "主要实施内容"), (1, 3, "拟投入的资金（万元）"),
                 (1, 4, "期望达到的目标（概述）"),
                 (2, 0, "年度重点工作任务", 2, 1), (2, 1, "技能培训"), (2, 2, "开展企业职工培训"),
                 (2, 3, "50"), (2, 4, "培训1000人次"),
                 (3, 1, "创业补贴"), (3, 2, "发放一次性创业补贴"), (3, 3, "20"), (3, 4, "扶持创业200人"),
                 n_cols=5)
    draft = FormDraft(title="2024年部门整体预算绩效目标表", title_page=1, items=[table])
    [form], _ = FormAssembler(draft, "x.pdf").build()
    assert form.overall_goal == "完成年度就业目标"
    assert brief(form.tasks, "name", "content", "funds", "funds_unit", "expected_goal") == [
        ("技能培训", "开展企业职工培训", 50.0, "万元", "培训1000人次"),
        ("创业补贴", "发放一次性创业补贴", 20.0, "万元", "扶持创业200人")]
    # two task roles are not enough to start a block on their own (名称 | 资金 is any table)
    assert TasksReader.header_block(vocabulary(), table, 1, table.row_cells(1)[:3]) is None


# -- facts --------------------------------------------------------------------------------------

def test_facts_label_figure_pairs():
    table = grid((0, 0, "基本信息"), (0, 1, "财政供养人员数（人）"), (0, 2, "737"),
                 (0, 3, "下属二级单位数"), (0, 4, "10"), n_cols=5)
    parts = read_block(readers(), FactsReader, Block("basic_info", "基本信息", None), table, range(1))
    assert brief(parts.fields["facts"], "group", "item", "value", "unit", "raw") == [
        ("基本信息", "财政供养人员数", 737.0, "人", "737"),
        ("基本信息", "下属二级单位数", 10.0, None, "10")]


# -- indicators ---------------------------------------------------------------------------------

def _indicators(table: Table, header_row: int, label_col: int | None) -> tuple[Block, FormParts]:
    vocab = vocabulary()
    content = [c for c in table.row_cells(header_row) if c.col != label_col]
    block = IndicatorsReader.header_block(vocab, table, header_row, content)
    assert block is not None
    parts = read_block(readers(), IndicatorsReader, block, table,
                       range(header_row + block.header_rows, table.n_rows), label_col)
    return block, parts


def test_indicator_header_at_a_column_offset_with_a_label_column_beside_it():
    """The header starts in the third grid column, a 绩效指标 label spans the rows on its left and
    a blank column stands between: every column is found by its header's role."""
    table = grid((0, 0, "绩效指标", 4, 1), (0, 1, "", 4, 1),
                 (0, 2, "一级指标"), (0, 3, "二级指标"), (0, 4, "三级指标"), (0, 5, "指标性质"),
                 (0, 6, "指标值"), (0, 7, "计量单位"), (0, 8, "指标方向"),
                 (1, 2, "产出指标", 2, 1), (1, 3, "数量指标"), (1, 4, "培训人数"), (1, 5, "≥"),
                 (1, 6, "1000"), (1, 7, "人次"), (1, 8, "正向"),
                 (2, 3, "质量指标"), (2, 4, "培训合格率"), (2, 5, "≥"), (2, 6, "95"), (2, 7, "%"),
                 (2, 8, "正向"),
                 (3, 2, "效益指标"), (3, 3, "社会效益指标"), (3, 4, "就业率"), (3, 5, "定性"),
                 (3, 6, "明显提高"), (3, 7, "/"), (3, 8, ""), n_cols=9)
    block, parts = _indicators(table, 0, label_col=0)
    columns = block.header
    assert isinstance(columns, IndicatorColumns)
    assert (columns.roles, columns.extra, block.header_rows) == (
        {"level1": [2], "level2": [3], "name": [4], "sign": [5], "annual_value": [6], "unit": [7]},
        [("指标方向", 8)], 1)
    inds = parts.fields["indicators"]
    assert brief(inds, "level1", "level1_code", "level2", "level2_code", "name", "extra") == [
        ("产出指标", "output", "数量指标", "quantity", "培训人数", {"指标方向": "正向"}),
        ("产出指标", "output", "质量指标", "quality", "培训合格率", {"指标方向": "正向"}),
        ("效益指标", "benefit", "社会效益指标", "social", "就业率", {})]
    assert [(t.raw, t.kind, t.op, t.value, t.unit) for t in (i.annual_target for i in inds)] == [
        ("≥1000人次", "numeric", ">=", 1000, "人次"), ("≥95%", "numeric", ">=", 95, "%"),
        ("明显提高", "qualitative", None, None, None)]
    assert all(i.period_target is None for i in inds)
    assert parts.warnings == [] and parts.projects == []


def test_indicator_header_on_two_rows_splits_its_value_columns_by_year():
    """指标值 over 2023年实际完成值 | 2024年目标值: the declared year's column is the target, the
    reported value goes to extra; the data starts below the second header row."""
    table = grid((0, 0, "一级指标", 2, 1), (0, 1, "二级指标", 2, 1), (0, 2, "三级指标", 2, 1),
                 (0, 3, "指标值", 1, 2), (0, 5, "权重", 2, 1),
                 (1, 3, "2023年实际完成值"), (1, 4, "2024年目标值"),
                 (2, 0, "产出指标"), (2, 1, "时效指标"), (2, 2, "完成时间"), (2, 3, "2023年12月"),
                 (2, 4, "2024年11月底前"), (2, 5, "10"), n_cols=6)
    block, parts = _indicators(table, 0, label_col=None)
    assert (block.header.roles, block.header.extra, block.header_rows) == (
        {"level1": [0], "level2": [1], "name": [2], "annual_value": [4]},
        [("2023年实际完成值", 3), ("权重", 5)], 2)
    [ind] = parts.fields["indicators"]
    target = ind.annual_target
    assert (ind.level2_code, ind.name, target.raw, target.kind, ind.extra) == (
        "timeliness", "完成时间", "2024年11月底前", "deadline",
        {"2023年实际完成值": "2023年12月", "权重": "10"})


def test_indicator_header_repeated_on_a_new_page_continues_the_block():
    table = grid((0, 0, "三级指标"), (0, 1, "指标值"), (0, 2, "一级指标"), n_cols=3)
    vocab = vocabulary()
    block = IndicatorsReader.header_block(vocab, table, 0, table.row_cells(0))
    reader = readers().reader(IndicatorsReader)
    assert not reader.repeats(block)  # no header read yet
    reader.start(block)
    assert reader.repeats(IndicatorsReader.header_block(vocab, table, 0, table.row_cells(0)))
    other = grid((0, 0, "三级指标"), (0, 1, "年度指标值"), (0, 2, "二级指标"), n_cols=3)
    assert not reader.repeats(IndicatorsReader.header_block(vocab, other, 0, other.row_cells(0)))


def test_assembler_finds_the_indicator_block_by_its_header_beside_a_label():
    """The same offset table through the form assembler: the 绩效指标 label column is no part of
    the header, and the form holds the indicators."""
    table = grid((0, 0, "项目名称"), (0, 1, "职业技能培训", 1, 3),
                 (1, 0, "绩效指标", 3, 1), (1, 1, "三级指标"), (1, 2, "年度指标值"), (1, 3, "一级指标"),
                 (2, 1, "培训人数"), (2, 2, "≥1000人次"), (2, 3, "产出指标"),
                 (3, 1, "满意度"), (3, 2, "≥90%"), (3, 3, "满意度指标"), n_cols=4)
    draft = FormDraft(title="2024年项目支出绩效目标表", title_page=1, items=[table])
    [form], warnings = FormAssembler(draft, "x.pdf").build()
    assert (form.project_name, form.year) == ("职业技能培训", 2024)
    assert brief(form.indicators, "level1", "name") == [("产出指标", "培训人数"),
                                                        ("满意度指标", "满意度")]
    assert [i.annual_target.raw for i in form.indicators] == ["≥1000人次", "≥90%"]


@pytest.mark.parametrize("key", sorted(BLOCK_READERS))
def test_every_reader_of_a_block_starts_and_ends_it(key):
    context = readers()
    for cls in BLOCK_READERS[key]:
        reader = context.reader(cls)
        reader.start(Block(key))
        assert reader.block == Block(key)
        reader.end()
        assert reader.block is None

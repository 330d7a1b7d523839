"""Stitching a table cut by a page break."""

from perfdecl.extract.grid import Cell, Table, TextLine
from perfdecl.extract.stitch import stitch_tables

EDGES = [0.0, 100.0, 200.0, 300.0]


def cell(row, col, text, page, rowspan=1, colspan=1):
    return Cell(row=row, col=col, rowspan=rowspan, colspan=colspan, text=text, page=page,
                bbox=(EDGES[col], 20.0 * row, EDGES[col + colspan], 20.0 * (row + rowspan)))


def table(cells, n_rows):
    return Table(cells=cells, n_rows=n_rows, n_cols=3, col_edges=list(EDGES))


def page1():
    return table([
        cell(0, 0, "一级指标", 1), cell(0, 1, "三级指标", 1), cell(0, 2, "指标值", 1),
        cell(1, 0, "产出指标", 1), cell(1, 1, "数量A", 1), cell(1, 2, "≥1个", 1),
        cell(2, 0, "", 1, rowspan=2), cell(2, 1, "效益B", 1), cell(2, 2, "提升", 1),
        cell(3, 1, "效益C", 1), cell(3, 2, "实现", 1),
    ], 4)


def page2(header=True):
    rows = [cell(0, 0, "一级指标", 2), cell(0, 1, "三级指标", 2), cell(0, 2, "指标值", 2)] if header else []
    k = 1 if header else 0
    rows += [cell(k, 0, "效益指标", 2, rowspan=2), cell(k, 1, "效益D", 2), cell(k, 2, "≥5人", 2),
             cell(k + 1, 1, "效益E", 2), cell(k + 1, 2, "≥6人", 2)]
    return table(rows, k + 2)


def test_repeated_header_dropped_and_cut_label_rejoined():
    items = stitch_tables([page1(), TextLine("- 1 -", 1, (0, 800, 20, 810)), page2()])
    assert len(items) == 1
    t = items[0]
    assert t.n_rows == 6
    assert [c.text for c in t.row_cells(0)] == ["一级指标", "三级指标", "指标值"]
    # the empty fragment on page 1 and the label on page 2 are one merged cell again
    for r in (2, 3, 4, 5):
        assert t.cell_at(r, 0).text == "效益指标"
    assert t.cell_at(2, 0).rowspan == 4
    assert [t.cell_at(r, 1).text for r in range(1, 6)] == ["数量A", "效益B", "效益C", "效益D", "效益E"]
    assert t.pages == [1, 2]


def test_continuation_without_header():
    t = stitch_tables([page1(), page2(header=False)])[0]
    assert t.n_rows == 6
    assert t.cell_at(5, 1).text == "效益E"


def test_title_between_tables_starts_a_new_table():
    items = stitch_tables([page1(), TextLine("项目支出绩效目标表", 2, (0, 0, 100, 10)), page2()])
    assert [type(i).__name__ for i in items] == ["Table", "TextLine", "Table"]


def test_data_row_repeating_an_earlier_row_is_kept():
    a = table([cell(0, 0, "产出指标", 1), cell(0, 1, "次数", 1), cell(0, 2, "10次", 1)], 1)
    b = table([cell(0, 0, "产出指标", 2), cell(0, 1, "次数", 2), cell(0, 2, "10次", 2)], 1)
    assert stitch_tables([a, b])[0].n_rows == 2


def test_header_repeated_beside_a_block_label_spanning_the_break():
    # column 0 holds the block label 绩效指标 spanning every indicator row; its fragment on page 2
    # starts in the repeated header row, which must be dropped without losing the fragment
    edges = [0.0, 50.0, 150.0, 250.0]

    def c(row, col, text, page, rowspan=1):
        return Cell(row=row, col=col, rowspan=rowspan, colspan=1, text=text, page=page,
                    bbox=(edges[col], 20.0 * row, edges[col + 1], 20.0 * (row + rowspan)))

    a = Table(cells=[c(0, 0, "绩效指标", 1, rowspan=3), c(0, 1, "一级指标", 1), c(0, 2, "三级指标", 1),
                     c(1, 1, "产出指标", 1), c(1, 2, "A", 1), c(2, 1, "", 1), c(2, 2, "B", 1)],
              n_rows=3, n_cols=3, col_edges=edges)
    b = Table(cells=[c(0, 0, "", 2, rowspan=3), c(0, 1, "一级指标", 2), c(0, 2, "三级指标", 2),
                     c(1, 1, "效益指标", 2, rowspan=2), c(1, 2, "C", 2), c(2, 2, "D", 2)],
              n_rows=3, n_cols=3, col_edges=edges)
    t = stitch_tables([a, b])[0]
    assert t.n_rows == 5
    assert [t.cell_at(r, 2).text for r in range(5)] == ["三级指标", "A", "B", "C", "D"]
    assert [t.cell_at(r, 0).text for r in range(5)] == ["绩效指标"] * 5
    # page 1's last row had an empty 一级 cell (rowspan 1) and page 2's label spans two rows
    assert [t.cell_at(r, 1).text for r in range(1, 5)] == ["产出指标", "效益指标", "效益指标", "效益指标"]


def test_label_printed_on_one_page_rejoined_by_its_clipped_text():
    """A label merged over two rows, one each side of the break, is printed on the later page;
    the earlier page keeps it in its text layer, clipped below the table in the label's column."""
    top = table([cell(0, 0, "质量指标", 1), cell(0, 1, "合格率", 1), cell(0, 2, "100%", 1),
                 cell(1, 0, "", 1), cell(1, 1, "结案率", 1), cell(1, 2, "95%", 1)], 2)
    rest = table([cell(0, 0, "时效指标", 2), cell(0, 1, "办结率", 2), cell(0, 2, "≥95%", 2)], 1)
    clipped = TextLine("时效指标", 1, (10.0, 790.0, 60.0, 800.0))
    t = stitch_tables([top, clipped, TextLine("第 1 页，共 2 页", 1, (250, 820, 320, 830)), rest])[0]
    assert [(t.cell_at(r, 0).text, t.cell_at(r, 0).row) for r in range(3)] == [
        ("质量指标", 0), ("时效指标", 1), ("时效指标", 1)]
    # no clipped text in that column: two one-row cells stay apart (the empty one is empty)
    elsewhere = TextLine("时效指标", 1, (110.0, 790.0, 160.0, 800.0))
    t = stitch_tables([top, elsewhere, rest])[0]
    assert [t.cell_at(r, 0).text for r in range(3)] == ["质量指标", "", "时效指标"]


def test_a_sliced_label_printed_a_character_per_line_is_one_cell_again():
    """项目支出预算及测算依据, printed one character per line in a narrow column, sliced by the
    break: 项目支出 on one page, 预算及测算依据 on the next; each page keeps the other part in its
    text layer, clipped (one character a line, or two labels' characters on one baseline)."""
    top = table([cell(0, 0, "项\n目\n支\n出", 1, rowspan=2), cell(0, 1, "合计", 1), cell(0, 2, "30", 1),
                 cell(1, 1, "1.管理支出", 1), cell(1, 2, "10", 1)], 2)
    rest = table([cell(0, 0, "预\n算\n及\n测\n算\n依\n据", 2, rowspan=2), cell(0, 1, "2.就业补助", 2),
                  cell(0, 2, "20", 2), cell(1, 1, "测算依据及说明", 2), cell(1, 2, "说明", 2)], 2)
    clipped = [TextLine("预", 1, (40.0, 790.0, 50.0, 800.0)), TextLine("算", 1, (40.0, 800.0, 50.0, 810.0)),
               TextLine("第 1 页，共 2 页", 1, (250, 820, 320, 830)),
               TextLine("支 预", 2, (40.0, -30.0, 60.0, -20.0))]
    t = stitch_tables([top, *clipped, rest])[0]
    label = t.cell_at(2, 0)
    assert (label.row, label.rowspan, "".join(label.text.split())) == (0, 4, "项目支出预算及测算依据")
    # two different labels, nothing clipped between them: two cells
    t = stitch_tables([top, TextLine("第 1 页，共 2 页", 1, (250, 820, 320, 830)), rest])[0]
    assert ["".join(t.cell_at(r, 0).text.split()) for r in (0, 2)] == ["项目支出", "预算及测算依据"]


def test_a_clipped_line_with_footer_interleaved_is_read_longest_label_first():
    """`经济效益第指2标页，共3页`: the clipped label 经济效益指标 and the footer on one baseline; a
    shorter cell text (效益指标) must not take its characters first."""
    top = table([cell(0, 0, "效益指标", 1), cell(0, 1, "经济效益指标", 1), cell(0, 2, "≥1", 1)], 1)
    rest = table([cell(0, 0, "效益指标", 2), cell(0, 1, "经济效益指标", 2), cell(0, 2, "≥2", 2)], 1)
    items = stitch_tables([top, TextLine("经济效益第指2标页，共3页", 1, (100, 820, 320, 830)), rest])
    assert len(items) == 1 and items[0].n_rows == 2


def test_text_off_the_page_joins_cut_cells_and_is_dropped():
    """A label merged over two rows is printed on the earlier page; the later page holds it only
    off the paper (above its top edge): no title between the tables, evidence for the join, and
    gone from the result."""
    top = table([cell(0, 0, "数量指标", 1), cell(0, 1, "加强省外支援协作", 1), cell(0, 2, "≥1", 1)], 1)
    rest = table([cell(0, 0, "数量指标", 2), cell(0, 1, "", 2), cell(0, 2, "≥2", 2)], 1)
    off = TextLine("加强省外支援协作", 2, (110.0, -26.0, 190.0, -19.0), clipped=True)
    items = stitch_tables([top, TextLine("第 1 页，共 2 页", 1, (250, 820, 320, 830)), off, rest])
    assert len(items) == 1
    assert [(items[0].cell_at(r, 1).text, items[0].cell_at(r, 1).rowspan) for r in range(2)] == [
        ("加强省外支援协作", 2)] * 2
    # a clipped line is never a title between two tables, and never kept
    title = TextLine("项目支出绩效目标表", 2, (0.0, -40.0, 100.0, -30.0), clipped=True)
    items = stitch_tables([top, title, rest])
    assert len(items) == 1 and not any(isinstance(i, TextLine) for i in items)


def test_a_clipped_character_beside_the_footer_is_no_title():
    """`细 第2页，共4页`: a character of a label printed one per line, clipped, on the footer's
    baseline."""
    top = table([cell(0, 0, "项目支出明细", 1), cell(0, 1, "合计", 1), cell(0, 2, "30", 1)], 1)
    rest = table([cell(0, 0, "项目支出明细", 2), cell(0, 1, "1.管理支出", 2), cell(0, 2, "10", 2)], 1)
    items = stitch_tables([top, TextLine("细 第2页，共4页", 1, (40, 820, 320, 830)), rest])
    assert len(items) == 1
    # a word that is no cell's text still stops the join
    items = stitch_tables([top, TextLine("附表 第2页，共4页", 1, (40, 820, 320, 830)), rest])
    assert len(items) == 3


def test_a_cut_label_bled_into_the_repeated_header_is_dropped_with_it():
    """Calc centres a cut merged label on the whole cell; on the next page its text falls in the
    repeated header row, in the label's column (`指标类型` + `管理类指标`): still a repeated header,
    and the label's lower fragment joins it."""
    top = table([cell(0, 0, "指标类型", 1), cell(0, 1, "指标名称", 1), cell(0, 2, "指标值", 1),
                 cell(1, 0, "管理类指标", 1, rowspan=2), cell(1, 1, "预算执行率", 1), cell(1, 2, "90", 1),
                 cell(2, 1, "资金使用合规性", 1), cell(2, 2, "合规", 1)], 3)
    rest = table([cell(0, 0, "指标类型\n管理类指标", 2), cell(0, 1, "指标名称", 2), cell(0, 2, "指标值", 2),
                  cell(1, 0, "", 2, rowspan=2), cell(1, 1, "绩效目标明确性", 2), cell(1, 2, "明确", 2),
                  cell(2, 1, "政府采购程序性", 2), cell(2, 2, "合规", 2)], 3)
    t = stitch_tables([top, rest])[0]
    assert t.n_rows == 5
    assert [t.cell_at(r, 0).text for r in range(1, 5)] == ["管理类指标"] * 4
    # text in the header cell that is no cut cell's is a data row, kept
    rest.cells[0].text = "指标类型\n满意度指标"
    assert stitch_tables([top, rest])[0].n_rows == 6


def test_an_empty_label_starting_a_page_is_not_joined_to_the_cell_above():
    """Page 3's block label 绩效指标 runs from its first row into page 4 (its text clipped below
    page 3): the empty fragment starting page 3 belongs to it, not to page 2's last label."""
    p2 = table([cell(0, 0, "其他需完成的任务", 1), cell(0, 1, "", 1), cell(0, 2, "拟投入资金", 1)], 1)
    p3 = table([cell(0, 0, "", 2, rowspan=2), cell(0, 1, "一级指标", 2), cell(0, 2, "三级指标", 2),
                cell(1, 1, "产出指标", 2), cell(1, 2, "A", 2)], 2)
    p4 = table([cell(0, 0, "绩效指标", 3), cell(0, 1, "效益指标", 3), cell(0, 2, "B", 3)], 1)
    clipped = TextLine("绩效指标", 3, (10.0, 800.0, 60.0, 810.0), clipped=True)
    t = stitch_tables([p2, p3, clipped, p4])[0]
    assert [(t.cell_at(r, 0).text, t.cell_at(r, 0).row) for r in range(4)] == [
        ("其他需完成的任务", 0), ("绩效指标", 1), ("绩效指标", 1), ("绩效指标", 1)]
    # without that evidence the label above runs on (a label whose text sits at its top)
    t = stitch_tables([p2, p3])[0]
    assert [t.cell_at(r, 0).text for r in range(3)] == ["其他需完成的任务"] * 3


def test_cut_labels_clipped_below_a_table_with_a_repeated_header_join_it():
    """The labels of the row the break cuts are printed on the next page below its repeated
    header; page 1 keeps them below its table (`效益指标`): evidence that joins, not a title."""
    def header(page):
        return [cell(0, 0, "项目名称", page), cell(0, 1, "绩效指标", page, colspan=2),
                cell(1, 0, "一级指标", page), cell(1, 1, "二级指标", page), cell(1, 2, "三级指标", page)]

    top = table(header(1) + [cell(2, 0, "产出指标", 1), cell(2, 1, "时效指标", 1), cell(2, 2, "完成时间", 1),
                             cell(3, 0, "", 1), cell(3, 1, "", 1), cell(3, 2, "入学率", 1)], 4)
    rest = table(header(2) + [cell(2, 0, "效益指标", 2, rowspan=2), cell(2, 1, "社会效益指标", 2, rowspan=2),
                              cell(2, 2, "负担率", 2), cell(3, 2, "生活质量", 2)], 4)
    lines = [TextLine("社会效益指标", 1, (110.0, 800.0, 190.0, 810.0)),
             TextLine("效益指标", 1, (10.0, 812.0, 90.0, 822.0))]
    items = stitch_tables([top, *lines, rest])
    assert len(items) == 1
    t = items[0]
    assert t.n_rows == 6
    assert [(t.cell_at(r, 0).text, t.cell_at(r, 1).text) for r in range(3, 6)] == [
        ("效益指标", "社会效益指标")] * 3


def test_clipped_labels_of_two_columns_on_one_baseline_join_each_cut_cell():
    """A break cuts a row whose two labels Calc prints on the later page; the earlier page keeps
    them clipped under its table, the first label and the second's last line on one baseline
    (`满意度指标 指标等`): each one-row fragment joins its own label."""
    top = table([cell(0, 0, "效益指标", 1), cell(0, 1, "可持续影响指标", 1), cell(0, 2, "≥100%", 1),
                 cell(1, 0, "", 1), cell(1, 1, "", 1), cell(1, 2, "≥95%", 1)], 2)
    rest = table([cell(0, 0, "满意度指标", 2), cell(0, 1, "服务对象满意度\n指标等", 2),
                  cell(0, 2, "≥95%", 2)], 1)
    lines = [TextLine("服务对象满意度", 1, (110.0, 800.0, 170.0, 808.0)),
             TextLine("满意度指标 指标等", 1, (10.0, 809.0, 130.0, 817.0))]
    t = stitch_tables([top, *lines, TextLine("第1页，共2页", 1, (250, 820, 320, 830)), rest])[0]
    assert [(t.cell_at(r, 0).text, t.cell_at(r, 1).text.replace("\n", "")) for r in (1, 2)] == [
        ("满意度指标", "服务对象满意度指标等")] * 2


def test_a_long_cut_cells_first_lines_interleaved_with_the_footer_are_no_title():
    """A goal cell merged over rows on both sides of the break, centred on the whole cell: page 1
    shows its first lines under the table, one of them on the footer's baseline, the two
    interleaved (`对认定的零就业家庭第实施1一页对，一共援助2，页认`); the rest of the text is on
    page 2. No title stands between the tables: the cut cell is one cell again."""
    goal = "对认定的零就业家庭实施一对一援助，认定后30天内安置就业"
    top = table([cell(0, 0, "甲单位", 1), cell(0, 1, "≥1", 1), cell(0, 2, "数量指标", 1),
                 cell(1, 0, "", 1), cell(1, 1, "", 1), cell(1, 2, "质量指标", 1)], 2)
    rest = table([cell(0, 0, "乙单位", 2, rowspan=2), cell(0, 1, goal, 2, rowspan=2),
                  cell(0, 2, "时效指标", 2), cell(1, 2, "效益指标", 2)], 2)
    line = TextLine("对认定的零就业家庭第实施1一页对，一共援助2，页认", 1, (100.0, 800.0, 200.0, 808.0))
    items = stitch_tables([top, line, rest])
    assert len(items) == 1 and items[0].n_rows == 4
    assert [(c.row, c.col, c.rowspan, c.text) for c in items[0].cells if c.col < 2 and c.row >= 1] \
        == [(1, 0, 3, "乙单位"), (1, 1, 3, goal)]
    # a line keeping anything else than a piece of a cell and page furniture is a title
    title = TextLine("对认定的零就业家庭第1页项目表", 1, (100.0, 800.0, 200.0, 808.0))
    assert len(stitch_tables([top, title, rest])) == 3


def test_labels_drawn_under_the_table_on_one_baseline_join_every_column_they_cross():
    """Labels merged over two rows, one each side of the break, their text at the bottom of the
    whole cells: page 1 shows them under its table on one baseline, one line across their
    columns whose middle lies in the first; the second column's fragments join too."""
    top = table([cell(0, 0, "效益指标", 1), cell(0, 1, "可持续影响指标", 1), cell(0, 2, "持续改善", 1),
                 cell(1, 0, "", 1), cell(1, 1, "", 1), cell(1, 2, "就业服务对象满意度", 1)], 2)
    rest = table([cell(0, 0, "满意度指标", 2), cell(0, 1, "服务对象满意度指标", 2),
                  cell(0, 2, "引进人才满意度", 2)], 1)
    line = TextLine("满意度指标 服务对象满意度指标", 1, (20.0, 800.0, 170.0, 808.0))
    t = stitch_tables([top, line, rest])[0]
    assert [(t.cell_at(r, 0).text, t.cell_at(r, 1).text) for r in (1, 2)] == [
        ("满意度指标", "服务对象满意度指标")] * 2


def test_a_label_drawn_across_the_tables_last_rule_starts_its_block_on_that_page():
    """As above, but the block label's text is centred on a cell so tall that it is drawn on the
    paper of the middle page, across the table's last rule (form_00, held-out fuzzer seed 11 #10): not a
    title, and evidence that the empty fragment starting that page is that label's."""
    p2 = table([cell(0, 0, "其他需完成的任务", 1), cell(0, 1, "", 1), cell(0, 2, "拟投入资金", 1)], 1)
    p3 = table([cell(0, 0, "", 2, rowspan=2), cell(0, 1, "一级指标", 2), cell(0, 2, "三级指标", 2),
                cell(1, 1, "产出指标", 2), cell(1, 2, "A", 2)], 2)
    p4 = table([cell(0, 0, "绩效指标", 3), cell(0, 1, "效益指标", 3), cell(0, 2, "B", 3)], 1)
    across = TextLine("绩效指标", 2, (10.0, 35.0, 60.0, 46.0))
    items = stitch_tables([p2, p3, across, TextLine("第2页，共3页", 2, (120.0, 90.0, 190.0, 100.0)), p4])
    assert len(items) == 1
    t = items[0]
    assert [(t.cell_at(r, 0).text, t.cell_at(r, 0).row) for r in range(4)] == [
        ("其他需完成的任务", 0), ("绩效指标", 1), ("绩效指标", 1), ("绩效指标", 1)]
    # a line below the rule is not drawn across it: the label above runs on, as before
    below = TextLine("绩效指标", 2, (10.0, 48.0, 60.0, 59.0))
    t = stitch_tables([p2, p3, below, p4])[0]
    assert [t.cell_at(r, 0).text for r in range(3)] == ["其他需完成的任务"] * 3


def _signature(items):
    return [(type(i).__name__, [(c.row, c.col, c.rowspan, c.text, c.page) for c in i.cells]
             if isinstance(i, Table) else i.text) for i in items]


def test_stitching_page_by_page_gives_the_whole_file_s_result_and_releases_early():
    from perfdecl.extract.stitch import Stitcher

    pages = [[TextLine("项目支出绩效目标表", 1, (0, 0, 100, 10)), page1(),
              TextLine("- 1 -", 1, (0, 800, 20, 810))],
             [page2()],
             [TextLine("项目支出绩效目标表", 3, (0, 0, 100, 10)), table([cell(0, 0, "一级指标", 3)], 1)],
             [TextLine("项目支出绩效目标表", 4, (0, 0, 100, 10)), table([cell(0, 0, "一级指标", 4)], 1)]]
    whole = stitch_tables([i for p in pages for i in p])
    stitcher = Stitcher()
    released = [stitcher.add(p) for p in pages]
    # a table is final once the next table is placed, and that needs the lines after it: page
    # 2's continuation (joined to page 1's table) is handed on with page 4
    assert [_signature(r) for r in released] == [
        [("TextLine", "项目支出绩效目标表")], [], [], _signature(whole[1:3])]
    rest = stitcher.finish()
    assert _signature(rest) == _signature(whole[3:])
    assert _signature([i for r in released for i in r] + rest) == _signature(whole)
    assert _signature(whole)[1][1][-1] == (5, 2, 1, "≥6人", 2)  # page 2 joined page 1's table

"""The book: executing chapters (``pipeline``), the opening cell and comparison tables
(``chapter``) and the house style of figures (``viz``). Only the book and the studies' views
import plotting or notebook code."""

from sbcore.book.chapter import (  # noqa: F401
    compare_table,
    glue_all,
    mean_std,
    page_table,
    prose_spelling,
    stored_label,
    set_seed,
    setup_chapter,
    show_problems,
    summarize,
    summary_view,
    wide_table,
)

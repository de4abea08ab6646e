"""Team reports from the database: an Excel workbook and an offline HTML page."""
from grader.report.data import ReportData, build
from grader.report.excel import write_workbook
from grader.report.html import write_html

__all__ = ["ReportData", "build", "write_html", "write_workbook"]

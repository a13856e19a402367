"""Background work of the export centre: large exports run in the scheduler process."""

from partybuild.core import background
from partybuild.reports import pdf, service

background.register_task(
    service.EXPORT_TASK,
    service.run_queued_export,
    label="报告导出",
    on_failed=service.export_task_failed,
)

# PDF copies of Word exports: LibreOffice runs here, never in a web worker.
background.register_task(
    pdf.PDF_TASK, pdf.run_pdf_task, label="转换为PDF", on_failed=pdf.pdf_task_failed
)

"""Background work of the export centre: large exports run in the scheduler process."""

from partybuild.core import background
from partybuild.reports import service

background.register_task(
    service.EXPORT_TASK,
    service.run_queued_export,
    label="报告导出",
    on_failed=service.export_task_failed,
)

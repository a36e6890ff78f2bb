"""Deprecated: the backward log is :mod:`micrograd_lite.backward_log` (renamed: "trace" also meant compiling).

Each old name still works for one release, with a DeprecationWarning.
"""

from ..deprecated import module_aliases
from . import backward_log as _log

__getattr__ = module_aliases(
    "micrograd_lite.trace",
    {
        "trace_backward": ("micrograd_lite.backward_log.log_backward", _log.log_backward),
        "Step": ("micrograd_lite.backward_log.LogRow", _log.LogRow),
        "trace_rows": ("micrograd_lite.backward_log.log_rows", _log.log_rows),
        "trace_csv": ("micrograd_lite.backward_log.log_csv", _log.log_csv),
        "trace_markdown": ("micrograd_lite.backward_log.log_markdown", _log.log_markdown),
        "TRACE_COLUMNS": ("micrograd_lite.backward_log.LOG_COLUMNS", _log.LOG_COLUMNS),
        "count_turns": ("micrograd_lite.backward_log.count_turns", _log.count_turns),
    },
)

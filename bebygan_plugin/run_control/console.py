"""``bebygan-train --quiet``: a short console, the full log file.

BasicSR sends everything through one logger (``basicsr``) with two handlers, the console and
``experiments/<name>/train_<name>_<time>.log``: the environment, the whole option dict and every network's
structure (hundreds of lines) reach the terminal too, and a progress line appears every ``logger.print_freq``
iterations. With ``--quiet`` the console handler shows only

- warnings and errors,
- the start and end of training and the validation results,
- a progress line at most every ``interval_s`` seconds: ``iter 300/1500 (20%)  9.8 it/s  ETA 0:02:02  l_pix: ...``
  (from BasicSR's own progress records: set ``logger.print_freq`` low enough that one comes every few seconds),

while the log file keeps everything, as before. Nothing in BasicSR is changed: a filter and a formatter are set on
its console handler when the logger is first used.
"""
import logging
import re
import time
from datetime import timedelta
from typing import Optional

QUIET_FLAG = '--quiet'
# BasicSR's MessageLogger line; its eta holds a comma at the last iteration ('-1 day, 23:59:57')
_PROGRESS = re.compile(r'iter:\s*([\d,]+),.*?\[eta: .*?, time \(data\): ([\d.]+) \([\d.]+\)\]\s*(.*)$')
_TOTAL = re.compile(r'iters: (\d+)\.')
_KEPT_PREFIXES = ('Start training', 'End of training', 'Validation ', 'Resuming training')


def _is_progress(record: logging.LogRecord) -> bool:
    """A line of BasicSR's ``MessageLogger`` (basicsr/utils/logger.py)."""
    return record.funcName == '__call__' and record.pathname.replace('\\', '/').endswith('basicsr/utils/logger.py')


class _Progress:
    """What the console knows of the run: the total iterations (from BasicSR's "Training statistics")."""

    def __init__(self) -> None:
        self.total: Optional[int] = None
        self.last_shown = float('-inf')

    def line(self, message: str) -> Optional[str]:
        """``iter i/N (p%)  x it/s  ETA h:mm:ss  losses`` for a BasicSR progress message (None if it differs)."""
        match = _PROGRESS.search(message)
        if not match:
            return None
        current, seconds_per_iter, losses = int(match.group(1).replace(',', '')), float(match.group(2)), match.group(3)
        rate = f'{1 / seconds_per_iter:.2f} it/s' if seconds_per_iter > 0 else '- it/s'
        if self.total:
            left = max(0, self.total - current)
            eta = timedelta(seconds=round(left * seconds_per_iter))
            return (f'iter {current}/{self.total} ({100 * current // self.total}%)  {rate}  ETA {eta}  '
                    f'{losses.strip()}')
        return f'iter {current}  {rate}  {losses.strip()}'


class _ConsoleFilter(logging.Filter):
    def __init__(self, progress: _Progress, interval_s: float) -> None:
        super().__init__()
        self.progress, self.interval_s = progress, interval_s

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        message = record.getMessage()
        total = _TOTAL.search(message) if message.startswith('Training statistics') else None
        if total:
            self.progress.total = int(total.group(1))
        if _is_progress(record):
            match = _PROGRESS.search(message)
            last = match is not None and self.progress.total == int(match.group(1).replace(',', ''))
            now = time.monotonic()
            if now - self.progress.last_shown < self.interval_s and not last:
                return False
            self.progress.last_shown = now
            return True
        return message.startswith(_KEPT_PREFIXES)


class _ConsoleFormatter(logging.Formatter):
    """BasicSR's format, with progress lines rewritten as ``iter i/N (p%)  x it/s  ETA ...``."""

    def __init__(self, progress: _Progress) -> None:
        super().__init__('%(asctime)s %(levelname)s: %(message)s', datefmt='%H:%M:%S')
        self.progress = progress

    def format(self, record: logging.LogRecord) -> str:
        line = self.progress.line(record.getMessage()) if _is_progress(record) else None
        if line is None:
            return super().format(record)
        return f'{self.formatTime(record, self.datefmt)} {line}'


class _InstallOnFirstRecord(logging.Filter):
    """A logger filter that, at the first record (BasicSR has created its handlers by then), quiets the console
    handler and removes itself."""

    def __init__(self, logger: logging.Logger, interval_s: float) -> None:
        super().__init__()
        self.logger, self.interval_s = logger, interval_s

    def filter(self, record: logging.LogRecord) -> bool:
        consoles = [h for h in self.logger.handlers if type(h) is logging.StreamHandler]  # not the FileHandler
        if consoles:
            progress = _Progress()
            for handler in consoles:
                handler.addFilter(_ConsoleFilter(progress, self.interval_s))
                handler.setFormatter(_ConsoleFormatter(progress))
            self.logger.removeFilter(self)
        return True


def quiet_console(interval_s: float = 10.0, logger_name: str = 'basicsr') -> None:
    """Make BasicSR's console short (see the module docstring); call before ``train_pipeline``."""
    logger = logging.getLogger(logger_name)
    logger.addFilter(_InstallOnFirstRecord(logger, interval_s))

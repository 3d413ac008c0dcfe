"""Show repeated log messages once, for commands that run a simulator many times."""

import contextlib
import importlib.util
import logging
import pkgutil

logger = logging.getLogger(__name__)


class _FirstOccurrence(logging.Filter):
    """Logging filter that passes the first record of each message and counts repeats."""

    def __init__(self):
        super().__init__()
        self.seen = set()
        self.repeats = 0

    def filter(self, record):
        key = (record.name, record.levelno, record.getMessage())
        if key in self.seen:
            self.repeats += 1
            return False
        self.seen.add(key)
        return True


def _module_logger_names(packages):
    """Names of the packages and of their modules, found without importing them."""
    names = []
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.submodule_search_locations is None:
            continue
        names.append(package)
        names += [f"{package}.{module.name}"
                  for module in pkgutil.iter_modules(spec.submodule_search_locations)]
    return names


@contextlib.contextmanager
def log_once_per_run(packages):
    """Show each log message of ``packages`` and their modules once while the block runs.

    A logging filter acts only on records created by the logger it is attached
    to, so it goes on each module's logger. ``logging.getLogger`` creates the
    logger if the module is not imported yet, and the module gets that same
    logger when it is.
    """
    once = _FirstOccurrence()
    loggers = [logging.getLogger(name) for name in _module_logger_names(packages)]
    for module_logger in loggers:
        module_logger.addFilter(once)
    try:
        yield once
    finally:
        for module_logger in loggers:
            module_logger.removeFilter(once)
        if once.repeats:
            logger.info("%d repeated log message(s) were shown once",
                        once.repeats)

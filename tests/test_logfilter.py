"""Repeated log messages of back-end modules are shown once per cross-check."""

import logging

from vle.logfilter import log_once_per_run


def test_repeats_shown_once(caplog):
    # A module logger that exists before its module is imported gets the filter too.
    module_logger = logging.getLogger("brian_models.spiking")
    with caplog.at_level(logging.WARNING):
        with log_once_per_run(["brian_models"]) as once:
            for _ in range(3):
                module_logger.warning("population '%s': phi is unbounded", "out")
            module_logger.warning("population '%s': phi is unbounded", "h1")
        after = len(caplog.records)
        module_logger.warning("population '%s': phi is unbounded", "out")
    messages = [record.getMessage() for record in caplog.records]
    assert messages[:after] == ["population 'out': phi is unbounded",
                                "population 'h1': phi is unbounded"]
    assert once.repeats == 2
    # Outside the block the filter is gone and the message shows again.
    assert len(caplog.records) == after + 1
    assert module_logger.filters == []

"""Task registry: importing this package registers every task module in it."""

import importlib
import pkgutil

from envs.tasks.base import TASKS, Task, UnknownTaskError, get_task_class, register_task

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["TASKS", "Task", "UnknownTaskError", "get_task_class", "register_task"]

"""The plugin manager. Built-in features are plugins too, listed in BUILTIN_PLUGINS.

Installed is not enabled: built-in plugins are on and third-party plugins (from the entry-point
group "hub") off, unless an admin switched them (`hub plugins list|enable|disable`). The hub keeps
only those switches, so a built-in plugin that a later version adds is on everywhere. A plugin's
hooks import its routes (and so FastAPI) inside the hook that needs them: the `hub` command line
loads every plugin to collect its commands, and starts without.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pluggy

from hub import hookspecs

if TYPE_CHECKING:
    from hub.home import Hub

BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("resident", "hub.plugins.resident"),
    ("api", "hub.plugins.api"),
    ("media", "hub.plugins.media"),
    ("admin", "hub.plugins.admin"),
    ("join", "hub.plugins.join"),
    ("search", "hub.plugins.search"),
    ("zim", "hub.plugins.zim"),
    ("apps", "hub.plugins.apps"),
    ("h5p", "hub.plugins.h5p"),
    ("imports", "hub.plugins.imports"),
    ("studio", "hub.plugins.studio"),
    ("bundles", "hub.plugins.bundles"),
    ("sync", "hub.plugins.sync"),
    ("coach", "hub.plugins.coach"),
    ("library", "hub.plugins.library"),
    ("curation", "hub.plugins.curation"),
    ("keep", "hub.plugins.keep"),
    ("offline", "hub.plugins.offline"),
    ("voice", "hub.plugins.voice"),
    ("ocr", "hub.plugins.ocr"),
)
SWITCHED_SETTING = "plugins_switched"  # {name: true | false}: what admins switched on or off
ENABLED_SETTING = "plugins_enabled"  # before: the whole list of enabled names, read once and replaced


def installed_plugins(load_entry_points: bool = True) -> dict[str, ModuleType]:
    """Every plugin this installation could run, by name."""
    found = {name: importlib.import_module(module) for name, module in BUILTIN_PLUGINS}
    if load_entry_points:
        for entry in entry_points(group="hub"):
            found.setdefault(entry.name, entry.load())
    return found


def default_enabled() -> list[str]:
    return [name for name, _ in BUILTIN_PLUGINS]


def plugin_switches(hub: Hub) -> dict[str, bool]:
    """The plugins an admin switched on or off on this hub (the rest are as default_enabled says)."""
    switched = hub.setting(SWITCHED_SETTING)
    if isinstance(switched, dict):
        return {str(name): bool(on) for name, on in switched.items()}
    listed = hub.setting(ENABLED_SETTING)
    if not isinstance(listed, list):
        return {}
    # An older hub kept the whole enabled list: a built-in missing from it was switched off.
    return {name: name in listed for name in {*default_enabled(), *listed}}


def enabled_plugins(hub: Hub) -> set[str]:
    switches = plugin_switches(hub)
    return {name for name in {*default_enabled(), *switches} if switches.get(name, True)}


def switch_plugin(hub: Hub, name: str, on: bool) -> None:
    """Switch a plugin on or off for the next start of this hub."""
    hub.set_setting(SWITCHED_SETTING, plugin_switches(hub) | {name: on})


def build_manager(plugins: dict[str, object]) -> pluggy.PluginManager:
    """A manager with the hook specs and exactly these plugins registered."""
    manager = pluggy.PluginManager("hub")
    manager.add_hookspecs(hookspecs)
    for name, plugin in plugins.items():
        manager.register(plugin, name=name)
    return manager


def manager_for(hub: Hub, load_entry_points: bool = True) -> pluggy.PluginManager:
    """The plugin manager holding the plugins this hub has enabled."""
    enabled = enabled_plugins(hub)
    installed = installed_plugins(load_entry_points)
    return build_manager({name: p for name, p in installed.items() if name in enabled})


def plugin_folder(plugin: object, folder: str) -> Path | None:
    """A plugin's `templates` or `static` folder, found beside its module by convention."""
    source = getattr(plugin, "__file__", None)
    if source is None:
        return None
    path = Path(source).parent / folder
    return path if Path(source).name == "__init__.py" and path.is_dir() else None

"""The layers of module_utils import downwards only: modules → runner → flows → {k8s, ksyun} → fixed_ip."""

import ast
import sys
from pathlib import Path

PACKAGE = "ansible_collections.ksyun.kce.plugins.module_utils"
MODULE_UTILS = Path(__file__).resolve().parents[4] / "plugins" / "module_utils"
# The layer folders each folder may import from module_utils besides itself (top-level module support files never).
BELOW = {
    "fixed_ip": set(),
    "ksyun": {"fixed_ip"},
    "k8s": {"fixed_ip"},
    "flows": {"fixed_ip", "ksyun", "k8s"},
    "runner": {"fixed_ip", "ksyun", "k8s", "flows"},
}


def imports(folder: str):
    """(file name, imported module) for every absolute import in a layer folder, nested ones included."""
    for path in sorted((MODULE_UTILS / folder).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                yield from ((path.name, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                yield path.name, node.module


def layer(module: str) -> str:
    """The layer folder of an imported module_utils module, e.g. flows for PACKAGE.flows.run."""
    return module[len(PACKAGE) + 1 :].split(".")[0]


def test_every_layer_imports_only_the_layers_below_it():
    found = [
        "%s/%s imports %s" % (folder, name, module)
        for folder, below in BELOW.items()
        for name, module in imports(folder)
        if module.startswith(PACKAGE + ".") and layer(module) not in below | {folder}
    ]
    assert not found, "\n".join(found)


def test_the_domain_imports_nothing_but_the_standard_library_and_itself():
    found = [
        "fixed_ip/%s imports %s" % (name, module)
        for name, module in imports("fixed_ip")
        if not module.startswith(PACKAGE + ".fixed_ip.") and module.split(".")[0] not in sys.stdlib_module_names
    ]
    assert not found, "\n".join(found)


def test_every_layer_folder_is_checked():
    assert {p.name for p in MODULE_UTILS.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))} == set(BELOW)


def test_module_utils_holds_layer_folders_only():
    assert sorted(p.name for p in MODULE_UTILS.glob("*.py")) == [], "every module_utils file belongs to a layer folder"


# Controller plugins (filters, lookups) build objects for the roles on the controller: they may use the domain and the
# pure builders below it, never a module_utils part that talks to the cloud or the cluster.
CONTROLLER_PLUGIN_IMPORTS = {PACKAGE + ".k8s.crds", PACKAGE + ".flows.cluster_config"}


def test_filters_and_lookups_import_only_the_domain_and_pure_builders():
    plugins = MODULE_UTILS.parent
    found = []
    for path in sorted(
        [*plugins.glob("filter/*.py"), *plugins.glob("lookup/*.py"), *plugins.glob("plugin_utils/*.py")]
    ):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE + "."):
                if layer(node.module) != "fixed_ip" and node.module not in CONTROLLER_PLUGIN_IMPORTS:
                    found.append("%s/%s imports %s" % (path.parent.name, path.name, node.module))
    assert not found, "\n".join(found)
    assert list(plugins.glob("filter/*.py")), "no filter plugin found: is the path right?"

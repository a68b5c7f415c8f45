# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the Python benches share: bench/hotplug's harness (the namespace
and its clean-up, the guest, kvmnetd, libvirtd in the bench namespace),
loaded as a module, for bench/vnet and bench/load."""

import importlib.machinery
import importlib.util
import os


def load_hotplug():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'hotplug')
    loader = importlib.machinery.SourceFileLoader('bench_hotplug', path)
    spec = importlib.util.spec_from_loader('bench_hotplug', loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod

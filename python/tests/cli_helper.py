"""Shared by the tests: the shiftnn CLI (SHIFTNN_CLI, default build/shiftnn) and files."""
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))


def cli_path():
    path = os.environ.get("SHIFTNN_CLI", os.path.join(ROOT, "build", "shiftnn"))
    if not os.path.isabs(path):
        path = os.path.join(ROOT, path)
    return path


def require_cli(case):
    if not os.access(cli_path(), os.X_OK):
        case.skipTest("no shiftnn CLI at %s (set SHIFTNN_CLI)" % cli_path())


def run_cli(*args):
    """(returncode, stderr) of `shiftnn ARGS`."""
    r = subprocess.run([cli_path()] + [str(a) for a in args], capture_output=True, text=True)
    return r.returncode, r.stderr.strip()


class TempDirCase(unittest.TestCase):
    """A test case with a temporary directory and the CLI required."""

    def setUp(self):
        require_cli(self)
        self._tmp = tempfile.TemporaryDirectory(prefix="shiftnn_py_")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def save(self, name, array):
        path = self.path(name)
        np.save(path, np.ascontiguousarray(np.asarray(array, np.float32)))
        return path

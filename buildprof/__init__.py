"""buildprof: a build-time profiler for C++ projects built with ninja and clang."""

__version__ = "0.1.0"

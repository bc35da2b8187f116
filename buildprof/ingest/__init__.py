"""Readers for what a build leaves behind: ninja's log and manifest, clang's traces, git."""

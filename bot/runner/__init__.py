"""The restricted snippet runner: a warm parent, a jail per snippet, JSON over HTTP.

Read it top to bottom: `limits` (what a snippet may use), `seccomp` and `jail` (how a child is
locked), `cgroup` (per-slot accounting), `zygote` (the warm parent and its children),
`server` (HTTP), `cli` (`studybot runner serve|exec`). It imports nothing else from `bot`.
"""

"""The snippet runner: three processes split on trust, a jail per snippet, JSON over HTTP.

Read it top to bottom: `limits` (what a snippet may use), `protocol` (the HTTP contract, shared
with every client), `seccomp` and `jail` (how a child is locked), `cgroup` (per-slot
accounting), `framing` (the bytes between the processes), `child` (one run, in the jail),
`forkserver` (the clean warm interpreter that clones children), `png` and `pool` (the server's
side of a run: slots, verdicts, checked figures), `server` (HTTP), `cli` (`studybot runner
serve|exec`). `client` is the bot's side and imports only `protocol`. Nothing here imports
anything else from `bot`.
"""

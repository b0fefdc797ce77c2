#!/usr/bin/env python3
"""Regenerates docs/ERRORS.md from the error-code table in src/error.rs."""
import re
s = open('src/error.rs').read()
rows = re.findall(r'(\w+) => \("([a-z_]+)", (\d+), (\w+), "((?:[^"\\]|\\.)*)"\)', s)
kinds = {"InvalidRequest": "invalid_request", "NotFound": "not_found", "Conflict": "conflict", "Internal": "internal", "Denied": "denied", "Throttled": "throttled"}
head = open('docs/ERRORS.md').read().split('| code | HTTP status | kind | when |')[0]
out = [head.rstrip('\n'), '', '| code | HTTP status | kind | when |', '|---|---|---|---|']
out += [f"| `{n}` | {st} | {kinds[k]} | {summ} |" for _, n, st, k, summ in rows]
open('docs/ERRORS.md', 'w').write('\n'.join(out) + '\n')

#!/usr/bin/env python3
"""Checks a Prometheus text exposition (stdin) with prometheus_client's own parser
(Debian's python3-prometheus-client), as promtool's `check metrics` would: exit 0
if it parses and every sample belongs to a family with HELP and TYPE, appears
once, and has a number; else exit 1 and say why."""
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

text = sys.stdin.read()
problems = []
try:
    seen = set()
    for family in text_string_to_metric_families(text):
        if not family.documentation:
            problems.append(f"{family.name}: no HELP")
        if family.type == "unknown":
            problems.append(f"{family.name}: no TYPE")
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            if key in seen:
                problems.append(f"{sample.name}{sample.labels}: appears twice")
            seen.add(key)
            if not isinstance(sample.value, (int, float)) or (math.isnan(sample.value) and sample.name != family.name):
                problems.append(f"{sample.name}{sample.labels}: value {sample.value!r}")
except ValueError as error:
    problems.append(f"does not parse: {error}")
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)

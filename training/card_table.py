#!/usr/bin/env python3
"""Prints the held-out results of a model card as a Markdown table (for docs/training.md)."""
import json
import sys

card = json.load(open(sys.argv[1] if len(sys.argv) > 1 else 'models/model-card.json'))
print('| held-out set | gens | chance | meaningful | configuration | top-1 @1 | @5 | @10 | @25 |')
print('|---|---|---|---|---|---|---|---|---|')
for name, s in card['metrics']['sets'].items():
    for cfg, r in s['results'].items():
        t = r['top1']
        mark = ' **(shipped)**' if cfg == card['configuration'] else ''
        print(f"| {name} | {s['generators']} | {s['chance']:.2f} | {'yes' if s['meaningful'] else 'no'} | {cfg}{mark} | "
              f"{t['1']:.2f} | {t['5']:.2f} | {t['10']:.2f} | {t['25']:.2f} |")

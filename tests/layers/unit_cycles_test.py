#!/usr/bin/env python3
"""No two units of src/dsgd include each other, directly or round a loop.

A unit is a header and its source (train/loop/run.h and run.cc). The build keeps the layers
apart (an include up a layer fails, src/CMakeLists.txt); this keeps the units within a layer
in an order a reader can follow. Prints each loop found and exits 1.
    unit_cycles_test.py SRC_DIR   (the src/dsgd folder)
"""
import os
import re
import sys

INCLUDE = re.compile(r'#include "dsgd/([^"]+)\.(?:h|cc)"')


def unit_graph(root):
    graph = {}
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.endswith((".h", ".cc")):
                continue
            path = os.path.join(folder, name)
            unit = os.path.relpath(path, root).rsplit(".", 1)[0]
            with open(path, encoding="utf-8") as f:
                used = {m.group(1) for m in INCLUDE.finditer(f.read())}
            graph.setdefault(unit, set()).update(used - {unit})
    return graph


def loops(graph):
    """The strongly connected components of more than one unit (Tarjan's, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            pushed = False
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    pushed = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if pushed:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    unit = stack.pop()
                    on_stack.discard(unit)
                    component.append(unit)
                    if unit == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main():
    graph = unit_graph(sys.argv[1])
    if len(graph) < 20:
        print(f"unit_cycles: only {len(graph)} units under {sys.argv[1]}: the wrong folder?")
        return 1
    found = loops(graph)
    for component in found:
        print("unit_cycles: these units include each other:", ", ".join(component))
    print(f"unit_cycles: {len(graph)} units, {len(found)} loops")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

"""Clean-up passes over the emitted nodes: merge chained Slices, drop what nothing reads."""
from .tensors import BIG


def merge_slices(nodes, info, outputs):
    """Slice(Slice(x)) -> one Slice when the inner one has no other reader."""
    changed = True
    while changed:
        changed = False
        readers = {}
        for nd in nodes:
            for i in nd["inputs"]:
                readers[i] = readers.get(i, 0) + 1
        producer = {nd["outputs"][0]: nd for nd in nodes}
        for nd in nodes:
            if nd["op"] != "Slice":
                continue
            inner = producer.get(nd["inputs"][0])
            if inner is None or inner["op"] != "Slice" or readers.get(inner["name"], 0) != 1 or \
                    inner["name"] in outputs:
                continue
            base = info[inner["inputs"][0]]["rshape"]
            a, b = inner["attrs"], nd["attrs"]
            starts, stops, steps = [], [], []
            ok = True
            for r in range(4):
                s1, e1, t1 = a["starts"][r], a["stops"][r], a["steps"][r]
                s2, e2, t2 = b["starts"][r], b["stops"][r], b["steps"][r]
                if r == 0:
                    if (s1, t1, s2, t2) != (0, 1, 0, 1) or e1 != BIG or e2 != BIG:
                        ok = False
                    starts.append(0), stops.append(BIG), steps.append(1)
                    continue
                n1 = len(range(s1, min(e1, base[r]), t1))
                n2 = len(range(s2, min(e2, n1), t2))
                start, step = s1 + s2 * t1, t1 * t2
                starts.append(start)
                steps.append(step)
                stops.append(start + (n2 - 1) * step + 1)
            if not ok:
                continue
            nd["inputs"] = list(inner["inputs"])
            nd["attrs"] = {"starts": starts, "stops": stops, "steps": steps}
            nodes.remove(inner)
            changed = True
            break
    return nodes


def prune(nodes, outputs):
    """Drop nodes nothing reads."""
    needed = set(outputs)
    producer = {nd["outputs"][0]: nd for nd in nodes}
    stack = list(outputs)
    while stack:
        t = stack.pop()
        nd = producer.get(t)
        if nd is None:
            continue
        for i in nd["inputs"]:
            if i not in needed:
                needed.add(i)
                stack.append(i)
    return [nd for nd in nodes if nd["outputs"][0] in needed]

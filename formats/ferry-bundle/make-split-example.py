#!/usr/bin/env python3
"""Regenerates examples/split/ from examples/bundle.tar (SPEC.md rule 11).

Not an example itself and not part of ferry: an independent implementation of the cut rule
(11.3) over the tar headers of bundle.tar, so the Swift planner is checked against it. It
writes the part index and SHA256SUMS for `--split-size 8Ki` (maxPartSize 8191); the parts
themselves are byte ranges of bundle.tar and are not stored (the tests cut them).

    python3 formats/ferry-bundle/make-split-example.py
"""
import hashlib
import json
import os
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "examples")
MAX_PART = 8 * 1024 - 1


def main():
    path = os.path.join(EXAMPLES, "bundle.tar")
    data = open(path, "rb").read()
    with tarfile.open(path) as tar:
        members = tar.getmembers()
    # Extents: each member from its header to the next header; then the end-of-archive blocks.
    starts = [m.offset for m in members]
    end_of_members = members[-1].offset_data + ((members[-1].size + 511) // 512) * 512
    extents = [(s, e) for s, e in zip(starts, starts[1:] + [end_of_members])]
    extents.append((end_of_members, len(data)))
    cuts = [0]
    part_start = 0
    for start, end in extents:
        if end - part_start <= MAX_PART:
            continue
        if start > part_start and end - start <= MAX_PART:
            cuts.append(start)
            part_start = start
            continue
        while end - part_start > MAX_PART:
            part_start += MAX_PART
            cuts.append(part_start)
    bounds = list(zip(cuts, cuts[1:] + [len(data)]))
    blobs = [(m.name.split("/")[-1], m.offset_data, m.size) for m in members
             if m.name.startswith("blobs/sha256/") and m.isfile()]
    index_bytes = next(data[m.offset_data:m.offset_data + m.size] for m in members if m.name == "ferry-index.json")
    parts = []
    for number, (start, end) in enumerate(bounds):
        chunk = data[start:end]
        inside = ["sha256:" + hex_ for hex_, offset, size in blobs
                  if offset < end and offset + max(size, 1) - 1 >= start]
        parts.append({"name": "bundle.tar.part-%03d" % number, "offset": start, "size": end - start,
                      "sha256": hashlib.sha256(chunk).hexdigest(), "blobs": inside})
    index = {"schemaVersion": 1, "mediaType": "application/vnd.ferry.bundle.parts.v1+json",
             "bundle": "bundle.tar", "contentIndexDigest": "sha256:" + hashlib.sha256(index_bytes).hexdigest(),
             "maxPartSize": MAX_PART, "totalSize": len(data), "parts": parts}
    out = os.path.join(EXAMPLES, "split")
    os.makedirs(out, exist_ok=True)
    encoded = json.dumps(index, sort_keys=True, indent=2, separators=(",", " : ")).encode() + b"\n"
    open(os.path.join(out, "bundle.tar.parts.json"), "wb").write(encoded)
    sums = "".join("%s  %s\n" % (p["sha256"], p["name"]) for p in parts)
    sums += "%s  bundle.tar.parts.json\n" % hashlib.sha256(encoded).hexdigest()
    open(os.path.join(out, "bundle.tar.SHA256SUMS"), "w").write(sums)
    print("%d parts: %s" % (len(parts), [p["size"] for p in parts]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bench_corpus.py: what scripts/bench and scripts/bench-crossing read from and do to the corpus.

Usage: bench_corpus.py refs CORPUS_JSON
       bench_corpus.py expect --corpus JSON --layout-index JSON --ferry-out TSV --skopeo-out TSV
       bench_corpus.py change --registry HOST:PORT --layer-bytes N REF...

  refs     prints every reference of the corpus (scripts/fixtures/ferry-fixtures.py push's JSON),
           one a line
  expect   writes two TSV files of `source ref <TAB> repository:tag <TAB> digest`, one line per
           corpus reference: what ferry's import must produce (the source registry's digests,
           from the corpus JSON) and what skopeo's must produce (its own oci: layout's digests,
           from its index.json)
  change   the first single-manifest image among REF... (all in the plain-http registry at
           HOST:PORT) gets a new random layer of N bytes in place of its last one and a new
           config; pushed as TAG-changed, whose reference is printed (nothing when no REF is a
           single manifest)
Python 3 standard library only.
"""

import argparse
import hashlib
import json
import os
import sys
import urllib.request


def read_json(path):
    with open(path) as f:
        return json.load(f)


def refs(args):
    for image in read_json(args.corpus)["images"]:
        print(image["reference"])
    return 0


def expect(args):
    images = read_json(args.corpus)["images"]
    by_name = {}
    for m in read_json(args.layout_index).get("manifests", []):
        name = (m.get("annotations") or {}).get("org.opencontainers.image.ref.name")
        if name:
            by_name[name] = m["digest"]
    with open(args.ferry_out, "w") as f, open(args.skopeo_out, "w") as g:
        for image in images:
            dest = f"{image['repository']}:{image['tag']}"
            f.write(f"{image['reference']}\t{dest}\t{image['digest']}\n")
            if image["reference"] not in by_name:
                sys.exit(f"skopeo's layout has no entry named {image['reference']}")
            g.write(f"{image['reference']}\t{dest}\t{by_name[image['reference']]}\n")
    return 0


ACCEPT = ", ".join(["application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"])


def call(method, url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(request) as response:
        return response.read(), response.headers


def upload(registry, repo, blob):
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    _, headers = call("POST", f"http://{registry}/v2/{repo}/blobs/uploads/")
    location = headers["Location"]
    location = location if location.startswith("http") else f"http://{registry}{location}"
    call("PUT", location + ("&" if "?" in location else "?") + "digest=" + digest, blob, {"Content-Type": "application/octet-stream"})
    return digest


def change(args):
    registry, size = args.registry, args.layer_bytes
    for ref in args.refs:
        name, tag = ref[len(registry) + 1:].rsplit(":", 1)
        body, headers = call("GET", f"http://{registry}/v2/{name}/manifests/{tag}", headers={"Accept": ACCEPT})
        manifest = json.loads(body)
        if "layers" not in manifest:
            continue
        layer = os.urandom(size)
        config = json.loads(call("GET", f"http://{registry}/v2/{name}/blobs/{manifest['config']['digest']}")[0])
        config.setdefault("config", {}).setdefault("Labels", {})["bench.changed"] = "yes"
        config_bytes = json.dumps(config).encode()
        manifest["layers"][-1] = dict(manifest["layers"][-1], digest=upload(registry, name, layer), size=len(layer))
        manifest["config"] = dict(manifest["config"], digest=upload(registry, name, config_bytes), size=len(config_bytes))
        out = json.dumps(manifest).encode()
        call("PUT", f"http://{registry}/v2/{name}/manifests/{tag}-changed", out,
             {"Content-Type": manifest.get("mediaType", headers["Content-Type"])})
        print(f"{registry}/{name}:{tag}-changed")
        break
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("refs", help="the corpus's references, one a line")
    r.add_argument("corpus")
    r.set_defaults(func=refs)

    e = sub.add_parser("expect", help="the digests each tool's import must produce")
    e.add_argument("--corpus", required=True)
    e.add_argument("--layout-index", required=True, help="index.json of skopeo's oci: layout")
    e.add_argument("--ferry-out", required=True)
    e.add_argument("--skopeo-out", required=True)
    e.set_defaults(func=expect)

    c = sub.add_parser("change", help="push one image with one new layer as TAG-changed")
    c.add_argument("--registry", required=True, help="HOST:PORT, plain http")
    c.add_argument("--layer-bytes", type=int, required=True)
    c.add_argument("refs", nargs="+", metavar="REF")
    c.set_defaults(func=change)

    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Writes image archives in shapes other tools produce, from scratch (our own generator; no
file of another project is copied). Which tool and version writes each shape is recorded in
formats/docker-archive/SPEC.md and formats/oci-layout/SPEC.md.

Usage: foreign_shapes.py SHAPE OUTPUT
  docker25-untagged   `docker save IMAGE-ID` of Docker 25.0.0/25.0.1: an OCI layout whose
                      index.json has "manifests": null, and a manifest.json whose only element
                      has "RepoTags": null; uncompressed layers under blobs/sha256.
Prints a JSON object with the digests the test needs.
"""
import hashlib, io, json, sys, tarfile

def sha(data):
    return hashlib.sha256(data).hexdigest()

def layer_tar(text):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        data = text.encode()
        info = tarfile.TarInfo("hello.txt"); info.size = len(data); info.mtime = 0
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()

def add(tar, name, data):
    info = tarfile.TarInfo(name); info.size = len(data); info.mtime = 0
    tar.addfile(info, io.BytesIO(data))

def docker25_untagged(path):
    layer = layer_tar("hello from an untagged image\n")
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(layer)]}},
                        separators=(",", ":")).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": "sha256:" + sha(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": "sha256:" + sha(layer), "size": len(layer)}]},
                          separators=(",", ":")).encode()
    index = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":null}'
    docker = json.dumps([{"Config": "blobs/sha256/" + sha(config), "RepoTags": None,
                          "Layers": ["blobs/sha256/" + sha(layer)]}]).encode()
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for blob in (layer, config, manifest):
            add(tar, "blobs/sha256/" + sha(blob), blob)
        add(tar, "index.json", index)
        add(tar, "manifest.json", docker)
        add(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    return {"config": "sha256:" + sha(config), "layer": "sha256:" + sha(layer), "manifest": "sha256:" + sha(manifest)}

SHAPES = {"docker25-untagged": docker25_untagged}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in SHAPES:
        sys.exit(__doc__)
    print(json.dumps(SHAPES[sys.argv[1]](sys.argv[2])))

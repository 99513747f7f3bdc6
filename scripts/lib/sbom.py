#!/usr/bin/env python3
"""sbom.py: an SPDX 2.3 JSON SBOM for a ferry release binary.

Usage: sbom.py --binary BIN --version V --resolved Package.resolved [--checkouts DIR]
               [--swift-version V] [--created EPOCH] --out FILE

Packages listed:
  - ferry itself (SHA-256 of BIN), DESCRIBED by the document;
  - every pin of Package.resolved (identity, version, revision, location; the license is
    recognised from the checkout's LICENSE file when --checkouts is given), which ferry CONTAINS;
  - the Swift runtime (Swift standard library, Foundation, Dispatch; with ICU when BIN carries
    ICU data), CONTAINED when it is linked statically, else a dependency;
  - the C libraries, named and versioned by dpkg on this machine (the versions built against):
    libc6, libcurl, libarchive, libzstd and libgcc_s when BIN needs them (DEPENDS_ON; libzstd
    through libarchive when BIN does not need it directly), and libstdc++, CONTAINED when BIN
    does not need libstdc++.so.6 (statically linked from libstdc++.a).
documentNamespace is derived from the version and the binary's SHA-256 and `created` from
--created (else SOURCE_DATE_EPOCH), so the same inputs give the same bytes.
Python 3 standard library only; runs objdump, ldd and dpkg-query.
"""

import argparse
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse


def run(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        return ""


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def spdx_id(name):
    return "SPDXRef-Package-" + re.sub(r"[^A-Za-z0-9.-]", "-", name)


def license_of(checkout):
    """SPDX id of a checkout's LICENSE file, by its wording; NOASSERTION when unknown."""
    for path in sorted(glob.glob(os.path.join(checkout, "LICENSE*"))):
        text = open(path, encoding="utf-8", errors="replace").read()
        if "Apache License" in text and "Version 2.0" in text:
            return "Apache-2.0"
        if "MIT License" in text or "Permission is hereby granted, free of charge" in text:
            return "MIT"
    return "NOASSERTION"


def deb_package(path):
    """(package, version, arch) owning PATH per dpkg, trying the merged-/usr spellings."""
    real = os.path.realpath(path)
    for p in dict.fromkeys([path, real, re.sub(r"^/usr(?=/lib)", "", real)]):
        out = run("dpkg-query", "-S", p).strip()
        if ": " in out:  # "libcurl4:amd64: /usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0"
            pkg = out.splitlines()[0].split(": ")[0].split(",")[0].split(":")[0]
            fields = run("dpkg-query", "-W", "-f", "${Version} ${Architecture}", pkg).split()
            if len(fields) == 2:
                return pkg, fields[0], fields[1]
    return None


def deb_entry(pkg, version, arch, purpose, comment):
    purl = f"pkg:deb/debian/{pkg}@{urllib.parse.quote(version, safe='')}?arch={arch}"
    return {"SPDXID": spdx_id(pkg), "name": pkg, "versionInfo": version,
            "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
            "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION", "primaryPackagePurpose": purpose,
            "comment": comment,
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER",
                              "referenceType": "purl", "referenceLocator": purl}]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--binary", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--resolved", required=True)
    p.add_argument("--checkouts")
    p.add_argument("--swift-version", default="NOASSERTION")
    p.add_argument("--created", type=int, default=int(os.environ.get("SOURCE_DATE_EPOCH", "0")))
    p.add_argument("--out", required=True)
    o = p.parse_args()

    digest = sha256(o.binary)
    needed = re.findall(r"^\s*NEEDED\s+(\S+)", run("objdump", "-p", o.binary), re.M)
    paths = dict(re.findall(r"^\s*(\S+) => (/\S+)", run("ldd", o.binary), re.M))
    ferry = {"SPDXID": "SPDXRef-Package-ferry", "name": "ferry", "versionInfo": o.version,
             "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
             "packageFileName": "bin/ferry",
             "checksums": [{"algorithm": "SHA256", "checksumValue": digest}],
             "licenseConcluded": "Apache-2.0", "licenseDeclared": "Apache-2.0",
             "copyrightText": "NOASSERTION", "primaryPackagePurpose": "APPLICATION"}
    packages, relations = [ferry], [("SPDXRef-DOCUMENT", "DESCRIBES", ferry["SPDXID"])]

    def add(entry, parent, kind):
        packages.append(entry)
        relations.append((parent, kind, entry["SPDXID"]))

    for pin in json.load(open(o.resolved, encoding="utf-8")).get("pins", []):
        state, location = pin.get("state", {}), pin.get("location", "")
        checkout = os.path.join(o.checkouts or "", os.path.basename(location).removesuffix(".git"))
        lic = license_of(checkout) if o.checkouts and os.path.isdir(checkout) else "NOASSERTION"
        host_path = re.sub(r"^[a-z+]+://", "", location).removesuffix(".git")
        version = state.get("version") or state.get("revision", "NOASSERTION")
        entry = {"SPDXID": spdx_id("swiftpm-" + pin["identity"]), "name": pin["identity"],
                 "versionInfo": version,
                 "downloadLocation": f"git+{location}@{state['revision']}" if state.get("revision") else location,
                 "filesAnalyzed": False, "licenseConcluded": "NOASSERTION", "licenseDeclared": lic,
                 "copyrightText": "NOASSERTION", "primaryPackagePurpose": "LIBRARY",
                 "comment": "Swift package, statically linked into ferry",
                 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                   "referenceLocator": f"pkg:swift/{host_path}@{version}"}]}
        add(entry, ferry["SPDXID"], "CONTAINS")

    static_runtime = not any(n.startswith("libswiftCore") for n in needed)
    with open(o.binary, "rb") as f:
        has_icu = b"icudt" in f.read()
    runtime = {"SPDXID": spdx_id("swift-runtime"), "name": "swift-runtime",
               "versionInfo": o.swift_version, "downloadLocation": "NOASSERTION",
               "filesAnalyzed": False, "licenseConcluded": "NOASSERTION",
               "licenseDeclared": "Apache-2.0 WITH Swift-exception" + (" AND Unicode-3.0" if has_icu else ""),
               "copyrightText": "NOASSERTION", "primaryPackagePurpose": "LIBRARY",
               "comment": "Swift standard library, Foundation and Dispatch of the toolchain"
                          + (", with ICU data" if has_icu else "")
                          + (", statically linked" if static_runtime else ", linked dynamically")}
    add(runtime, ferry["SPDXID"], "CONTAINS" if static_runtime else "DEPENDS_ON")

    arch = run("dpkg", "--print-architecture").strip() or "NOASSERTION"
    seen = {}
    for soname in ("libc.so.6", "libcurl.so.4", "libarchive.so.13", "libzstd.so.1", "libgcc_s.so.1"):
        owner = deb_package(paths[soname]) if soname in paths else None
        if owner is None or owner[0] in seen.values():
            continue
        parent = ferry["SPDXID"]
        if soname not in needed:
            if soname != "libzstd.so.1" or "libarchive.so.13" not in seen:
                continue
            parent = spdx_id(seen["libarchive.so.13"])
        seen[soname] = owner[0]
        add(deb_entry(owner[0], owner[1], arch, "LIBRARY",
                      f"{soname}, linked dynamically; the version ferry was built against"),
            parent, "DEPENDS_ON")
    if "libstdc++.so.6" in needed:
        owner = deb_package(paths.get("libstdc++.so.6", ""))
        if owner:
            add(deb_entry(*owner, "LIBRARY", "libstdc++.so.6, linked dynamically"),
                ferry["SPDXID"], "DEPENDS_ON")
    else:
        archive = run("g++", "-print-file-name=libstdc++.a").strip()
        owner = deb_package(archive) if os.path.isabs(archive) else None
        if owner:
            add(deb_entry(*owner, "LIBRARY", "libstdc++.a, linked statically"),
                ferry["SPDXID"], "CONTAINS")

    doc = {"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
           "name": f"ferry-{o.version}",
           "documentNamespace": f"https://ferry.invalid/spdx/ferry-{o.version}-{digest}",
           "creationInfo": {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(o.created)),
                            "creators": ["Tool: ferry-scripts-lib-sbom.py"]},
           "packages": packages,
           "relationships": [{"spdxElementId": a, "relationshipType": k, "relatedSpdxElement": b}
                             for a, k, b in relations]}
    with open(o.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
